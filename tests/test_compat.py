"""Scrapy's private internals Vigía relies on (crawler/compat.py) are where it expects them.

When a Scrapy upgrade moves one, this test fails with the list of what moved, before any crawl runs
with a silently wrong scheduler or per-host ceiling (docs/crawler.md, "Scrapy internals")."""

from __future__ import annotations

import inspect

from scrapy.core.downloader import Downloader, Slot
from scrapy.utils.test import get_crawler

from crawler import compat
from crawler.pqueues import HostRoomPriorityQueue
from crawler.spiders.portal import PortalSpider


def _missing() -> list[str]:
    missing = [f"{cls.__name__}.{name}" for cls, name in compat.REQUIRED if not hasattr(cls, name)]
    crawler = get_crawler(PortalSpider, {"DOWNLOADER": "crawler.compat.CeilingDownloader"})
    downloader = compat.CeilingDownloader(crawler)
    missing += [f"Downloader().{a}" for a in compat.DOWNLOADER_ATTRS if not hasattr(downloader, a)]
    slot = Slot(concurrency=2, delay=0)
    missing += [f"Slot().{a}" for a in compat.SLOT_ATTRS if not hasattr(slot, a)]
    params = list(inspect.signature(Downloader._wait_for_download).parameters)
    if params[:4] != ["self", "slot", "request", "queue_dfd"]:
        missing.append(
            f"Downloader._wait_for_download{tuple(params)} (esperado: self, slot, request, queue_dfd)"
        )
    if not inspect.iscoroutinefunction(Downloader._wait_for_download):
        missing.append("Downloader._wait_for_download ya no es una corrutina")
    if "_process_queue" in dir(Downloader) and list(
        inspect.signature(Downloader._process_queue).parameters
    ) != [
        "self",
        "slot",
    ]:
        missing.append("Downloader._process_queue(self, slot) cambió de firma")
    from scrapy.pqueues import ScrapyPriorityQueue
    from scrapy.squeues import FifoMemoryQueue

    pqueue = ScrapyPriorityQueue(crawler, FifoMemoryQueue, "k")
    missing += [f"ScrapyPriorityQueue().{a}" for a in compat.PRIORITY_QUEUE_ATTRS if not hasattr(pqueue, a)]
    scraper_cls = __import__("scrapy.core.scraper", fromlist=["Scraper"]).Scraper
    if "response" not in inspect.signature(scraper_cls.start_itemproc_async).parameters:
        missing.append("Scraper.start_itemproc_async(item, *, response)")
    return missing


def test_scrapy_internals_used_by_vigia_are_where_compat_expects_them() -> None:
    missing = _missing()
    assert not missing, (
        f"Scrapy {compat.scrapy_version()} (leído de {compat.SCRAPY_VERSION}) movió lo que crawler/compat.py usa: "
        + "; ".join(missing)
    )


def test_the_slot_queues_of_the_scheduler_are_reachable() -> None:
    """The scheduler queue's per-slot queues and downloader interface (names of Scrapy's private state)."""
    crawler = get_crawler(PortalSpider, {"SCHEDULER_PRIORITY_QUEUE": "crawler.pqueues.HostRoomPriorityQueue"})
    source = inspect.getsource(compat.SlotQueues.__mro__[1])
    missing = [a for a in compat.QUEUE_ATTRS if f"self.{a}" not in source]
    assert not missing, f"DownloaderAwarePriorityQueue ya no tiene: {', '.join(missing)}"
    assert issubclass(HostRoomPriorityQueue, compat.SlotQueues) and crawler is not None


def test_no_other_module_reaches_into_scrapy_internals() -> None:
    """The one-module rule: private Scrapy names appear only in crawler/compat.py."""
    import pathlib

    root = pathlib.Path(compat.__file__).parent
    private = (
        "_process_queue",
        "_wait_for_download",
        "_downloader_interface",
        "per_slot_settings",
        "self.pqueues",
        "pqfactory",
        "curprio",
    )
    offenders = [
        f"{path.relative_to(root.parent)}: {name}"
        for path in root.rglob("*.py")
        if path.name != "compat.py"
        for name in private
        if name in path.read_text(encoding="utf-8")
    ]
    assert not offenders, offenders


def test_the_plain_stats_collector_counts_as_scrapys_and_is_the_crawls() -> None:
    from crawler import settings as crawl_settings

    assert crawl_settings.STATS_CLASS == "crawler.compat.PlainStatsCollector"
    crawler = get_crawler(PortalSpider, {"STATS_CLASS": crawl_settings.STATS_CLASS})
    stats = crawler.stats
    assert type(stats) is compat.PlainStatsCollector
    stats.inc_value("a")
    stats.inc_value("a", 2)
    stats.inc_value("b", spider=None)  # a third-party call with the old argument still counts
    stats.max_value("m", 3)
    stats.max_value("m", 1)
    assert stats.get_stats() == {"a": 3, "b": 1, "m": 3}
    # the attribute hook of Scrapy 2.19 is gone: no cached wrappers are made
    assert not any(name.startswith("_cached_") for name in vars(stats))
