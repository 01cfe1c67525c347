"""Per-portal crawl state: scope, budgets, trap guards, the evidence gathered and the outcome.

One spider crawls many portals at once; each request carries its portal's key in ``meta`` and every
request ends in exactly one callback or errback, so ``pending`` reaching zero means the portal is done.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from vigia.spanish import fold

INCIDENT_KINDS = (
    "connection_refused",
    "timeout",
    "http_5xx",
    "http_404",
    "redirect_loop",
    "private_address_refused",
    "robots_disallowed",
    "login_wall",
    "captcha",
    "trap_cut",
    "size_cap",
    "page_budget",
    "dns_error",
    "parse_error",
)
#: Failures of an in-scope page that make the crawl ``partial`` (or ``unreachable`` on the home page).
FAILURE_KINDS = {
    "connection_refused",
    "timeout",
    "http_5xx",
    "redirect_loop",
    "private_address_refused",
    "dns_error",
}

SESSION_PARAMS = re.compile(
    r"^(?:phpsessid|jsessionid|sid|sessid|sessionid|session_id|session|s_id|zenid|osCsid)$", re.I
)
CALENDAR_PARAMS = re.compile(
    r"^(?:month|mes|year|ano|anio|date|fecha|day|dia|week|semana|cal|calendar|calendario|time|ical)$", re.I
)
PAGINATION_PARAMS = re.compile(r"^(?:page|pagina|pag|paged|start|limitstart|offset|pg)$", re.I)
CALENDAR_PATH = re.compile(r"/(?:calendar|calendario|agenda|eventos?|events?)/", re.I)
SHAPE_DIGITS = re.compile(r"\d+")
MAX_PER_SHAPE = 60
MAX_CALENDAR_PER_SHAPE = 5
MAX_PAGINATION = 40
MAX_URL_LENGTH = 600


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def canonical_url(url: str) -> tuple[str, bool]:
    """Drop the fragment and session-id parameters; return the URL and whether a session id was removed."""
    parts = urlsplit(url)
    path = parts.path
    had_session = False
    if ";jsessionid=" in path.lower():
        path = re.split(r";jsessionid=", path, flags=re.I)[0]
        had_session = True
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if not SESSION_PARAMS.match(k)]
    if len(kept) != len(query):
        had_session = True
    new_query = urlencode(kept) if had_session else parts.query
    return urlunsplit((parts.scheme, parts.netloc.lower(), path or "/", new_query, "")), had_session


def url_shape(url: str) -> tuple[str, bool, int]:
    """The URL's "shape" (digits folded, query keys only), whether it looks like a calendar, and the
    pagination number it carries (0 if none)."""
    parts = urlsplit(url)
    keys = sorted({k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    calendar = bool(CALENDAR_PATH.search(parts.path)) or any(CALENDAR_PARAMS.match(k) for k in keys)
    page_number = 0
    for k, v in parse_qsl(parts.query):
        if PAGINATION_PARAMS.match(k) and v.isdigit():
            page_number = max(page_number, int(v))
    m = re.search(r"/(?:page|pagina)/(\d+)", parts.path)
    if m:
        page_number = max(page_number, int(m.group(1)))
    shape = SHAPE_DIGITS.sub("N", parts.path) + "?" + "&".join(keys)
    return shape, calendar, page_number


@dataclass
class PortalState:
    key: str
    start_url: str
    municipality: dict[str, Any]
    platform_declared: str = "unknown"
    render: str = "auto"
    page_hosts: set[str] = field(default_factory=set)
    document_hosts: set[str] = field(default_factory=set)
    strategy: Any = None
    platform_observed: str | None = None
    rendered_with_browser: bool = False
    #: the first page reached inside the transparency section (see ``transparency_url``)
    first_section_url: str | None = None
    started_at: dt.datetime = field(default_factory=utcnow)
    pending: int = 0
    finished: bool = False
    seen: set[str] = field(default_factory=set)
    shapes: Counter[str] = field(default_factory=Counter)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    incident_keys: set[tuple[str, str]] = field(default_factory=set)
    blobs: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    page_requests: int = 0
    discovery_requests: int = 0
    document_requests: int = 0
    home_failure: tuple[str, str] | None = None
    home_ok: bool = False
    section_failure: tuple[str, str] | None = None
    failures: int = 0
    budget_hit: bool = False
    trap_cuts: int = 0
    requests: int = 0
    bytes: int = 0
    not_modified: int = 0
    from_cache: int = 0
    hosts_requested: dict[str, int] = field(default_factory=dict)
    refused_out_of_scope: int = 0
    home_sha256: str | None = None
    #: the home page's redirects to another host: {"from", "to", "statuses"} (reports/registry_proposals.py)
    home_redirects: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _section_memo: tuple[int, str | None] = (-1, None)
    #: asked URL → (its page record, numerals it lists, or -1 when it can never be the section page): each
    #: page is read once for the section page, not once per page stored after it
    _listing_memo: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    section_roots: set[str] = field(default_factory=set)
    use_browser: bool = False
    trap_incidents: int = 0
    #: entry points kept for the end (e.g. WordPress API pages), used only if the menus missed them
    deferred: list[tuple[str, str, str]] = field(default_factory=list)
    #: requests still pending on hosts other than the portal's own (documents on a shared document host)
    pending_offhost: int = 0
    #: the portal gave its place in the window of open portals to the next one (only off-host documents left)
    released: bool = False
    #: the portal counts in the spider's window of open browser portals (``VIGIA_ACTIVE_BROWSER_PORTALS``)
    holds_browser_place: bool = False
    #: the portal has a finished crawl in the store (``False``: a first night, nothing cached to answer from;
    #: ``None``: not known, as for a crawl started without the store's history)
    crawled_before: bool | None = None
    #: URLs that timed out in this portal's previous crawl: tonight their time-outs are not retried
    timed_out_before: set[str] = field(default_factory=set)
    #: sha256 → extraction of the documents of this portal's previous crawl (loaded when first needed)
    previous_extractions: dict[str, Any] | None = None
    #: evidence that could not be written (a full disk): the crawl is ``partial`` and the run fails loudly
    write_errors: list[str] = field(default_factory=list)
    #: documents not read because they broke a reading limit (a decompression bomb, a worker out of
    #: memory or time): what they hold cannot be verified, so the crawl is ``partial`` (issue 14)
    unreadable: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ the section page
    @property
    def transparency_url(self) -> str | None:
        """The page recorded as the portal's transparency section: the in-section page that lists the most
        article-10 numerals (at least five), never a news post that mentions the law; else the first page
        reached inside the section."""
        if self.first_section_url is None:
            return None
        if self._section_memo[0] != len(self.pages):
            self._section_memo = (len(self.pages), _listing_page(self.pages, self._listing_memo))
        return self._section_memo[1] or self.first_section_url

    @transparency_url.setter
    def transparency_url(self, value: str | None) -> None:
        self.first_section_url = value

    # ------------------------------------------------------------------ scope
    def in_scope(self, netloc: str, document: bool = False) -> bool:
        if netloc in self.page_hosts:
            return True
        if document:
            host = netloc.split(":", 1)[0]
            return netloc in self.document_hosts or host in self.document_hosts
        return False

    def adopt_host(self, netloc: str) -> None:
        self.page_hosts.add(netloc)
        self.notes.append(f"el inicio redirige a {netloc}")

    # ------------------------------------------------------------------ incidents
    def incident(self, kind: str, url: str | None, message: str) -> None:
        assert kind in INCIDENT_KINDS, kind
        key = (kind, url or "")
        if key in self.incident_keys:
            return
        self.incident_keys.add(key)
        self.incidents.append({"kind": kind, "url": url, "message": message[:1000], "at": utcnow()})

    def write_error(self, url: str | None, message: str) -> None:
        """Evidence that could not be written: noted, and the crawl ends ``partial`` (crawler/pipelines.py)."""
        self.write_errors.append(f"{url}: {message}"[:500] if url else message[:500])

    def over_limit(self, url: str, message: str) -> None:
        """A document the readers gave up on at a limit: noted, and the crawl ends ``partial``."""
        if url not in self.unreadable:
            self.unreadable.append(url)

    def trap_reason(self, url: str) -> str | None:
        """Why following ``url`` would walk into a spider trap (and count it), or ``None``."""
        if len(url) > MAX_URL_LENGTH:
            return "URL demasiado larga"
        segments = [s for s in urlsplit(url).path.split("/") if s]
        if len(segments) > 12:
            return "ruta demasiado profunda"
        if len(segments) >= 4 and len(set(segments)) <= len(segments) // 2:
            return "segmentos de ruta repetidos"
        shape, calendar, page_number = url_shape(url)
        if page_number > MAX_PAGINATION:
            return f"paginación sin fin (página {page_number})"
        self.shapes[shape] += 1
        limit = MAX_CALENDAR_PER_SHAPE if calendar else MAX_PER_SHAPE
        if self.shapes[shape] > limit:
            return "calendario" if calendar else "demasiadas URL con la misma forma"
        return None

    # ------------------------------------------------------------------ outcome
    def outcome(self) -> tuple[str, str]:
        """The crawl's outcome and a Spanish reason (docs/legal-reading.md: a crawler failure is never "absent")."""
        if self.home_failure is not None or not self.home_ok:
            kind, message = self.home_failure or ("connection_refused", "no se obtuvo la página de inicio")
            if kind == "robots_disallowed":
                return "disallowed", f"robots.txt prohíbe la página de inicio: {message}"
            if kind in ("login_wall", "captcha"):
                return "blocked", f"la página de inicio está bloqueada ({kind}): {message}"
            return "unreachable", f"no se pudo obtener la página de inicio ({kind}): {message}"
        if self.section_failure is not None:
            kind, message = self.section_failure
            if kind == "robots_disallowed":
                return "disallowed", f"robots.txt prohíbe la sección de transparencia: {message}"
            if kind in ("login_wall", "captcha"):
                return "blocked", f"la sección de transparencia está bloqueada ({kind}): {message}"
        reasons = []
        if self.failures:
            reasons.append(f"{self.failures} página(s) o documento(s) fallaron{self._first_failure()}")
        if self.budget_hit:
            reasons.append("se alcanzó el límite de páginas del portal")
        if self.section_failure is not None:
            reasons.append(f"la sección de transparencia falló ({self.section_failure[0]})")
        if self.unreadable:
            reasons.append(
                f"{len(self.unreadable)} documento(s) superaron los límites de lectura (posible archivo "
                f"hostil) y no se pudieron verificar: {self.unreadable[0][:200]}"
            )
        if self.write_errors:
            reasons.append(
                f"{len(self.write_errors)} copia(s) de evidencia no se pudieron guardar ({self.write_errors[0]})"
            )
        if reasons:
            return "partial", "; ".join(reasons)
        if self.transparency_url is None:
            return "complete", "rastreo completo; no se encontró una sección de transparencia"
        return "complete", "rastreo completo"

    def _first_failure(self) -> str:
        """The failure the outcome's reason names (a refused address first: it is why the crawl is partial,
        and what the municipality must know; then the first by URL, not by time: two crawls that failed on
        the same pages give the same reason, so an unchanged night re-renders no checklist for it)."""
        kinds = FAILURE_KINDS | {"login_wall", "captcha", "size_cap", "parse_error"}
        found = [i for i in self.incidents if i["kind"] in kinds]
        if not found:
            return ""
        worst = min(
            found, key=lambda i: (i["kind"] != "private_address_refused", i.get("url") or "", i["message"])
        )
        return f" (p. ej. {worst['kind']}: {worst['message'][:160]})"

    def stats(self) -> dict[str, Any]:
        kinds = Counter(i["kind"] for i in self.incidents)
        return {
            "hosts_requested": self.hosts_requested,
            "page_requests": self.page_requests,
            "discovery_requests": self.discovery_requests,
            "document_requests": self.document_requests,
            "from_cache": self.from_cache,
            "trap_cuts": self.trap_cuts,
            "incident_kinds": dict(kinds),
            "home_sha256": self.home_sha256,
            "home_redirects": self.home_redirects,
            "allowed_hosts": sorted(self.page_hosts),
            "document_hosts": sorted(self.document_hosts),
            "notes": self.notes,
        }


_LISTED_NUMERAL = re.compile(
    r"(?<![a-z])(?:numeral|num\.?|inciso)\s*(\d{1,2})(?!\d)|^\s*(\d{1,2})\s*(?:[.)\-:]|\.-)\s*[a-z]"
)
_NEWS_PAGE = re.compile(
    r"/(?:noticias?|news|blog|prensa|comunicados?|eventos?|category|categoria|tag)(?:/|$)|[?&]p=\d|/20\d\d/\d\d/"
)
#: a page that lists at least this many numerals is the section page (an index of article 10)
SECTION_MIN_NUMERALS = 5


def listed_numerals(page: dict[str, Any]) -> set[int]:
    """Article-10 numerals a stored page lists in its headings and link labels ("Numeral 8", "8. …")."""
    found: set[int] = set()
    for block in page.get("blocks") or ():
        texts = [
            *(block.get("headings") or ())[-1:],
            *(link.get("label", "") for link in block.get("links") or ()),
        ]
        for text in texts:
            for m in _LISTED_NUMERAL.finditer(fold(text)[:200]):
                n = int(m.group(1) or m.group(2))
                if 1 <= n <= 29:
                    found.add(n)
    return found


def _listing_count(asked: str, page: dict[str, Any]) -> int:
    """Numerals ``page`` lists, or -1 when it cannot be the section page (an error, a news post)."""
    url = page.get("final_url") or asked
    parts = urlsplit(url)
    if (page.get("status") or 0) >= 400 or _NEWS_PAGE.search(fold(f"{parts.path}?{parts.query}")):
        return -1
    return len(listed_numerals(page))


def _listing_page(
    pages: dict[str, dict[str, Any]], memo: dict[str, tuple[dict[str, Any], int]] | None = None
) -> str | None:
    best: tuple[int, int, str] | None = None
    for asked, page in pages.items():
        known = memo.get(asked) if memo is not None else None
        if known is not None and known[0] is page:
            count = known[1]
        else:
            count = _listing_count(asked, page)
            if memo is not None:
                memo[asked] = (page, count)
        if count < SECTION_MIN_NUMERALS:
            continue
        url = page.get("final_url") or asked
        key = (-count, int(page.get("depth") or 0), url)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def label_matches(label: str, pattern: re.Pattern[str]) -> bool:
    return bool(pattern.search(fold(label)))
