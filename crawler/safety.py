"""Which network addresses the crawler may connect to.

Without ``allow_private`` only public (global) addresses are allowed. With it, loopback and the RFC 1918
private ranges are allowed too (tests, the demo, the simulated fleet). Link-local (169.254.0.0/16, incl.
the cloud metadata address 169.254.169.254), unspecified, multicast and reserved addresses are ALWAYS
refused. The check runs before any connection: on every request and redirect target (downloader
middleware) and on every DNS answer (:class:`GuardedResolver`).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer

_PRIVATE_ALLOWED = [
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("::1/128"),
    ipaddress.ip_network("fc00::/7"),
]


class AddressRefused(IgnoreRequest):
    """A request (or a redirect, or a DNS answer) pointed at an address the crawler must not visit."""


def address_problem(ip: str, allow_private: bool) -> str | None:
    """Why ``ip`` must not be visited (Spanish, one line), or ``None`` if it may be."""
    try:
        addr = ipaddress.ip_address(ip.strip("[]").split("%", 1)[0])
    except ValueError:
        return f"dirección IP inválida {ip!r}"
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr.is_link_local:
        return f"dirección de enlace local {addr} (siempre rechazada)"
    if addr.is_unspecified:
        return f"dirección no especificada {addr} (siempre rechazada)"
    if addr.is_multicast:
        return f"dirección multicast {addr} (siempre rechazada)"
    if addr.is_reserved:
        return f"dirección reservada {addr} (siempre rechazada)"
    if addr.is_global:
        return None
    if allow_private and any(addr in net for net in _PRIVATE_ALLOWED):
        return None
    if addr.is_loopback:
        return f"dirección de loopback {addr} (no permitida sin --allow-private-addresses)"
    if addr.is_private:
        return f"dirección privada {addr} (no permitida sin --allow-private-addresses)"
    return f"dirección no pública {addr} (rechazada)"


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def host_problem(host: str, allow_private: bool, resolve: bool = True) -> str | None:
    """Check a host name or IP literal; names are resolved (every answer must be allowed)."""
    if not host:
        return "URL sin dominio"
    if is_ip_literal(host):
        return address_problem(host, allow_private)
    lowered = host.lower().rstrip(".")
    if lowered == "localhost" or lowered.endswith(".localhost"):
        return address_problem("127.0.0.1", allow_private)
    if not resolve:
        return None
    try:
        infos = socket.getaddrinfo(lowered, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None  # the download itself will fail with a DNS error, recorded as dns_error
    for info in infos:
        problem = address_problem(str(info[4][0]), allow_private)
        if problem:
            return f"{host} resuelve a {problem}"
    return None


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing DNS answers that point at forbidden addresses."""

    allow_private: bool = False

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("VIGIA_ALLOW_PRIVATE", False)
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:  # noqa: N802
        d = super().getHostByName(name, timeout)

        def check(ip: str) -> str:
            problem = address_problem(ip, self.allow_private)
            if problem:
                raise AddressRefused(f"{name} resuelve a {problem}")
            return ip

        d.addCallback(check)
        return d
