"""The hook to the review workspace (accounts, reviews, municipalities' replies), where it exists.

The digest goes to the subscribers file's monitors *and* to the workspace's active admin/analyst
accounts, and lists "replies and reviews waiting". This module does not know the workspace's tables: the
workspace provides a module ``vigia.review.digest`` with two functions, and this hook calls them when
the module is installed and its tables are in the store::

    def monitors(store) -> list[str]                     # e-mail addresses of active analysts/admins
    def waiting(store, site_url: str) -> list[tuple[str, int, str]]   # (what, how many, link)

Without the workspace, :func:`review_source` returns ``None`` and the digest says nothing about reviews.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from reports.notify.messages import WaitingLine

HOOK_MODULE = "vigia.review.digest"


@dataclass(frozen=True, slots=True)
class ReviewSource:
    monitors: tuple[str, ...]
    waiting: tuple[WaitingLine, ...]


def review_source(store: Any, site_url: str, module: str = HOOK_MODULE) -> ReviewSource | None:
    try:
        hook = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    return ReviewSource(
        monitors=tuple(hook.monitors(store)),
        waiting=tuple(
            WaitingLine(what, int(count), href) for what, count, href in hook.waiting(store, site_url)
        ),
    )
