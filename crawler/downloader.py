"""Scrapy's downloader with the per-host ceiling kept exact.

In Scrapy 2.19 with the asyncio reactor, ``Downloader._process_queue`` starts each request as a new task
and loops ``while slot.queue and slot.free_transfer_slots() > 0``; the request joins
``slot.transferring`` only when its task first runs, so while a slot's delay is 0 (AutoThrottle before
the first answer, or no delay at all) the loop starts the slot's whole queue at once, past
``CONCURRENT_REQUESTS_PER_DOMAIN`` (measured: 48 requests in flight on one host with a ceiling of 2). Here
a request counts as transferring from the moment it is started; ``_download`` adds it again (a set) and
removes it when it ends, as before. The run's host leases (crawler/leases.py) rely on the same count.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Request


class CeilingDownloader(Downloader):
    def _wait_for_download(self, slot: Slot, request: Request, queue_dfd: Any) -> Coroutine[Any, Any, None]:  # type: ignore[override]
        slot.transferring.add(request)
        return super()._wait_for_download(slot, request, queue_dfd)
