"""A "running" crawl run whose process is gone is marked "interrupted" (vigia/store/liveness.py, issue 14).
The killed-process case end to end is tests/test_crawler_hostile.py; these are the rule's other cases."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from vigia.store import open_store
from vigia.store.liveness import STALE_AFTER, beat, claim, mark_stale_runs, this_host
from vigia.store.models import CrawlRun, utcnow


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = open_store(f"sqlite:///{tmp_path / 'vigia.db'}", tmp_path / "data")
    yield s
    s.close()


def _run(store: Any, **fields: Any) -> int:
    with store.session() as s:
        run = CrawlRun(kind="nightly", **fields)
        s.add(run)
        s.flush()
        return int(run.id)


def _status(store: Any, run_id: int) -> tuple[str, str | None]:
    with store.session() as s:
        run = s.get(CrawlRun, run_id)
        return run.status, run.note


def test_a_live_process_keeps_its_run_and_a_dead_one_loses_it(store: Any) -> None:
    mine = _run(store)
    claim(store, mine)  # this test's own process: alive
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = _run(store, host=this_host(), pid=dead.pid, heartbeat_at=utcnow())
    assert mark_stale_runs(store) == [gone]
    assert _status(store, mine) == ("running", None)
    status, note = _status(store, gone)
    assert status == "interrupted" and f"pid {dead.pid}" in (note or "") and "--resume" in (note or "")


def test_a_silent_run_of_another_host_is_interrupted_only_after_its_heartbeat_ages(store: Any) -> None:
    now = utcnow()
    recent = _run(store, host="otra-maquina", pid=1, heartbeat_at=now - dt.timedelta(minutes=2))
    old = _run(store, host="otra-maquina", pid=1, heartbeat_at=now - STALE_AFTER - dt.timedelta(seconds=1))
    legacy = _run(store, started_at=now - dt.timedelta(days=2))  # recorded before runs had a heartbeat
    young_legacy = _run(store, started_at=now - dt.timedelta(hours=1))
    finished = _run(
        store, status="finished", host="otra-maquina", pid=1, heartbeat_at=now - dt.timedelta(days=1)
    )
    assert sorted(mark_stale_runs(store)) == sorted([old, legacy])
    assert _status(store, recent)[0] == "running" and _status(store, young_legacy)[0] == "running"
    assert _status(store, finished)[0] == "finished"
    beat(store, recent)
    with store.session() as s:
        assert s.get(CrawlRun, recent).heartbeat_at >= now
