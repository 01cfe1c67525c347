"""The report site opened in headless Chromium from file://: key elements present, no console errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports import synthetic
from reports.api import build_reports
from vigia.browser import CHROMIUM_ARGS, CHROMIUM_PATH
from vigia.store import open_store

CHROMIUM = CHROMIUM_PATH
FLAGS = list(CHROMIUM_ARGS)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's Chromium is not installed"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("browser-site")
    store = open_store(f"sqlite:///{base / 'vigia.db'}", base / "data")
    synthetic.build_scenario(store)
    build_reports(store, base / "site", None, synthetic.AS_OF, synthetic.scenario_registry(), pdf=False)
    store.close()
    return base / "site"


def test_site_in_chromium(site: Path) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.on(
                "console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type == "error" else None
            )
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
            # anything but file:// would mean the site reaches out; refuse and record it
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith("file://")
                    else (problems.append(f"request: {route.request.url}"), route.abort())
                ),
            )

            page.goto((site / "index.html").as_uri())
            assert page.title().startswith("Informe de cumplimiento")
            assert page.locator("h1").inner_text().startswith("Informe de cumplimiento")
            assert page.locator("table.ranking tbody tr").count() == 7
            assert page.locator("#departamentos svg.chart").count() == 1
            assert page.locator("#departamentos svg a").count() == 22
            assert page.locator("#cambios table.changes-down").count() == 1
            assert page.locator("#tendencias svg.chart").count() == 1
            # the stylesheet loaded (the Content-Security-Policy allows it from file://)
            color = page.evaluate("getComputedStyle(document.querySelector('.masthead')).backgroundColor")
            assert color == "rgb(11, 46, 89)"

            page.locator("table.ranking a", has_text="Mixco").first.click()
            page.wait_for_load_state()
            assert page.url.endswith("municipio/0108.html")
            assert page.locator("h1").inner_text() == "Municipalidad de Mixco"
            assert page.locator(".score-value").inner_text() == "81.5"
            assert page.locator("table.checklist").first.locator("tbody tr.rule-row").count() == 29
            assert page.locator("#n03 .status").inner_text() == "No publicado"
            assert page.locator("a.archived").count() > 10

            page.goto((site / "municipio/1701.html").as_uri())  # the hostile portal
            assert "<script>alert(1)</script>" in page.locator("h1").inner_text()
            assert page.locator("script").count() == 0
            page.goto((site / "nocturno.html").as_uri())
            assert page.locator("table.health tbody tr").count() == 7
        finally:
            browser.close()
    assert problems == []
