"""A document read by an extraction worker is read behind the crawl (crawler/pipelines.py): its item leaves
the pipelines at once, so its response no longer waits in Scrapy's scraper slot; the portal stays pending
and the spider busy (the scraper counts the read as an item in progress) until the worker answers, and the
document's record then holds the same text as when the read was awaited."""

from __future__ import annotations

import asyncio
from typing import Any

import crawler_helpers as helpers  # tests/fixtures/crawler, on the path from conftest.py
from scrapy.core.scraper import Slot
from scrapy.settings import Settings

from crawler import settings as defaults
from crawler.items import DocumentItem
from crawler.pipelines import ExtractionPipeline
from crawler.state import PortalState


class _Scraper:
    def __init__(self) -> None:
        self.slot = Slot()
        self.closing_checks = 0

    def _check_if_closing(self) -> None:
        self.closing_checks += 1


class _Spider:
    def __init__(self, st: PortalState) -> None:
        self.states = {st.key: st}
        self.done: list[tuple[int, str | None]] = []

    def work_done(self, st: PortalState) -> None:
        st.pending -= 1
        self.done.append((st.pending, st.documents["https://p.test/a.pdf"]["text"]))


class _Stats:
    def inc_value(self, *args: Any) -> None:
        pass


class _Crawler:
    def __init__(self, spider: _Spider, backlog_mb: int) -> None:
        self.settings = Settings()
        self.settings.setmodule(defaults)
        self.settings.set("VIGIA_EXTRACT_BACKLOG_MB", backlog_mb)
        self.spider = spider
        self.stats = _Stats()
        self.engine = type("Engine", (), {"scraper": _Scraper()})()


def _setup(backlog_mb: int) -> tuple[ExtractionPipeline, _Crawler, PortalState, DocumentItem]:
    st = PortalState(key="p", start_url="https://p.test/", municipality={})
    url = "https://p.test/a.pdf"
    st.documents[url] = {"url": url, "doc_type": "pdf"}
    st.pending = 1  # the document's own item
    crawler = _Crawler(_Spider(st), backlog_mb)
    pipeline = ExtractionPipeline(crawler)
    item = DocumentItem("p", url, helpers.make_pdf(["Presupuesto aprobado 2026"]), "application/pdf")
    return pipeline, crawler, st, item


def test_a_document_is_read_behind_the_crawl_and_keeps_its_portal_and_spider_busy() -> None:
    pipeline, crawler, st, item = _setup(backlog_mb=64)
    slot = crawler.engine.scraper.slot

    async def run() -> None:
        out = await pipeline.process_item(item)
        assert out is item and item.body == b""  # returned before the worker answered
        assert st.documents[item.url].get("text") is None
        assert st.pending == 2 and st.pending_reads == 1 and slot.itemproc_size == 1
        assert not slot.is_idle()  # the engine neither goes idle nor closes meanwhile
        await asyncio.gather(*pipeline.behind)

    try:
        asyncio.run(run())
    finally:
        pipeline.pool.close()
    assert "Presupuesto aprobado 2026" in (st.documents[item.url]["text"] or "")
    assert crawler.spider.done == [(1, st.documents[item.url]["text"])]  # filled before the portal is told
    assert st.pending_reads == 0 and slot.itemproc_size == 0 and slot.is_idle()
    assert crawler.engine.scraper.closing_checks == 1 and pipeline.backlog == 0


def test_past_the_backlog_a_document_is_awaited_in_place_with_the_same_text() -> None:
    pipeline, crawler, st, item = _setup(backlog_mb=0)

    async def run() -> None:
        await pipeline.process_item(item)

    try:
        asyncio.run(run())
    finally:
        pipeline.pool.close()
    assert "Presupuesto aprobado 2026" in (st.documents[item.url]["text"] or "")
    assert st.pending == 1 and st.pending_reads == 0 and not crawler.spider.done
    assert crawler.engine.scraper.slot.itemproc_size == 0
