"""The browser's proxy (crawler/browser_proxy.py) applies the crawler's address rule on every request,
to the address it resolved itself, and the browser handler turns its refusals into download failures."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from scrapy.http import HtmlResponse, Request

from crawler.browser_proxy import MARKER, BrowserProxy
from crawler.handlers import check_browser_response, proxy_failure
from crawler.middlewares import OutOfScope
from crawler.safety import AddressRefused


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = f"interno {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy_factory() -> Iterator[Any]:
    started: list[BrowserProxy] = []

    def make(allow_private: bool) -> BrowserProxy:
        proxy = BrowserProxy(allow_private)
        proxy.start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()


def _raw(proxy: BrowserProxy, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_loopback_refused_without_the_flag(proxy_factory: Any, origin: int) -> None:
    proxy = proxy_factory(False)
    answer = _raw(proxy, f"GET http://127.0.0.1:{origin}/secreto HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 502")
    assert f"{MARKER}: private_address_refused".encode() in answer
    assert b"interno" not in answer
    assert [r.kind for r in proxy.refusals_since(0)] == ["private_address_refused"]


def test_localhost_by_name_is_resolved_and_refused(proxy_factory: Any, origin: int) -> None:
    proxy = proxy_factory(False)
    answer = _raw(proxy, f"GET http://localhost:{origin}/ HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    assert b"private_address_refused" in answer and b"interno" not in answer


def test_connect_to_loopback_refused(proxy_factory: Any, origin: int) -> None:
    proxy = proxy_factory(False)
    answer = _raw(proxy, f"CONNECT 127.0.0.1:{origin} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 403")
    assert proxy.refusals_since(0)[0].kind == "private_address_refused"


def test_allowed_with_the_flag_and_forwarded(proxy_factory: Any, origin: int) -> None:
    proxy = proxy_factory(True)
    answer = _raw(
        proxy,
        f"GET http://127.0.0.1:{origin}/pagina?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Proxy-Connection: keep-alive\r\n\r\n".encode(),
    )
    assert answer.startswith(b"HTTP/1.0 200") or answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"interno /pagina?x=1")
    assert b"Connection: close" in answer


def test_tunnel_allowed_with_the_flag(proxy_factory: Any, origin: int) -> None:
    proxy = proxy_factory(True)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(f"CONNECT 127.0.0.1:{origin} HTTP/1.1\r\n\r\n".encode())
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /tunel HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.endswith(b"interno /tunel")


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "http://0.0.0.0:1/", "http://224.0.0.1/"],
)
def test_always_refused_even_with_the_flag(proxy_factory: Any, target: str) -> None:
    proxy = proxy_factory(True)
    answer = _raw(proxy, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert b"private_address_refused" in answer


@pytest.mark.parametrize(
    "request_line",
    [b"GET ftp://127.0.0.1/x HTTP/1.1", b"GET /relativo HTTP/1.1", b"BASURA", b"CONNECT sinpuerto HTTP/1.1"],
)
def test_other_schemes_and_malformed_requests_refused(proxy_factory: Any, request_line: bytes) -> None:
    proxy = proxy_factory(True)
    answer = _raw(proxy, request_line + b"\r\n\r\n")
    assert answer.startswith((b"HTTP/1.1 502", b"HTTP/1.1 400"))
    assert b"interno" not in answer


def test_unresolvable_and_closed_ports_are_reported(proxy_factory: Any) -> None:
    proxy = proxy_factory(True)
    answer = _raw(proxy, b"GET http://no-existe.invalid/ HTTP/1.1\r\n\r\n")
    assert f"{MARKER}: dns_error".encode() in answer
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    answer = _raw(proxy, f"GET http://127.0.0.1:{closed}/ HTTP/1.1\r\n\r\n".encode())
    assert f"{MARKER}: connection_refused".encode() in answer


def _response(url: str, headers: dict[str, str] | None = None) -> HtmlResponse:
    return HtmlResponse(url=url, body=b"<html></html>", headers=headers or {}, request=Request(url))


def test_handler_turns_proxy_answers_into_failures() -> None:
    request = Request("http://portal.example/")
    with pytest.raises(AddressRefused, match="127.0.0.1"):
        check_browser_response(
            _response(
                "http://portal.example/",
                {
                    MARKER: "private_address_refused",
                    "X-Vigia-Proxy-Reason": "dirección de loopback 127.0.0.1",
                },
            ),
            request,
        )
    assert isinstance(proxy_failure("dns_error", "x"), CannotResolveHostError)
    assert isinstance(proxy_failure("connection_refused", "x"), DownloadConnectionRefusedError)


def test_handler_fails_error_pages_and_off_scope_final_urls() -> None:
    request = Request("http://portal.example/")
    with pytest.raises(OutOfScope, match="chrome-error"):
        check_browser_response(_response("chrome-error://chromewebdata/"), request)
    with pytest.raises(OutOfScope, match="fuera de los hosts"):
        check_browser_response(
            _response("http://otro.example/"), request, lambda netloc: netloc == "portal.example"
        )
    check_browser_response(_response("http://portal.example/a"), request, lambda n: n == "portal.example")
