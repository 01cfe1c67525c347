"""A snapshot judged before (same rules, same ``as_of``) gets that evaluation's findings copied, not judged
again; anything that could change a finding (the evidence, ``as_of``, the rules' code) judges again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from test_checks_parallel import _dump as _findings
from test_checks_store import _fill, _portal

import checks.runner as runner
from checks.api import check_run
from vigia.store import open_store
from vigia.store.models import CrawlRun, Finding, Page, PortalCrawl

AS_OF = dt.date(2026, 11, 25)


def _night(store: Any) -> int:
    """One run of three portals (complete, partial, unreachable) with the same evidence each night."""
    with store.session() as session:
        run = CrawlRun(kind="crawl", status="finished")
        session.add(run)
        for code, outcome in (("0101", "complete"), ("0102", "partial"), ("0103", "unreachable")):
            pc = _portal(session, run, code, outcome, None if outcome == "complete" else "motivo")
            if outcome != "unreachable":
                _fill(session, pc)
        session.flush()
        return int(run.id)


@pytest.fixture
def store(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    s = open_store(db_url, tmp_path / "data")
    yield s
    s.close()


def _count_judgements(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    judged: list[int] = []
    real = runner.evaluate_snapshot

    def counting(snapshot: Any, as_of: dt.date) -> Any:
        judged.append(1)
        return real(snapshot, as_of)

    monkeypatch.setattr(runner, "evaluate_snapshot", counting)
    return judged


def test_an_unchanged_night_copies_the_findings(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first_run = _night(store)
    judged = _count_judgements(monkeypatch)
    first = check_run(store, run_id=first_run, as_of=AS_OF)
    assert (first.reused, len(judged)) == (0, 3)

    second_run = _night(store)
    second = check_run(store, run_id=second_run, as_of=AS_OF)
    assert (second.reused, len(judged)) == (3, 3)  # nothing judged again
    assert "3 sin cambios" in second.describe()
    assert second.statuses == first.statuses and second.bands == first.bands
    assert _findings(store, second_run) == _findings(store, first_run)
    assert len(_findings(store, second_run)) > 3 * 29 - 1

    # checking the same run again replaces its evaluations with the same findings
    again = check_run(store, run_id=second_run, as_of=AS_OF)
    assert again.reused == 3 and len(judged) == 3
    assert _findings(store, second_run) == _findings(store, first_run)


def test_what_could_change_a_finding_judges_again(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    check_run(store, run_id=_night(store), as_of=AS_OF)
    judged = _count_judgements(monkeypatch)

    # another as_of: periods fall due on dates
    later = _night(store)
    assert check_run(store, run_id=later, as_of=AS_OF + dt.timedelta(days=40)).reused == 0
    assert len(judged) == 3

    # one portal's page changed: that portal alone is judged
    changed = _night(store)
    with store.session() as session:
        page = session.scalars(
            select(Page)
            .join(PortalCrawl)
            .where(PortalCrawl.run_id == changed, PortalCrawl.portal_key == "0101")
        ).one()
        page.text = page.text + " Numeral 9: contrataciones de noviembre 2026."
    summary = check_run(store, run_id=changed, as_of=AS_OF)
    assert summary.reused == 2 and len(judged) == 4

    # the rules' code changed (a new fingerprint, with or without a new RULES_VERSION)
    monkeypatch.setattr(runner, "_rules_fingerprint", lambda: "otra-version-de-las-reglas")
    assert check_run(store, run_id=_night(store), as_of=AS_OF).reused == 0
    assert len(judged) == 7


def test_a_key_whose_findings_are_gone_is_judged_again(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An evaluation being replaced (its findings deleted) is not a source to copy from."""
    check_run(store, run_id=_night(store), as_of=AS_OF)
    with store.session() as session:
        session.execute(Finding.__table__.delete())
    judged = _count_judgements(monkeypatch)
    run_id = _night(store)
    assert check_run(store, run_id=run_id, as_of=AS_OF).reused == 0 and len(judged) == 3
    assert len(_findings(store, run_id)) > 0
