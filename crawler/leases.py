"""One per-host ceiling for the whole run, shared by its crawl processes.

A run's portals are split among child processes, but a document host can serve portals of several of them
(a Drive-like file host, a departmental server). Politeness is owed to the host, not to each process: the
processes lease the host's request slots through a small shared table (a file under the run's data
folder, ``mmap`` + ``flock``). Each process holds, per host, a reservation no larger than the free room, so
the reservations of all processes never add up to more than the ceiling. A process with requests waiting
takes free room; while another process also waits, each keeps no more than its fair share and gives back
the rest as its requests end; a process with nothing waiting keeps only what it has in flight.

Hosts are hashed into a fixed number of buckets: two hosts in one bucket share a ceiling (stricter, never
looser). The parent process creates the table and clears a child's reservations when it exits.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import zlib
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler import compat

BUCKETS = 4096
#: per process and bucket: reservation, demand (one byte each; a ceiling is well under 256)
CELL = 2


def create_table(path: Path, processes: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * (BUCKETS * processes * CELL))


def clear_process(path: Path, processes: int, index: int) -> None:
    """Give back everything a process held (it has exited, perhaps without saying so)."""
    try:
        with open(path, "r+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                with mmap.mmap(fh.fileno(), 0) as table:
                    for bucket in range(BUCKETS):
                        at = (bucket * processes + index) * CELL
                        table[at : at + CELL] = b"\0\0"
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    except (OSError, ValueError):
        return


class HostLeases:
    def __init__(self, path: Path | str, index: int, processes: int, ceiling: int) -> None:
        if not 0 <= index < processes:
            raise ValueError(f"proceso {index} fuera de 0..{processes - 1}")
        if not 0 < ceiling < 256:
            raise ValueError(f"límite por host {ceiling} fuera de 1..255")
        self.index = index
        self.processes = processes
        self.ceiling = ceiling
        self._fd = os.open(str(path), os.O_RDWR)
        self._table = mmap.mmap(self._fd, BUCKETS * processes * CELL)
        self._held: dict[int, int] = {}

    @staticmethod
    def bucket(host: str) -> int:
        return zlib.crc32(host.lower().encode("utf-8", "replace")) % BUCKETS

    def adjust(self, host: str, in_flight: int, waiting: int) -> int:
        """This process's reservation for ``host`` given its requests in flight and waiting: never less
        than what is in flight, never more than the free room."""
        bucket = self.bucket(host)
        want = min(self.ceiling, in_flight + waiting)
        base = bucket * self.processes * CELL
        me = self.index
        table = self._table
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            cells = table[base : base + self.processes * CELL]
            held = list(cells[0::2])
            demand = list(cells[1::2])
            demand[me] = want
            others = sum(held) - held[me]
            target = min(want, self.ceiling - others)
            if want and any(demand[j] > held[j] for j in range(self.processes) if j != me):
                # another process is waiting for this host: keep no more than a fair share
                wanting = [j for j in range(self.processes) if demand[j] > 0]
                share, extra = divmod(self.ceiling, len(wanting))
                target = min(target, share + (1 if wanting.index(me) < extra else 0))
            target = max(target, in_flight, 0)
            at = base + me * CELL
            table[at] = target
            table[at + 1] = want
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        if target:
            self._held[bucket] = target
        else:
            self._held.pop(bucket, None)
        return target

    def close(self) -> None:
        if self._table.closed:
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            for bucket in self._held:
                at = (bucket * self.processes + self.index) * CELL
                self._table[at : at + CELL] = b"\0\0"
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._held.clear()
        self._table.close()
        os.close(self._fd)


class SharedHostLimiter:
    """Scrapy extension: the download slots of shared hosts (``spider.shared_hosts``, filled by the guard
    middleware with the document hosts that are not the portal's own) follow this process's leases. On
    when the run's parent passes ``VIGIA_HOST_LEASES`` (``{"path", "index", "processes"}``)."""

    TICK_SECONDS = 0.2

    def __init__(self, crawler: Any, leases: HostLeases) -> None:
        self.crawler = crawler
        self.leases = leases
        self._loop: Any = None
        crawler.signals.connect(self.reached, signal=signals.request_reached_downloader)
        crawler.signals.connect(self.left, signal=signals.request_left_downloader)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedHostLimiter:
        conf = crawler.settings.getdict("VIGIA_HOST_LEASES")
        if not conf or int(conf.get("processes", 1)) <= 1:
            raise NotConfigured("un solo proceso: el límite por host es el de Scrapy")
        ceiling = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        leases = HostLeases(conf["path"], int(conf["index"]), int(conf["processes"]), ceiling)
        return cls(crawler, leases)

    # the slots of this process that follow the leases
    def _shared(self) -> set[str]:
        return getattr(self.crawler.spider, "shared_hosts", set())

    def _downloader(self) -> Any:
        return compat.downloader_of(self.crawler)

    def _update(self, key: str, slot: Any, arriving: int = 0) -> None:
        transferring, waiting = compat.slot_counts(slot)
        downloader = self._downloader()
        target = self.leases.adjust(key, transferring, waiting + arriving)
        before = compat.set_slot_concurrency(downloader, slot, target)
        if target > before and waiting and not arriving and downloader is not None:
            compat.restart_queue(downloader, slot)  # the queue waited for room that is free now

    def reached(self, request: Any, spider: Any = None) -> None:
        key = request.meta.get("download_slot")
        if key in self._shared():
            slot = compat.slot_of(self._downloader(), key)
            if slot is not None:  # the request is not in the slot's queue yet: it is about to be
                self._update(key, slot, arriving=1)

    def left(self, request: Any, spider: Any = None) -> None:
        key = request.meta.get("download_slot")
        if key in self._shared():
            slot = compat.slot_of(self._downloader(), key)
            if slot is not None:
                self._update(key, slot)

    def tick(self) -> None:
        """Slots whose requests wait for room another process has given back since."""
        downloader = self._downloader()
        if downloader is None:
            return
        for key in self._shared():
            slot = compat.slot_of(downloader, key)
            if slot is not None and compat.slot_counts(slot)[1] and compat.slot_room(slot) <= 0:
                self._update(key, slot)

    def opened(self, spider: Any = None) -> None:
        from twisted.internet import task

        self._loop = task.LoopingCall(self.tick)
        self._loop.start(self.TICK_SECONDS, now=False)

    def closed(self, spider: Any = None, reason: str = "") -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.leases.close()
