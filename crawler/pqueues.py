"""The scheduler's choice of the next request: the host with the most free room, then the most work.

Scrapy's ``DownloaderAwarePriorityQueue`` keeps one queue per download slot (host) and takes the next
request from the slot with the fewest requests in the downloader. Vigía's requests carry their slot (the
host and port, ``download_slot`` in their meta, as the downloader uses it), and this queue ranks slots by

1. free room: requests in the downloader minus the slot's ceiling (a full slot waits behind slots that
   can start a request now; a host shared with the run's other processes, crawler/leases.py, counts the
   whole ceiling, so its requests reach the downloader and ask for a lease);
2. priority: among slots with the same room, the one whose next request has the highest priority (a
   portal's home page, then its transparency section, documents, discovery: crawler/follow.py). Without
   it a host with one request waiting (the next step of a portal's crawl: its section page, a retried
   home page) waited behind every host with a longer queue, and an unchanged night, whose documents are
   answered from the cache, crawled its portals' pages in bursts: 229 s against 171 s with it, same
   evidence;
3. work left: among slots with the same room and priority, the one with the most requests waiting first — longest
   work first, so a document host that many portals share (the night's bottleneck under the per-host
   ceiling) is kept busy from the start instead of being served one request in a hundred turns.

Requests for the browser (``meta["playwright"]``) wait in their own queue per host and go to the
downloader only while a browser page is free (``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT`` ×
``PLAYWRIGHT_MAX_CONTEXTS``) and their host has room; they then go first, the browser being the scarcest
resource. Without this gate, browser requests waiting for a page inside scrapy-playwright held the
downloader's places (``CONCURRENT_REQUESTS``): measured on a 680-portal fleet, the process with the
JavaScript portals ran at a fraction of its speed, and the crawl took 343 s instead of ≈ 2 × 113 s.
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Request

from crawler import compat

#: Suffix of the queue keys of browser requests (a host's browser queue: ``host:port`` + suffix).
BROWSER = " browser"


class HostRoomPriorityQueue(compat.SlotQueues):
    def __init__(self, crawler: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(crawler, *args, **kwargs)
        settings = crawler.settings
        # as scrapy-playwright reads them: pages per context default to CONCURRENT_REQUESTS
        pages = settings.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT") or settings.getint("CONCURRENT_REQUESTS")
        self.browser_pages = pages * max(1, settings.getint("PLAYWRIGHT_MAX_CONTEXTS", 1))

    def push(self, request: Request) -> None:
        key = self.slot_key(request)
        if request.meta.get("playwright"):
            key += BROWSER
        self.queue_for(key).push(request)

    def _browser_free(self, downloader: Any) -> bool:
        busy = sum(1 for request in compat.downloader_active(downloader) if request.meta.get("playwright"))
        return busy < self.browser_pages

    def _ranked_slot(self) -> str | None:
        if not self.has_queues():
            return None
        downloader = self.live_downloader()
        browser_free: bool | None = None  # asked once, when a browser queue is met
        # the rank is (browser first, room, head priority, most requests waiting, key); the length of a
        # queue (a sum over its priorities) is only asked to break a tie of the first three
        best: tuple[int, int, int] | None = None
        best_key, best_len = "", -1
        best_queue: Any = None
        for key, queue in self.queues():
            browser = key.endswith(BROWSER)
            host = key[: -len(BROWSER)] if browser else key
            # a host shared with the run's other processes counts its whole ceiling, not its lease of the
            # moment (a lease is asked for by a request that reaches the downloader; at most the ceiling's
            # worth of requests waits there for it)
            active, ceiling = compat.slot_ceiling(downloader, host)
            room = active - ceiling
            if browser:
                if room >= 0:
                    continue  # in a full host's queue it would hold a browser place without a page
                if browser_free is None:
                    browser_free = self._browser_free(downloader)
                if not browser_free:
                    continue
            rank = (0 if browser else 1, room, self.head_priority(queue))
            if best is None or rank < best:
                best, best_key, best_queue, best_len = rank, key, queue, -1
            elif rank == best:
                if best_len < 0:
                    best_len = len(best_queue)
                length = len(queue)
                if length > best_len or (length == best_len and key < best_key):
                    best_key, best_queue, best_len = key, queue, length
        return best_key if best is not None else None

    def pop(self) -> Request | None:
        key = self._ranked_slot()
        return self.take(key) if key is not None else None

    def peek(self) -> Request | None:
        key = self._ranked_slot()
        return self.first(key) if key is not None else None
