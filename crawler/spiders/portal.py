"""The portal spider: one spider crawls many portals at once, each with its own state and platform
strategy (see :mod:`crawler.spiders.platforms`). It collects evidence and never judges compliance.

Every request carries its portal's key; each request ends in exactly one callback or errback, so a
portal is finished (and written to the store in one transaction) as soon as its last request ends.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, StopDownload
from scrapy.http import Response, TextResponse
from sqlalchemy import func, select

from crawler import middlewares
from crawler.cache import put_blob
from crawler.dates import extract_periods
from crawler.documents import (
    Extraction,
    doc_type_from_content_type,
    doc_type_from_url,
    extract,
    is_document_host,
    is_social_host,
)
from crawler.htmlparse import Link, detect_platform, looks_script_only, parse_html
from crawler.middlewares import OutOfScope, netloc_of
from crawler.safety import AddressRefused
from crawler.spiders.platforms import strategy_for
from crawler.state import FAILURE_KINDS, PortalState, canonical_url, url_shape, utcnow
from crawler.writer import write_portal
from vigia.spanish import fold
from vigia.store.models import Document, PortalCrawl

log = logging.getLogger(__name__)

HANDLED_STATUSES = [400, 401, 403, 404, 405, 406, 410, 429, 451, 500, 501, 502, 503, 504, 520, 522, 524]
PAGE_TEXT_LIMIT = 50_000
MAX_MENTIONS = 50
#: after the stall watchdog closed every portal, seconds before a process that cannot close is stopped
STOP_GRACE_SECONDS = 30.0
MAX_TRAP_INCIDENTS = 5
HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "")

PRIORITY_HOME = 0
PRIORITY_DISCOVERY = 2
PRIORITY_DOCUMENT = 6
PRIORITY_SECTION = 10


def portal_hosts(url: str) -> set[str]:
    """The netlocs a portal's URL stands for (``www.`` and bare host are the same portal)."""
    netloc = netloc_of(url)
    hosts = {netloc}
    host, _, port = netloc.partition(":")
    suffix = f":{port}" if port else ""
    if host.startswith("www."):
        hosts.add(host[4:] + suffix)
    elif host and not host.replace(".", "").isdigit() and host.count(".") >= 1:
        hosts.add("www." + host + suffix)
    return hosts


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
        self.portals_spec = portals or []
        self.run_id = run_id
        self.store = store
        self.progress = progress
        self.states: dict[str, PortalState] = {}
        self.wire_requests = 0
        self.wire_bytes = 0
        self.pages_total = 0
        self.finished_total = 0
        self.extraction_cache: dict[str, Extraction] = {}
        self.known_documents: dict[str, int] | None = None
        self.allow_private = False
        self.retry_backoff = 0.5
        self.active_portals = 50
        #: at most this many portals that need the browser are open at once (within ``active_portals``)
        self.active_browser_portals = 12
        self.browser_open = 0
        #: document hosts whose download slots follow the run's leases (crawler/leases.py)
        self.host_leases = False
        self.shared_hosts: set[str] = set()
        self.robots_timeout = 10.0
        self.stall_seconds = 300.0
        self.last_activity = time.monotonic()
        self._watchdog: Any = None
        self.robots_retries = 1
        self.blobs_written: set[str] = set()
        self.queue: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.allow_private = s.getbool("VIGIA_ALLOW_PRIVATE", False)
        spider.retry_backoff = s.getfloat("VIGIA_RETRY_BACKOFF", 0.5)
        spider.page_budget = s.getint("VIGIA_PAGE_BUDGET", 400)
        spider.document_budget = s.getint("VIGIA_DOCUMENT_BUDGET", 3000)
        spider.discovery_depth = s.getint("VIGIA_DISCOVERY_DEPTH", 3)
        spider.discovery_budget = s.getint("VIGIA_DISCOVERY_BUDGET", 60)
        spider.section_depth = s.getint("VIGIA_SECTION_DEPTH", 8)
        spider.document_maxsize = s.getint("VIGIA_DOCUMENT_MAXSIZE", 25 * 1024 * 1024)
        spider.page_maxsize = s.getint("VIGIA_PAGE_MAXSIZE", 5 * 1024 * 1024)
        spider.browser_enabled = s.getbool("VIGIA_BROWSER_ENABLED", True)
        spider.active_portals = s.getint("VIGIA_ACTIVE_PORTALS", 50)
        spider.active_browser_portals = s.getint("VIGIA_ACTIVE_BROWSER_PORTALS", 12)
        leases = s.getdict("VIGIA_HOST_LEASES")
        spider.host_leases = bool(leases) and int(leases.get("processes", 1)) > 1
        spider.robots_timeout = s.getfloat("VIGIA_ROBOTS_TIMEOUT", 10.0)
        spider.stall_seconds = s.getfloat("VIGIA_PORTAL_STALL_SECONDS", 300.0)
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        spider.robots_retries = s.getint("VIGIA_ROBOTS_RETRIES", 1)
        middlewares.BROWSER_ALLOW_PRIVATE[0] = spider.allow_private
        crawler.signals.connect(spider.on_headers_received, signal=signals.headers_received)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    # ------------------------------------------------------------------ set-up
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
        self.queue = list(self.portals_spec)
        self.queue.reverse()
        for _ in range(max(1, self.active_portals)):
            for req in self._open_next_portal():
                yield req

    def _uses_browser(self, spec: dict[str, Any], strategy: Any = None) -> bool:
        """Whether the portal is read through the browser from its first page (declared so); ``strategy``
        when the portal's strategy is already known."""
        render = spec.get("render") or "auto"
        if not self.browser_enabled or render == "static":
            return False
        if render == "browser":
            return True
        if strategy is None:
            strategy = strategy_for(
                spec.get("platform") or "unknown", spec.get("municipality", {}).get("ine_code")
            )
        return bool(strategy.browser)

    def _next_spec(self) -> dict[str, Any]:
        """The next portal in the queue's order; while ``active_browser_portals`` browser portals are open,
        the next one that does not need the browser (if any is left). Browser portals wait for one of a
        few browser pages: a window full of them would leave the process idle."""
        if self.browser_open >= self.active_browser_portals:
            for i in range(len(self.queue) - 1, -1, -1):
                if not self._uses_browser(self.queue[i]):
                    return self.queue.pop(i)
        return self.queue.pop()

    def _open_next_portal(self) -> list[Request]:
        while self.queue:
            spec = self._next_spec()
            st = self._make_state(spec)
            self.states[st.key] = st
            if st.use_browser:
                st.holds_browser_place = True
                self.browser_open += 1
            out = []
            req = self._request(st, st.start_url, kind="home", depth=0, trail=[], in_section=False)
            if req is not None:
                out.append(req)
            for alt in spec.get("alt_urls") or []:
                req = self._request(
                    st, alt, kind="page", depth=1, trail=["URL alternativa"], in_section=False
                )
                if req is not None:
                    out.append(req)
            if out:
                return out
            self._finish(st, open_next=False)
        return []

    def state_for_request(self, request: Request) -> PortalState | None:
        key = request.meta.get("vigia_portal")
        if key is not None:
            return self.states.get(key)
        netloc = netloc_of(request.url)  # robots.txt requests carry no meta: find the portal by host
        for st in self.states.values():
            if netloc in st.page_hosts and not st.finished:
                return st
        return None

    # ------------------------------------------------------------------ requests
    def _request(
        self,
        st: PortalState,
        url: str,
        *,
        kind: str,
        depth: int,
        trail: list[str],
        in_section: bool,
        sec_depth: int = 0,
        section_root: bool = False,
        referer: str | None = None,
        label: str = "",
        doc_url: str | None = None,
    ) -> Request | None:
        url, had_session = canonical_url(url)
        if had_session and st.trap_incidents < MAX_TRAP_INCIDENTS:
            st.trap_incidents += 1
            st.incident("trap_cut", url, "se quitó un identificador de sesión de la URL")
        if url in st.seen:
            return None
        if kind != "home" and st.strategy.is_noise(url):
            return None
        if kind != "document":
            reason = st.trap_reason(url) if kind != "home" else None
            if reason:
                st.seen.add(url)
                st.trap_cuts += 1
                if st.trap_incidents < MAX_TRAP_INCIDENTS:
                    st.trap_incidents += 1
                    st.incident("trap_cut", url, f"trampa para rastreadores evitada: {reason}")
                return None
            if st.page_requests >= self.page_budget:
                if not st.budget_hit:
                    st.budget_hit = True
                    st.incident(
                        "page_budget", url, f"límite de {self.page_budget} páginas por portal alcanzado"
                    )
                return None
            st.page_requests += 1
            if not in_section and kind != "home":
                st.discovery_requests += 1
        else:
            st.document_requests += 1
        st.seen.add(url)
        meta: dict[str, Any] = {
            "vigia_portal": st.key,
            "vigia_kind": kind,
            "vigia_depth": depth,
            "vigia_trail": trail,
            "vigia_in_section": in_section,
            "vigia_sec_depth": sec_depth,
            "vigia_section_root": section_root,
            "vigia_referer": referer,
            "vigia_label": label,
            "vigia_doc": doc_url,
            "handle_httpstatus_list": HANDLED_STATUSES,
            "download_maxsize": self.document_maxsize if kind == "document" else self.page_maxsize,
            "depth": depth,
        }
        # the home page is always fetched statically first (robots, login walls, redirects and network
        # errors are classified the same way for every portal); it is re-rendered when the portal needs it
        if kind not in ("document", "home") and st.use_browser:
            self._browser_meta(meta)
        if kind == "document":
            priority = PRIORITY_DOCUMENT
        elif kind == "home":
            priority = PRIORITY_HOME
        elif in_section:
            priority = PRIORITY_SECTION + min(depth, 10)
        else:
            priority = PRIORITY_DISCOVERY
        st.pending += 1
        netloc = netloc_of(url)
        # the download slot (one per host and port) from the start: the scheduler ranks hosts by it
        meta["download_slot"] = netloc
        if kind == "document" and netloc not in st.page_hosts:
            meta["vigia_offhost"] = True
            st.pending_offhost += 1
        callback = self.parse_document if kind == "document" else self.parse_page
        return Request(
            url, callback=callback, errback=self.on_error, meta=meta, priority=priority, dont_filter=True
        )

    @staticmethod
    def _browser_meta(meta: dict[str, Any]) -> None:
        from crawler.handlers import settle_page_methods

        meta["playwright"] = True
        meta["dont_cache"] = True
        # after the load event, until no fetch/XHR is in flight and the DOM has not changed for 150 ms
        # (crawler/handlers.py): Playwright's "networkidle" costs 500 ms of silence on every page
        meta["playwright_page_init_callback"] = "crawler.handlers.install_settle_probe"
        meta["playwright_page_methods"] = settle_page_methods()

    # ------------------------------------------------------------------ callbacks
    def parse_page(self, response: Response) -> list[Request]:
        st = self.states[response.meta["vigia_portal"]]
        try:
            return self._parse_page(st, response)
        except Exception as exc:  # noqa: BLE001 - a hostile page must never stop the run
            log.exception("error al procesar %s", response.url)
            st.incident("parse_error", response.url, f"{type(exc).__name__}: {exc}"[:500])
            return []
        finally:
            self._done(st)

    def parse_document(self, response: Response) -> None:
        st = self.states[response.meta["vigia_portal"]]
        try:
            doc = st.documents.get(response.meta.get("vigia_doc") or "")
            if doc is not None:
                self._fill_document(st, doc, response)
        except Exception as exc:  # noqa: BLE001
            log.exception("error al procesar el documento %s", response.url)
            st.incident("parse_error", response.url, f"{type(exc).__name__}: {exc}"[:500])
        finally:
            self._done(st, response.meta)

    def _status_problem(self, st: PortalState, response: Response, kind: str, root: bool) -> bool:
        status = response.status
        url = response.meta.get("redirect_urls", [response.url])[0]
        if status < 400:
            return False
        if status in (401, 403):
            captcha = False
            if isinstance(response, TextResponse) and kind != "document":
                captcha = parse_html(response.text, response.url).has_captcha
            if captcha:
                self._failure(
                    st, kind, root, "captcha", url, f"HTTP {status}: la página pide resolver un captcha"
                )
            else:
                self._failure(st, kind, root, "login_wall", url, f"HTTP {status}: acceso restringido")
        elif status >= 500 or status == 429:
            self._failure(st, kind, root, "http_5xx", url, f"HTTP {status} tras reintentos")
        else:
            self._failure(st, kind, root, "http_404", url, f"HTTP {status}")
        return True

    def _failure(self, st: PortalState, kind: str, root: bool, incident: str, url: str, message: str) -> None:
        st.incident(incident, url, message)
        if kind == "home":
            if st.home_failure is None and not st.home_ok:
                st.home_failure = (incident, message)
            return
        if root and incident in ("login_wall", "captcha", "robots_disallowed"):
            if st.section_failure is None:
                st.section_failure = (incident, message)
            return
        if incident in FAILURE_KINDS:
            st.failures += 1

    def _parse_page(self, st: PortalState, response: Response) -> list[Request]:
        meta = response.meta
        kind = meta["vigia_kind"]
        root = bool(meta.get("vigia_section_root"))
        asked = meta.get("redirect_urls", [response.url])[0]
        asked = canonical_url(asked)[0]
        final = canonical_url(response.url)[0]
        st.seen.add(final)
        if "download_stopped" in response.flags:
            st.incident("size_cap", asked, f"página mayor que {self.page_maxsize} bytes: no se procesó")
            if kind == "home":
                st.home_failure = ("size_cap", "la página de inicio excede el tamaño máximo")
            return []
        if self._status_problem(st, response, kind, root):
            return []
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if "json" in ctype and "/wp-json/" in response.url:
            return self._wordpress_api(st, response)
        is_html = isinstance(response, TextResponse) and (
            ctype.split(";")[0].strip() in HTML_TYPES or "html" in ctype
        )
        if not is_html:
            dtype = doc_type_from_content_type(ctype) or doc_type_from_url(response.url)
            if kind == "home" and dtype is None:
                st.home_failure = ("parse_error", f"la página de inicio no es HTML ({ctype or 'sin tipo'})")
                st.incident("parse_error", asked, "la página de inicio no es HTML")
                return []
            doc = self._new_document(
                st,
                asked,
                label=meta.get("vigia_label") or "",
                page_url=meta.get("vigia_referer"),
                trail=list(meta.get("vigia_trail") or [])[:-1],
                in_section=bool(meta.get("vigia_in_section")),
                fetch=False,
                dtype=dtype,
            )
            if doc is not None:
                self._fill_document(st, doc, response)
            return []
        parsed = parse_html(response.text, response.url)
        rendered = bool(meta.get("playwright"))
        if kind == "home":
            if netloc_of(asked) != netloc_of(final) and not rendered:
                st.home_redirects.append(
                    {"from": asked, "to": final, "statuses": list(meta.get("redirect_reasons") or [])}
                )
            st.platform_observed = "javascript" if rendered else detect_platform(response.url, parsed, "")
            if st.platform_declared == "unknown" and st.platform_observed != "unknown":
                st.strategy = strategy_for(st.platform_observed, st.municipality.get("ine_code"))
        if (
            not rendered
            and self.browser_enabled
            and st.render != "static"
            and (looks_script_only(parsed) or (st.use_browser))
        ):
            st.use_browser = True
            req = self._rerender(st, response)
            if req is not None:
                return [req]
        blocked = None
        if parsed.has_captcha and len(parsed.links) < 15:
            blocked = ("captcha", "la página pide resolver un captcha")
        elif parsed.has_password and (len(parsed.links) < 15 or len(parsed.text) < 1500):
            blocked = ("login_wall", "la página pide usuario y contraseña")
        if blocked is not None:
            self._failure(st, kind, root, blocked[0], asked, blocked[1])
            return []
        if rendered:
            st.rendered_with_browser = True
        body = response.body
        sha = put_blob(self.store.blobs, body, self.blobs_written) if self.store is not None else None
        if sha:
            st.blobs[sha] = (len(body), ctype or None)
        trail = list(meta.get("vigia_trail") or [])
        depth = int(meta.get("vigia_depth") or 0)
        in_section = bool(meta.get("vigia_in_section"))
        sec_depth = int(meta.get("vigia_sec_depth") or 0)
        if kind == "home":
            st.home_ok = True
            st.home_failure = None
            st.home_sha256 = sha
            if st.strategy.home_is_section(parsed.links):
                in_section = True
                st.section_roots.add(urlsplit(final).path.rsplit("/", 1)[0] + "/")
        if in_section and st.transparency_url is None:
            st.transparency_url = final
        if root:
            path = urlsplit(final).path
            st.section_roots.add(path if path.endswith("/") else path.rsplit(".", 1)[0])
        st.pages[asked] = {
            "url": asked,
            "final_url": response.url,
            "status": response.status,
            "fetched_at": utcnow(),
            "sha256": sha,
            "content_type": ctype[:128] or None,
            "size": len(body),
            "title": parsed.title or None,
            "depth": depth,
            "referer": meta.get("vigia_referer"),
            "trail": trail,
            "blocks": parsed.blocks,
            "text": parsed.text[:PAGE_TEXT_LIMIT],
            "rendered": rendered,
            "from_cache": "cached" in response.flags,
            "last_modified": _header(response, b"Last-Modified"),
        }
        if "cached" in response.flags:
            st.from_cache += 1
        self.pages_total += 1
        requests = self._follow(st, response.url, parsed.links, trail, depth, in_section, sec_depth, kind)
        if kind == "home":
            for url, label in st.strategy.entry_points(response.url):
                req = self._request(
                    st,
                    url,
                    kind="page",
                    depth=1,
                    trail=[],
                    in_section=False,
                    referer=response.url,
                    label=label,
                )
                if req is not None:
                    requests.append(req)
        return requests

    def _rerender(self, st: PortalState, response: Response) -> Request | None:
        meta = dict(response.meta)
        for key in (
            "redirect_urls",
            "redirect_times",
            "redirect_ttl",
            "redirect_reasons",
            "download_slot",
            "download_latency",
            "retry_times",
        ):
            meta.pop(key, None)  # the browser's request is a new request (Scrapy's MetaCopyDetection)
        self._browser_meta(meta)
        st.pending += 1
        url = meta.get("redirect_urls", [response.request.url])[0] if response.request else response.url
        meta["download_slot"] = netloc_of(url)
        return Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            meta=meta,
            priority=response.request.priority if response.request else 0,
            dont_filter=True,
        )

    def _follow(
        self,
        st: PortalState,
        page_url: str,
        links: list[Link],
        trail: list[str],
        depth: int,
        in_section: bool,
        sec_depth: int,
        kind: str,
    ) -> list[Request]:
        strategy = st.strategy
        entries: set[int] = set()
        if not in_section:
            entries = {i for i, link in enumerate(links) if strategy.is_section_entry(link)}
        out: list[Request] = []
        folded_trail = {fold(t) for t in trail}
        for i, link in enumerate(links):
            netloc = netloc_of(link.url)
            host = netloc.split(":", 1)[0]
            extra = []
            for h in link.headings:
                fh = fold(h)
                if fh not in folded_trail and (not extra or fold(extra[-1]) != fh):
                    extra.append(h)
            context = trail + extra
            dtype = doc_type_from_url(link.url)
            if netloc in st.page_hosts:
                if dtype:
                    req = self._document_link(st, link, page_url, context, in_section, dtype, fetch=True)
                    if req is not None:
                        out.append(req)
                    continue
                child_trail = context + [link.label] if link.label else context
                if in_section:
                    if sec_depth + 1 <= self.section_depth and strategy.follow_in_section(
                        link, st.section_roots
                    ):
                        req = self._request(
                            st,
                            link.url,
                            kind="page",
                            depth=depth + 1,
                            trail=child_trail,
                            in_section=True,
                            sec_depth=sec_depth + 1,
                            referer=page_url,
                            label=link.label,
                        )
                        if req is not None:
                            out.append(req)
                elif i in entries:
                    req = self._request(
                        st,
                        link.url,
                        kind="page",
                        depth=depth + 1,
                        trail=child_trail,
                        in_section=True,
                        section_root=True,
                        referer=page_url,
                        label=link.label,
                    )
                    if req is not None:
                        out.append(req)
                elif self._declined_trap(st, link.url):
                    continue
                elif (
                    not entries
                    and depth < self.discovery_depth
                    and st.discovery_requests < self.discovery_budget
                ):
                    req = self._request(
                        st,
                        link.url,
                        kind="page",
                        depth=depth + 1,
                        trail=child_trail,
                        in_section=False,
                        referer=page_url,
                        label=link.label,
                    )
                    if req is not None:
                        out.append(req)
            elif st.in_scope(netloc, document=True):
                req = self._document_link(st, link, page_url, context, in_section, dtype, fetch=True)
                if req is not None:
                    out.append(req)
            elif not is_social_host(host) and (dtype or is_document_host(host) or in_section):
                self._document_link(st, link, page_url, context, in_section, dtype, fetch=False)
        return out

    def _declined_trap(self, st: PortalState, url: str) -> bool:
        """A calendar or session-id link outside the section: not followed, and noted as a trap cut."""
        _, had_session = canonical_url(url)
        _, calendar, page_number = url_shape(url)
        if not (had_session or calendar):
            return False
        if st.trap_incidents < MAX_TRAP_INCIDENTS:
            st.trap_incidents += 1
            what = "identificador de sesión" if had_session else "calendario"
            st.incident("trap_cut", url, f"enlace con {what} (posible trampa) no seguido")
        st.trap_cuts += 1
        return True

    def _document_link(
        self,
        st: PortalState,
        link: Link,
        page_url: str,
        trail: list[str],
        in_section: bool,
        dtype: str | None,
        fetch: bool,
    ) -> Request | None:
        url = canonical_url(link.url)[0]
        doc = self._new_document(
            st,
            url,
            label=link.label,
            page_url=page_url,
            trail=trail,
            in_section=in_section,
            fetch=fetch,
            dtype=dtype,
        )
        if doc is None or not fetch or url in st.seen:
            return None
        return self._request(
            st,
            url,
            kind="document",
            depth=0,
            trail=trail,
            in_section=in_section,
            referer=page_url,
            label=link.label,
            doc_url=url,
        )

    def _new_document(
        self,
        st: PortalState,
        url: str,
        *,
        label: str,
        page_url: str | None,
        trail: list[str],
        in_section: bool,
        fetch: bool,
        dtype: str | None,
    ) -> dict[str, Any] | None:
        """Record a document link; a repeated link becomes a mention (an in-section one takes the lead)."""
        doc = st.documents.get(url)
        mention = {"page_url": page_url, "label": label, "trail": trail}
        if doc is not None:
            if in_section and not doc["_in_section"]:
                old = {"page_url": doc["page_url"], "label": doc["label"], "trail": doc["trail"]}
                doc.update(page_url=page_url, label=label, trail=trail, _in_section=True)
                mention = old
            if len(doc["mentions"]) < MAX_MENTIONS and mention["page_url"] != doc["page_url"]:
                doc["mentions"].append(mention)
            return None
        if len(st.documents) >= self.document_budget:
            if not st.budget_hit:
                st.budget_hit = True
                st.incident("page_budget", url, f"límite de {self.document_budget} documentos por portal")
            return None
        netloc = netloc_of(url)
        doc = {
            "url": url,
            "final_url": None,
            "label": label,
            "page_url": page_url,
            "trail": trail,
            "mentions": [],
            "host": netloc,
            "external": netloc not in st.page_hosts,
            "doc_type": dtype or "other",
            "fetched": False,
            "dates": [],
            "_in_section": in_section,
        }
        st.documents[url] = doc
        return doc

    def _fill_document(self, st: PortalState, doc: dict[str, Any], response: Response) -> None:
        status = response.status
        doc["status"] = status
        doc["final_url"] = response.url
        doc["fetched_at"] = utcnow()
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        doc["content_type"] = ctype[:128] or None
        doc["last_modified"] = _header(response, b"Last-Modified")
        if status >= 400:
            doc["error"] = f"HTTP {status}"
            if status == 404 or status == 410:
                st.incident("http_404", doc["url"], f"documento no encontrado (HTTP {status})")
            elif status >= 500 or status == 429:
                st.incident("http_5xx", doc["url"], f"HTTP {status} tras reintentos")
                st.failures += 1
            else:
                st.incident(
                    "login_wall" if status in (401, 403) else "http_404", doc["url"], f"HTTP {status}"
                )
            return
        declared = _content_length(response)
        if "download_stopped" in response.flags:
            doc["size"] = declared
            doc["fetched"] = False
            doc["error"] = "size_cap"
            st.incident(
                "size_cap",
                doc["url"],
                f"documento de {declared or '?'} bytes, mayor que el máximo de {self.document_maxsize}: "
                "solo metadatos",
            )
            return
        body = response.body
        doc["fetched"] = True
        doc["size"] = len(body)
        if doc["doc_type"] == "other":
            doc["doc_type"] = doc_type_from_content_type(ctype) or "other"
        sha = put_blob(self.store.blobs, body, self.blobs_written) if self.store is not None else None
        doc["sha256"] = sha
        if sha:
            st.blobs[sha] = (len(body), ctype or None)
        extraction = self._known_extraction(sha, st) if sha else None
        if "html" in ctype.lower() and doc["doc_type"] not in ("other", "image"):
            doc["error"] = f"se esperaba {doc['doc_type']} y llegó HTML"
        elif extraction is None and "html" in ctype.lower() and isinstance(response, TextResponse):
            # a landing page on a document host (e.g. a procurement record with its NOG): keep its text
            text = parse_html(response.text, response.url).text[:PAGE_TEXT_LIMIT]
            extraction = Extraction(text=text or None, dates=extract_periods(text) if text else [])
        if extraction is None:
            extraction = extract(doc["doc_type"], body)
            if sha:
                self.extraction_cache[sha] = extraction
        if extraction.error:
            doc["error"] = extraction.error
            st.incident("parse_error", doc["url"], f"no se pudo leer el documento: {extraction.error}")
        doc["text"] = extraction.text
        doc["dates"] = extraction.dates
        doc["page_count"] = extraction.page_count
        doc["is_scanned"] = extraction.is_scanned

    def _known_extraction(self, sha: str, st: PortalState | None = None) -> Extraction | None:
        """Unchanged documents are not parsed again: reuse the extraction already in the store.

        The portal's previous crawl is read in one query the first time one of its documents needs it
        (most unchanged documents of a night are that portal's own); other digests cost a query each."""
        if sha in self.extraction_cache:
            return self.extraction_cache[sha]
        if self.store is None:
            return None
        if st is not None:
            if st.previous_extractions is None:
                st.previous_extractions = self._load_previous_extractions(st.key)
            ex = st.previous_extractions.get(sha)
            if ex is not None:
                self.extraction_cache[sha] = ex
                return ex
        if self.known_documents is None:
            self.known_documents = self._load_known_documents()
        doc_id = self.known_documents.get(sha)
        if doc_id is None:
            return None
        with self.store.session() as s:
            row = s.execute(select(*_EXTRACTION_COLUMNS).where(Document.id == doc_id)).first()
        if row is None:
            return None
        ex = _extraction_from_row(row)
        self.extraction_cache[sha] = ex
        return ex

    def _load_previous_extractions(self, portal_key: str) -> dict[str, Extraction]:
        """sha256 → extraction of the documents fetched by the newest earlier crawl of this portal."""
        assert self.store is not None
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

    def _load_known_documents(self) -> dict[str, int]:
        """sha256 → id of a document already fetched and extracted (one query per run: documents.sha256
        has no index, so a query per document would scan the table every time)."""
        assert self.store is not None
        with self.store.session() as s:
            rows = s.execute(
                select(Document.sha256, Document.id).where(
                    Document.fetched.is_(True), Document.sha256.is_not(None)
                )
            ).all()
        return {sha: doc_id for sha, doc_id in rows}

    def _engine(self) -> Any:
        """The running engine, or ``None`` outside a crawl (callback tests)."""
        crawler = getattr(self, "crawler", None)
        try:
            return crawler.engine if crawler is not None else None
        except RuntimeError:
            return None

    def _wordpress_api(self, st: PortalState, response: Response) -> list[Request]:
        try:
            items = json.loads(response.text)
        except (ValueError, AttributeError):
            return []
        out: list[Request] = []
        if not isinstance(items, list):
            return out
        for item in items:
            if not isinstance(item, dict):
                continue
            link = item.get("link")
            title = item.get("title", {})
            title = title.get("rendered", "") if isinstance(title, dict) else str(title)
            if not isinstance(link, str):
                continue
            candidate = Link(url=link, label=str(title)[:300], headings=[])
            if netloc_of(link) in st.page_hosts and st.strategy.is_section_entry(candidate):
                # a fallback: used only for section pages the menus did not lead to (their trail is better)
                st.deferred.append((link, candidate.label, response.url))
        return out

    def _deferred_requests(self, st: PortalState) -> list[Request]:
        out = []
        for url, label, referer in st.deferred:
            req = self._request(
                st,
                url,
                kind="page",
                depth=1,
                trail=[label],
                in_section=True,
                section_root=True,
                referer=referer,
                label=label,
            )
            if req is not None:
                out.append(req)
        st.deferred.clear()
        return out

    # ------------------------------------------------------------------ errors
    def on_error(self, failure: Any) -> None:
        request: Request | None = getattr(failure, "request", None)
        if request is None:
            return
        st = self.states.get(request.meta.get("vigia_portal", ""))
        if st is None:
            return
        try:
            kind = request.meta.get("vigia_kind", "page")
            root = bool(request.meta.get("vigia_section_root"))
            url = request.meta.get("redirect_urls", [request.url])[0]
            incident, message = classify_failure(failure.value)
            if incident == "out_of_scope":
                st.refused_out_of_scope += 1
                if kind == "home":
                    st.home_failure = ("redirect_loop", message)
                    st.incident("redirect_loop", url, f"redirección fuera del portal rechazada: {message}")
                return
            if kind == "document":
                doc = st.documents.get(request.meta.get("vigia_doc") or "")
                if doc is not None:
                    doc["error"] = incident
                if incident in FAILURE_KINDS:
                    st.failures += 1
                st.incident(incident, url, message)
                return
            self._failure(st, kind, root, incident, url, message)
        finally:
            self._done(st, request.meta)

    # ------------------------------------------------------------------ finishing
    def on_headers_received(self, headers: Any, body_length: int, request: Request, **kwargs: Any) -> None:
        kind = request.meta.get("vigia_kind")
        if kind is None:
            return
        cap = self.document_maxsize if kind == "document" else self.page_maxsize
        if body_length and body_length > cap:
            raise StopDownload(fail=False)

    def _done(self, st: PortalState, meta: dict[str, Any] | None = None) -> None:
        st.pending -= 1
        self.last_activity = time.monotonic()
        if meta is not None and meta.get("vigia_offhost"):
            st.pending_offhost -= 1
        if (
            0 < st.pending <= st.pending_offhost
            and not st.released
            and not st.finished
            and not st.deferred
            and self._engine() is not None
        ):
            # only documents on other hosts (often one host shared by many portals) are left: let the next
            # portal in now, so its pages are crawled while the shared host works through its queue
            st.released = True
            self._leave_browser_window(st)
            for req in self._open_next_portal():
                self._engine().crawl(req)
        if st.pending <= 0 and not st.finished:
            if st.deferred and self._engine() is not None:
                requests = self._deferred_requests(st)
                for req in requests:
                    self._engine().crawl(req)
                if requests:
                    return
            self._finish(st)

    def _leave_browser_window(self, st: PortalState) -> None:
        if st.holds_browser_place:
            st.holds_browser_place = False
            self.browser_open -= 1

    def _finish(self, st: PortalState, open_next: bool = True) -> None:
        st.finished = True
        self._leave_browser_window(st)
        outcome, reason = st.outcome()
        pc_id = None
        try:
            if self.store is not None and self.run_id is not None:
                pc_id, outcome = write_portal(self.store, self.run_id, st)
        except Exception as exc:  # noqa: BLE001 - one portal's failure never stops the run
            log.exception("no se pudo guardar el portal %s", st.key)
            outcome, reason = "error", f"{type(exc).__name__}: {exc}"
        self.finished_total += 1
        if self.progress is not None:
            self.progress(
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
        # free the evidence: it is in the store now
        st.pages.clear()
        st.documents.clear()
        st.seen.clear()
        st.previous_extractions = None
        if open_next and not st.released and self._engine() is not None:
            for req in self._open_next_portal():
                self._engine().crawl(req)

    def on_opened(self, spider: Any = None) -> None:
        if self.stall_seconds > 0:
            from twisted.internet import task

            self._watchdog = task.LoopingCall(self.check_stalled)
            self._watchdog.start(min(30.0, self.stall_seconds / 2), now=False)

    def check_stalled(self, now: float | None = None) -> None:
        """When no request of any portal has ended for ``VIGIA_PORTAL_STALL_SECONDS`` (a browser page or a
        connection that never ends despite the time-outs), the open portals are closed with what they have
        and a ``timeout`` incident, so one stuck request cannot hold the night open. A portal that merely
        waits its turn on a busy shared host is not touched: the crawl as a whole is still moving."""
        now = time.monotonic() if now is None else now
        if now - self.last_activity < self.stall_seconds:
            return
        for st in list(self.states.values()):
            if st.finished:
                continue
            st.failures += 1
            st.incident(
                "timeout",
                st.start_url,
                f"el rastreo no avanzó en {self.stall_seconds:.0f} s con {st.pending} solicitudes pendientes "
                "de este portal: se cerró con lo obtenido",
            )
            st.notes.append(f"cerrado por inactividad con {st.pending} solicitudes pendientes")
            self._finish(st, open_next=False)
        engine = self._engine()
        if engine is not None:
            for req in self._open_next_portal():
                engine.crawl(req)
            self.last_activity = now
            if not self.queue and all(st.finished for st in self.states.values()):
                engine.close_spider(self, "finished")
                # closing waits for the downloads in progress: if the stuck one never ends, the process
                # stops anyway (every portal's evidence is already in the store)
                from twisted.internet import reactor

                reactor.callLater(STOP_GRACE_SECONDS, self._force_stop)  # type: ignore[attr-defined]

    def _force_stop(self) -> None:
        from twisted.internet import reactor

        if reactor.running:  # type: ignore[attr-defined]
            log.warning("el cierre del rastreo no terminó en %s s: se detiene el proceso", STOP_GRACE_SECONDS)
            reactor.stop()  # type: ignore[attr-defined]

    def on_idle(self, spider: Any = None) -> None:
        if self.queue and self._engine() is not None:
            requests = self._open_next_portal()
            for req in requests:
                self._engine().crawl(req)
            if requests:
                raise DontCloseSpider
        for st in list(self.states.values()):
            if not st.finished:
                st.notes.append(f"cerrado al quedar inactivo con {st.pending} solicitudes pendientes")
                self._finish(st)

    def on_closed(self, spider: Any = None, reason: str = "") -> None:
        if self._watchdog is not None and self._watchdog.running:
            self._watchdog.stop()
        if reason == "finished":
            self.on_idle()


def classify_failure(exc: BaseException) -> tuple[str, str]:
    """Map a download failure to an incident kind and a one-line message."""
    from scrapy.exceptions import (
        CannotResolveHostError,
        DownloadCancelledError,
        DownloadConnectionRefusedError,
        DownloadTimeoutError,
    )
    from twisted.internet import error as txerror

    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else name
    if isinstance(exc, AddressRefused) or "siempre rechazada" in text or "no permitida sin" in text:
        return "private_address_refused", text
    if isinstance(exc, OutOfScope):
        return "out_of_scope", text
    if isinstance(exc, IgnoreRequest):
        low = text.lower()
        if "robots.txt" in low:
            return "robots_disallowed", "robots.txt lo prohíbe"
        if "redirect" in low:
            return "redirect_loop", "demasiadas redirecciones (bucle)"
        return "parse_error", text
    if isinstance(exc, DownloadTimeoutError | txerror.TimeoutError | TimeoutError | txerror.TCPTimedOutError):
        return "timeout", f"tiempo de espera agotado ({text})"
    if isinstance(
        exc, DownloadConnectionRefusedError | txerror.ConnectionRefusedError | ConnectionRefusedError
    ):
        return "connection_refused", "conexión rechazada"
    if isinstance(exc, CannotResolveHostError | txerror.DNSLookupError):
        return "dns_error", f"no se pudo resolver el dominio ({text})"
    if isinstance(exc, DownloadCancelledError):
        return "size_cap", f"descarga cancelada por tamaño ({text})"
    upper = text.upper()
    if "ERR_CONNECTION_REFUSED" in upper:
        return "connection_refused", "conexión rechazada (navegador)"
    if "ERR_NAME_NOT_RESOLVED" in upper:
        return "dns_error", f"no se pudo resolver el dominio ({text})"
    if "ERR_TOO_MANY_REDIRECTS" in upper:
        return "redirect_loop", "demasiadas redirecciones (bucle)"
    if "timeout" in text.lower() or "timed out" in text.lower():
        return "timeout", f"tiempo de espera agotado ({text})"
    return "connection_refused", f"{name}: {text}"


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1")[:64] if value else None


def _content_length(response: Response) -> int | None:
    value = response.headers.get(b"Content-Length")
    try:
        return int(value) if value else None
    except ValueError:
        return None


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
