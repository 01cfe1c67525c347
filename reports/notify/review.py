"""The hook to the review workspace (accounts, reviews, municipalities' replies), where it exists.

The digest goes to the subscribers file's monitors *and* to the workspace's active admin and analyst
accounts, and lists "replies and reviews waiting". The workspace module is ``vigia.review``; this hook
asks it, in this order:

1. ``digest_monitors(store) -> list[str]`` and ``digest_waiting(store, site_url) -> list[(what, count,
   link)]``, when the module defines them (the explicit contract);
2. otherwise, when the module has the analysts' queue (``queue(session)`` returning findings with
   ``reviewed``, ``needs_rereview`` and ``disputed``) and the store has the workspace's tables
   (``users``, ``reviews``, ``replies``): active ``admin``/``analyst`` users, and the queue counted as
   findings to review, reviews to repeat (the evidence changed) and municipalities' replies to answer.

Without the workspace :func:`review_source` returns ``None`` and the digest says nothing about reviews.
``VIGIA_WORKSPACE_URL`` (the address of ``vigia serve``) makes the counts links to ``/revision``.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, Table, select

from reports.notify.messages import WaitingLine

HOOK_MODULE = "vigia.review"
WORKSPACE_TABLES = frozenset({"users", "reviews", "replies"})


@dataclass(frozen=True, slots=True)
class ReviewSource:
    monitors: tuple[str, ...]
    waiting: tuple[WaitingLine, ...]


def _queue_adapter(hook: Any, store: Any) -> ReviewSource | None:
    if not WORKSPACE_TABLES.issubset(store.table_names()):
        return None
    base = os.environ.get("VIGIA_WORKSPACE_URL", "").strip()
    href = (base if base.endswith("/") else base + "/") + "revision" if base else ""
    users = Table("users", MetaData(), autoload_with=store.engine)
    with store.session() as session:
        monitors = [
            email
            for email, role, active in session.execute(
                select(users.c.email, users.c.role, users.c.active).order_by(users.c.email)
            )
            if active and role in ("admin", "analyst")
        ]
        pending = list(hook.queue(session))
    waiting = (
        WaitingLine("Hallazgos por revisar en la cola de analistas", len(pending), href),
        WaitingLine(
            "Revisiones por repetir (la evidencia cambió)",
            sum(1 for v in pending if getattr(v, "needs_rereview", False)),
            href,
        ),
        WaitingLine(
            "Respuestas de municipalidades por atender",
            sum(1 for v in pending if getattr(v, "disputed", False)),
            href,
        ),
    )
    return ReviewSource(monitors=tuple(monitors), waiting=waiting)


def review_source(store: Any, site_url: str, module: str = HOOK_MODULE) -> ReviewSource | None:
    try:
        hook = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    if hasattr(hook, "digest_monitors") and hasattr(hook, "digest_waiting"):
        return ReviewSource(
            monitors=tuple(hook.digest_monitors(store)),
            waiting=tuple(
                WaitingLine(what, int(count), href)
                for what, count, href in hook.digest_waiting(store, site_url)
            ),
        )
    if hasattr(hook, "queue"):
        return _queue_adapter(hook, store)
    return None
