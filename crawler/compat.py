"""Every use of Scrapy's private or undocumented internals, in one place (issue 13, part 4).

Vigía's scheduling (docs/crawler.md) needs four things Scrapy does not offer as public API:

1. the downloader's per-host slots (``Downloader.slots``, ``Slot.active/queue/transferring/concurrency``,
   ``Downloader.per_slot_settings``, ``Downloader.domain_concurrency``, ``Downloader.active``), read by the
   scheduler's ranking (crawler/pqueues.py) and adjusted by the run's host leases (crawler/leases.py);
2. restarting a slot's queue when room frees up outside the downloader (``Downloader._process_queue``);
3. the fix of a downloader bug (``Downloader._wait_for_download``, below and in docs/crawler.md);
4. the per-slot queues of ``DownloaderAwarePriorityQueue`` (``pqueues``, ``pqfactory``,
   ``_downloader_interface``);
5. a stats collector without Scrapy 2.19's ``StatsCollector.__getattribute__`` (below).

Nothing else in Vigía touches those names. ``tests/test_compat.py`` checks each of them against the
installed Scrapy and fails with the list of what moved, so an upgrade breaks there, loudly, and not as a
silently wrong crawl. The item pipelines are fed through the scraper's public
``start_itemproc_async`` (Scrapy ≥ 2.14); it is here too because ``engine.scraper`` is not documented.
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterator
from typing import Any

import scrapy
from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue
from scrapy.statscollectors import MemoryStatsCollector

#: The Scrapy release these internals were read from (pinned in pyproject.toml).
SCRAPY_VERSION = "2.19.0"

#: (object, attribute) pairs this module relies on; tests/test_compat.py checks every one.
REQUIRED: tuple[tuple[type, str], ...] = (
    (Downloader, "_wait_for_download"),
    (Downloader, "_process_queue"),
    (Slot, "free_transfer_slots"),
)
#: instance attributes, checked on live objects by the test
DOWNLOADER_ATTRS = ("slots", "active", "per_slot_settings", "domain_concurrency")
SLOT_ATTRS = ("active", "queue", "transferring", "concurrency")
QUEUE_ATTRS = ("pqueues", "pqfactory", "_downloader_interface")
#: attributes of a slot's own queue (``scrapy.pqueues.ScrapyPriorityQueue``), checked on a live one
PRIORITY_QUEUE_ATTRS = ("curprio",)


class PlainStatsCollector(MemoryStatsCollector):
    """Scrapy's ``MemoryStatsCollector`` with Python's own attribute lookup (``STATS_CLASS``).

    Scrapy 2.19's ``StatsCollector.__getattribute__`` wraps its methods to warn about a deprecated
    ``spider`` argument, and runs for every attribute read: each ``inc_value`` reads ``self._stats``, which
    first looks for ``_cached__stats`` and raises and catches an ``AttributeError``. The crawl counts
    several stats per request: that lookup was 1 % of a crawl process's samples on a first night
    (py-spy, 340 portals) and 1.3 % on an unchanged night. Vigía never passes ``spider`` to the stats (Scrapy's
    own code no longer does); a third-party call that does still works, without the warning."""

    __getattribute__ = object.__getattribute__


class CeilingDownloader(Downloader):
    """Scrapy's downloader with the per-host ceiling kept exact.

    In Scrapy 2.19 with the asyncio reactor, ``Downloader._process_queue`` starts each request as a new
    task and loops ``while slot.queue and slot.free_transfer_slots() > 0``; the request joins
    ``slot.transferring`` only when its task first runs, so while a slot's delay is 0 the loop starts the
    slot's whole queue at once, past ``CONCURRENT_REQUESTS_PER_DOMAIN`` (measured: 48 requests in flight on
    one host with a ceiling of 2). Here a request counts as transferring from the moment it is started;
    ``_download`` adds it again (a set) and removes it when it ends, as before."""

    def _wait_for_download(self, slot: Slot, request: Request, queue_dfd: Any) -> Coroutine[Any, Any, None]:  # type: ignore[override]
        slot.transferring.add(request)
        return super()._wait_for_download(slot, request, queue_dfd)


# ----------------------------------------------------------------------------------- downloader slots


def downloader_of(crawler: Any) -> Any:
    """The running downloader, or ``None`` before the engine starts (or outside a crawl)."""
    engine = getattr(crawler, "engine", None)
    return engine.downloader if engine is not None else None


def slot_of(downloader: Any, key: str) -> Slot | None:
    return downloader.slots.get(key) if downloader is not None else None


def slot_counts(slot: Slot) -> tuple[int, int]:
    """(requests transferring, requests waiting in the slot's queue)."""
    return len(slot.transferring), len(slot.queue)


def slot_room(slot: Slot) -> int:
    return slot.free_transfer_slots()


def set_slot_concurrency(downloader: Any, slot: Slot, concurrency: int) -> int:
    """Set a slot's ceiling; return the previous one."""
    before = slot.concurrency
    slot.concurrency = concurrency
    return before


def restart_queue(downloader: Any, slot: Slot) -> None:
    downloader._process_queue(slot)


def open_slot_closed(downloader: Any, key: str) -> None:
    """A slot that opens with no room (it waits for its lease, crawler/leases.py)."""
    downloader.per_slot_settings.setdefault(key, {"concurrency": 0})


def downloader_active(downloader: Any) -> Any:
    """The requests in the downloader (all slots)."""
    return downloader.active


def slot_ceiling(downloader: Any, key: str) -> tuple[int, int]:
    """(requests in the downloader for ``key``, its ceiling): what the scheduler ranks by.
    A slot not created yet reports 0 active and its configured (or default) ceiling."""
    default = downloader.domain_concurrency
    slot = downloader.slots.get(key)
    if slot is not None:
        return len(slot.active), max(slot.concurrency, default)
    return 0, max(int(downloader.per_slot_settings.get(key, {}).get("concurrency", default)), default)


# ------------------------------------------------------------------------------ scheduler's slot queues


class SlotQueues(DownloaderAwarePriorityQueue):
    """``DownloaderAwarePriorityQueue`` with its per-slot queues reached through named methods."""

    def slot_key(self, request: Request) -> str:
        return str(self._downloader_interface.get_slot_key(request))

    def queue_for(self, key: str) -> Any:
        queue = self.pqueues.get(key)
        if queue is None:
            queue = self.pqueues[key] = self.pqfactory(key)
        return queue

    def queues(self) -> Iterator[tuple[str, Any]]:
        return iter(self.pqueues.items())

    def has_queues(self) -> bool:
        return bool(self.pqueues)

    def take(self, key: str) -> Request | None:
        queue = self.pqueues[key]
        request = queue.pop()
        if len(queue) == 0:
            del self.pqueues[key]
            queue.close()
        return request

    def first(self, key: str) -> Request | None:
        return self.pqueues[key].peek()

    @staticmethod
    def head_priority(queue: Any) -> int:
        """The priority of the request a slot's queue gives next, negated as Scrapy keeps it (lower goes
        first): ``ScrapyPriorityQueue.curprio``."""
        prio = getattr(queue, "curprio", None)
        return prio if isinstance(prio, int) else 0

    def live_downloader(self) -> Any:
        return self._downloader_interface.downloader


# ------------------------------------------------------------------------------------------- items


def send_item(crawler: Any, item: Any) -> Any:
    """Send ``item`` to the item pipelines from outside a callback (a signal handler, the watchdog);
    the engine counts it at once, so the spider is not idle while it is processed. Returns a Deferred."""
    from scrapy.utils.defer import deferred_from_coro

    scraper = crawler.engine.scraper
    return deferred_from_coro(scraper.start_itemproc_async(item, response=None))


def scrapy_version() -> str:
    return str(scrapy.__version__)
