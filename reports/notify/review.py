"""What the monitors' digest takes from the review workspace (docs/review.md).

The digest goes to the subscribers file's monitors *and* to the workspace's active admin and analyst
accounts, and lists "replies and reviews waiting": the analysts' queue (:func:`vigia.review.queue`)
counted as findings to review, reviews to repeat (the evidence changed) and municipalities' replies to
answer. ``VIGIA_WORKSPACE_URL`` (the address of ``vigia serve``) makes the counts links to ``/revision``.
A store without accounts (nobody uses the workspace) gives no review section.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import select

from reports.notify.messages import WaitingLine
from vigia.review import queue
from vigia.store.db import Store
from vigia.store.models import User


@dataclass(frozen=True, slots=True)
class ReviewSource:
    monitors: tuple[str, ...]
    waiting: tuple[WaitingLine, ...]


def review_source(store: Store, site_url: str) -> ReviewSource | None:
    """The workspace's reviewers and waiting work, or ``None`` when the workspace has no account."""
    base = os.environ.get("VIGIA_WORKSPACE_URL", "").strip()
    href = (base if base.endswith("/") else base + "/") + "revision" if base else ""
    with store.session() as session:
        users = list(session.execute(select(User.email, User.role, User.active).order_by(User.email)))
        if not users:
            return None
        monitors = tuple(email for email, role, active in users if active and role in ("admin", "analyst"))
        pending = queue(session)
    waiting = (
        WaitingLine("Hallazgos por revisar en la cola de analistas", len(pending), href),
        WaitingLine(
            "Revisiones por repetir (la evidencia cambió)", sum(1 for v in pending if v.needs_rereview), href
        ),
        WaitingLine("Respuestas de municipalidades por atender", sum(1 for v in pending if v.disputed), href),
    )
    return ReviewSource(monitors=monitors, waiting=waiting)
