"""The browser service: Chromium driven by Playwright in a process of its own, with its own event loop.

Before, each crawl process drove Chromium through scrapy-playwright on the crawl's own asyncio loop: every
Playwright round trip (a new page, each of the page's requests through the abort/route callback, the
settle probe, the page's content) waited for a turn of a loop busy parsing pages and writing evidence, so
the first rendered pages arrived after ≈ 60 s and the JavaScript portals finished last. Now a crawl
starts **one** service (``python -m crawler.browser_service``, :class:`ServiceProcess`), and every crawl
process of the run sends it one message per browser request ("render this URL with these options") on a
Unix socket and gets back one message (final URL, status, headers, HTML, redirect chain, or the error).
The service's loop does nothing else.

Protocol (one connection per render; one JSON line each way): the request ``{"url", "headers",
"allowed_hosts", "init_scripts", "page_methods": [[name, args, kwargs]], "navigation_timeout_ms"}``; the
answer ``{"ok": true, "url", "status", "headers": {…}, "text" | "body_b64", "redirects": [[url, status]],
"ip"}`` or ``{"ok": false, "error": kind, "message", "kind", "reason"}`` (``kind``/``reason``: the proxy's
refusal a failed tunnel is attributed to). A client that closes its connection (the crawl's deadline, a
cancelled download) cancels the render and frees the page.

The address rule (issue 14) is unchanged: Chromium's only way out is :mod:`crawler.browser_proxy`, which
now runs in this process (a thread with its own loop, as before); the page's own requests outside the
portal's hosts, to a forbidden literal address, or for images/fonts/media are aborted
(:func:`crawler.middlewares.browser_request_refused`, the hosts sent with each render). What a render
returns is judged by the crawl process (:func:`crawler.handlers.check_browser_response`).

Shutdown: the service ends when its standard input closes (the process that started it holds the other
end: it closes it when the crawl ends, and the kernel closes it when that process dies, even by
``SIGKILL``), on ``SIGTERM`` and when its parent dies (``PR_SET_PDEATHSIG``); it closes Chromium first.
Playwright's driver kills Chromium when the service itself is killed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from crawler.render_memo import INPUT_TYPES, RenderMemo, input_record, unchanged

#: navigation errors that mean the proxy refused or could not open a tunnel
TUNNEL_ERRORS = ("ERR_TUNNEL_CONNECTION_FAILED", "ERR_PROXY_CONNECTION_FAILED", "ERR_UNEXPECTED_PROXY_AUTH")
#: page methods a render may ask for (waits only)
PAGE_METHODS = {"wait_for_function", "wait_for_selector", "wait_for_load_state", "wait_for_timeout"}
#: the longest message line (a page's HTML is capped by the crawler at 5 MB; JSON escaping may double it)
LINE_LIMIT = 64 * 1024 * 1024
_NAVIGATING = "Unable to retrieve content because the page is navigating"
_TARGET_CLOSED_RETRIES = 3


# --------------------------------------------------------------------------- the service itself


class BrowserService:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.allow_private = bool(config.get("allow_private"))
        self.pages = asyncio.Semaphore(max(1, int(config.get("pages") or 4)))
        self.launch_options: dict[str, Any] = dict(config.get("launch_options") or {})
        self.navigation_timeout_ms = config.get("navigation_timeout_ms")
        self.proxy: Any = None
        self.playwright: Any = None
        self.browser: Any = None
        self.context: Any = None
        self._launch_lock = asyncio.Lock()
        self.renders = 0
        self.memo = RenderMemo(config.get("memo_dir"), float(config.get("reuse_days") or 0) * 86400.0)

    async def _ensure_context(self) -> Any:
        async with self._launch_lock:
            if self.context is not None:
                return self.context
            if self.playwright is None:
                from playwright.async_api import async_playwright

                self.playwright = await async_playwright().start()
            if self.browser is None:
                options = dict(self.launch_options)
                options["proxy"] = {"server": self.proxy.url}
                self.browser = await self.playwright.chromium.launch(**options)
                self.browser.on("disconnected", self._disconnected)
            self.context = await self.browser.new_context()
            if self.navigation_timeout_ms is not None:
                self.context.set_default_navigation_timeout(float(self.navigation_timeout_ms))
            return self.context

    def _disconnected(self, *_: Any) -> None:  # Chromium crashed or was killed: the next render relaunches
        self.browser = None
        self.context = None

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.context is not None:
                await self.context.close()
        with contextlib.suppress(Exception):
            if self.browser is not None:
                await self.browser.close()
        with contextlib.suppress(Exception):
            if self.playwright is not None:
                await self.playwright.stop()
        self.context = self.browser = self.playwright = None

    # ------------------------------------------------------------------ one render
    async def render(self, job: dict[str, Any]) -> dict[str, Any]:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        started = time.monotonic()
        record = self.memo.load(job)
        if record is not None and await self._unchanged(record, job):
            self.memo.reused += 1
            return {"ok": True, **record["answer"], "reused": True}
        try:
            async with self.pages:
                for attempt in range(_TARGET_CLOSED_RETRIES + 1):
                    try:
                        return await self._render_once(job)
                    except PlaywrightError as exc:
                        closed = "has been closed" in str(exc) or "Target closed" in str(exc)
                        if not closed or attempt == _TARGET_CLOSED_RETRIES:
                            raise
                raise RuntimeError("unreachable")
        except PlaywrightTimeout as exc:
            return {"ok": False, "error": "timeout", "message": _first_line(exc)}
        except PlaywrightError as exc:
            text = _first_line(exc)
            if any(code in str(exc) for code in TUNNEL_ERRORS):
                refusals = self.proxy.refusals_since(started)
                if refusals:
                    worst = next((r for r in refusals if r.kind == "private_address_refused"), refusals[0])
                    return {"ok": False, "error": "proxy", "kind": worst.kind, "reason": worst.reason}
                return {"ok": False, "error": "tunnel", "message": text}
            return {"ok": False, "error": "browser", "message": text}

    async def _unchanged(self, record: dict[str, Any], job: dict[str, Any]) -> bool:
        """Whether every input of an earlier render is as it was (crawler/render_memo.py)."""
        from crawler.middlewares import browser_request_refused

        allowed = {str(h) for h in job.get("allowed_hosts") or []}
        agent = str(
            {str(k).lower(): v for k, v in (job.get("headers") or {}).items()}.get("user-agent") or ""
        )
        timeout = float(self.navigation_timeout_ms or 20000) / 1000.0
        return await unchanged(
            record,
            self.proxy.url,
            agent,
            lambda kind, url: browser_request_refused(kind, url, allowed, self.allow_private),
            timeout,
        )

    async def _render_once(self, job: dict[str, Any]) -> dict[str, Any]:
        from crawler.middlewares import browser_request_refused

        context = await self._ensure_context()
        page = await context.new_page()
        # what the page is built from, for the next night (crawler/render_memo.py): None once an input
        # cannot be revalidated
        inputs: list[dict[str, Any] | None] = []
        reading: list[asyncio.Future[Any]] = []
        aborted: set[str] = set()

        async def read_input(response: Any) -> None:
            request = response.request
            try:
                body = await response.body()
                headers = await response.all_headers()
            except Exception:  # noqa: BLE001 - a body the browser did not keep: not reusable
                inputs.append(None)
                return
            inputs.append(
                input_record(
                    response.url, request.method, request.resource_type, response.status, headers, body
                )
            )

        def on_response(response: Any) -> None:
            if response.request.resource_type in INPUT_TYPES:
                reading.append(asyncio.ensure_future(read_input(response)))

        def on_failed(request: Any) -> None:
            if request.resource_type in INPUT_TYPES and request.url not in aborted:
                inputs.append(None)

        page.on("response", on_response)
        page.on("requestfailed", on_failed)
        try:
            if self.navigation_timeout_ms is not None:
                page.set_default_navigation_timeout(float(self.navigation_timeout_ms))
            url = str(job["url"])
            allowed = {str(h) for h in job.get("allowed_hosts") or []}
            scrapy_headers = {str(k).lower(): str(v) for k, v in (job.get("headers") or {}).items()}
            first = asyncio.Event()

            async def route(route: Any, request: Any) -> None:
                if browser_request_refused(request.resource_type, request.url, allowed, self.allow_private):
                    aborted.add(request.url)
                    await route.abort()
                    return
                headers = await request.all_headers()
                if (
                    not first.is_set()
                    and request.is_navigation_request()
                    and request.url.rstrip("/") == url.rstrip("/")
                ):
                    # the page itself: Scrapy's headers (as scrapy-playwright's use_scrapy_headers)
                    first.set()
                    merged = dict(scrapy_headers)
                    merged.setdefault("user-agent", headers.get("user-agent", ""))
                    if headers.get("referer"):
                        merged.setdefault("referer", headers["referer"])
                    headers = merged
                elif scrapy_headers.get("user-agent"):
                    headers["user-agent"] = scrapy_headers["user-agent"]
                with contextlib.suppress(Exception):
                    await route.continue_(headers=headers)

            await page.route("**", route)
            for script in job.get("init_scripts") or []:
                await page.add_init_script(str(script))
            response, download = await self._goto(page, url)
            if download is not None:
                return download
            redirects: list[list[Any]] = []
            headers: dict[str, str] = {}
            status = 200
            ip = None
            if response is not None:
                status = response.status
                headers = dict(await response.all_headers())
                headers.pop("content-encoding", None)
                hop = response.request.redirected_from
                while hop is not None:
                    answer = await hop.response()
                    redirects.append([hop.url, None if answer is None else answer.status])
                    hop = hop.redirected_from
                redirects.reverse()
            for name, args, kwargs in job.get("page_methods") or []:
                if name not in PAGE_METHODS:
                    continue
                await getattr(page, name)(*args, **kwargs)
                await page.wait_for_load_state(timeout=self.navigation_timeout_ms)
            try:
                text = await page.content()
            except Exception as exc:  # noqa: BLE001 - once more when the page was navigating
                if _NAVIGATING not in str(exc):
                    raise
                await page.wait_for_load_state(timeout=self.navigation_timeout_ms)
                text = await page.content()
            if response is not None:
                with contextlib.suppress(Exception):
                    ip = (await response.server_addr() or {}).get("ipAddress")
            self.renders += 1
            answer = {
                "ok": True,
                "url": page.url,
                "status": status,
                "headers": headers,
                "text": text,
                "redirects": redirects,
                "ip": ip,
            }
            if reading:
                await asyncio.gather(*reading, return_exceptions=True)
            if inputs and all(i is not None for i in inputs) and not redirects:
                self.memo.save(job, [i for i in inputs if i is not None], answer)
            return answer
        finally:
            with contextlib.suppress(Exception):
                await page.close()

    async def _goto(self, page: Any, url: str) -> tuple[Any, dict[str, Any] | None]:
        """``page.goto``; a URL that starts a download (a page link that answers with a file) gives the
        file, as scrapy-playwright did."""
        from playwright.async_api import Error as PlaywrightError

        downloads: list[Any] = []
        started = asyncio.Event()
        answer: dict[str, Any] = {}

        def on_download(download: Any) -> None:
            downloads.append(download)
            started.set()

        async def on_response(response: Any) -> None:
            answer["status"] = response.status
            with contextlib.suppress(Exception):
                answer["headers"] = await response.all_headers()

        page.on("download", on_download)
        page.on("response", on_response)
        try:
            return await page.goto(url), None
        except PlaywrightError as err:
            if "Download is starting" not in str(err) and "net::ERR_ABORTED" not in str(err):
                raise
            try:
                await asyncio.wait_for(started.wait(), timeout=10)
            except TimeoutError:
                raise err from None
            download = downloads[0]
            failure = await download.failure()
            if failure:
                raise PlaywrightError(f"no se pudo descargar {download.url}: {failure}") from None
            body = Path(await download.path()).read_bytes()
            headers = dict(answer.get("headers") or {})
            headers.pop("content-encoding", None)
            return None, {
                "ok": True,
                "url": download.url,
                "status": int(answer.get("status") or 200),
                "headers": headers,
                "body_b64": base64.b64encode(body).decode("ascii"),
                "redirects": [],
                "ip": None,
            }
        finally:
            page.remove_listener("download", on_download)
            page.remove_listener("response", on_response)

    # ------------------------------------------------------------------ one client
    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            if not line:
                return
            try:
                job = json.loads(line)
                if not isinstance(job, dict) or not isinstance(job.get("url"), str):
                    raise ValueError("sin url")
            except ValueError as exc:
                answer: dict[str, Any] = {"ok": False, "error": "bad_request", "message": str(exc)}
            else:
                render = asyncio.ensure_future(self.render(job))
                gone = asyncio.ensure_future(reader.read(1))  # the client closed: cancel the render
                await asyncio.wait({render, gone}, return_when=asyncio.FIRST_COMPLETED)
                if not render.done():
                    render.cancel()
                    with contextlib.suppress(BaseException):
                        await render
                    return
                gone.cancel()
                try:
                    answer = render.result()
                except Exception as exc:  # noqa: BLE001 - an answer for every request
                    answer = {"ok": False, "error": "browser", "message": f"{type(exc).__name__}: {exc}"}
            writer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:500]


async def serve(config: dict[str, Any], socket_path: str) -> None:
    from crawler.browser_proxy import BrowserProxy

    service = BrowserService(config)
    service.proxy = BrowserProxy(service.allow_private)
    service.proxy.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # standard input closes when the process that started the service ends (or dies)
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)

    async def watch_stdin() -> None:
        with contextlib.suppress(Exception):
            while await stdin.read(4096):
                pass
        stop.set()

    watcher = asyncio.ensure_future(watch_stdin())
    server = await asyncio.start_unix_server(service.handle, socket_path, limit=LINE_LIMIT)
    os.chmod(socket_path, 0o600)
    sys.stdout.write(json.dumps({"event": "ready", "socket": socket_path, "pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        watcher.cancel()
        server.close()
        await service.close()
        service.proxy.stop()


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG = 1


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        sys.stderr.write("uso: python -m crawler.browser_service SOCKET CONFIG_JSON\n")
        return 2
    socket_path, config = args[0], json.loads(args[1])
    asyncio.run(serve(config, socket_path))
    return 0


# --------------------------------------------------------------------------- starting it


def service_config(settings: Any, allow_private: bool, pages: int | None = None) -> dict[str, Any]:
    """The service's configuration from the crawl's Scrapy settings (``settings.get``/``getint``)."""
    from crawler.handlers import PROXY_ARGS

    launch = dict(settings.get("PLAYWRIGHT_LAUNCH_OPTIONS") or {})
    launch["args"] = [*launch.get("args", []), *PROXY_ARGS]
    launch.pop("proxy", None)  # the proxy is always the service's own
    return {
        "allow_private": bool(allow_private),
        "pages": int(pages or settings.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT") or 4),
        "launch_options": launch,
        "navigation_timeout_ms": settings.get("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT"),
        # renders kept for pages whose inputs did not change (crawler/render_memo.py)
        "memo_dir": settings.get("VIGIA_RENDER_MEMO_DIR") or None,
        "reuse_days": settings.getfloat("VIGIA_RENDER_REUSE_DAYS", 7.0),
    }


class ServiceProcess:
    """Start the service as a child process (``start()`` → the socket's path) and end it (``stop()``)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None
        self.folder: str | None = None
        self.socket_path = ""

    def start(self, timeout: float = 60.0) -> str:
        # a short private folder: a Unix socket's path is limited to 107 bytes
        self.folder = tempfile.mkdtemp(prefix="vigia-browser-")
        self.socket_path = os.path.join(self.folder, "s")
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.browser_service", self.socket_path, json.dumps(self.config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=root,
            preexec_fn=_die_with_parent,
        )
        ready: list[bytes] = []
        assert self.proc.stdout is not None
        reader = threading.Thread(target=lambda: ready.append(self.proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        if not ready or not ready[0]:
            self.stop()
            raise RuntimeError("el servicio del navegador no arrancó")
        return self.socket_path

    def stop(self, timeout: float = 20.0) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            with contextlib.suppress(Exception):
                assert proc.stdin is not None
                proc.stdin.close()  # the service closes Chromium and exits
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            with contextlib.suppress(Exception):
                assert proc.stdout is not None
                proc.stdout.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


if __name__ == "__main__":
    sys.exit(main())
