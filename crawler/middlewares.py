"""Downloader middlewares: the safety/scope guard (first) and the wire meter (last, next to the network).

``GuardMiddleware`` (priority 50, before robots.txt and the cache) refuses, before any connection, a request
or redirect target that points at a forbidden address or leaves the portal's allowed hosts; it also adds
``Cache-Control: max-age=0`` so the HTTP cache revalidates (conditional requests) and delays retries with
an exponential backoff. ``WireMiddleware`` (priority 950, after the cache) sees only what really goes on
the wire: it counts requests, bytes and 304 answers per portal, and stops the cache from hiding a failure
behind a stale copy (a portal that went down must show as down).

One spider middleware: ``FreshDocumentsMiddleware`` answers a document request from a fresh copy in the
HTTP cache before the request is scheduled (issue 17: an unchanged night costs what changed).
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from crawler import compat
from crawler.safety import AddressRefused, address_problem, is_ip_literal

if TYPE_CHECKING:
    from crawler.spiders.portal import PortalSpider


class OutOfScope(IgnoreRequest):
    """A request (usually a redirect target) that leaves the portal's allowed hosts."""


@functools.lru_cache(maxsize=65536)
def netloc_of(url: str) -> str:
    """``host[:port]`` of ``url`` (lower case, default port left out); a pure function of the URL, asked
    several times per request (guard, wire bytes, politeness slot), so it is remembered."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    default = 443 if parts.scheme == "https" else 80
    if port and port != default:
        return f"{host}:{port}"
    return host


def literal_problem(host: str, allow_private: bool) -> str | None:
    """Problems that can be decided without DNS (IP literals and localhost)."""
    h = host.lower().rstrip(".")
    if is_ip_literal(h):
        return address_problem(h, allow_private)
    if h == "localhost" or h.endswith(".localhost"):
        return address_problem("127.0.0.1", allow_private)
    return None


def retry_after(value: bytes | None, cap: float) -> float:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), at most ``cap``."""
    if not value:
        return 0.0
    text = value.decode("latin-1").strip()
    try:
        seconds = float(int(text))
    except ValueError:
        import datetime as dt
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return 0.0
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    return max(0.0, min(seconds, cap))


def guard_refusal(url: str, allow_private: bool) -> Exception | None:
    """What :class:`GuardMiddleware` refuses before anything else: a scheme other than HTTP(S), an address
    that can be judged without DNS (a private IP literal, ``localhost``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return OutOfScope(f"esquema no permitido {parts.scheme!r}")
    problem = literal_problem((parts.hostname or "").lower(), allow_private)
    return AddressRefused(problem) if problem else None


class _CrawlerBound:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> Any:
        return cls(crawler)

    @property
    def spider(self) -> PortalSpider:
        return self.crawler.spider  # type: ignore[no-any-return]


class GuardMiddleware(_CrawlerBound):
    async def process_request(self, request: Request) -> None:
        spider = self.spider
        refusal = guard_refusal(request.url, spider.allow_private)
        if refusal is not None:
            raise refusal
        parts = urlsplit(request.url)
        state = spider.state_for_request(request)
        if state is not None:
            netloc = netloc_of(request.url)
            kind = request.meta.get("vigia_kind", "page")
            if not state.in_scope(netloc, document=(kind == "document")):
                if kind == "home" and request.meta.get("redirect_urls"):
                    state.adopt_host(netloc)  # the portal moved: its home redirects to a new host
                    BROWSER_ALLOWED_HOSTS.add(netloc)
                else:
                    raise OutOfScope(f"{request.url} está fuera de los hosts del portal")
            request.meta["download_slot"] = netloc  # a redirect to another host is that host's request
            if (
                spider.host_leases
                and kind == "document"
                and netloc not in state.page_hosts
                and netloc not in spider.shared_hosts
            ):
                # a document host other processes of the run may also use: its slot follows the run's
                # leases (crawler/leases.py); it opens with no room until it has its lease
                spider.shared_hosts.add(netloc)
                compat.open_slot_closed(compat.downloader_of(self.crawler), netloc)
        if request.meta.get("dont_obey_robotstxt") and parts.path == "/robots.txt":
            # robots.txt is tiny: a host that does not send it in a short time will not send the home page
            # either, and the home request carries the full time-out (a dead host costs two short robots.txt
            # time-outs and one full home time-out: WireMiddleware stops retrying a host's time-outs)
            request.meta.setdefault("download_timeout", spider.robots_timeout)
            request.meta.setdefault("max_retry_times", spider.robots_retries)
        if not request.meta.get("playwright") and request.meta.get("vigia_kind") != "document":
            # pages are always revalidated; documents follow HTTP freshness (heuristic: a tenth of the
            # time since Last-Modified), so an old, unchanged PDF is not asked for again every night
            request.headers.setdefault(b"Cache-Control", b"max-age=0")
        retries = int(request.meta.get("retry_times", 0) or 0)
        if retries:
            # exponential backoff, or the server's own Retry-After (429/503) when it asks for longer
            wait = min(8.0, spider.retry_backoff * 2 ** (retries - 1))
            await asyncio.sleep(max(wait, float(request.meta.get("vigia_retry_after") or 0.0)))
        return None


def _is_download_timeout(exception: BaseException) -> bool:
    """What a download time-out raises: the HTTP handler's own, Twisted's connect and read time-outs."""
    from scrapy.exceptions import DownloadTimeoutError
    from twisted.internet import error as txerror

    return isinstance(exception, DownloadTimeoutError | txerror.TimeoutError | txerror.TCPTimedOutError)


class WireMiddleware(_CrawlerBound):
    """Counts what goes on the wire; remembers the hosts that do not answer.

    Once a host's requests have timed out ``VIGIA_HOST_TIMEOUTS`` times in a row (robots.txt's short
    time-outs count; any answer from the host starts the count again), its time-outs are no longer retried: each retry of a silent host costs a whole
    time-out (20 s), and a host that let two requests time out does not answer the third. A dead portal
    cost robots.txt twice and its home page three times (80 s) and held the end of every night; it now
    costs robots.txt twice and its home page once (40 s).

    One URL's time-outs are retried ``VIGIA_TIMEOUT_RETRIES`` times (default 1: two attempts of 20 s), fewer
    than other failures (``RETRY_TIMES``, 2): a page that never answers on a host that answers its other
    pages cost 3 × 20 s, and two such pages on one portal, found one after the other, held the end of a
    first night for two minutes.

    A URL that timed out in the portal's previous crawl (``PortalState.timed_out_before``, from the
    store's incidents) gets one attempt: a page that did not answer last night and does not answer in
    20 s tonight is recorded as a time-out again without two more 20 s waits, and so is the robots.txt of
    a portal whose home page did not answer. The first night, and any URL that answered last time, keep
    every retry. Other failures (5xx, refused connections) and the browser's own time-outs keep their
    retries."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.timeouts_before_giving_up = crawler.settings.getint("VIGIA_HOST_TIMEOUTS", 2)
        self.timeout_retries = crawler.settings.getint("VIGIA_TIMEOUT_RETRIES", 1)
        self.host_timeouts: dict[str, int] = {}

    def process_request(self, request: Request) -> None:
        spider = self.spider
        state = spider.state_for_request(request)
        if state is not None:
            state.requests += 1
            state.hosts_requested[netloc_of(request.url)] = (
                state.hosts_requested.get(netloc_of(request.url), 0) + 1
            )
        spider.wire_requests += 1
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        spider = self.spider
        if "cached" in response.flags:  # served by the HTTP cache without touching the network
            return response
        if self.host_timeouts:  # the host answered: a busy shared host is not a dead one
            self.host_timeouts.pop(netloc_of(request.url), None)
        size = len(response.body) + sum(
            len(k) + sum(len(v) for v in vs) + 4 for k, vs in response.headers.items()
        )
        state = spider.state_for_request(request)
        if state is not None:
            state.bytes += size
            if response.status == 304:
                state.not_modified += 1
        spider.wire_bytes += size
        if response.status >= 500:
            request.meta.pop("cached_response", None)
        if response.status in (429, 503):
            delay = retry_after(response.headers.get(b"Retry-After"), spider.retry_after_max)
            if delay:
                request.meta["vigia_retry_after"] = delay  # the retry (a copy of this request) waits
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        request.meta.pop("cached_response", None)
        if _is_download_timeout(exception) and not request.meta.get("playwright"):
            # (a render that times out may be the busy machine's: the browser keeps its retries)
            host = netloc_of(request.url)
            retried = int(request.meta.get("retry_times", 0) or 0)
            give_up = retried >= self.timeout_retries or self._timed_out_before(request, host)
            if self.timeouts_before_giving_up > 0:
                seen = self.host_timeouts[host] = self.host_timeouts.get(host, 0) + 1
                give_up = give_up or seen >= self.timeouts_before_giving_up
            if give_up:
                # RetryMiddleware (after this one) retries while retry_times < max_retry_times
                request.meta["max_retry_times"] = retried
        return None

    def _timed_out_before(self, request: Request, host: str) -> bool:
        """Whether this URL timed out in its portal's previous crawl; for robots.txt, whether the portal's
        home page on that host did."""
        state = self.spider.state_for_request(request)
        before = getattr(state, "timed_out_before", None)
        if not before:
            return False
        if request.url in before:
            return True
        if urlsplit(request.url).path == "/robots.txt":
            home = str(getattr(state, "start_url", ""))
            return home in before and netloc_of(home) == host
        return False


# --------------------------------------------------------------------------- the browser's own requests

BROWSER_ALLOWED_HOSTS: set[str] = set()
BROWSER_ALLOW_PRIVATE: list[bool] = [False]
_BLOCKED_RESOURCES = {"image", "media", "font"}


def browser_request_refused(resource_type: str, url: str, allowed: set[str], allow_private: bool) -> bool:
    """Whether the browser must not load one of a page's requests (the browser service asks for each):
    only the portal's own hosts (``allowed``), never a forbidden literal address, no images/fonts/media."""
    try:
        if resource_type in _BLOCKED_RESOURCES:
            return True
        if url.startswith(("data:", "blob:", "about:")):
            return False
        netloc = netloc_of(url)
        if netloc not in allowed:
            return True
        host = (urlsplit(url).hostname or "").lower()
        return literal_problem(host, allow_private) is not None
    except Exception:  # noqa: BLE001 - when in doubt, do not load
        return True


class FreshDocumentsMiddleware(BaseSpiderMiddleware):
    """A document request whose fresh copy the HTTP cache would serve by itself becomes its answer here,
    before the scheduler (crawler/cache.py :class:`~crawler.cache.FreshDocuments`): the spider turns it into
    the document's item, or drops it when the answer has nothing to read. Every other request goes on.
    Spider middlewares see a callback's output from the highest order down; at order 50 this one sees what
    Scrapy's own (depth, URL length) let through. A portal with no finished crawl in the store (its first
    night) is not asked about: its lookups could not succeed and cost 3.5 % of a first night's crawl."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        from crawler.cache import FreshDocuments

        self.fresh: FreshDocuments | None = None
        self._settings = crawler.settings
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    def _closed(self, **kwargs: Any) -> None:
        if self.fresh is not None and self.crawler.stats is not None:
            self.crawler.stats.set_value("vigia/documents_answered_from_cache", self.fresh.answered)

    def _robots_parsed(self, robotparser: Any, request: Request, **kwargs: Any) -> None:
        self._answers().on_robots_parsed(robotparser, request)

    def _answers(self) -> Any:
        if self.fresh is None:
            from crawler.cache import FreshDocuments

            self.fresh = FreshDocuments(self._settings, self.crawler.spider)
        return self.fresh

    def get_processed_request(self, request: Request, response: Any) -> Any:
        spider = self.crawler.spider
        if request.meta.get("vigia_kind") != "document" or not hasattr(spider, "answer_from_cache"):
            return request
        st = spider.state_for_request(request)
        if (
            st is None
            or st.crawled_before is False  # a first night: a lookup per document that cannot succeed
            or guard_refusal(request.url, spider.allow_private) is not None
            or not st.in_scope(netloc_of(request.url), document=True)
        ):
            return request  # the downloader's guard decides and records it
        found = self._answers().answer(request)
        if found is None or found[2] > spider.links.document_maxsize:
            return request
        return spider.answer_from_cache(st, request, *found)
