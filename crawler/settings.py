"""Scrapy settings of Vigía's crawler (polite by default; see docs/crawler.md).

`crawler.run` adds the run's own values (HTTP cache directory, allow-private flag, job file) on top.
"""

from __future__ import annotations

import os

from vigia.browser import CHROMIUM_ARGS, CHROMIUM_PATH
from vigia.config import USER_AGENT as VIGIA_USER_AGENT

BOT_NAME = "vigia"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = VIGIA_USER_AGENT
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "Vigia"

# Scrapy 2.19 opens a local remote-control listener and a telnet console by default: both off.
# the browser handler runs on the asyncio reactor; DNS goes through the guard against private addresses.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
TWISTED_DNS_RESOLVER = "crawler.safety.GuardedResolver"
DNS_TIMEOUT = 10

# Politeness: many portals at once, few requests per host.
CONCURRENT_REQUESTS = 48
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# keeps that ceiling exact while a host's delay is 0 (crawler/compat.py: a Scrapy downloader bug)
DOWNLOADER = "crawler.compat.CeilingDownloader"
DOWNLOAD_DELAY = 0
# Broad crawl: the next request comes from the host with the most free room, then the most work left
# (crawler/pqueues.py), so a document host shared by many portals (a Drive-like host, the night's
# bottleneck under the per-host ceiling) is kept busy from the start.
SCHEDULER_PRIORITY_QUEUE = "crawler.pqueues.HostRoomPriorityQueue"
# Scrapy's stats without the attribute hook of 2.19's StatsCollector (crawler/compat.py)
STATS_CLASS = "crawler.compat.PlainStatsCollector"
# A response yields at most one item (its page or document) among its requests: Scrapy's default (100)
# starts 100 asyncio tasks for every response's output, which measured ≈ 17 % of a crawl process's CPU.
CONCURRENT_ITEMS = 1
# The hard ceiling is CONCURRENT_REQUESTS_PER_DOMAIN requests in flight per host, for the whole run
# (crawler/leases.py). AutoThrottle adds spacing: request starts at least latency / 3 apart, and a slow
# or failing host (non-200 answers never shorten the delay) is asked less often, up to 10 s apart. A
# target of 2 (= the ceiling) gave a host answering in 200–800 ms about 3 requests/s of the 4 its ceiling
# allows (measured on the fleet, and simulated: 3.26/s): AutoThrottle lengthens the delay at once after a
# slow answer but shortens it only by halves.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.25
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 3.0
DOWNLOAD_TIMEOUT = 20
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.CannotResolveHostError",
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    OSError,
    "scrapy.core.downloader.handlers.http11.TunnelError",
    # a browser navigation that times out on a busy machine deserves the same retries
    "playwright._impl._errors.TimeoutError",
]
REDIRECT_MAX_TIMES = 8
DEPTH_LIMIT = 12  # back-stop; the spider applies its own discovery/section depth limits
DEPTH_PRIORITY = 0
DOWNLOAD_MAXSIZE = 25 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
COOKIES_ENABLED = False
REFERER_ENABLED = True
# Vigía keeps its own per-portal "seen" sets and scope checks (each request is accounted to a portal).
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.GuardMiddleware": 50,
    "crawler.middlewares.WireMiddleware": 950,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
}
# A document whose cached copy is still fresh is answered before it is scheduled (crawler/cache.py).
SPIDER_MIDDLEWARES = {"crawler.middlewares.FreshDocumentsMiddleware": 50}
#: answer fresh cached documents before scheduling them (False: every document goes through the downloader)
VIGIA_FRESH_DOCUMENTS = True
# One per-host ceiling for the whole run when its portals are split among processes (crawler/leases.py);
# the stall watchdog (crawler/extensions.py).
#: where the browser service keeps renders of pages whose inputs did not change ("" = <data dir>/renders)
VIGIA_RENDER_MEMO_DIR = ""
#: a kept render is used for at most this many days, then the page is rendered afresh (0 = never kept)
VIGIA_RENDER_REUSE_DAYS = 7.0
# AutoThrottle that lets a 304 lower a host's delay as a 200 does (crawler/extensions.py).
EXTENSIONS = {
    "crawler.leases.SharedHostLimiter": 100,
    "crawler.extensions.StallWatchdog": 200,
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.extensions.RevalidationThrottle": 0,
    "crawler.extensions.LogLevelGate": 300,
}
# Archive bodies, extract documents in worker processes, store each finished portal (crawler/pipelines.py).
ITEM_PIPELINES = {
    "crawler.pipelines.IncidentPipeline": 50,
    "crawler.pipelines.ArchivePipeline": 100,
    "crawler.pipelines.ExtractionPipeline": 200,
    "crawler.pipelines.StorePipeline": 300,
}

# Incremental nights: real conditional requests (ETag / If-Modified-Since) through the HTTP cache.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"
HTTPCACHE_STORAGE = "crawler.cache.EvidenceCacheStorage"
HTTPCACHE_IGNORE_RESPONSE_CACHE_CONTROLS = ["no-cache", "no-store"]
HTTPCACHE_IGNORE_HTTP_CODES = [401, 403, 404, 407, 408, 410, 429, 500, 502, 503, 504, 522, 524]
HTTPCACHE_GZIP = True

# JavaScript portals only: Debian's Chromium driven by Playwright in the run's browser service (a process
# of its own, crawler/browser_service.py), few pages at a time.
DOWNLOAD_HANDLERS = {
    "http": "crawler.handlers.BrowserServiceHandler",
    "https": "crawler.handlers.BrowserServiceHandler",
}
#: the run's browser service (its Unix socket; set by crawler.api for each crawl process; empty: the crawl
#: process starts its own on its first browser request)
VIGIA_BROWSER_SERVICE = ""
#: a browser request still open after this many seconds fails as a time-out (crawler/handlers.py)
VIGIA_BROWSER_DEADLINE = 240.0
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {"executable_path": CHROMIUM_PATH, "headless": True, "args": list(CHROMIUM_ARGS)}
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 20000

LOG_LEVEL = "WARNING"
FEED_EXPORT_ENCODING = "utf-8"

# Vigía's own limits (per portal)
VIGIA_PAGE_BUDGET = 400
VIGIA_DOCUMENT_BUDGET = 3000
VIGIA_DISCOVERY_DEPTH = 3
VIGIA_DISCOVERY_BUDGET = 60
VIGIA_SECTION_DEPTH = 8
VIGIA_DOCUMENT_MAXSIZE = 25 * 1024 * 1024
VIGIA_PAGE_MAXSIZE = 5 * 1024 * 1024
VIGIA_ALLOW_PRIVATE = False
#: portals crawled at the same time (each finished portal lets the next one in)
VIGIA_ACTIVE_PORTALS = 50
# of which at most this many need the browser (they wait for one of a few browser pages)
VIGIA_ACTIVE_BROWSER_PORTALS = 12
#: child crawl processes sharing a run's portals (one per core; never more than the cores, at most 2 for
#: a run of < 40 portals; 0 = one per core)
VIGIA_CRAWL_PROCESSES = os.cpu_count() or 1
#: the run's shared table of per-host leases (set by crawler.api for each child process:
#: {"path", "index", "processes"}); a document host used by portals of several processes gets
#: CONCURRENT_REQUESTS_PER_DOMAIN for the whole run, not for each process (crawler/leases.py)
VIGIA_HOST_LEASES: dict[str, object] = {}
#: robots.txt gets a shorter time-out and fewer retries than pages (see GuardMiddleware)
VIGIA_ROBOTS_TIMEOUT = 10.0
VIGIA_ROBOTS_RETRIES = 1
#: a host whose requests timed out this many times in a row (no answer in between) gets no more retries
#: after a time-out
#: (crawler/middlewares.py WireMiddleware; 0 = always retry)
VIGIA_HOST_TIMEOUTS = 2
#: retries of one URL's time-outs (other failures: RETRY_TIMES); see WireMiddleware
VIGIA_TIMEOUT_RETRIES = 1
#: a retried 429/503 waits what its Retry-After header asks, up to this many seconds (else the backoff)
VIGIA_RETRY_AFTER_MAX = 30.0
#: when no request of any portal has ended for this long, the open portals are closed with what they have
#: (a stuck request must not hold the night open; 0 = never)
VIGIA_PORTAL_STALL_SECONDS = 300.0
#: document extraction (crawler/extraction.py): worker processes per crawl process, each worker's address
#: space (MB), seconds per document (wall clock) and documents before a worker is replaced. A document that
#: breaks a limit is a parse_error of that document; the night goes on.
VIGIA_EXTRACT_WORKERS = 1
VIGIA_EXTRACT_MEMORY_MB = 1024
VIGIA_EXTRACT_SECONDS = 60.0
VIGIA_EXTRACT_MAX_TASKS = 500
