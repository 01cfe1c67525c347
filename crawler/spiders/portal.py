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
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, StopDownload
from scrapy.http import Response, TextResponse

from crawler import compat, middlewares
from crawler.documents import doc_type_from_content_type, doc_type_from_url
from crawler.follow import LinkPolicy, browser_meta, portal_hosts
from crawler.htmlparse import detect_platform, looks_script_only, parse_html
from crawler.items import DocumentItem, PageItem, PortalItem
from crawler.middlewares import netloc_of
from crawler.outcomes import classify_failure, document_answer, header, record_failure, status_problem
from crawler.pipelines import store_portal
from crawler.spiders.platforms import strategy_for
from crawler.state import FAILURE_KINDS, PortalState, canonical_url, utcnow

__all__ = ["PortalSpider", "classify_failure", "portal_hosts"]
log = logging.getLogger(__name__)
PAGE_TEXT_LIMIT = 50_000
HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "")
#: the browser's request is a new request (Scrapy's MetaCopyDetection): these keys are not carried over
_FRESH_REQUEST_KEYS = {
    "redirect_urls", "redirect_times", "redirect_ttl", "redirect_reasons", "download_slot", "download_latency",
    "retry_times",
}  # fmt: skip


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
        self.states: dict[str, PortalState] = {}
        self.wire_requests = self.wire_bytes = self.pages_total = self.finished_total = 0
        self.write_failures: list[dict[str, Any]] = []
        self.allow_private, self.retry_backoff, self.host_leases = False, 0.5, False
        self.active_portals, self.active_browser_portals, self.browser_open = 50, 12, 0
        self.shared_hosts: set[str] = set()  # document hosts that follow the run's leases (crawler/leases.py)
        self.robots_timeout, self.robots_retries = 10.0, 1
        self.last_activity = time.monotonic()
        self.queue: list[dict[str, Any]] = []
        self.closing = False
        self.links = LinkPolicy(
            on_page=self.parse_page, on_document=self.parse_document, on_error=self.on_error
        )

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.allow_private = s.getbool("VIGIA_ALLOW_PRIVATE", False)
        spider.retry_backoff = s.getfloat("VIGIA_RETRY_BACKOFF", 0.5)
        spider.links = LinkPolicy.from_settings(
            s, on_page=spider.parse_page, on_document=spider.parse_document, on_error=spider.on_error
        )
        spider.browser_enabled = s.getbool("VIGIA_BROWSER_ENABLED", True)
        spider.active_portals = s.getint("VIGIA_ACTIVE_PORTALS", 50)
        spider.active_browser_portals = s.getint("VIGIA_ACTIVE_BROWSER_PORTALS", 12)
        leases = s.getdict("VIGIA_HOST_LEASES")
        spider.host_leases = bool(leases) and int(leases.get("processes", 1)) > 1
        spider.robots_timeout = s.getfloat("VIGIA_ROBOTS_TIMEOUT", 10.0)
        spider.robots_retries = s.getint("VIGIA_ROBOTS_RETRIES", 1)
        middlewares.BROWSER_ALLOW_PRIVATE[0] = spider.allow_private
        connect = crawler.signals.connect
        connect(spider.on_headers_received, signal=signals.headers_received)
        connect(spider.on_idle, signal=signals.spider_idle)
        connect(spider.on_closed, signal=signals.spider_closed)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            connect(spider.on_item_done, signal=signal)
        return spider

    # ------------------------------------------------------------------ portals in and out
    def _make_state(self, spec: dict[str, Any]) -> PortalState:
        st = PortalState(
            key=spec["key"],
            start_url=spec["start_url"],
            municipality=spec.get("municipality") or {},
            platform_declared=spec.get("platform") or "unknown",
            render=spec.get("render") or "auto",
        )
        st.page_hosts |= portal_hosts(st.start_url)
        for alt in spec.get("alt_urls") or []:
            st.page_hosts |= portal_hosts(alt)
        st.document_hosts = {h.strip().lower() for h in spec.get("document_hosts") or [] if h.strip()}
        st.strategy = strategy_for(st.platform_declared, spec.get("municipality", {}).get("ine_code"))
        st.use_browser = self._uses_browser(spec, st.strategy)
        middlewares.BROWSER_ALLOWED_HOSTS.update(st.page_hosts)
        return st

    async def start(self) -> Any:
        """Open a window of portals; each finished portal lets the next one in (``VIGIA_ACTIVE_PORTALS``),
        so portals finish (and are stored) steadily instead of all at the very end."""
        self.queue = list(reversed(self.portals_spec))
        for _ in range(max(1, self.active_portals)):
            for req in self._open_next_portal():
                yield req

    def _uses_browser(self, spec: dict[str, Any], strategy: Any = None) -> bool:
        """Whether the portal is read through the browser from its first page (declared so)."""
        render = spec.get("render") or "auto"
        if not self.browser_enabled or render == "static":
            return False
        if render == "browser":
            return True
        if strategy is None:
            code = spec.get("municipality", {}).get("ine_code")
            strategy = strategy_for(spec.get("platform") or "unknown", code)
        return bool(strategy.browser)

    def _next_spec(self) -> dict[str, Any]:
        """The next portal; while ``active_browser_portals`` browser portals are open, the next one that
        does not need the browser (browser portals wait for one of a few pages: a window full of them
        would leave the process idle)."""
        if self.browser_open >= self.active_browser_portals:
            for i in range(len(self.queue) - 1, -1, -1):
                if not self._uses_browser(self.queue[i]):
                    return self.queue.pop(i)
        return self.queue.pop()

    def _open_next_portal(self) -> list[Request]:
        while self.queue:
            spec = self._next_spec()
            st = self.states[spec["key"]] = self._make_state(spec)
            if st.use_browser:
                st.holds_browser_place = True
                self.browser_open += 1
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
            st.incident("parse_error", response.url, f"{type(exc).__name__}: {exc}"[:500])
            return []
        finally:
            self._done(st)

    def parse_document(self, response: Response) -> list[Any]:
        st = self.states[response.meta["vigia_portal"]]
        try:
            doc = st.documents.get(response.meta.get("vigia_doc") or "")
            return self._document_item(st, doc, response) if doc is not None else []
        except Exception as exc:  # noqa: BLE001
            log.exception("error al procesar el documento %s", response.url)
            st.incident("parse_error", response.url, f"{type(exc).__name__}: {exc}"[:500])
            return []
        finally:
            self._done(st, response.meta)

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
        if "download_stopped" in response.flags:
            message = f"página mayor que {self.links.page_maxsize} bytes: no se procesó"
            record_failure(st, kind, root, "size_cap", asked, message, in_section or root)
            return []
        if status_problem(st, response, kind, root, in_section):
            return []
        if not final.startswith(("http://", "https://")) or not st.in_scope(netloc_of(final)):
            # a browser error page (chrome-error://) or a page the browser was redirected to off the portal:
            # never evidence of the portal
            message = f"la página terminó en {response.url[:200]}: no se guarda como evidencia"
            record_failure(st, kind, root, "connection_refused", asked, message, in_section)
            return []
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if "json" in ctype and "/wp-json/" in response.url:
            return self.links.wordpress_api(st, response)
        if not (
            isinstance(response, TextResponse)
            and (ctype.split(";")[0].strip() in HTML_TYPES or "html" in ctype)
        ):
            dtype = doc_type_from_content_type(ctype) or doc_type_from_url(response.url)
            if kind == "home" and dtype is None:
                st.home_failure = ("parse_error", f"la página de inicio no es HTML ({ctype or 'sin tipo'})")
                st.incident("parse_error", asked, "la página de inicio no es HTML")
                return []
            trail = list(meta.get("vigia_trail") or [])[:-1]
            doc = self.links.new_document(
                st, asked, label=meta.get("vigia_label") or "", page_url=meta.get("vigia_referer"),
                trail=trail, in_section=in_section, fetch=False, dtype=dtype,
            )  # fmt: skip
            return self._document_item(st, doc, response) if doc is not None else []
        if not response.body.strip():  # an empty answer is no evidence: the crawl is incomplete
            record_failure(
                st, kind, root, "parse_error", asked, "la página llegó vacía (HTTP 200 sin contenido)"
            )
            st.failures += in_section or root
            return []
        parsed = parse_html(response.text, response.url)
        rendered = bool(meta.get("playwright"))
        if kind == "home":
            st.platform_observed = "javascript" if rendered else detect_platform(response.url, parsed, "")
            if st.platform_declared == "unknown" and st.platform_observed != "unknown":
                st.strategy = strategy_for(st.platform_observed, st.municipality.get("ine_code"))
        if (
            not rendered
            and self.browser_enabled
            and st.render != "static"
            and (looks_script_only(parsed) or st.use_browser)
        ):
            st.use_browser = True
            return [self._rerender(st, response)]
        if parsed.has_captcha and len(parsed.links) < 15:
            record_failure(st, kind, root, "captcha", asked, "la página pide resolver un captcha")
            return []
        if parsed.has_password and (len(parsed.links) < 15 or len(parsed.text) < 1500):
            record_failure(st, kind, root, "login_wall", asked, "la página pide usuario y contraseña")
            return []
        if parsed.truncated:
            message = "la página anida más de 255 elementos: el analizador descartó lo que sigue"
            st.incident("parse_error", asked, message)
            st.failures += 1
        st.rendered_with_browser |= rendered
        trail, depth = list(meta.get("vigia_trail") or []), int(meta.get("vigia_depth") or 0)
        if kind == "home":
            st.home_ok, st.home_failure = True, None
            if st.strategy.home_is_section(parsed.links):
                in_section = True
                st.section_roots.add(urlsplit(final).path.rsplit("/", 1)[0] + "/")
        if in_section and st.transparency_url is None:
            st.transparency_url = final
        if root:
            path = urlsplit(final).path
            st.section_roots.add(path if path.endswith("/") else path.rsplit(".", 1)[0])
        st.pages[asked] = {
            "url": asked, "final_url": response.url, "status": response.status, "fetched_at": utcnow(),
            "sha256": None, "content_type": ctype[:128] or None, "size": len(response.body),
            "title": parsed.title or None, "depth": depth, "referer": meta.get("vigia_referer"), "trail": trail,
            "blocks": parsed.blocks, "text": parsed.text[:PAGE_TEXT_LIMIT], "rendered": rendered,
            "from_cache": "cached" in response.flags, "last_modified": header(response, b"Last-Modified"),
        }  # fmt: skip
        st.from_cache += "cached" in response.flags
        self.pages_total += 1
        sec_depth = int(meta.get("vigia_sec_depth") or 0)
        out: list[Any] = [
            self._emit(st, PageItem(st.key, asked, response.body, ctype or None, kind == "home"))
        ]
        out += self.links.follow(st, response.url, parsed.links, trail, depth, in_section, sec_depth, kind)
        if kind == "home":
            for url, label in st.strategy.entry_points(response.url):
                out.append(self.links.request(
                    st, url, kind="page", depth=1, trail=[], in_section=False, referer=response.url, label=label
                ))  # fmt: skip
        return [x for x in out if x is not None]

    def _rerender(self, st: PortalState, response: Response) -> Request:
        meta = {k: v for k, v in response.meta.items() if k not in _FRESH_REQUEST_KEYS}
        browser_meta(meta)
        st.pending += 1
        url = meta.get("redirect_urls", [response.request.url])[0] if response.request else response.url
        meta["download_slot"] = netloc_of(url)
        priority = response.request.priority if response.request else 0
        return Request(
            url, self.parse_page, errback=self.on_error, meta=meta, priority=priority, dont_filter=True
        )

    def _document_item(self, st: PortalState, doc: dict[str, Any], response: Response) -> list[Any]:
        if not document_answer(st, doc, response, self.links.document_maxsize):
            return []
        ctype = (doc.get("content_type") or "").lower()
        if doc["doc_type"] == "other":
            doc["doc_type"] = doc_type_from_content_type(ctype) or "other"
        landing = None
        if "html" in ctype and doc["doc_type"] not in ("other", "image"):
            doc["error"] = f"se esperaba {doc['doc_type']} y llegó HTML"
        elif "html" in ctype and isinstance(response, TextResponse):
            # a landing page on a document host (e.g. a procurement record with its NOG): keep its text
            landing = parse_html(response.text, response.url).text[:PAGE_TEXT_LIMIT]
        return [self._emit(st, DocumentItem(st.key, doc["url"], response.body, ctype, landing))]

    def on_error(self, failure: Any) -> None:
        request: Request | None = getattr(failure, "request", None)
        st = self.states.get(request.meta.get("vigia_portal", "")) if request is not None else None
        if request is None or st is None:
            return
        try:
            kind, root = request.meta.get("vigia_kind", "page"), bool(request.meta.get("vigia_section_root"))
            url = request.meta.get("redirect_urls", [request.url])[0]
            incident, message = classify_failure(failure.value)
            if incident == "out_of_scope":
                st.refused_out_of_scope += 1
                if kind == "home":
                    st.home_failure = ("redirect_loop", message)
                    st.incident("redirect_loop", url, f"redirección fuera del portal rechazada: {message}")
            elif kind == "document":
                doc = st.documents.get(request.meta.get("vigia_doc") or "")
                if doc is not None:
                    doc["error"] = incident
                st.failures += incident in FAILURE_KINDS
                st.incident(incident, url, message)
            else:
                record_failure(
                    st, kind, root, incident, url, message, bool(request.meta.get("vigia_in_section"))
                )
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

    def on_item_done(self, item: Any, **kwargs: Any) -> None:
        if isinstance(item, PageItem | DocumentItem) and (st := self.states.get(item.portal)) is not None:
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
            self._leave_browser_window(st)
            self._crawl(self._open_next_portal())
        if st.pending <= 0 and not st.finished:
            if st.deferred and engine is not None and self._crawl(self.links.deferred_requests(st)):
                return
            self._finish(st)

    def _leave_browser_window(self, st: PortalState) -> None:
        if st.holds_browser_place:
            st.holds_browser_place = False
            self.browser_open -= 1

    def _finish(self, st: PortalState, open_next: bool = True) -> None:
        """The portal is done: its evidence goes to the store pipeline (directly once the engine is closing,
        or outside a crawl), and the next portal comes in."""
        st.finished = True
        self._leave_browser_window(st)
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

    def all_finished(self) -> bool:
        return not self.queue and all(st.finished for st in self.states.values())

    def close_stalled(self, stall_seconds: float) -> None:
        """Called by the stall watchdog (crawler/extensions.py): close the open portals with what they
        have and a ``timeout`` incident, then let the next ones in."""
        for st in [s for s in self.states.values() if not s.finished]:
            st.failures += 1
            st.incident(
                "timeout",
                st.start_url,
                f"el rastreo no avanzó en {stall_seconds:.0f} s con {st.pending} solicitudes pendientes "
                "de este portal: se cerró con lo obtenido",
            )
            st.notes.append(f"cerrado por inactividad con {st.pending} solicitudes pendientes")
            self._finish(st, open_next=False)
        self._crawl(self._open_next_portal())

    def on_idle(self, spider: Any = None) -> None:
        if self.queue and self._engine() is not None and self._crawl(self._open_next_portal()):
            raise DontCloseSpider
        unfinished = [st for st in self.states.values() if not st.finished]
        for st in unfinished:
            st.notes.append(f"cerrado al quedar inactivo con {st.pending} solicitudes pendientes")
            self._finish(st)
        if unfinished and not self.closing:
            raise DontCloseSpider  # their evidence is on its way through the store pipeline

    def on_closed(self, spider: Any = None, reason: str = "") -> None:
        self.closing = True
        if reason == "finished":
            self.on_idle()
