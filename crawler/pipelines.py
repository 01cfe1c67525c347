"""Item pipelines: archive raw bodies, extract documents off the reactor, store each finished portal.

In order (``ITEM_PIPELINES``, crawler/settings.py):

0. :class:`IncidentPipeline` records an :class:`~crawler.items.IncidentItem` on its portal's state.
1. :class:`ArchivePipeline` writes a page's or document's raw body to the evidence store's blobs
   (content-addressed). A write that fails (a full disk) is a write error of the portal: recorded, the
   portal ends ``partial``, and the run fails loudly (crawler/run.py, crawler/api.py) — never a silent
   "complete" with documents missing their archived copy.
2. :class:`ExtractionPipeline` gives each document its text, dates, page count and scanned flag: the
   extraction already done for the same digest (this run, the portal's previous crawl, or any earlier
   crawl: the only database reads of a crawl happen here), or a worker process with memory and time
   limits (crawler/extraction.py). A document that breaks a limit is a ``parse_error`` for that
   document; the night goes on.
3. :class:`StorePipeline` writes a finished portal's evidence in one transaction (crawler/writer.py) and
   reports it on the progress line; a write that fails is reported as such (``error``), never dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select

from crawler.cache import put_blob
from crawler.dates import extract_periods
from crawler.documents import Extraction
from crawler.extraction import ExtractionPool, Limits
from crawler.items import DocumentItem, IncidentItem, PageItem, PortalItem
from crawler.writer import write_portal
from vigia.doctypes import broke_a_limit
from vigia.store.models import Document, PortalCrawl

log = logging.getLogger(__name__)


class _SpiderBound:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> Any:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def state(self, item: Any) -> Any:
        return self.spider.states.get(item.portal)


class IncidentPipeline(_SpiderBound):
    def process_item(self, item: Any) -> Any:
        if isinstance(item, IncidentItem) and (st := self.state(item)) is not None:
            st.incident(item.kind, item.url, item.message)
        return item


class ArchivePipeline(_SpiderBound):
    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem | DocumentItem):
            return item
        st = self.state(item)
        store = self.spider.store
        if st is None or store is None:
            return item
        try:
            item.sha256 = put_blob(store.blobs, item.body, self.spider.blobs_written, item.sha256)
        except OSError as exc:
            st.write_error(item.url, f"no se pudo archivar la copia: {exc}")
            return item
        st.blobs[item.sha256] = (len(item.body), item.content_type or None)
        if isinstance(item, PageItem):
            page = st.pages.get(item.url)
            if page is not None:
                page["sha256"] = item.sha256
            if item.home:
                st.home_sha256 = item.sha256
        else:
            doc = st.documents.get(item.url)
            if doc is not None:
                doc["sha256"] = item.sha256
        return item


_EXTRACTION_COLUMNS = (
    Document.sha256,
    Document.text,
    Document.dates,
    Document.page_count,
    Document.is_scanned,
    Document.error,
)


def _extraction_from_row(row: Any) -> Extraction:
    ex = Extraction(
        text=row.text, dates=list(row.dates or []), page_count=row.page_count, is_scanned=row.is_scanned
    )
    if row.error and row.error != "size_cap" and not row.error.startswith("HTTP"):
        ex.error = row.error
    return ex


class KnownExtractions:
    """Unchanged documents are not parsed again: the extraction already done for the same digest.

    The portal's previous crawl is read in one query the first time one of its documents needs it (most
    unchanged documents of a night are that portal's own); other digests are looked up in one index of the
    store's fetched documents, read once per run."""

    def __init__(self, store: Any, run_id: int | None) -> None:
        self.store = store
        self.run_id = run_id
        self.cache: dict[str, Extraction] = {}
        self.known_documents: dict[str, int] | None = None

    def get(self, sha: str, st: Any = None) -> Extraction | None:
        if sha in self.cache:
            return self.cache[sha]
        if self.store is None:
            return None
        if st is not None:
            if st.previous_extractions is None:
                st.previous_extractions = self._previous(st.key)
            ex = st.previous_extractions.get(sha)
            if ex is not None:
                self.cache[sha] = ex
                return ex
        if self.known_documents is None:
            self.known_documents = self._known()
        doc_id = self.known_documents.get(sha)
        if doc_id is None:
            return None
        with self.store.session() as s:
            row = s.execute(select(*_EXTRACTION_COLUMNS).where(Document.id == doc_id)).first()
        if row is None:
            return None
        ex = _extraction_from_row(row)
        self.cache[sha] = ex
        return ex

    def _previous(self, portal_key: str) -> dict[str, Extraction]:
        """sha256 → extraction of the documents fetched by the newest earlier crawl of this portal."""
        previous = (
            select(func.max(PortalCrawl.id))
            .where(PortalCrawl.portal_key == portal_key, PortalCrawl.run_id != (self.run_id or -1))
            .scalar_subquery()
        )
        with self.store.session() as s:
            rows = s.execute(
                select(*_EXTRACTION_COLUMNS).where(
                    Document.portal_crawl_id == previous,
                    Document.fetched.is_(True),
                    Document.sha256.is_not(None),
                )
            ).all()
        return {row.sha256: _extraction_from_row(row) for row in rows}

    def _known(self) -> dict[str, int]:
        """sha256 → id of a document already fetched and extracted (one query per run rather than one per
        document: a night looks up thousands of digests, most of them the portal's own)."""
        with self.store.session() as s:
            rows = s.execute(
                select(Document.sha256, Document.id).where(
                    Document.fetched.is_(True), Document.sha256.is_not(None)
                )
            ).all()
        return {sha: doc_id for sha, doc_id in rows}


class ExtractionPipeline(_SpiderBound):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.pool = ExtractionPool(Limits.from_settings(crawler.settings))
        self.known: KnownExtractions | None = None

    def open_spider(self) -> None:
        # other spiders (the benchmark's plain one) have no store: nothing is looked up then
        self.known = KnownExtractions(
            getattr(self.spider, "store", None), getattr(self.spider, "run_id", None)
        )

    def close_spider(self) -> None:
        stats = self.crawler.stats
        stats.set_value("vigia/extractions", self.pool.submitted)
        stats.set_value("vigia/extraction_failures", self.pool.failed)
        stats.set_value("vigia/extraction_cpu_seconds", round(self.pool.cpu_seconds, 3))
        self.pool.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, DocumentItem):
            return item
        st = self.state(item)
        doc = st.documents.get(item.url) if st is not None else None
        if doc is None:
            return item
        if self.known is None:
            self.open_spider()
        assert self.known is not None
        sha = item.sha256
        extraction = self.known.get(sha, st) if sha else None
        if extraction is None and item.landing_text is not None:
            text = item.landing_text
            extraction = Extraction(text=text or None, dates=extract_periods(text) if text else [])
        if extraction is None:
            extraction = await self.pool.extract(doc["doc_type"], item.body)
        else:
            self.crawler.stats.inc_value("vigia/extractions_reused")
            if sha:  # the same body linked again (another portal, a mirror) is not read again, bombs included
                self.known.cache[sha] = extraction
        fill_extraction(st, doc, extraction)
        item.body = b""  # the body is archived: do not keep it while the item travels on
        return item


def fill_extraction(st: Any, doc: dict[str, Any], extraction: Extraction) -> None:
    if extraction.error:
        doc["error"] = extraction.error
        st.incident("parse_error", doc["url"], f"no se pudo leer el documento: {extraction.error}")
        if broke_a_limit(extraction.error):  # a bomb, not a damaged file: the crawl is partial (issue 14)
            st.over_limit(doc["url"], extraction.error)
    doc["text"] = extraction.text
    doc["dates"] = extraction.dates
    doc["page_count"] = extraction.page_count
    doc["is_scanned"] = extraction.is_scanned


class StorePipeline(_SpiderBound):
    def process_item(self, item: Any) -> Any:
        if isinstance(item, PortalItem):
            store_portal(self.spider, item.state)
        return item


def store_portal(spider: Any, st: Any) -> None:
    """Write a finished portal (one transaction) and report it; free its evidence from memory."""
    outcome, reason = st.outcome()
    pc_id = None
    try:
        if spider.store is not None and spider.run_id is not None:
            pc_id, outcome = write_portal(spider.store, spider.run_id, st)
    except Exception as exc:  # noqa: BLE001 - one portal's failure never stops the run: it is reported
        log.exception("no se pudo guardar el portal %s", st.key)
        outcome, reason = "error", f"no se pudo guardar: {type(exc).__name__}: {exc}"[:500]
        spider.write_failures.append({"key": st.key, "error": reason})
    if st.write_errors and outcome != "error":
        spider.write_failures.append({"key": st.key, "error": st.write_errors[0]})
    spider.finished_total += 1
    if spider.progress is not None:
        spider.progress(
            {
                "event": "portal",
                "key": st.key,
                "portal_crawl_id": pc_id,
                "outcome": outcome,
                "reason": reason,
                "pages": len(st.pages),
                "documents": len(st.documents),
                "incidents": len(st.incidents),
                "bytes": st.bytes,
            }
        )
    st.pages.clear()
    st._listing_memo.clear()
    st.documents.clear()
    st.seen.clear()
    st.previous_extractions = None
