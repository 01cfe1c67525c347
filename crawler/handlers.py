"""The browser download handler: a request with ``meta["playwright"]`` is rendered by the run's browser
service (:mod:`crawler.browser_service`, Chromium in a process of its own); every other request goes
to Scrapy's HTTP/1.1 handler.

The crawl process sends one message per browser request on the service's Unix socket and awaits one
answer: its own event loop only writes and reads that message (before, scrapy-playwright drove Chromium
from this loop, and every round trip waited for a turn of a busy loop). The service's socket comes from
``VIGIA_BROWSER_SERVICE`` (set by :mod:`crawler.api` for each crawl process of a run: one service per
run); without it, this handler starts a service of its own on the first browser request and ends it
when the crawl ends.

Hard deadline: a browser request has been seen to never end (a JavaScript portal's home page re-rendered
while the browser was busy: no error, no response, the portal waiting until the run's stall watchdog
closed it 300 s later, and the crawl process unable to stop with the request still open).
``VIGIA_BROWSER_DEADLINE`` seconds after it starts (the wait for a free browser page included), a
browser request is cancelled (the connection closes, the service closes the page) and fails as a
time-out, like any request that takes too long: the portal records a ``timeout`` incident and goes on.

It also holds the browser to the crawler's address rules (issue 14): the service launches Chromium with
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
import base64
import contextlib
import json
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
)
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from crawler import middlewares
from crawler.browser_proxy import MARKER, REASON
from crawler.middlewares import OutOfScope, netloc_of
from crawler.safety import AddressRefused

#: Chromium flags added when the browser goes through the proxy: no WebRTC traffic outside the proxy
#: (UDP would bypass it) and no DNS prefetching of its own
PROXY_ARGS = (
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--dns-prefetch-disable",
)


class BrowserError(Exception):
    """The browser could not render a page (its message is Chromium's, e.g. ``net::ERR_…``)."""


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


def service_failure(answer: dict[str, Any]) -> Exception:
    """The download failure matching an error answer of the browser service."""
    error, message = str(answer.get("error") or ""), str(answer.get("message") or "")
    if error == "proxy":
        return proxy_failure(str(answer.get("kind") or ""), str(answer.get("reason") or ""))
    if error == "tunnel":
        return DownloadConnectionRefusedError(f"navegador: el proxy no abrió el túnel ({message[:200]})")
    if error == "timeout":
        return DownloadTimeoutError(f"navegador: {message}")
    return BrowserError(message or error or "el navegador no respondió")


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


def render_job(request: Request, allowed_hosts: set[str]) -> dict[str, Any]:
    """The message asking the service to render ``request`` (its ``playwright_*`` meta)."""
    methods = []
    for method in request.meta.get("playwright_page_methods") or ():
        name = getattr(method, "method", None)
        if isinstance(name, str):
            methods.append([name, list(method.args), dict(method.kwargs)])
    scripts = [
        INIT_SCRIPTS[name] for name in request.meta.get("vigia_init_scripts") or () if name in INIT_SCRIPTS
    ]
    return {
        "url": request.url,
        "headers": dict(request.headers.to_unicode_dict()),
        "allowed_hosts": sorted(allowed_hosts),
        "init_scripts": scripts,
        "page_methods": methods,
    }


def response_from(answer: dict[str, Any], request: Request) -> Response:
    """A Scrapy response from the service's answer (as scrapy-playwright built it)."""
    headers = Headers(answer.get("headers") or {})
    headers.pop("Content-Encoding", None)
    url = str(answer.get("url") or request.url)
    redirects = answer.get("redirects") or []
    if redirects:
        request.meta["redirect_times"] = len(redirects)
        request.meta["redirect_urls"] = [hop[0] for hop in redirects]
        request.meta["redirect_reasons"] = [hop[1] for hop in redirects]
    if "body_b64" in answer:  # a download
        body = base64.b64decode(answer["body_b64"])
        respcls = responsetypes.from_args(url=url, body=body)
        return respcls(
            url=url,
            status=int(answer.get("status") or 200),
            headers=headers,
            body=body,
            request=request,
            flags=["playwright"],
        )
    text = str(answer.get("text") or "")
    body, encoding = text.encode("utf-8"), "utf-8"
    content_type = headers.get("Content-Type")
    for candidate in (
        http_content_type_encoding(content_type.decode("latin-1")) if content_type else None,
        html_body_declared_encoding(text),
    ):
        if candidate:
            try:
                body, encoding = text.encode(candidate), candidate
                break
            except (UnicodeEncodeError, LookupError):
                continue
    respcls = responsetypes.from_args(headers=headers, url=url, body=body)
    ip = None
    if answer.get("ip"):
        with contextlib.suppress(ValueError):
            from ipaddress import ip_address

            ip = ip_address(str(answer["ip"]))
    return respcls(
        url=url,
        status=int(answer.get("status") or 200),
        headers=headers,
        body=body,
        request=request,
        flags=["playwright"],
        encoding=encoding,
        ip_address=ip,
    )


async def ask_service(socket_path: str, job: dict[str, Any]) -> dict[str, Any]:
    """One render: connect, send the job, read the answer (the connection closes either way, so a
    cancelled request cancels the render in the service)."""
    from crawler.browser_service import LINE_LIMIT

    try:
        reader, writer = await asyncio.open_unix_connection(socket_path, limit=LINE_LIMIT)
    except OSError as exc:
        raise BrowserError(f"el servicio del navegador no responde ({exc})") from None
    try:
        writer.write(json.dumps(job).encode("utf-8") + b"\n")
        await writer.drain()
        line = await reader.readline()
    finally:
        writer.close()
    if not line:
        raise BrowserError("el servicio del navegador cerró la conexión sin responder")
    answer = json.loads(line)
    if not isinstance(answer, dict):
        raise BrowserError("respuesta inválida del servicio del navegador")
    return answer


class BrowserServiceHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.vigia_crawler = crawler
        self.deadline = crawler.settings.getfloat("VIGIA_BROWSER_DEADLINE", 240.0)
        self.socket_path: str = crawler.settings.get("VIGIA_BROWSER_SERVICE") or ""
        self.own_service: Any = None  # started here when the run gave no service
        self._start_lock = asyncio.Lock()

    async def _service(self) -> str:
        if self.socket_path:
            return self.socket_path
        async with self._start_lock:
            if not self.socket_path:
                from crawler.browser_service import ServiceProcess, service_config

                settings = self.vigia_crawler.settings
                service = ServiceProcess(service_config(settings, settings.getbool("VIGIA_ALLOW_PRIVATE")))
                loop = asyncio.get_running_loop()
                self.socket_path = await loop.run_in_executor(None, service.start)
                self.own_service = service
        return self.socket_path

    def _in_scope(self, request: Request) -> Any:
        spider = getattr(self.vigia_crawler, "spider", None)
        state_for = getattr(spider, "state_for_request", None)
        state = state_for(request) if state_for is not None else None
        if state is None:
            return None
        document = request.meta.get("vigia_kind") == "document"
        return lambda netloc: state.in_scope(netloc, document=document)

    async def render(self, request: Request) -> Response:
        socket_path = await self._service()
        answer = await ask_service(socket_path, render_job(request, middlewares.BROWSER_ALLOWED_HOSTS))
        if not answer.get("ok"):
            raise service_failure(answer)
        if answer.get("reused") and self.vigia_crawler.stats is not None:
            self.vigia_crawler.stats.inc_value("vigia/renders_reused")  # its inputs had not changed
        return response_from(answer, request)

    async def download_request(self, request: Request) -> Response:  # type: ignore[override]
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        try:
            if self.deadline > 0:
                response = await asyncio.wait_for(self.render(request), self.deadline)
            else:
                response = await self.render(request)
        except TimeoutError:
            raise DownloadTimeoutError(
                f"el navegador no terminó {request.url} en {self.deadline:.0f} s"
            ) from None
        check_browser_response(response, request, self._in_scope(request))
        return response

    async def close(self) -> None:
        await super().close()
        await self.stop_own_service()

    async def stop_own_service(self) -> None:
        """End the service this handler started (not the run's: its starter ends it)."""
        service, self.own_service = self.own_service, None
        if service is not None:
            await asyncio.get_running_loop().run_in_executor(None, service.stop)


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


#: scripts a browser request may name in ``meta["vigia_init_scripts"]`` (installed before the page's own)
INIT_SCRIPTS = {"settle": SETTLE_SCRIPT}


class PageMethod:
    """A Playwright page method the service calls after the page loads (``meta["playwright_page_methods"]``,
    the shape scrapy-playwright gave it): its name, positional and keyword arguments."""

    def __init__(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.method, self.args, self.kwargs = method, args, kwargs


def settle_page_methods() -> list[Any]:
    return [
        PageMethod(
            "wait_for_function",
            f"() => !window.__vigiaSettled || window.__vigiaSettled({SETTLE_QUIET_MS}, {SETTLE_MOST_MS})",
            polling=50,
            timeout=SETTLE_MOST_MS + 5000,
        )
    ]
