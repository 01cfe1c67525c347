"""End to end, as a user runs it: the nightly job over a few simulated portals plus one that is down,
then `vigia check` again (same findings) and `vigia audit --json` (the shape of docs/CONTRACTS.md)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_helpers import fleet_server, free_port
from sqlalchemy import select

from vigia.store import open_store
from vigia.store.models import Evaluation, PortalCrawl

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-25"
ENV = {**os.environ, "VIGIA_ALLOW_PRIVATE_ADDRESSES": "1"}
ENV.pop("VIGIA_DATABASE_URL", None)
ENV.pop("VIGIA_REGISTRY", None)


def vigia(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigia.cli", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    work = tmp_path_factory.mktemp("e2e")
    fleet = work / "fleet"
    result = vigia(
        "fleet",
        "generate",
        "--portals",
        "4",
        "--failures",
        "none",
        "--out",
        str(fleet),
        "--as-of",
        AS_OF,
        "--base-port",
        str(free_port()),
    )
    assert result.returncode == 0, result.stderr
    # one more municipality whose portal is down (nothing listens there)
    rows = list(csv.DictReader((fleet / "registry.csv").open(encoding="utf-8")))
    taken = {r["ine_code"] for r in rows}
    with (ROOT / "municipalities.csv").open(encoding="utf-8") as fh:
        extra = next(r for r in csv.DictReader(fh) if r["ine_code"] not in taken)
    extra.update(portal_url=f"http://127.0.0.1:{free_port()}/", alt_urls="", platform="unknown")
    with (fleet / "registry.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.DictWriter(fh, fieldnames=list(rows[0].keys()), lineterminator="\n").writerow(extra)
    with fleet_server(fleet, timeout=60):
        db = f"sqlite:///{work / 'vigia.db'}"
        common = ["--registry", str(fleet / "registry.csv"), "--db", db, "--data-dir", str(work / "data")]
        result = vigia("nightly", *common, "--out", str(work / "site"), "--as-of", AS_OF, "--no-pdf")
        assert result.returncode == 0, result.stdout + result.stderr
        yield {"work": work, "fleet": fleet, "db": db, "common": common, "down": extra, "nightly": result}


def _findings(db: str, data: Path) -> dict[str, list[tuple[object, ...]]]:
    store = open_store(db, data)
    out: dict[str, list[tuple[object, ...]]] = {}
    with store.session() as s:
        for portal in s.scalars(select(PortalCrawl)):
            for ev in s.scalars(select(Evaluation).where(Evaluation.portal_crawl_id == portal.id)):
                out[portal.portal_key] = [(ev.score, ev.band)] + [
                    (f.rule, f.status, f.reason, f.period, json.dumps(f.evidence, sort_keys=True))
                    for f in ev.findings
                ]
    store.close()
    return out


def test_nightly_builds_the_site_and_never_calls_a_dead_portal_absent(night: dict[str, object]) -> None:
    work = night["work"]
    assert isinstance(work, Path)
    down = night["down"]
    assert isinstance(down, dict)
    index = (work / "site" / "index.html").read_text(encoding="utf-8")
    assert down["municipality"] in index
    store = open_store(str(night["db"]), work / "data")
    with store.session() as s:
        portals = {p.portal_key: p for p in s.scalars(select(PortalCrawl))}
        assert len(portals) == 5
        dead = portals[down["ine_code"]]
        assert dead.outcome == "unreachable"
        assert dead.pages == [] and dead.documents == []
        assert any(i.kind == "connection_refused" for i in dead.incidents)
        ev = dead.evaluations[0]
        assert ev.score is None and ev.band is None and ev.no_score_reason
        numerals = [f for f in ev.findings if f.numeral is not None]
        assert len(numerals) == 29
        assert {f.status for f in numerals} == {"unverified"}
        healthy = [p for key, p in portals.items() if key != down["ine_code"]]
        assert all(p.outcome == "complete" for p in healthy)
        assert all(p.evaluations[0].score is not None for p in healthy)
    store.close()


def test_findings_agree_with_the_fleet_truth(night: dict[str, object]) -> None:
    fleet = night["fleet"]
    assert isinstance(fleet, Path)
    truth = json.loads((fleet / "truth.json").read_text(encoding="utf-8"))
    found = _findings(str(night["db"]), Path(str(night["work"])) / "data")
    pairs = agree = wrong_present = 0
    for portal in truth["portals"]:
        rows = {r[0]: r[1] for r in found[portal["ine_code"]][1:]}
        for n, expected in portal["numerals"].items():
            status = rows[f"LAIP-10.{int(n):02d}"]
            pairs += 1
            agree += status == expected["status"]
            wrong_present += status == "present" and expected["status"] != "present"
    assert pairs == 4 * 29
    assert agree / pairs >= 0.9, f"agreement {agree}/{pairs}"
    assert wrong_present <= 1


def test_check_again_reproduces_identical_findings(night: dict[str, object]) -> None:
    work = Path(str(night["work"]))
    before = _findings(str(night["db"]), work / "data")
    result = vigia("check", *night["common"], "--as-of", AS_OF)  # type: ignore[arg-type]
    assert result.returncode == 0, result.stderr
    assert _findings(str(night["db"]), work / "data") == before


def test_audit_json_has_the_contract_shape(night: dict[str, object]) -> None:
    fleet = night["fleet"]
    assert isinstance(fleet, Path)
    url = next(csv.DictReader((fleet / "registry.csv").open(encoding="utf-8")))["portal_url"]
    work = Path(str(night["work"]))
    result = vigia(
        "audit",
        url,
        "--json",
        "--as-of",
        AS_OF,
        "--db",
        f"sqlite:///{work / 'audit.db'}",
        "--data-dir",
        str(work / "audit-data"),
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["portal"] == url and doc["as_of"] == AS_OF
    assert doc["crawl"]["outcome"] == "complete"
    assert doc["crawl"]["pages"] > 0 and doc["crawl"]["documents"] > 0
    assert isinstance(doc["score"], float) and doc["band"] in {"Aceptable", "Bajo", "Deficiente"}
    rules = [f["rule"] for f in doc["findings"]]
    assert rules[:29] == [f"LAIP-10.{n:02d}" for n in range(1, 30)]
    assert [f["numeral"] for f in doc["findings"][:29]] == list(range(1, 30))
    assert all(f["numeral"] is None for f in doc["findings"][29:]) and len(doc["findings"]) > 29
    for f in doc["findings"]:
        assert set(f) >= {"rule", "numeral", "status", "evidence", "reason"}
        assert f["status"] in {"present", "outdated", "absent", "not_applicable", "unverified"}
        for e in f["evidence"]:
            assert set(e) >= {"url", "label", "period"}
