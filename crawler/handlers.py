"""scrapy-playwright's download handler with a hard deadline on each browser request.

Navigation and page methods have their own time-outs, but a browser request has been seen to never end
(a JavaScript portal's home page re-rendered while the browser was busy: no error, no response, the
portal waiting until the run's stall watchdog closed it 300 s later, and the crawl process unable to stop
with the request still open). ``VIGIA_BROWSER_DEADLINE`` seconds after it starts, a browser request is
cancelled and fails as a time-out, like any request that takes too long: the portal records a ``timeout``
incident and goes on.

It also holds the browser to the crawler's address rules (issue 14): Chromium is launched with
:mod:`crawler.browser_proxy` as its proxy, which resolves every host itself, applies
:func:`crawler.safety.address_problem` to the resolved address and connects to that very address, on
every hop (redirects included) and for every scheme Chromium may use (HTTP, and HTTPS/WebSocket through
``CONNECT``). A browser request whose answer came from the proxy (a refusal or an upstream failure), whose
navigation failed in a refused tunnel, whose final URL is not ``http(s)`` (``chrome-error://…``) or whose
final host is outside the portal's hosts **fails** (``AddressRefused``, ``OutOfScope``, a DNS, connection
or time-out error): the spider records an incident and never stores what the browser showed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
)
from scrapy.http import Request, Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.browser_proxy import MARKER, REASON, BrowserProxy, shared_proxy
from crawler.middlewares import OutOfScope, netloc_of
from crawler.safety import AddressRefused

#: Chromium flags added when the browser goes through the proxy: no WebRTC traffic outside the proxy
#: (UDP would bypass it) and no DNS prefetching of its own
PROXY_ARGS = (
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--dns-prefetch-disable",
)
#: navigation errors that mean the proxy refused or could not open a tunnel
_TUNNEL_ERRORS = ("ERR_TUNNEL_CONNECTION_FAILED", "ERR_PROXY_CONNECTION_FAILED", "ERR_UNEXPECTED_PROXY_AUTH")


def proxy_failure(kind: str, reason: str) -> Exception:
    """The download failure matching a refusal or upstream failure of the browser proxy."""
    if kind == "private_address_refused":
        return AddressRefused(f"navegador: {reason}")
    if kind == "dns_error":
        return CannotResolveHostError(reason)
    if kind == "connection_refused":
        return DownloadConnectionRefusedError(reason)
    if kind == "timeout":
        return DownloadTimeoutError(reason)
    return OutOfScope(f"navegador: {reason}")


def check_browser_response(response: Response, request: Request, in_scope: Any = None) -> None:
    """Raise when a browser response must not be kept as evidence (see the module docstring).
    ``in_scope(netloc) -> bool`` says whether the final URL's host belongs to the portal."""
    kind = response.headers.get(MARKER)
    if kind:
        reason = unquote((response.headers.get(REASON) or b"").decode("ascii", "replace")) or kind.decode()
        raise proxy_failure(kind.decode("ascii", "replace"), reason)
    scheme = urlsplit(response.url).scheme.lower()
    if scheme not in ("http", "https"):
        raise OutOfScope(
            f"el navegador terminó en {response.url[:120]!r} al abrir {request.url} (página de error, no evidencia)"
        )
    if in_scope is not None and not in_scope(netloc_of(response.url)):
        raise OutOfScope(f"el navegador terminó fuera de los hosts del portal: {response.url[:200]}")


class DeadlinePlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.vigia_crawler = crawler
        self.deadline = crawler.settings.getfloat("VIGIA_BROWSER_DEADLINE", 240.0)
        # always: the browser has no way out but the proxy (with --allow-private-addresses it allows
        # loopback and private ranges, as Scrapy's own check does)
        self.proxy: BrowserProxy | None = shared_proxy(crawler.settings.getbool("VIGIA_ALLOW_PRIVATE", False))
        options = dict(self.config.launch_options)
        options["proxy"] = {"server": self.proxy.url}
        options["args"] = [*options.get("args", []), *PROXY_ARGS]
        self.config.launch_options = options

    def _in_scope(self, request: Request) -> Any:
        spider = getattr(self.vigia_crawler, "spider", None)
        state_for = getattr(spider, "state_for_request", None)
        state = state_for(request) if state_for is not None else None
        if state is None:
            return None
        document = request.meta.get("vigia_kind") == "document"
        return lambda netloc: state.in_scope(netloc, document=document)

    async def _create_page(self, request: Request, spider: Any) -> Any:
        """scrapy-playwright's, safe to cancel: a request cancelled while its page is being made (it
        holds one of the context's page slots from then on) closes that page as soon as it exists."""
        making = asyncio.ensure_future(super()._create_page(request, spider))
        try:
            page = await asyncio.shield(making)
        except asyncio.CancelledError:
            making.add_done_callback(_close_when_made)
            raise
        self._pages()[id(request)] = page
        return page

    def _pages(self) -> dict[int, Any]:
        """The page of each browser request in flight (by ``id(request)``), closed if it is cancelled."""
        return self.__dict__.setdefault("_vigia_pages", {})

    async def _reclaim_page(self, request: Request) -> None:
        """Close the page of a browser request that was cancelled (the deadline, or Scrapy closing the
        portal): scrapy-playwright closes a page only when its request *fails*, and gives its slot back
        only when the page closes. A cancelled request used to keep both: after
        ``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT`` of them every later browser request waited for a slot that
        never came, until its own deadline (issue 14: deadlines fire often on a heavily loaded machine)."""
        page = self._pages().pop(id(request), None)
        if page is not None and not page.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(page.close()), 10)

    async def download_request(self, request: Request) -> Response:  # type: ignore[override]
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        started = time.monotonic()
        try:
            if self.deadline > 0:
                response = await asyncio.wait_for(super().download_request(request), self.deadline)
            else:
                response = await super().download_request(request)
        except TimeoutError:
            await self._reclaim_page(request)
            raise DownloadTimeoutError(
                f"el navegador no terminó {request.url} en {self.deadline:.0f} s"
            ) from None
        except asyncio.CancelledError:
            await self._reclaim_page(request)
            raise
        except Exception as exc:
            text = str(exc)
            if self.proxy is not None and any(code in text for code in _TUNNEL_ERRORS):
                refusals = self.proxy.refusals_since(started)
                if refusals:
                    worst = next((r for r in refusals if r.kind == "private_address_refused"), refusals[0])
                    raise proxy_failure(worst.kind, worst.reason) from None
                raise DownloadConnectionRefusedError(
                    f"navegador: el proxy no abrió el túnel ({text.splitlines()[0][:200]})"
                ) from None
            raise
        finally:
            self._pages().pop(id(request), None)
        check_browser_response(response, request, self._in_scope(request))
        return response


def _close_when_made(making: Any) -> None:
    """Done-callback of a page made for a request that was cancelled meanwhile: close it (its close
    gives the context's page slot back)."""
    if making.cancelled() or making.exception() is not None:
        return
    page = making.result()
    if not page.is_closed():
        asyncio.ensure_future(page.close())


#: Installed in every page before its own scripts run: counts the page's fetch/XHR requests in flight and
#: the time of the last change to the DOM. ``window.__vigiaSettled(quiet, most)`` is true once the page has
#: loaded, no request is in flight and nothing changed for ``quiet`` ms — or ``most`` ms after the load
#: started, whatever the page does (a page that polls for ever is still read).
SETTLE_SCRIPT = """
(() => {
  if (window.__vigiaSettled) return;
  let inflight = 0;
  let last = performance.now();
  const touch = (d) => { inflight += d; last = performance.now(); };
  const originalFetch = window.fetch;
  if (originalFetch) {
    window.fetch = function (...args) {
      touch(1);
      return originalFetch.apply(this, args).finally(() => touch(-1));
    };
  }
  const originalSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    touch(1);
    this.addEventListener("loadend", () => touch(-1), { once: true });
    return originalSend.apply(this, args);
  };
  new MutationObserver(() => { last = performance.now(); })
    .observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
  window.__vigiaSettled = (quiet, most) =>
    performance.now() >= most ||
    (document.readyState === "complete" && inflight <= 0 && performance.now() - last >= quiet);
})();
"""

#: what the browser waits for after the page's load event (see SETTLE_SCRIPT); Playwright's "networkidle"
#: waits for 500 ms without any network activity on every page
SETTLE_QUIET_MS = 150
SETTLE_MOST_MS = 8000


async def install_settle_probe(page: Any, request: Request) -> None:
    """scrapy-playwright page init callback (``playwright_page_init_callback``)."""
    await page.add_init_script(SETTLE_SCRIPT)


def settle_page_methods() -> list[Any]:
    from scrapy_playwright.page import PageMethod

    return [
        PageMethod(
            "wait_for_function",
            f"() => !window.__vigiaSettled || window.__vigiaSettled({SETTLE_QUIET_MS}, {SETTLE_MOST_MS})",
            polling=50,
            timeout=SETTLE_MOST_MS + 5000,
        )
    ]
