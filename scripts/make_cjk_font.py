#!/usr/bin/env python3
"""Regenerate the tour's embedded Chinese font: the glyphs the lessons use, cut from Noto Sans CJK SC.

    python3 scripts/make_cjk_font.py [FONT_DIR]

The report must show its Chinese on a machine without any CJK font, so it embeds (base64, in index.html) two
small subsets of Noto Sans CJK SC, regular and bold, holding only the characters that ember/lessons/*.py use.
Run this after a lesson gains a Chinese character (tests/test_tour.py fails until you do). FONT_DIR holds
NotoSansCJK-Regular.ttc and NotoSansCJK-Bold.ttc; without it, Debian's fonts-noto-cjk is used where installed,
or fetched with `apt-get download` and unpacked into a temporary folder. Needs fontTools (pip install fonttools).
The subsets are renamed "Ember Tour CJK" (a modified version under the SIL Open Font License keeps no reserved
name) and keep the font's copyright and licence; the licence text is ember/lessons/fonts/OFL.txt.
"""
import glob
import os
import subprocess
import sys
import tempfile

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "ember", "lessons", "fonts")
FAMILY = "Ember Tour CJK"
FIRST_CJK = 0x2E80  # CJK radicals onwards: ideographs, CJK punctuation, full-width forms


def characters():
    """Every CJK character in the lessons' sources (the report's text all comes from there)."""
    found = set()
    for path in glob.glob(os.path.join(ROOT, "ember", "lessons", "*.py")):
        with open(path, encoding="utf-8") as f:
            found.update(c for c in f.read() if ord(c) >= FIRST_CJK)
    return "".join(sorted(found))


def font_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    installed = "/usr/share/fonts/opentype/noto"
    if os.path.exists(os.path.join(installed, "NotoSansCJK-Regular.ttc")):
        return installed
    work = tempfile.mkdtemp()
    subprocess.run(["apt-get", "download", "fonts-noto-cjk"], cwd=work, check=True)
    subprocess.run(["dpkg-deb", "-x", glob.glob(os.path.join(work, "fonts-noto-cjk_*.deb"))[0], work], check=True)
    return os.path.join(work, "usr", "share", "fonts", "opentype", "noto")


def make(collection_path, style, text):
    collection = TTCollection(collection_path)
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    options = subset.Options()
    options.flavor = "woff"  # zlib-compressed: no brotli needed to build or to read it
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and licence records
    options.layout_features = ["*"]
    options.hinting = False  # the glyphs are drawn large enough on screen; hints would double the size
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    full_name = f"{FAMILY} {style}"
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID in (4, 3):
            record.string = full_name
        elif record.nameID == 6:
            record.string = full_name.replace(" ", "")
    path = os.path.join(OUT, f"EmberTourCJK-{style}.woff")
    subset.save_font(font, path, options)
    return path


def main():
    text = characters()
    source = font_dir()
    for style in ("Regular", "Bold"):
        path = make(os.path.join(source, f"NotoSansCJK-{style}.ttc"), style, text)
        print(f"{path}: {len(text)} characters, {os.path.getsize(path) / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
