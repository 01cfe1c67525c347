"""`check_run` in worker processes stores exactly what the sequential path stores, on both engines."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from test_checks_store import _fill, _portal

import checks.api as checks_api
from checks.api import check_run
from vigia.store import open_store
from vigia.store.db import Store, make_engine
from vigia.store.models import CrawlRun, Evaluation, Finding, PortalCrawl

AS_OF = dt.date(2026, 11, 25)

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="worker processes need fork"
)


def _dump(store: Any, run_id: int | None = None) -> list[tuple[Any, ...]]:
    """Every finding stored (of run ``run_id`` only, when given), with its evaluation, in a stable order."""
    query = (
        select(
            PortalCrawl.portal_key,
            Evaluation.as_of,
            Evaluation.score,
            Evaluation.band,
            Evaluation.no_score_reason,
            Finding.position,
            Finding.rule,
            Finding.numeral,
            Finding.status,
            Finding.reason,
            Finding.period,
            Finding.evidence,
            Finding.details,
            Finding.confidence,
            Finding.confidence_reasons,
        )
        .select_from(Finding)
        .join(Evaluation)
        .join(PortalCrawl)
        .order_by(PortalCrawl.id, Evaluation.as_of, Finding.position)
    )
    if run_id is not None:
        query = query.where(PortalCrawl.run_id == run_id)
    with store.session() as session:
        return [tuple(r) for r in session.execute(query).all()]


def _evaluation_order(store: Any) -> list[int]:
    with store.session() as session:
        return list(session.scalars(select(Evaluation.portal_crawl_id).order_by(Evaluation.id)))


@pytest.fixture
def fleet_store(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    store = open_store(db_url, tmp_path / "data")
    with store.session() as session:
        run = CrawlRun(kind="crawl", status="finished")
        session.add(run)
        for i in range(8):
            outcome = ("complete", "partial", "unreachable", "complete")[i % 4]
            pc = _portal(session, run, f"01{i:02d}", outcome, None if outcome == "complete" else "motivo")
            if outcome != "unreachable":
                _fill(session, pc)
    yield store
    store.close()


def test_parallel_path_stores_the_same_findings(fleet_store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(checks_api, "PARALLEL_MIN_PORTALS", 1)
    monkeypatch.setattr(checks_api.os, "cpu_count", lambda: 2)
    assert checks_api._workers_for(fleet_store, 8) == 2

    parallel = check_run(fleet_store, run_id=None, as_of=AS_OF)
    parallel_rows = _dump(fleet_store)
    assert _evaluation_order(fleet_store) == sorted(_evaluation_order(fleet_store))

    monkeypatch.setattr(checks_api, "_workers_for", lambda store, count: 0)
    sequential = check_run(fleet_store, run_id=None, as_of=AS_OF)
    sequential_rows = _dump(fleet_store)

    assert parallel_rows == sequential_rows and len(sequential_rows) == 8 * 34
    assert (parallel.evaluated, parallel.scored, parallel.statuses, parallel.bands) == (
        sequential.evaluated,
        sequential.scored,
        sequential.statuses,
        sequential.bands,
    )
    with fleet_store.session() as session:  # replaced, not duplicated
        assert session.scalar(select(func.count()).select_from(Evaluation)) == 8


def test_small_runs_and_memory_databases_stay_in_process(tmp_path: Path) -> None:
    memory = Store(engine=make_engine("sqlite://"), blobs=None)  # type: ignore[arg-type]
    try:
        assert checks_api._workers_for(memory, 500) == 0
    finally:
        memory.close()
    store = open_store(f"sqlite:///{tmp_path / 'v.db'}", tmp_path / "data")
    try:
        assert checks_api._workers_for(store, checks_api.PARALLEL_MIN_PORTALS - 1) == 0
    finally:
        store.close()
