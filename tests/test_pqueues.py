"""The scheduler's next request: the host with the most free room first, then the one with the most work
left (crawler/pqueues.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from scrapy import Request
from scrapy.settings import Settings
from scrapy.squeues import FifoMemoryQueue

from crawler.pqueues import HostRoomPriorityQueue


def _queue(slots: dict[str, Any]) -> HostRoomPriorityQueue:
    downloader = SimpleNamespace(
        slots=slots,
        domain_concurrency=2,
        per_slot_settings={"drive:80": {"concurrency": 0}},
        get_slot_key=lambda request: request.meta["download_slot"],
    )
    crawler = SimpleNamespace(
        settings=Settings({"CONCURRENT_REQUESTS_PER_IP": 0, "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 4}),
        engine=SimpleNamespace(downloader=downloader),
        stats=None,
    )
    return HostRoomPriorityQueue(crawler, FifoMemoryQueue, "")  # type: ignore[arg-type]


def _slot(active: int, concurrency: int = 2) -> Any:
    return SimpleNamespace(active=set(range(active)), concurrency=concurrency)


def _req(host: str, n: int, priority: int = 0) -> Request:
    return Request(f"http://{host}/{n}", meta={"download_slot": host}, priority=priority)


def test_the_shared_host_with_most_work_is_served_before_one_request_in_a_hundred() -> None:
    slots = {"a:80": _slot(1), "b:80": _slot(1), "drive:80": _slot(1)}
    q = _queue(slots)
    for i in range(3):
        q.push(_req("a:80", i))
    q.push(_req("b:80", 0))
    for i in range(20):
        q.push(_req("drive:80", i))
    # same free room (one request each in the downloader): the host with the most waiting goes first
    assert q.pop().meta["download_slot"] == "drive:80"  # type: ignore[union-attr]
    slots["drive:80"] = _slot(2)  # now full: the others first
    assert q.pop().meta["download_slot"] == "a:80"  # type: ignore[union-attr]
    slots["a:80"] = _slot(2)
    assert q.pop().meta["download_slot"] == "b:80"  # type: ignore[union-attr]
    assert len(q) == 21


def test_a_new_host_counts_its_ceiling_and_a_leased_host_its_whole_ceiling() -> None:
    q = _queue({"a:80": _slot(1), "drive:80": _slot(1, concurrency=0)})
    q.push(_req("a:80", 0))
    q.push(_req("new:80", 0))  # no slot yet: the default ceiling, all free
    q.push(_req("drive:80", 0))  # leased nothing yet: its request must still reach the downloader
    q.push(_req("drive:80", 1))
    order = [q.pop().meta["download_slot"] for _ in range(4)]  # type: ignore[union-attr]
    assert order[0] == "new:80"
    assert order[1] == "drive:80"  # the same room as a:80 (one of two), more work waiting
    assert sorted(order[2:]) == ["a:80", "drive:80"]
    assert q.pop() is None and len(q) == 0


def test_priorities_still_order_requests_within_a_host() -> None:
    q = _queue({})
    q.push(_req("a:80", 1, priority=0))
    q.push(_req("a:80", 2, priority=10))
    assert q.pop().url.endswith("/2")  # type: ignore[union-attr]
    assert q.peek().url.endswith("/1")  # type: ignore[union-attr]


def _browser_req(host: str, n: int) -> Request:
    return Request(f"http://{host}/js/{n}", meta={"download_slot": host, "playwright": True})


def test_browser_requests_wait_for_a_free_page_and_then_go_first() -> None:
    slots = {"js:80": _slot(0), "a:80": _slot(0)}
    q = _queue(slots)
    downloader = q._downloader_interface.downloader
    downloader.active = {_browser_req("other:80", i) for i in range(4)}  # the 4 browser pages are busy
    q.push(_req("a:80", 0))
    q.push(_browser_req("js:80", 0))
    q.push(_browser_req("js:80", 1))
    # no page free: the static request goes, the browser ones wait in the scheduler (not the downloader)
    assert q.pop().meta["download_slot"] == "a:80"  # type: ignore[union-attr]
    assert q.pop() is None and len(q) == 2
    downloader.active = {_browser_req("other:80", i) for i in range(3)}  # one page free
    q.push(_req("a:80", 1))
    first = q.pop()
    assert first is not None and first.meta.get("playwright")  # the scarce browser goes first
    slots["js:80"] = _slot(2)  # its host is now full: the next browser request would wait without a page
    assert q.pop().meta["download_slot"] == "a:80"  # type: ignore[union-attr]
    assert q.pop() is None and len(q) == 1


def test_among_hosts_with_the_same_room_the_higher_priority_goes_first() -> None:
    """A host whose next request is a portal's home page or its transparency section does not wait behind
    hosts with longer queues of lower priority (documents, discovery pages)."""
    from crawler.follow import PRIORITY_DISCOVERY, PRIORITY_DOCUMENT, PRIORITY_HOME, PRIORITY_SECTION

    slots = {"a:80": _slot(0), "b:80": _slot(0), "c:80": _slot(0), "drive:80": _slot(0)}
    q = _queue(slots)
    for i in range(20):
        q.push(_req("drive:80", i, PRIORITY_DOCUMENT))
    for i in range(5):
        q.push(_req("a:80", i, PRIORITY_DISCOVERY))
    q.push(_req("b:80", 0, PRIORITY_SECTION))
    q.push(_req("c:80", 0, PRIORITY_HOME))
    order = [q.pop().meta["download_slot"] for _ in range(3)]  # type: ignore[union-attr]
    assert order == ["c:80", "b:80", "drive:80"]
    assert PRIORITY_HOME > PRIORITY_SECTION > PRIORITY_DOCUMENT > PRIORITY_DISCOVERY


def test_a_tie_of_room_priority_and_work_goes_to_the_first_host_by_name() -> None:
    q = _queue({"b:80": _slot(1), "a:80": _slot(1), "c:80": _slot(1)})
    for host in ("c:80", "b:80", "a:80"):  # pushed in reverse order of their names
        q.push(_req(host, 0))
        q.push(_req(host, 1))
    q.push(_req("b:80", 2))
    # b has the most work (3); then a, b and c have two each (a by name); then b and c two each (b)
    order = [q.pop().meta["download_slot"] for _ in range(4)]  # type: ignore[union-attr]
    assert order == ["b:80", "a:80", "b:80", "c:80"]
