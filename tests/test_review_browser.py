"""The review workspace in headless Chromium against a live ``vigia serve`` (waitress, free port) and the
simulated fleet: an analyst logs in, overrides a finding and sees the report change; a municipality logs
in, replies, and sees the verdict of the re-crawl that ``vigia worker`` ran."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import fleet_server, free_port

from vigia.browser import CHROMIUM_ARGS, CHROMIUM_PATH

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-25"
PASSWORD = "clave-de-prueba-larga"
ENV = {**os.environ, "VIGIA_ALLOW_PRIVATE_ADDRESSES": "1", "VIGIA_PASSWORD": PASSWORD}
ENV.pop("VIGIA_DATABASE_URL", None)
ENV.pop("VIGIA_REGISTRY", None)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM_PATH).exists(), reason="Debian's Chromium is not installed"),
]


def vigia(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigia.cli", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("review-browser")
    fleet = work / "fleet"
    made = vigia("fleet", "generate", "--portals", "2", "--failures", "none", "--seed", "7", "--out", str(fleet),
                 "--as-of", AS_OF, "--base-port", str(free_port()))  # fmt: skip
    assert made.returncode == 0, made.stderr
    common = ["--db", f"sqlite:///{work / 'vigia.db'}", "--data-dir", str(work / "data")]
    registry = ["--registry", str(fleet / "registry.csv")]
    with fleet_server(fleet, timeout=60):
        night = vigia(
            "nightly", *common, *registry, "--out", str(work / "site"), "--as-of", AS_OF, "--no-pdf"
        )
        assert night.returncode == 0, night.stdout + night.stderr
        spec = json.loads((fleet / "spec.json").read_text(encoding="utf-8"))
        code = spec["portals"][0]["ine_code"]
        for args in (["analista@pdh.example.gt", "--role", "analyst"], [f"uip@{code}.example.gt", "--role",
                                                                       "municipality", "--ine", code]):  # fmt: skip
            added = vigia("users", "add", *args, *common)
            assert added.returncode == 0, added.stderr
        ready = work / "serve-ready"
        log = (work / "serve.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "vigia.cli", "serve", "--port", "0", "--ready-file", str(ready), *common, *registry],
            cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not ready.exists():
                assert server.poll() is None, (work / "serve.log").read_text()
                assert time.monotonic() < deadline, "vigia serve did not start"
                time.sleep(0.1)
            time.sleep(0.2)
            yield {"url": ready.read_text().strip(), "work": work, "fleet": fleet, "code": code, "spec": spec,
                   "common": common, "registry": registry}  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=20)
            log.close()


def _browser() -> Any:
    from playwright.sync_api import sync_playwright

    return sync_playwright()


def _login(page: Any, base: str, email: str) -> None:
    page.goto(base + "login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.timeout(1500)  # two nights of the fleet on a shared two-core machine
def test_analyst_overrides_and_municipality_replies_in_chromium(workspace: dict[str, Any]) -> None:
    from checks.periods import required_month
    from fleet.night import _monthly_docs, _publish_month

    base, code, spec, work = workspace["url"], workspace["code"], workspace["spec"], workspace["work"]
    portal = spec["portals"][0]
    numeral = next(
        n for n, plan in portal["numerals"].items()
        if plan["status"] == "outdated" and plan["mode"] == "docs" and _monthly_docs(portal, n)
    )  # fmt: skip
    other = next(n for n, plan in portal["numerals"].items() if plan["status"] == "absent" and n != numeral)
    problems: list[str] = []
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM_PATH, args=list(CHROMIUM_ARGS))
        try:
            analyst = browser.new_context().new_page()
            analyst.on(
                "console", lambda m: problems.append(f"{m.text} {m.location}") if m.type == "error" else None
            )
            _login(analyst, base, "analista@pdh.example.gt")
            assert "Cola de revisión" in analyst.content()
            analyst.goto(f"{base}municipio/{code}")
            score_before = analyst.inner_text("#puntaje")
            analyst.goto(f"{base}revision/{code}/{int(other)}")
            assert analyst.inner_text("#estado-efectivo") == "No publicado"
            analyst.select_option("#status", "present")
            analyst.fill("#override-reason", "Publicado en la sección de avisos; verificado a mano.")
            analyst.click("button[value=corregir]")
            analyst.wait_for_load_state()
            assert analyst.inner_text("#estado-efectivo") == "Cumple"
            assert "Revisado por analista@pdh.example.gt" in analyst.content()
            analyst.goto(f"{base}municipio/{code}")
            assert float(analyst.inner_text("#puntaje")) > float(score_before)
            # the night's report (static site) rebuilt: the checklist shows the reviewed item
            rebuilt = vigia("report", *workspace["common"], *workspace["registry"], "--out", str(work / "site2"),
                            "--as-of", AS_OF, "--no-pdf")  # fmt: skip
            assert rebuilt.returncode == 0, rebuilt.stderr
            checklist = next((work / "site2" / "municipio").glob(f"{code}*.html"))
            analyst.goto(checklist.as_uri() + f"#n{int(other):02d}")
            row = analyst.inner_text(f"#n{int(other):02d}")
            assert "Cumple" in row and "Revisado por la PDH el" in row

            municipality = browser.new_context().new_page()
            _login(municipality, base, f"uip@{code}.example.gt")
            assert f"/municipio/{code}" in municipality.url
            municipality.goto(f"{base}municipio/{code}/responder/{int(numeral)}")
            # the portal publishes the month, then the municipality answers with its URL
            as_of = dt.date.fromisoformat(spec["as_of"])
            doc = _publish_month(portal, numeral, *required_month(as_of), as_of)
            (workspace["fleet"] / "spec.json").write_text(
                json.dumps(spec, ensure_ascii=False), encoding="utf-8"
            )
            from vigia.registry import load_registry

            portal_url = next(
                m.portal_url or ""
                for m in load_registry(workspace["fleet"] / "registry.csv")
                if m.ine_code == code
            )
            municipality.fill("#urls", f"{portal_url.rstrip('/')}{doc['url_path']}")
            municipality.fill("#note", "Ya publicamos el informe del mes.")
            municipality.click("button[type=submit]")
            municipality.wait_for_load_state()
            assert "se rastreará de nuevo" in municipality.content(), municipality.content()[:2000]
            time.sleep(2.5)  # the fleet server reloads spec.json
            ran = vigia(
                "worker", "--once", "--as-of", spec["as_of"], *workspace["common"], *workspace["registry"]
            )
            assert ran.returncode == 0, ran.stdout + ran.stderr
            municipality.goto(f"{base}municipio/{code}")
            row = municipality.inner_text(f"#n{int(numeral):02d}")
            assert "Cumple" in row and "nuevo veredicto" in row, row
            # and another municipality's page is not reachable
            municipality.goto(f"{base}municipio/0000")
            assert "No encontrado" in municipality.content()
        finally:
            browser.close()
    assert not problems, problems
