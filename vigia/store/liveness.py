"""Is a "running" crawl run still running? (issue 14: "a killed parent leaves the run 'running'").

The process that runs a crawl (``vigia crawl``, ``nightly``, ``audit``, the workspace's worker) records
its host and pid on the run (:func:`claim`) and touches ``heartbeat_at`` while it waits for its crawl
processes (:func:`beat`, every :data:`HEARTBEAT_SECONDS`). A process killed with SIGKILL cannot mark its
run, so the next crawl and ``vigia runs`` call :func:`mark_stale_runs`: a run still "running" is marked
"interrupted" ("interrumpida") when its process is gone from this host, or when its heartbeat is older
than :data:`STALE_AFTER` (another host, or a pid reused by another process). ``--resume N`` completes it.
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from sqlalchemy import select

from vigia.store.db import Store
from vigia.store.models import CrawlRun, utcnow

#: how often the running process touches its run
HEARTBEAT_SECONDS = 30.0
#: a run whose heartbeat is older than this is not running, whatever its pid says
STALE_AFTER = dt.timedelta(minutes=10)
#: runs recorded before runs had a heartbeat: judged on their start
LEGACY_STALE_AFTER = dt.timedelta(hours=24)


def this_host() -> str:
    return socket.gethostname()[:255]


def claim(store: Store, run_id: int) -> None:
    """Record this process as the one running ``run_id``."""
    with store.session() as s:
        run = s.get(CrawlRun, run_id)
        if run is not None:
            run.host = this_host()
            run.pid = os.getpid()
            run.heartbeat_at = utcnow()


def beat(store: Store, run_id: int) -> None:
    """This process is still running ``run_id``."""
    with store.session() as s:
        run = s.get(CrawlRun, run_id)
        if run is not None and run.status == "running":
            run.heartbeat_at = utcnow()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    except OSError:
        return False
    try:  # a zombie (killed, not yet reaped) is not running anything
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def stale_reason(run: CrawlRun, now: dt.datetime | None = None, host: str | None = None) -> str | None:
    """Why ``run`` (status "running") is not running any more, or ``None`` when it may still be."""
    now = now or utcnow()
    host = host or this_host()
    if run.heartbeat_at is None:
        if run.started_at is not None and now - run.started_at > LEGACY_STALE_AFTER:
            return f"sin señales de vida desde su inicio ({run.started_at:%Y-%m-%d %H:%M} UTC)"
        return None
    if run.host == host and run.pid is not None and run.pid != os.getpid() and not _process_alive(run.pid):
        return f"su proceso ({run.host}, pid {run.pid}) ya no existe"
    if now - run.heartbeat_at > STALE_AFTER:
        return f"sin señales de vida desde {run.heartbeat_at:%Y-%m-%d %H:%M} UTC ({run.host}, pid {run.pid})"
    return None


def mark_stale_runs(store: Store, now: dt.datetime | None = None) -> list[int]:
    """Mark "interrupted" every "running" run whose process is gone; return their ids."""
    marked: list[int] = []
    with store.session() as s:
        for run in s.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
            why = stale_reason(run, now)
            if why is None:
                continue
            run.status = "interrupted"
            run.finished_at = run.finished_at or run.heartbeat_at or utcnow()
            note = f"interrumpida: {why}; `vigia crawl --resume {run.id}` la completa"
            run.note = f"{run.note} · {note}" if run.note else note
            marked.append(run.id)
    return marked
