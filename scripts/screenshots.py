#!/usr/bin/env python3
"""Screenshots of the tour's report as a reader sees it: every figure at the size the page shows it, and the top.

    python3 scripts/screenshots.py ember-tour/index.html shots/

Uses headless Chromium and chromedriver (Debian's chromium and chromium-driver) through selenium.
"""
import os
import shutil
import sys

from selenium import webdriver
from selenium.webdriver.common.by import By


def main(page, out):
    os.makedirs(out, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,1000", "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=shutil.which("chromedriver")),
                              options=options)
    try:
        driver.get("file://" + os.path.abspath(page))
        driver.save_screenshot(os.path.join(out, "top.png"))
        for i, figure in enumerate(driver.find_elements(By.TAG_NAME, "figure")):
            driver.execute_script("arguments[0].scrollIntoView()", figure)
            name = os.path.basename(figure.find_element(By.TAG_NAME, "img").get_attribute("src"))
            figure.screenshot(os.path.join(out, f"{i:02d}-{name}"))
            print(f"{i:02d}-{name}: shown at {figure.size['width']}x{figure.size['height']} px")
    finally:
        driver.quit()


if __name__ == "__main__":
    main(*sys.argv[1:3])
