"""The link policy of a portal crawl: which links become requests, with what priority and metadata.

The decisions come from the portal's state (crawler/state.py: scope, budgets, trap guards, what was seen)
and its platform strategy (crawler/spiders/platforms.py: section entries, noise, what to follow inside the
section); :class:`LinkPolicy` applies them to a page's links and builds the Scrapy requests. It never
fetches, parses or stores anything: the spider (crawler/spiders/portal.py) calls it from its callbacks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from crawler.documents import doc_type_from_content_type, doc_type_from_url, is_document_host, is_social_host
from crawler.htmlparse import Link, ParsedPage, detect_platform
from crawler.middlewares import netloc_of
from crawler.spiders.platforms import strategy_for
from crawler.state import PortalState, canonical_url, url_shape
from vigia.spanish import fold

HANDLED_STATUSES = [400, 401, 403, 404, 405, 406, 410, 429, 451, 500, 501, 502, 503, 504, 520, 522, 524]
MAX_MENTIONS = 50
MAX_TRAP_INCIDENTS = 5

#: the browser's request is a new request (Scrapy's MetaCopyDetection): these keys are not carried over
FRESH_REQUEST_KEYS = {
    "redirect_urls",
    "redirect_times",
    "redirect_ttl",
    "redirect_reasons",
    "download_slot",
    "download_latency",
    "retry_times",
}

#: what the scheduler gives first among hosts with room (crawler/pqueues.py): a document on another host
#: than the portal's pages first (a file host many portals share is the night's bottleneck under its
#: per-host ceiling: it is kept busy from the start, and takes only its ceiling's places), then a home
#: page (the window of open portals already decides when a portal starts: once admitted, its first
#: request should not wait behind the open portals' work), the transparency section, documents on the
#: portal's own host, discovery pages
PRIORITY_OFFHOST_DOCUMENT = 30
PRIORITY_HOME = 20
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


def observe_home(
    st: PortalState, response: Response, asked: str, final: str, parsed: ParsedPage, rendered: bool
) -> None:
    """What the home page says about the portal: a redirect to another host (with its statuses, for the
    registry's update proposals) and the platform, which picks the strategy when the registry does not."""
    if netloc_of(asked) != netloc_of(final) and not rendered:
        statuses = list(response.meta.get("redirect_reasons") or [])
        st.home_redirects.append({"from": asked, "to": final, "statuses": statuses})
    st.platform_observed = "javascript" if rendered else detect_platform(response.url, parsed, "")
    if st.platform_declared == "unknown" and st.platform_observed != "unknown":
        st.strategy = strategy_for(st.platform_observed, st.municipality.get("ine_code"))


def browser_meta(meta: dict[str, Any]) -> None:
    from crawler.handlers import settle_page_methods

    meta["playwright"] = True
    meta["dont_cache"] = True
    # after the load event, until no fetch/XHR is in flight and the DOM has not changed for 150 ms
    # (crawler/handlers.py): Playwright's "networkidle" costs 500 ms of silence on every page
    meta["vigia_init_scripts"] = ("settle",)
    meta["playwright_page_methods"] = settle_page_methods()


@dataclass
class LinkPolicy:
    """Budgets and depths (``VIGIA_*`` settings) and the spider's callbacks for the requests it builds."""

    on_page: Callable[..., Any]
    on_document: Callable[..., Any]
    on_error: Callable[..., Any]
    page_budget: int = 400
    document_budget: int = 3000
    discovery_depth: int = 3
    discovery_budget: int = 60
    section_depth: int = 8
    document_maxsize: int = 25 * 1024 * 1024
    page_maxsize: int = 5 * 1024 * 1024

    @classmethod
    def from_settings(cls, s: Any, *callbacks: Any) -> LinkPolicy:
        return cls(
            *callbacks,
            page_budget=s.getint("VIGIA_PAGE_BUDGET", 400),
            document_budget=s.getint("VIGIA_DOCUMENT_BUDGET", 3000),
            discovery_depth=s.getint("VIGIA_DISCOVERY_DEPTH", 3),
            discovery_budget=s.getint("VIGIA_DISCOVERY_BUDGET", 60),
            section_depth=s.getint("VIGIA_SECTION_DEPTH", 8),
            document_maxsize=s.getint("VIGIA_DOCUMENT_MAXSIZE", 25 * 1024 * 1024),
            page_maxsize=s.getint("VIGIA_PAGE_MAXSIZE", 5 * 1024 * 1024),
        )

    def request(
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
            browser_meta(meta)
        netloc = netloc_of(url)
        if kind == "document":
            priority = PRIORITY_DOCUMENT if netloc in st.page_hosts else PRIORITY_OFFHOST_DOCUMENT
        elif kind == "home":
            priority = PRIORITY_HOME
        elif in_section:
            priority = PRIORITY_SECTION + min(depth, 10)
        else:
            priority = PRIORITY_DISCOVERY
        st.pending += 1
        # the download slot (one per host and port) from the start: the scheduler ranks hosts by it
        meta["download_slot"] = netloc
        if kind == "document" and netloc not in st.page_hosts:
            meta["vigia_offhost"] = True
            st.pending_offhost += 1
        callback = self.on_document if kind == "document" else self.on_page
        return Request(
            url, callback=callback, errback=self.on_error, meta=meta, priority=priority, dont_filter=True
        )

    def mark_section(
        self, st: PortalState, final: str, links: list[Link], kind: str, root: bool, in_section: bool
    ) -> bool:
        """Note where the transparency section starts; return whether this page is inside it."""
        if kind == "home" and st.strategy.home_is_section(links):
            in_section = True
            st.section_roots.add(urlsplit(final).path.rsplit("/", 1)[0] + "/")
        if in_section and st.transparency_url is None:
            st.transparency_url = final
        if root:
            path = urlsplit(final).path
            st.section_roots.add(path if path.endswith("/") else path.rsplit(".", 1)[0])
        return in_section

    def rerender(self, st: PortalState, response: Response) -> Request:
        """The same page again, through the browser."""
        meta = {k: v for k, v in response.meta.items() if k not in FRESH_REQUEST_KEYS}
        browser_meta(meta)
        st.pending += 1
        url = meta.get("redirect_urls", [response.request.url])[0] if response.request else response.url
        meta["download_slot"] = netloc_of(url)
        priority = response.request.priority if response.request else 0
        return Request(
            url, self.on_page, errback=self.on_error, meta=meta, priority=priority, dont_filter=True
        )

    def page_as_document(
        self, st: PortalState, response: Response, asked: str, ctype: str
    ) -> dict[str, Any] | None:
        """A link followed as a page answered with a file: it is a document of the page that linked it
        (``None`` when it is not, or when the home page itself is not HTML: then the portal failed)."""
        meta = response.meta
        dtype = doc_type_from_content_type(ctype) or doc_type_from_url(response.url)
        if meta["vigia_kind"] == "home" and dtype is None:
            st.home_failure = ("parse_error", f"la página de inicio no es HTML ({ctype or 'sin tipo'})")
            st.incident("parse_error", asked, "la página de inicio no es HTML")
            return None
        return self.new_document(
            st,
            asked,
            label=meta.get("vigia_label") or "",
            page_url=meta.get("vigia_referer"),
            trail=list(meta.get("vigia_trail") or [])[:-1],
            in_section=bool(meta.get("vigia_in_section")),
            fetch=False,
            dtype=dtype,
        )

    def follow(
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
                    req = self.document_link(st, link, page_url, context, in_section, dtype, fetch=True)
                    if req is not None:
                        out.append(req)
                    continue
                child_trail = context + [link.label] if link.label else context
                if in_section:
                    if sec_depth + 1 <= self.section_depth and strategy.follow_in_section(
                        link, st.section_roots
                    ):
                        req = self.request(
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
                    req = self.request(
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
                elif self.declined_trap(st, link.url):
                    continue
                elif (
                    not entries
                    and depth < self.discovery_depth
                    and st.discovery_requests < self.discovery_budget
                ):
                    req = self.request(
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
                req = self.document_link(st, link, page_url, context, in_section, dtype, fetch=True)
                if req is not None:
                    out.append(req)
            elif not is_social_host(host) and (dtype or is_document_host(host) or in_section):
                self.document_link(st, link, page_url, context, in_section, dtype, fetch=False)
        return out

    def declined_trap(self, st: PortalState, url: str) -> bool:
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

    def document_link(
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
        doc = self.new_document(
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
        return self.request(
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

    def new_document(
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

    def wordpress_api(self, st: PortalState, response: Response) -> list[Request]:
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

    def deferred_requests(self, st: PortalState) -> list[Request]:
        out = []
        for url, label, referer in st.deferred:
            req = self.request(
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
