"""The scheduler's choice of the next request: the host with the most free room, then the most work.

Scrapy's ``DownloaderAwarePriorityQueue`` keeps one queue per download slot (host) and takes the next
request from the slot with the fewest requests in the downloader. Vigía's requests carry their slot (the
host and port, ``download_slot`` in their meta, as the downloader uses it), and this queue ranks slots by

1. free room: requests in the downloader minus the slot's ceiling (a full slot waits behind slots that
   can start a request now; a host shared with the run's other processes, crawler/leases.py, counts the
   whole ceiling, so its requests reach the downloader and ask for a lease);
2. work left: among slots with the same room, the one with the most requests waiting first — longest
   work first, so a document host that many portals share (the night's bottleneck under the per-host
   ceiling) is kept busy from the start instead of being served one request in a hundred turns.
"""

from __future__ import annotations

from scrapy.http import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue


class HostRoomPriorityQueue(DownloaderAwarePriorityQueue):
    def _ranked_slot(self) -> str | None:
        if not self.pqueues:
            return None
        downloader = self._downloader_interface.downloader
        slots = downloader.slots
        default = downloader.domain_concurrency
        per_slot = downloader.per_slot_settings
        best: tuple[int, int, str] | None = None
        for key, queue in self.pqueues.items():
            slot = slots.get(key)
            # a host shared with the run's other processes counts its whole ceiling, not its lease of the
            # moment (a lease is asked for by a request that reaches the downloader; at most the ceiling's
            # worth of requests waits there for it)
            if slot is not None:
                room = len(slot.active) - max(slot.concurrency, default)
            else:
                room = -max(int(per_slot.get(key, {}).get("concurrency", default)), default)
            rank = (room, -len(queue), key)
            if best is None or rank < best:
                best = rank
        return best[2] if best is not None else None

    def pop(self) -> Request | None:
        key = self._ranked_slot()
        if key is None:
            return None
        queue = self.pqueues[key]
        request = queue.pop()
        if len(queue) == 0:
            del self.pqueues[key]
            queue.close()
        return request

    def peek(self) -> Request | None:
        key = self._ranked_slot()
        return self.pqueues[key].peek() if key is not None else None
