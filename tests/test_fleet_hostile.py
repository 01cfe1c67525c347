"""The fleet's opt-in hostile families (fleet/hostile.py) and how the crawl takes them (issue 14)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import fetch, fleet_server, free_port
from sqlalchemy import select

from fleet import hostile
from fleet.files import write_fleet
from vigia.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent
SMALL_BOMB = 80 * 1024**2  # enough to pass the XLSX reader's 64 MB part limit, quick to build


@pytest.fixture(scope="module")
def hostile_fleet(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("hostile")
    patch = pytest.MonkeyPatch()
    patch.setattr(hostile, "BOMB_UNPACKED", SMALL_BOMB)
    try:
        spec, truth = write_fleet(
            out, load_registry(ROOT / "municipalities.csv"), 60, base_port=free_port(), hostile=True
        )
        plain_spec, plain_truth = write_fleet(
            out / "plain", load_registry(ROOT / "municipalities.csv"), 60, base_port=spec["base_port"]
        )
    finally:
        patch.undo()
    yield out, spec, truth, plain_truth


def test_three_families_planted_without_touching_the_others(hostile_fleet: Any) -> None:
    _out, _spec, truth, plain_truth = hostile_fleet
    families = {p["ine_code"]: p["hostile"] for p in truth["portals"] if p.get("hostile")}
    assert sorted(families.values()) == ["browser_private_redirect", "pdf_bomb", "xlsx_bomb"]
    for p, plain in zip(truth["portals"], plain_truth["portals"], strict=True):
        if p["ine_code"] in families:
            assert p["expected_outcome"] == "partial"
            assert any(n["status"] == "unverified" for n in p["numerals"].values())
        else:
            assert p == plain  # the rest of the fleet's truth is unchanged


def test_the_server_serves_the_bombs_and_the_redirect(hostile_fleet: Any) -> None:
    out, spec, truth, _plain = hostile_fleet
    by_code = {p["ine_code"]: p for p in spec["portals"]}
    with fleet_server(out, timeout=60):
        for entry in truth["portals"]:
            family = entry.get("hostile")
            if family is None:
                continue
            p = by_code[entry["ine_code"]]
            if family == "browser_private_redirect":
                entry_page = next(pg for pg in p["pages"] if pg.get("parent") == "/")
                status, headers, _ = fetch(f"{p['url'].rstrip('/')}{entry_page['path']}")
                assert status == 302 and headers["location"] == f"http://0.0.0.0:{spec['base_port']}/"
                continue
            doc = next(d for d in p["documents"] if d.get("bomb"))
            status, headers, body = fetch(f"{p['url'].rstrip('/')}{doc['url_path']}", timeout=30)
            assert status == 200 and len(body) < 3_000_000
            if family == "xlsx_bomb":
                with zipfile.ZipFile(io.BytesIO(body)) as zf:
                    assert zf.getinfo("xl/sharedStrings.xml").file_size > SMALL_BOMB - 2**20
            else:
                assert body.startswith(b"%PDF") and b"/FlateDecode" in body


@pytest.mark.slow
def test_a_crawl_of_the_hostile_portals_ends_and_records_why(hostile_fleet: Any, tmp_path: Path) -> None:
    from crawler.api import crawl_municipalities
    from vigia.store import open_store
    from vigia.store.models import Incident, Page, PortalCrawl

    out, _spec, truth, _plain = hostile_fleet
    hostile_codes = {p["ine_code"]: p["hostile"] for p in truth["portals"] if p.get("hostile")}
    rows = [m for m in load_registry(out / "registry.csv") if m.ine_code in hostile_codes]
    store = open_store(f"sqlite:///{tmp_path / 'v.db'}", tmp_path / "data")
    try:
        with fleet_server(out, timeout=60):
            summary = crawl_municipalities(
                store, rows, allow_private=True, settings={"VIGIA_CRAWL_PROCESSES": 1}
            )
        with store.session() as s:
            crawls = {pc.portal_key: pc for pc in s.scalars(select(PortalCrawl))}
            kinds = {
                key: {i.kind for i in s.scalars(select(Incident).where(Incident.portal_crawl_id == pc.id))}
                for key, pc in crawls.items()
            }
            texts = [p.text or "" for p in s.scalars(select(Page))]
    finally:
        store.close()
    assert summary.portals == 3
    for code, family in hostile_codes.items():
        assert crawls[code].outcome is not None  # every portal ends with an outcome
        if family == "browser_private_redirect":
            assert "private_address_refused" in kinds[code]
            assert crawls[code].outcome == "partial"
            assert "private_address_refused" in (crawls[code].outcome_reason or "")  # the reason names it
        if family in ("xlsx_bomb", "pdf_bomb"):  # a bomb is never read as a blank (scanned) document
            assert "parse_error" in kinds[code]
            assert crawls[code].outcome == "partial"
            assert "límites de lectura" in (crawls[code].outcome_reason or "")
    assert all("0.0.0.0" not in t for t in texts)
