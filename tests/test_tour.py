"""The whole tour, end to end: every lesson, a report whose images are valid pictures, loaded in a real browser."""
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import matplotlib.image
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour")
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-m", "ember.cli", "tour", "--out", str(out)], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "12 lessons" in r.stdout
    return out


def test_every_image_of_the_report_is_a_valid_non_empty_picture(report):
    parser = Images()
    parser.feed((report / "index.html").read_text(encoding="utf-8"))
    assert len(parser.sources) >= 12
    for src in parser.sources:
        path = report / src
        assert path.exists() and path.stat().st_size > 1000, src
        pixels = matplotlib.image.imread(path)
        assert pixels.shape[0] > 50 and pixels.shape[1] > 50 and pixels.std() > 0, src  # not blank


def chinese(text):
    return "".join(c for c in text if ord(c) >= 0x2E80)  # CJK radicals onwards: ideographs, CJK punctuation


def test_every_chinese_character_of_the_report_is_in_the_embedded_font(report):
    from fontTools.ttLib import TTFont
    from ember.lessons import page
    used = set(chinese((report / "index.html").read_text(encoding="utf-8")))
    assert len(used) > 40  # every lesson's heading carries the notes' Chinese term
    for style in ("Regular", "Bold"):
        font = TTFont(os.path.join(page.FONTS, f"EmberTourCJK-{style}.woff"))
        missing = used - {chr(c) for c in font.getBestCmap()}
        assert not missing, f"run scripts/make_cjk_font.py: the embedded font lacks {''.join(sorted(missing))}"
        assert "SIL Open Font License" in font["name"].getDebugName(13)
    assert "SIL OPEN FONT LICENSE Version 1.1" in open(os.path.join(page.FONTS, "OFL.txt"), encoding="utf-8").read()


@pytest.fixture(scope="module")
def browser(report):
    from selenium import webdriver
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    assert binary and driver_path, "Chromium and chromedriver are needed: scripts/test installs Debian's packages"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--window-size=1200,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    try:
        driver.get((report / "index.html").as_uri())
        yield driver
    finally:
        driver.quit()


def test_the_report_opens_in_headless_chromium_with_every_image_loaded(browser):
    loaded = browser.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]);")
    assert len(loaded) >= 12
    for src, complete, width in loaded:
        assert complete and width > 0, f"{src} did not load"
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors
    assert browser.execute_script("return document.querySelectorAll('section').length") == 12


def test_every_figure_is_shown_near_its_own_size_so_its_text_stays_readable(browser):
    sizes = browser.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.width, i.naturalWidth]);")
    for src, shown, natural in sizes:
        assert shown >= 0.8 * natural, f"{src}: {natural} px wide, shown at {shown} px"
    caption = browser.execute_script("return document.querySelector('#computational-graph figcaption').textContent")
    assert "top to bottom" in caption and "left to right" not in caption  # as the graphs are drawn


def system_has_a_chinese_font():
    fc_list = shutil.which("fc-list")
    return fc_list is None or bool(subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True).stdout.strip())


def test_the_headings_chinese_is_drawn_with_the_embedded_font(browser):
    heading = browser.execute_script("return document.querySelector('section h2').textContent")
    text = chinese(heading)
    assert text == "监督学习"
    state = browser.execute_async_script("""
        const [text, done] = arguments;
        document.fonts.load('40px "Ember Tour CJK"', text).then(() => {
            const faces = Array.from(document.fonts).filter(f => f.family.replace(/"/g, '') === 'Ember Tour CJK');
            const probe = document.createElement('span');
            probe.style.cssText = 'font-size: 40px; white-space: nowrap; position: absolute';
            probe.textContent = text;
            document.body.appendChild(probe);
            const width = family => { probe.style.fontFamily = family; return probe.getBoundingClientRect().width; };
            const h2 = document.querySelector('section h2');
            done({faces: faces.map(f => [f.weight, f.status]), check: document.fonts.check('40px "Ember Tour CJK"', text),
                  embedded: width('"Ember Tour CJK"'), fallback: width('sans-serif'),
                  headingFamily: getComputedStyle(h2).fontFamily});
        });""", text)
    assert sorted(state["faces"]) == [["bold", "loaded"], ["normal", "loaded"]]  # the bold one: the headings
    assert state["check"] and state["headingFamily"].startswith('"Ember Tour CJK"')
    assert state["embedded"] == pytest.approx(4 * 40, abs=1)  # four full-width glyphs of the embedded font
    if not system_has_a_chinese_font():  # then the browser alone draws boxes of another width
        assert abs(state["fallback"] - state["embedded"]) > 4, state
