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


def test_the_report_opens_in_headless_chromium_with_every_image_loaded(report):
    from selenium import webdriver
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    assert browser and driver_path, "Chromium and chromedriver are needed (.ci/run installs Debian's packages)"
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    try:
        driver.get((report / "index.html").as_uri())
        loaded = driver.execute_script(
            "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]);")
        assert len(loaded) >= 12
        for src, complete, width in loaded:
            assert complete and width > 0, f"{src} did not load"
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
        sections = driver.execute_script("return document.querySelectorAll('section').length")
        assert sections == 12
    finally:
        driver.quit()
