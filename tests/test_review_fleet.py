"""Reviews and replies against the simulated fleet, with the real crawler, on both engines.

- An override made on night 1 holds while its evidence is unchanged; on the fleet's next night the
  overrides whose evidence changed are flagged for re-review and the machine's verdict applies again.
- A municipality's reply queues a re-crawl; once its portal publishes the item, ``vigia worker`` re-crawls
  it and the finding flips, visible on the municipality's page and in the analysts' queue.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import fleet_server, free_port
from sqlalchemy import create_engine, select
from sqlalchemy import text as sql

from vigia.accounts import LoginPolicy, add_user
from vigia.registry import load_registry
from vigia.review import current_findings, decide, queue
from vigia.store import open_store
from vigia.store.models import AuditEntry, RecrawlJob, Reply, Review

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-25"
PASSWORD = "una-clave-bien-larga"
ENV = {**os.environ, "VIGIA_ALLOW_PRIVATE_ADDRESSES": "1", "VIGIA_PASSWORD": PASSWORD}
ENV.pop("VIGIA_DATABASE_URL", None)
ENV.pop("VIGIA_REGISTRY", None)
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def vigia(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigia.cli", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fleet_night(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp(f"review-{request.param}")
    if request.param == "sqlite":
        db = f"sqlite:///{work / 'vigia.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"vigia_review_{uuid.uuid4().hex[:8]}"
        engine = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sql(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        db = f"{server}/{name}"
    fleet = work / "fleet"
    made = vigia(
        "fleet", "generate", "--portals", "4", "--failures", "none", "--seed", "7", "--out", str(fleet), "--as-of", AS_OF,
        "--base-port", str(free_port()),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    common = ["--db", db, "--data-dir", str(work / "data")]
    with fleet_server(fleet, timeout=60) as server_proc:
        night = vigia("nightly", *common, "--registry", str(fleet / "registry.csv"), "--out", str(work / "site1"),
                      "--as-of", AS_OF, "--no-pdf")  # fmt: skip
        assert night.returncode == 0, night.stdout + night.stderr
        yield {"work": work, "fleet": fleet, "db": db, "common": common, "server": server_proc}


@pytest.mark.timeout(1500)  # two nights of the fleet on a shared two-core machine
def test_an_override_holds_until_the_next_night_changes_its_evidence(fleet_night: dict[str, Any]) -> None:
    work, fleet, db, common = (
        fleet_night["work"],
        fleet_night["fleet"],
        fleet_night["db"],
        fleet_night["common"],
    )
    added = vigia("users", "add", "analista@pdh.example.gt", "--role", "analyst", *common)
    assert added.returncode == 0, added.stderr
    listed = vigia("review", "list", "--json", *common)
    assert listed.returncode == 0, listed.stderr
    pending = json.loads(listed.stdout)["findings"]
    assert len(pending) == 4 * 29
    ranks = {"low": 0, "medium": 1, "high": 2}
    assert [ranks[f["confidence"]] for f in pending] == sorted(ranks[f["confidence"]] for f in pending)
    first = pending[0]
    target = "absent" if first["status"] != "absent" else "present"
    cli = vigia("review", "override", first["ine_code"], str(first["numeral"]), target, "--reason", "Revisado a mano",
                "--by", "analista@pdh.example.gt", *common)  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    refused = vigia(
        "review",
        "override",
        first["ine_code"],
        "8",
        "present",
        "--reason",
        "x",
        "--by",
        "nadie@x.gt",
        *common,
    )
    assert refused.returncode == 2 and "no hay una cuenta activa" in refused.stderr
    confirmed = vigia("review", "confirm", first["ine_code"], "1", "--by", "analista@pdh.example.gt", *common)
    assert confirmed.returncode == 0, confirmed.stderr
    # every other finding of the night is overridden to a status the machine did not give
    store = open_store(db, work / "data")
    flip = {"present": "absent", "outdated": "absent", "absent": "present", "not_applicable": "absent",
            "unverified": "absent"}  # fmt: skip
    with store.session() as s:
        for v in current_findings(s):
            if (v.ine_code, v.numeral) in ((first["ine_code"], first["numeral"]), (first["ine_code"], 1)):
                continue
            decide(s, v.ine_code, v.numeral, action="override", status=flip[v.machine_status],  # type: ignore[arg-type]
                   reason="prueba", reviewer="analista@pdh.example.gt")  # fmt: skip
    with store.session() as s:
        views = current_findings(s)
        assert all(v.reviewed and not v.needs_rereview for v in views)
        assert queue(s) == []
    # the night's site uses the effective statuses
    report = vigia("report", *common, "--registry", str(fleet / "registry.csv"), "--out", str(work / "site1b"),
                   "--as-of", AS_OF, "--no-pdf")  # fmt: skip
    assert report.returncode == 0, report.stderr
    rows = json.loads((work / "site1b" / "datos" / "hallazgos.json").read_text(encoding="utf-8"))["findings"]
    assert all(
        r["status"] != r["machine_status"]
        for r in rows
        if (r["ine_code"], r["numeral"]) != (first["ine_code"], 1)
    )
    # the next night: a known subset of the fleet changes
    nxt = vigia("fleet", "next-night", "--fleet", str(fleet))
    assert nxt.returncode == 0, nxt.stderr
    changes = json.loads((fleet / "changes.json").read_text(encoding="utf-8"))
    changes = changes["changes"] if isinstance(changes, dict) else changes
    changed = {(c["ine_code"], c["numeral"]) for c in changes if c.get("numeral")}
    touched = {c["ine_code"] for c in changes}
    assert changed, changes
    as_of2 = json.loads((fleet / "spec.json").read_text(encoding="utf-8"))["as_of"]
    import time

    time.sleep(2.5)  # the running fleet server reloads spec.json (checked every second)
    night2 = vigia("nightly", *common, "--registry", str(fleet / "registry.csv"), "--out", str(work / "site2"),
                   "--as-of", as_of2, "--no-pdf")  # fmt: skip
    assert night2.returncode == 0, night2.stdout + night2.stderr
    assert "marcada(s) para revisar de nuevo" in night2.stdout
    with store.session() as s:
        views = {(v.ine_code, v.numeral): v for v in current_findings(s)}
        for key in changed:
            assert views[key].needs_rereview, (key, views[key].machine_status)
            assert views[key].status == views[key].machine_status
        held = [v for key, v in views.items() if key not in changed and v.reviewed]
        assert held, touched  # their evidence is as it was: the reviewer's status still applies
        assert all(v.review is not None and v.status == v.review.status for v in held)
        assert any(v.status != v.machine_status for v in held)
        flagged = {
            (r.ine_code, r.numeral)
            for r in s.scalars(select(Review).where(Review.rereview_since.is_not(None)))
        }
        assert changed <= flagged
        rereview_audits = s.scalars(select(AuditEntry).where(AuditEntry.action == "review.rereview")).all()
        assert len(rereview_audits) == len(flagged)
        # the queue shows the changed ones first among equal confidence, marked
        pending = queue(s)
        assert {(v.ine_code, v.numeral) for v in pending} >= changed
        assert all(v.needs_rereview for v in pending)
    store.close()
    rows = json.loads((work / "site2" / "datos" / "hallazgos.json").read_text(encoding="utf-8"))["findings"]
    for r in rows:
        if (r["ine_code"], r["numeral"]) in changed:
            assert r["status"] == r["machine_status"] and r["reviewed_by"] == ""


def _token(client: Any, path: str) -> str:
    found = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert found
    return found.group(1)


@pytest.mark.timeout(1500)  # two nights of the fleet on a shared two-core machine
def test_a_reply_flips_the_finding_after_the_workers_recrawl(fleet_night: dict[str, Any]) -> None:
    from checks.periods import required_month
    from fleet.night import _monthly_docs, _publish_month
    from vigia.web import create_app

    work, fleet, db, common = (
        fleet_night["work"],
        fleet_night["fleet"],
        fleet_night["db"],
        fleet_night["common"],
    )
    spec_path = fleet / "spec.json"
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(spec["as_of"])
    store = open_store(db, work / "data")
    with store.session() as s:
        machine = {(v.ine_code, v.numeral): v for v in current_findings(s)}
    candidates = [
        (p, n)
        for p in spec["portals"]
        if p["failure"] is None
        for n, plan in p["numerals"].items()
        if plan["status"] == "outdated" and plan["mode"] == "docs" and _monthly_docs(p, n)
        and machine.get((p["ine_code"], int(n))) is not None
        and machine[(p["ine_code"], int(n))].machine_status == "outdated"
        and machine[(p["ine_code"], int(n))].status != "present"
    ]  # fmt: skip
    assert candidates, "the fleet has no outdated monthly numeral to answer"
    portal, numeral = candidates[0]
    code = portal["ine_code"]
    with store.session() as s:
        add_user(s, f"uip{code}@muni.example.gt", PASSWORD, "municipality", code, actor="test")
    registry = load_registry(fleet / "registry.csv")
    app = create_app(store, registry=registry, data_dir=work / "data", login_policy=LoginPolicy())
    client = app.test_client()
    login = client.post("/login", data={"email": f"uip{code}@muni.example.gt", "password": PASSWORD,
                                        "csrf_token": _token(client, "/login")})  # fmt: skip
    assert login.status_code == 302
    # the portal now publishes the required month
    year, month = required_month(as_of)
    doc = _publish_month(portal, numeral, year, month, as_of)
    spec_path.write_text(json.dumps(spec, ensure_ascii=False, indent=1), encoding="utf-8")
    page = f"/municipio/{code}/responder/{int(numeral)}"
    base = registry_url = next(m.portal_url for m in registry if m.ine_code == code)
    sent = client.post(page, data={"urls": f"{registry_url.rstrip('/')}{doc['url_path']}", "note": "Ya se publicó el mes",
                                   "csrf_token": _token(client, page)})  # fmt: skip
    assert sent.status_code == 303, sent.get_data(as_text=True)
    assert base
    with store.session() as s:
        job = s.scalars(select(RecrawlJob)).one()
        assert job.state == "queued" and job.ine_code == code
    import time

    time.sleep(2.5)  # the fleet server reloads spec.json
    ran = vigia(
        "worker", "--once", "--as-of", as_of.isoformat(), "--registry", str(fleet / "registry.csv"), *common
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 nuevo(s) rastreo(s)" in ran.stdout
    with store.session() as s:
        job = s.scalars(select(RecrawlJob)).one()
        assert job.state == "done" and job.portal_crawl_id
        reply = s.scalars(select(Reply)).one()
        assert reply.machine_status in ("outdated", "absent") and reply.result_status == "present"
        view = next(v for v in current_findings(s, [code]) if v.numeral == int(numeral))
        assert view.run_kind == "recrawl" and view.machine_status == "present"
        assert {e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.ine_code == code))} >= {
            "reply", "recrawl.queued", "recrawl.done"
        }  # fmt: skip
    municipality_page = client.get(f"/municipio/{code}").get_data(as_text=True)
    row = municipality_page.split(f'id="n{int(numeral):02d}"', 1)[1].split("</tr>", 1)[0]
    assert "Cumple" in row and "nuevo veredicto" in row
    # the analyst sees the reply and the new verdict
    with store.session() as s:
        add_user(s, "otra@pdh.example.gt", PASSWORD, "analyst", None, actor="test")
    analyst = app.test_client()
    analyst.post("/login", data={"email": "otra@pdh.example.gt", "password": PASSWORD,
                                 "csrf_token": _token(analyst, "/login")})  # fmt: skip
    detail = analyst.get(f"/revision/{code}/{int(numeral)}").get_data(as_text=True)
    assert (
        "Ya se publicó el mes" in detail and "nuevo veredicto" in detail and "Nuevo rastreo pedido" in detail
    )
    # a re-crawl is not a night: the site of the night is unchanged
    rebuilt = vigia("report", *common, "--registry", str(fleet / "registry.csv"), "--out", str(work / "site3"),
                    "--as-of", as_of.isoformat(), "--no-pdf")  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stderr
    data = json.loads((work / "site3" / "datos" / "hallazgos.json").read_text(encoding="utf-8"))
    assert len(data["portals"]) == 4
    store.close()
