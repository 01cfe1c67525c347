"""A forward proxy that holds the browser (Chromium) to the crawler's address rules.

Scrapy checks every request, redirect target and DNS answer (``crawler/safety.py``), but Chromium
follows redirects and resolves names by itself: a JavaScript portal answering ``302 → http://127.0.0.1/``
or a name whose second DNS answer is ``127.0.0.1`` (DNS rebinding) would reach an internal address and
its page would be stored as the portal's evidence. So Chromium is launched with this proxy as its only
way out (Playwright's ``proxy`` launch option; Playwright also adds ``--proxy-bypass-list=<-loopback>``,
so not even loopback bypasses it), and the proxy, for **every** request of every hop:

* accepts only ``http://`` requests in absolute form and ``CONNECT host:port`` (HTTPS and WebSocket
  tunnels); anything else (``ftp://``, malformed request lines) is refused;
* resolves the host itself, refuses it when **any** answer is a forbidden address
  (:func:`crawler.safety.address_problem`, the crawler's own rule), and connects to the very address it
  checked (pinned: there is no second lookup for a rebinding answer to slip into);
* with ``allow_private`` (tests, the demo) it still runs and applies the same rule, which then allows
  loopback and RFC 1918 addresses (link-local, multicast, reserved… are still refused).

A refused or failed plain-HTTP request is answered with status 502 and the header ``X-Vigia-Proxy``
(``private_address_refused``, ``dns_error``, ``connection_refused``, ``timeout``, ``bad_request``) plus
``X-Vigia-Proxy-Reason`` (one Spanish line, percent-encoded); the browser handler (``crawler/handlers.py``) turns such a
response into the matching download failure, so nothing it carries is stored as evidence. A refused
``CONNECT`` makes Chromium fail the navigation (``ERR_TUNNEL_CONNECTION_FAILED``); the proxy keeps the
last refusals (:meth:`BrowserProxy.refusals_since`) so the handler can say why.

The proxy runs in a thread of the crawl process with its own event loop (so a busy crawl loop does not
slow the browser down) and listens on ``127.0.0.1`` on a free port.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from crawler.safety import address_problem, is_ip_literal

#: header the proxy adds to its own answers (the browser handler reads it)
MARKER = "X-Vigia-Proxy"
REASON = "X-Vigia-Proxy-Reason"
_HEAD_LIMIT = 64 * 1024
_CONNECT_TIMEOUT = 20.0
_IDLE_TIMEOUT = 120.0
_HOP_HEADERS = {b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive"}


@dataclass(frozen=True)
class Refusal:
    at: float  # time.monotonic()
    host: str
    port: int
    kind: str  # private_address_refused | dns_error | connection_refused | timeout | bad_request
    reason: str


class ProxyRefused(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class BrowserProxy:
    """``start()`` → ``url`` (``http://127.0.0.1:PORT``); ``stop()`` ends it."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._refusals: collections.deque[Refusal] = collections.deque(maxlen=500)
        self._lock = threading.Lock()
        self.port = 0
        self.connections = 0

    # ------------------------------------------------------------------ life cycle
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        if self._thread is not None:
            return self.url
        error: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._handle, "127.0.0.1", 0, limit=_HEAD_LIMIT)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                error.append(exc)
                self._ready.set()
                loop.close()
                return
            self._ready.set()
            try:
                loop.run_forever()
            finally:
                self._server.close()
                with contextlib.suppress(Exception):
                    loop.run_until_complete(self._server.wait_closed())
                loop.close()

        self._thread = threading.Thread(target=run, name="vigia-browser-proxy", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if error:
            raise RuntimeError(f"no se pudo abrir el proxy del navegador: {error[0]}")
        return self.url

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
        self._thread = None

    # ------------------------------------------------------------------ refusals
    def _note(self, host: str, port: int, kind: str, reason: str) -> None:
        with self._lock:
            self._refusals.append(Refusal(time.monotonic(), host, port, kind, reason))

    def refusals_since(self, since: float) -> list[Refusal]:
        """Refusals noted at or after ``since`` (``time.monotonic()``), oldest first."""
        with self._lock:
            return [r for r in self._refusals if r.at >= since]

    # ------------------------------------------------------------------ the address rule
    async def _resolve(self, host: str, port: int) -> list[tuple[int, str]]:
        """Every address of ``host`` (family, ip); refused when any of them is forbidden."""
        loop = asyncio.get_running_loop()
        name = host.strip("[]")
        lowered = name.lower().rstrip(".")
        if lowered == "localhost" or lowered.endswith(".localhost"):
            problem = address_problem("127.0.0.1", self.allow_private)
            if problem:
                raise ProxyRefused("private_address_refused", f"{host}: {problem}")
        try:
            infos = await loop.getaddrinfo(name, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:
            raise ProxyRefused("dns_error", f"no se pudo resolver {host} ({exc})") from None
        answers: list[tuple[int, str]] = []
        literal = is_ip_literal(name)
        for family, _type, _proto, _canon, sockaddr in infos:
            ip = str(sockaddr[0])
            problem = address_problem(ip, self.allow_private)
            if problem:
                said = problem if literal else f"{host} resuelve a {problem}"
                raise ProxyRefused("private_address_refused", said)
            if (family, ip) not in answers:
                answers.append((family, ip))
        if not answers:
            raise ProxyRefused("dns_error", f"no se pudo resolver {host}")
        return answers

    async def _open(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        answers = await self._resolve(host, port)
        last: BaseException | None = None
        for _family, ip in answers:  # pinned: connect to the checked address itself, never the name
            try:
                return await asyncio.wait_for(asyncio.open_connection(ip, port), _CONNECT_TIMEOUT)
            except TimeoutError as exc:
                last = exc
            except OSError as exc:
                last = exc
        if isinstance(last, TimeoutError):
            raise ProxyRefused("timeout", f"{host}:{port} no respondió en {_CONNECT_TIMEOUT:.0f} s")
        raise ProxyRefused("connection_refused", f"{host}:{port} rechazó la conexión ({last})")

    # ------------------------------------------------------------------ one client connection
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        upstream: asyncio.StreamWriter | None = None
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _IDLE_TIMEOUT)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, OSError):
                return
            line, _, rest = head.partition(b"\r\n")
            parts = line.split(b" ")
            if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):
                await self._refuse_plain(writer, "", 0, "bad_request", "solicitud mal formada al proxy")
                return
            method, target = parts[0].decode("ascii", "replace"), parts[1].decode("ascii", "replace")
            if method == "CONNECT":
                await self._tunnel(reader, writer, target)
                return
            await self._forward(reader, writer, method, target, parts[2], rest)
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for w in (writer, upstream):
                if w is not None:
                    with contextlib.suppress(Exception):
                        w.close()

    async def _refuse_plain(
        self, writer: asyncio.StreamWriter, host: str, port: int, kind: str, reason: str
    ) -> None:
        self._note(host, port, kind, reason)
        body = f"Vigía: solicitud del navegador rechazada: {reason}\n".encode()
        safe_reason = quote(reason, safe=" :/()[],.-_'").encode("ascii")
        writer.write(
            b"HTTP/1.1 502 Bad Gateway\r\n"
            + f"{MARKER}: {kind}\r\n".encode("ascii")
            + f"{REASON}: ".encode("ascii")
            + safe_reason
            + b"\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("ascii")
            + body
        )
        with contextlib.suppress(Exception):
            await writer.drain()

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, target: str) -> None:
        host, _, port_text = target.rpartition(":")
        try:
            port = int(port_text)
        except ValueError:
            port = 0
        if not host or not 0 < port < 65536:
            self._note(target, 0, "bad_request", f"destino CONNECT inválido {target!r}")
            writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
            return
        try:
            up_reader, up_writer = await self._open(host, port)
        except ProxyRefused as exc:
            self._note(host.strip("[]"), port, exc.kind, exc.reason)
            writer.write(
                b"HTTP/1.1 403 Forbidden\r\n"
                + f"{MARKER}: {exc.kind}\r\n".encode()
                + b"Connection: close\r\n\r\n"
            )
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        try:
            await _pipe_both(reader, writer, up_reader, up_writer)
        finally:
            with contextlib.suppress(Exception):
                up_writer.close()

    async def _forward(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        method: str,
        target: str,
        version: bytes,
        rest: bytes,
    ) -> None:
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            await self._refuse_plain(
                writer,
                parts.hostname or "",
                0,
                "bad_request",
                f"esquema o destino no permitido {target[:200]!r}",
            )
            return
        try:
            port = parts.port or 80
        except ValueError:
            await self._refuse_plain(writer, parts.hostname, 0, "bad_request", "puerto inválido")
            return
        host = parts.hostname
        try:
            up_reader, up_writer = await self._open(host, port)
        except ProxyRefused as exc:
            await self._refuse_plain(writer, host, port, exc.kind, exc.reason)
            return
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = [h for h in rest.split(b"\r\n") if h]
        kept = [h for h in headers if h.split(b":", 1)[0].strip().lower() not in _HOP_HEADERS]
        up_writer.write(
            f"{method} {path} ".encode("ascii", "replace")
            + version
            + b"\r\n"
            + b"".join(h + b"\r\n" for h in kept)
            + b"Connection: close\r\n\r\n"
        )
        try:
            await up_writer.drain()
            # the answer's head: mark the connection to the browser as closing after this response
            try:
                response_head = await asyncio.wait_for(up_reader.readuntil(b"\r\n\r\n"), _IDLE_TIMEOUT)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                await self._refuse_plain(
                    writer, host, port, "connection_refused", f"{host}:{port} no envió una respuesta HTTP"
                )
                return
            status, _, fields = response_head.partition(b"\r\n")
            lines = [h for h in fields.split(b"\r\n") if h]
            lines = [h for h in lines if h.split(b":", 1)[0].strip().lower() not in _HOP_HEADERS]
            writer.write(
                status + b"\r\n" + b"".join(h + b"\r\n" for h in lines) + b"Connection: close\r\n\r\n"
            )
            await _pipe_both(reader, writer, up_reader, up_writer)
        finally:
            with contextlib.suppress(Exception):
                up_writer.close()


async def _copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while True:
            chunk = await asyncio.wait_for(src.read(65536), _IDLE_TIMEOUT)
            if not chunk:
                break
            dst.write(chunk)
            await dst.drain()
    except (ConnectionError, OSError, TimeoutError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            if dst.can_write_eof():
                dst.write_eof()


async def _pipe_both(
    a_reader: asyncio.StreamReader,
    a_writer: asyncio.StreamWriter,
    b_reader: asyncio.StreamReader,
    b_writer: asyncio.StreamWriter,
) -> None:
    """Copy both ways until one side ends (then the other is closed too)."""
    tasks = {
        asyncio.ensure_future(_copy(b_reader, a_writer)),
        asyncio.ensure_future(_copy(a_reader, b_writer)),
    }
    _done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


_SHARED: dict[bool, BrowserProxy] = {}
_SHARED_LOCK = threading.Lock()


def shared_proxy(allow_private: bool) -> BrowserProxy:
    """The crawl process's proxy (started once, on first use)."""
    with _SHARED_LOCK:
        proxy = _SHARED.get(allow_private)
        if proxy is None:
            proxy = BrowserProxy(allow_private)
            proxy.start()
            _SHARED[allow_private] = proxy
        return proxy
