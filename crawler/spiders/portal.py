"""The portal spider: one spider crawls many portals at once, each with its own state and platform
strategy (see :mod:`crawler.spiders.platforms`). It collects evidence and never judges compliance.

Callbacks read a response, record it on the portal's state, and return the requests the link policy
(crawler/follow.py) builds from its links plus typed items (crawler/items.py) for the item pipelines,
which archive bodies, extract documents in worker processes and store each finished portal
(crawler/pipelines.py). No callback touches the database. Every request, and every page or document item,
counts as pending work of its portal; the portal is finished when the last of them ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import scrapy
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, StopDownload
from scrapy.http import Response, TextResponse

from crawler import compat, middlewares
from crawler.cache import cached_digest
from crawler.evidence import answer_problem, blocked_page, document_item, empty_answer, page_record
from crawler.follow import LinkPolicy, observe_home, portal_hosts
from crawler.htmlparse import looks_script_only
from crawler.items import DocumentItem, IncidentItem, PageItem, PortalItem
from crawler.middlewares import netloc_of
from crawler.outcomes import classify_failure, record_error
from crawler.parsed import ParsedPages
from crawler.pipelines import store_portal
from crawler.state import PortalState, canonical_url
from crawler.window import PortalWindow
from vigia.store.blobs import sha256_hex

__all__ = ["PortalSpider", "classify_failure", "portal_hosts"]
log = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "")


class PortalSpider(scrapy.Spider):
    name = "portals"

    def __init__(
        self,
        portals: list[dict[str, Any]] | None = None,
        run_id: int | None = None,
        store: Any = None,
        progress: Callable[[dict[str, Any]], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.portals_spec, self.run_id, self.store, self.progress = portals or [], run_id, store, progress
        self.window = PortalWindow(self.portals_spec)
        self.states: dict[str, PortalState] = self.window.states
        self.wire_requests = self.wire_bytes = self.pages_total = self.finished_total = 0
        self.write_failures: list[dict[str, Any]] = []
        self.allow_private, self.retry_backoff, self.host_leases, self.browser_enabled = (
            False,
            0.5,
            False,
            True,
        )
        #: pages parsed by earlier crawls, reused when the body did not change (a 304: crawler/parsed.py)
        self.parsed_pages = ParsedPages.for_store(store) if store is not None else ParsedPages(None)
        self.blobs_written: set[str] = set()  # digests this process archived (HTTP cache and pipelines)
        self.shared_hosts: set[str] = set()  # document hosts that follow the run's leases (crawler/leases.py)
        self.robots_timeout, self.robots_retries = 10.0, 1
        self.last_activity = time.monotonic()
        self.closing = False
        self.links = LinkPolicy(self.parse_page, self.parse_document, self.on_error)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.allow_private = s.getbool("VIGIA_ALLOW_PRIVATE", False)
        spider.retry_backoff = s.getfloat("VIGIA_RETRY_BACKOFF", 0.5)
        spider.retry_after_max = s.getfloat("VIGIA_RETRY_AFTER_MAX", 30.0)
        spider.links = LinkPolicy.from_settings(s, spider.parse_page, spider.parse_document, spider.on_error)
        spider.browser_enabled = s.getbool("VIGIA_BROWSER_ENABLED", True)
        spider.window = PortalWindow(
            spider.portals_spec,
            s.getint("VIGIA_ACTIVE_PORTALS", 50),
            s.getint("VIGIA_ACTIVE_BROWSER_PORTALS", 12),
            spider.browser_enabled,
        )
        spider.states = spider.window.states
        leases = s.getdict("VIGIA_HOST_LEASES")
        spider.host_leases = bool(leases) and int(leases.get("processes", 1)) > 1
        spider.robots_timeout = s.getfloat("VIGIA_ROBOTS_TIMEOUT", 10.0)
        spider.robots_retries = s.getint("VIGIA_ROBOTS_RETRIES", 1)
        middlewares.BROWSER_ALLOW_PRIVATE[0] = spider.allow_private
        for handler, signal in (
            (spider.on_headers_received, signals.headers_received),
            (spider.on_idle, signals.spider_idle),
            (spider.on_closed, signals.spider_closed),
            (spider.on_item_done, signals.item_scraped),
            (spider.on_item_done, signals.item_dropped),
            (spider.on_item_done, signals.item_error),
        ):
            crawler.signals.connect(handler, signal=signal)
        return spider

    # ------------------------------------------------------------------ portals in and out
    async def start(self) -> Any:
        """Open a window of portals (crawler/window.py); each finished one lets the next one in."""
        for _ in range(max(1, self.window.active_portals)):
            for req in self._open_next_portal():
                yield req

    def _open_next_portal(self) -> list[Request]:
        while (opened := self.window.open_next()) is not None:
            st, spec = opened
            out = [self.links.request(st, st.start_url, kind="home", depth=0, trail=[], in_section=False)]
            for alt in spec.get("alt_urls") or []:
                trail = ["URL alternativa"]
                out.append(self.links.request(st, alt, kind="page", depth=1, trail=trail, in_section=False))
            if requests := [r for r in out if r is not None]:
                return requests
            self._finish(st, open_next=False)
        return []

    def state_for_request(self, request: Request) -> PortalState | None:
        key = request.meta.get("vigia_portal")
        if key is not None:
            return self.states.get(key)
        netloc = netloc_of(request.url)  # robots.txt requests carry no meta: find the portal by host
        return next((s for s in self.states.values() if netloc in s.page_hosts and not s.finished), None)

    # ------------------------------------------------------------------ callbacks
    def parse_page(self, response: Response) -> list[Any]:
        st = self.states[response.meta["vigia_portal"]]
        try:
            return self._parse_page(st, response)
        except Exception as exc:  # noqa: BLE001 - a hostile page must never stop the run
            log.exception("error al procesar %s", response.url)
            return [self._incident(st, "parse_error", response.url, exc)]
        finally:
            self._done(st)

    def parse_document(self, response: Response) -> list[Any]:
        st = self.states[response.meta["vigia_portal"]]
        try:
            doc = st.documents.get(response.meta.get("vigia_doc") or "")
            return self._document_item(st, doc, response) if doc is not None else []
        except Exception as exc:  # noqa: BLE001
            log.exception("error al procesar el documento %s", response.url)
            return [self._incident(st, "parse_error", response.url, exc)]
        finally:
            self._done(st, response.meta)

    def answer_from_cache(
        self, st: PortalState, request: Request, head: Response, digest: str, size: int
    ) -> DocumentItem | None:
        """A document request answered by a fresh copy in the HTTP cache, before it is scheduled
        (crawler.middlewares.FreshDocumentsMiddleware): its item, with the body left in the blob store."""
        try:
            doc = st.documents.get(request.meta.get("vigia_doc") or "")
            if doc is None:
                return None
            item = document_item(st, doc, head, self.links.document_maxsize, stored=(digest, size))
            return self._emit(st, item) if item is not None else None
        finally:
            self._done(st, request.meta)

    def _parse_page(self, st: PortalState, response: Response) -> list[Any]:
        meta = response.meta
        kind, root, in_section = (
            meta["vigia_kind"],
            bool(meta.get("vigia_section_root")),
            bool(meta.get("vigia_in_section")),
        )
        asked = canonical_url(meta.get("redirect_urls", [response.url])[0])[0]
        final = canonical_url(response.url)[0]
        st.seen.add(final)
        if answer_problem(st, response, kind, root, in_section, asked, self.links.page_maxsize):
            return []
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if "json" in ctype and "/wp-json/" in response.url:
            return self.links.wordpress_api(st, response)
        if not (
            isinstance(response, TextResponse)
            and (ctype.split(";")[0].strip() in HTML_TYPES or "html" in ctype)
        ):
            doc = self.links.page_as_document(st, response, asked, ctype)
            return self._document_item(st, doc, response) if doc is not None else []
        if empty_answer(st, response, kind, root, in_section, asked):
            return []
        rendered = bool(meta.get("playwright"))
        # once: the parsed copy's key and the archive's (a body from the HTTP cache has its blob's name)
        digest = cached_digest(response) or sha256_hex(response.body)
        parsed = self.parsed_pages.parse_response(response, rendered, digest)
        if kind == "home":
            observe_home(st, response, asked, final, parsed, rendered)
        if (
            not rendered
            and self.browser_enabled
            and st.render != "static"
            and (looks_script_only(parsed) or st.use_browser)
        ):
            st.use_browser = True
            return [self.links.rerender(st, response)]
        if blocked_page(st, parsed, kind, root, asked):
            return []
        st.rendered_with_browser |= rendered
        trail, depth = list(meta.get("vigia_trail") or []), int(meta.get("vigia_depth") or 0)
        if kind == "home":
            st.home_ok, st.home_failure = True, None
        in_section = self.links.mark_section(st, final, parsed.links, kind, root, in_section)
        st.pages[asked] = page_record(response, asked, parsed, ctype, depth, trail, rendered)
        st.from_cache += "cached" in response.flags
        self.pages_total += 1
        sec_depth = int(meta.get("vigia_sec_depth") or 0)
        out: list[Any] = [
            self._emit(st, PageItem(st.key, asked, response.body, ctype or None, kind == "home", digest))
        ]
        out += self.links.follow(st, response.url, parsed.links, trail, depth, in_section, sec_depth, kind)
        if kind == "home":
            for url, label in st.strategy.entry_points(response.url):
                out.append(self.links.request(
                    st, url, kind="page", depth=1, trail=[], in_section=False, referer=response.url, label=label
                ))  # fmt: skip
        return [x for x in out if x is not None]

    def _document_item(self, st: PortalState, doc: dict[str, Any], response: Response) -> list[Any]:
        item = document_item(st, doc, response, self.links.document_maxsize)
        return [self._emit(st, item)] if item is not None else []

    def on_error(self, failure: Any) -> None:
        request: Request | None = getattr(failure, "request", None)
        st = self.states.get(request.meta.get("vigia_portal", "")) if request is not None else None
        if request is not None and st is not None:
            try:
                record_error(st, request, failure.value)
            finally:
                self._done(st, request.meta)

    def on_headers_received(self, headers: Any, body_length: Any, request: Request, **kwargs: Any) -> None:
        kind = request.meta.get("vigia_kind")
        if kind is None or not isinstance(body_length, int):  # chunked: Scrapy's streaming cap applies
            return
        cap = self.links.document_maxsize if kind == "document" else self.links.page_maxsize
        if body_length > cap:
            raise StopDownload(fail=False)

    # ------------------------------------------------------------------ pending work and finishing
    def _emit(self, st: PortalState, item: Any) -> Any:
        st.pending += 1
        return item

    def _incident(self, st: PortalState, kind: str, url: str, exc: Exception) -> IncidentItem:
        return self._emit(st, IncidentItem(st.key, kind, url, f"{type(exc).__name__}: {exc}"[:500]))

    def on_item_done(self, item: Any, **kwargs: Any) -> None:
        if (
            isinstance(item, PageItem | DocumentItem | IncidentItem)
            and (st := self.states.get(item.portal)) is not None
        ):
            self._done(st)

    def _crawl(self, requests: list[Request]) -> int:
        engine = self._engine()
        for req in requests if engine is not None else []:
            engine.crawl(req)
        return len(requests)

    def _done(self, st: PortalState, meta: dict[str, Any] | None = None) -> None:
        st.pending -= 1
        self.last_activity = time.monotonic()
        if meta is not None and meta.get("vigia_offhost"):
            st.pending_offhost -= 1
        engine = self._engine()
        if (
            0 < st.pending <= st.pending_offhost
            and not (st.released or st.finished or st.deferred)
            and engine
        ):
            # only documents on other hosts (often one host shared by many portals) are left: let the next
            # portal in now, so its pages are crawled while the shared host works through its queue
            st.released = True
            self.window.leave_browser(st)
            self._crawl(self._open_next_portal())
        if st.pending <= 0 and not st.finished:
            if st.deferred and engine is not None and self._crawl(self.links.deferred_requests(st)):
                return
            self._finish(st)

    def _finish(self, st: PortalState, open_next: bool = True) -> None:
        """The portal is done: its evidence goes to the store pipeline (directly once the engine is closing,
        or outside a crawl), and the next portal comes in."""
        st.finished = True
        self.window.leave_browser(st)
        engine = self._engine()
        if engine is not None and not self.closing:
            compat.send_item(self.crawler, PortalItem(st.key, st))
        else:
            store_portal(self, st)
        if open_next and not st.released and engine is not None:
            self._crawl(self._open_next_portal())

    def _engine(self) -> Any:
        """The running engine, or ``None`` outside a crawl (callback tests)."""
        try:
            return self.crawler.engine if getattr(self, "crawler", None) is not None else None
        except RuntimeError:
            return None

    def on_idle(self, spider: Any = None) -> None:
        if self.window.queue and self._engine() is not None and self._crawl(self._open_next_portal()):
            raise DontCloseSpider
        unfinished = [st for st in self.states.values() if not st.finished]
        for st in unfinished:
            st.notes.append(f"cerrado al quedar inactivo con {st.pending} solicitudes pendientes")
            self._finish(st)
        if unfinished and not self.closing:
            raise DontCloseSpider  # their evidence is on its way through the store pipeline

    def on_closed(self, spider: Any = None, reason: str = "") -> None:
        self.closing = True
        stats = getattr(getattr(self, "crawler", None), "stats", None)
        if stats is not None:
            stats.set_value("vigia/pages_parsed", self.parsed_pages.parsed)
            stats.set_value("vigia/pages_parse_reused", self.parsed_pages.reused)
        if reason == "finished":
            self.on_idle()
