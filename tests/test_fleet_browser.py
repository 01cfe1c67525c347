"""Headless Chromium on the fleet: JavaScript portals only show their content after rendering."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fleet_helpers import fetch, fleet_server, make_fleet

from vigia.browser import CHROMIUM_ARGS, CHROMIUM_PATH

CHROMIUM = CHROMIUM_PATH
FLAGS = list(CHROMIUM_ARGS)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed"),
]


def test_javascript_portal_content_appears_only_after_rendering(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    spec, truth = make_fleet(
        tmp_path / "js", portals=6, failures="none", platforms=["javascript", "wordpress"]
    )
    js_portals = [p for p in spec["portals"] if p["platform"] == "javascript"]
    assert {p["js_mode"] for p in js_portals} == {"inline", "fetch"}
    with fleet_server(tmp_path / "js"), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page()
            for sp in js_portals:
                t = next(x for x in truth["portals"] if x["ine_code"] == sp["ine_code"])
                section = next(pg for pg in sp["pages"] if pg["kind"] == "numeral_list")
                url = sp["url"].rstrip("/") + section["path"]
                status, headers, raw = fetch(url)
                assert status == 200
                static_links = re.findall(rb"<a\s", raw)
                assert static_links == []  # nothing to follow without running the script
                assert b"/static/app.js" in raw
                page.goto(url, wait_until="networkidle")
                page.wait_for_selector("main a", timeout=10_000)
                hrefs = page.eval_on_selector_all("main a", "els => els.map(e => e.getAttribute('href'))")
                docs = [d for d in t["documents"] if d["page_url"] == t["url"].rstrip("/") + section["path"]]
                assert docs
                wanted = {d["url"].split(str(spec["base_port"]), 1)[1] for d in docs if d["host"] == "portal"}
                assert wanted & set(hrefs), (sp["js_mode"], hrefs[:5])
                assert page.inner_text("header").startswith("Municipalidad de")
                assert sp["municipality"] in page.inner_text("header")
                assert "Tel." in page.inner_text("footer")
            wp = next(p for p in spec["portals"] if p["platform"] == "wordpress")
            page.goto(wp["url"], wait_until="load")
            assert page.locator("nav a").count() >= 3 and page.locator("img[alt^='Escudo']").count() == 1
        finally:
            browser.close()
