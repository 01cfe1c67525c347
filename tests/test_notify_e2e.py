"""End to end, as a user runs it: two nights of `vigia nightly` over the simulated fleet with mail configured
(a real SMTP server on loopback), `vigia fleet next-night` between them; the right recipients get the right
messages, a re-run of the same night sends nothing, an opted-out address gets nothing, a dry run writes .eml
files."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fleet_helpers import fleet_server, free_port
from smtp_helpers import Mailbox, smtp_server
from sqlalchemy import select

from reports.facts import FAILED_OUTCOMES
from vigia.store import open_store
from vigia.store.models import Evaluation, Finding, PortalCrawl

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 25)
ENV = {**os.environ, "VIGIA_ALLOW_PRIVATE_ADDRESSES": "1"}
for name in ("VIGIA_DATABASE_URL", "VIGIA_REGISTRY", "VIGIA_SMTP_URL", "VIGIA_SUBSCRIBERS", "VIGIA_SITE_URL"):
    ENV.pop(name, None)


def vigia(*args: str, timeout: int = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigia.cli", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _state(db: str, data: Path) -> dict[int, dict[str, tuple[object, ...]]]:
    """Per run, per municipality: (outcome, score, band, numeral statuses) as stored."""
    store = open_store(db, data)
    out: dict[int, dict[str, tuple[object, ...]]] = {}
    with store.session() as s:
        for pc in s.scalars(select(PortalCrawl)):
            ev = s.scalars(select(Evaluation).where(Evaluation.portal_crawl_id == pc.id)).first()
            statuses = tuple(
                s.execute(
                    select(Finding.rule, Finding.status)
                    .where(Finding.evaluation_id == ev.id, Finding.numeral.is_not(None))
                    .order_by(Finding.rule)
                ).all()
            )
            score = None if ev.score is None else f"{ev.score:.1f}"
            out.setdefault(pc.run_id, {})[pc.ine_code] = (pc.outcome, score, ev.band, statuses)
    store.close()
    return out


@pytest.mark.slow
@pytest.mark.timeout(900)  # two crawls of the fleet on a busy machine
def test_two_nights_of_nightly_with_mail(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    result = vigia(
        "fleet", "generate", "--portals", "6", "--failures", "none", "--out", str(fleet),
        "--as-of", AS_OF.isoformat(), "--base-port", str(free_port()),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    registry = fleet / "registry.csv"
    codes = [line.split(",")[0] for line in registry.read_text(encoding="utf-8").splitlines()[1:]]
    (tmp_path / "monitores.yml").write_text("- email: analista@pdh.example.gt\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'vigia.db'}"
    common = ["--registry", str(registry), "--db", db, "--data-dir", str(tmp_path / "data")]
    mail = ["--subscribers", str(tmp_path / "monitores.yml"), "--site-url", "https://vigia.example.org/"]
    box = Mailbox()
    with smtp_server(box) as url, fleet_server(fleet, timeout=60):
        # an address that opted out gets nothing
        assert (
            vigia("notify", "optout", f"uip.{codes[-1]}@municipalidades.example.gt", *common[2:]).returncode
            == 0
        )
        night1 = vigia(
            "nightly", *common, "--out", str(tmp_path / "site"), "--as-of", AS_OF.isoformat(), "--no-pdf",
            "--smtp-url", url, *mail,
        )  # fmt: skip
        assert night1.returncode == 0, night1.stdout + night1.stderr
        first = box.take()
        changes = vigia("fleet", "next-night", "--fleet", str(fleet))
        assert changes.returncode == 0, changes.stderr
        night2 = vigia(
            "nightly", *common, "--out", str(tmp_path / "site"), "--as-of", (AS_OF + dt.timedelta(days=1)).isoformat(),
            "--no-pdf", "--smtp-url", url, *mail,
        )  # fmt: skip
        assert night2.returncode == 0, night2.stdout + night2.stderr
        second = box.take()
        rerun = vigia(
            "notify", *common, "--smtp-url", url, *mail, "--as-of", (AS_OF + dt.timedelta(days=1)).isoformat()
        )
        assert rerun.returncode == 0, rerun.stderr
        assert box.take() == []
        assert "0 mensajes a municipalidades, 0 resúmenes" in rerun.stdout
    assert "Notificaciones de la corrida" in night1.stdout
    # night 1: the first message to every municipality with an address (not the one that opted out)
    uip = {c: f"uip.{c}@municipalidades.example.gt" for c in codes}
    assert sorted(r.recipients[0] for r in first) == sorted(
        [uip[c] for c in codes[:-1]] + ["analista@pdh.example.gt"]
    )
    # night 2: exactly the municipalities whose stored checklist changed between the two runs
    state = _state(db, tmp_path / "data")
    run1, run2 = sorted(state)
    changed = set()
    for code in codes[:-1]:
        a, b = state[run1][code], state[run2][code]
        down_or_back = (a[0] in FAILED_OUTCOMES) != (b[0] in FAILED_OUTCOMES)
        if down_or_back or a[1:] != b[1:]:
            changed.add(code)
    truth = json.loads((fleet / "truth.json").read_text(encoding="utf-8"))
    planted = {c["ine_code"] for c in truth["changes"] if c["change"] in ("portal_down", "item_removed")}
    assert planted and planted - {codes[-1]} <= changed
    assert sorted(r.recipients[0] for r in second) == sorted(
        [uip[c] for c in changed] + ["analista@pdh.example.gt"]
    )
    for r in second:
        if r.recipients[0] != "analista@pdh.example.gt":
            assert r.message["Subject"].startswith("Vigía: cambios en el portal de transparencia de")
            assert "Desde nuestro mensaje anterior" in r.message.get_body(("plain",)).get_content()
    digest = next(r.message for r in second if r.recipients == ["analista@pdh.example.gt"])
    text = digest.get_body(("plain",)).get_content()
    assert "DESDE LA NOCHE ANTERIOR" in text and "Portales revisados: 6" in text
    # the dry run: one .eml per message that would be sent now (nothing new for this night)
    dry = vigia(
        "notify",
        *common,
        "--dry-run",
        str(tmp_path / "eml"),
        *mail,
        "--as-of",
        (AS_OF + dt.timedelta(days=1)).isoformat(),
    )
    assert (
        dry.returncode == 0
        and "0 mensajes a municipalidades" in dry.stdout
        and "simulación: 0 archivos" in dry.stdout
    )
    status = vigia("notify", "outbox", *common[2:])
    total = len(first) + len(second)
    assert f"Bandeja de salida: {total} mensajes (enviados {total})" in status.stdout


def test_notify_cli_refusals(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'v.db'}", "--data-dir", str(tmp_path / "d")]
    none = vigia("notify", *db)
    assert (
        none.returncode == 2
        and "falta el servidor de correo" in none.stderr
        and "Traceback" not in none.stderr
    )
    both = vigia("notify", *db, "--smtp-url", "smtp://127.0.0.1:1", "--dry-run", str(tmp_path))
    assert both.returncode == 2 and "no los dos" in both.stderr
    bad = vigia("notify", "optout", "nadie@", *db)
    assert bad.returncode == 2 and "correo mal formado" in bad.stderr
    (tmp_path / "s.yml").write_text("- email: x@\n", encoding="utf-8")
    subs = vigia("notify", *db, "--dry-run", str(tmp_path / "o"), "--subscribers", str(tmp_path / "s.yml"))
    assert subs.returncode == 2 and "entrada 1: correo mal formado" in subs.stderr
    url = vigia("notify", *db, "--smtp-url", "http://mail.example.gt")
    assert url.returncode == 2 and "URL SMTP inválida" in url.stderr
