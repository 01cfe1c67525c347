"""Names shared by the generator, the server and the truth: failure modes, quirks, hosts and addresses."""

from __future__ import annotations

from vigia.registry import PLATFORMS as REGISTRY_PLATFORMS

#: The platforms the fleet simulates: every one the registry knows, but "unknown".
PLATFORMS: tuple[str, ...] = tuple(p for p in REGISTRY_PLATFORMS if p != "unknown")

#: failure mode -> (expected crawl outcome, expected incident kinds)
FAILURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "connection_refused": ("unreachable", ("connection_refused",)),
    "http_5xx": ("unreachable", ("http_5xx",)),
    "timeout": ("unreachable", ("timeout",)),
    "redirect_loop": ("unreachable", ("redirect_loop",)),
    "login_wall": ("blocked", ("login_wall",)),
    "captcha": ("blocked", ("captcha",)),
    "robots_disallow": ("disallowed", ("robots_disallowed",)),
    "section_5xx": ("partial", ("http_5xx",)),
    "section_timeout": ("partial", ("timeout",)),
    "private_redirect": ("partial", ("private_address_refused",)),
}
#: Share of portals with each failure mode in a "mix" fleet (at 340 portals each gets at least 2).
FAILURE_RATES: dict[str, float] = {
    "connection_refused": 0.024,
    "http_5xx": 0.012,
    "timeout": 0.009,
    "redirect_loop": 0.009,
    "login_wall": 0.009,
    "captcha": 0.006,
    "robots_disallow": 0.009,
    "section_5xx": 0.009,
    "section_timeout": 0.006,
    "private_redirect": 0.009,
}
#: Quirks a completely crawled portal may have, with the incident kinds they cause.
QUIRKS: dict[str, tuple[str, ...]] = {
    "trap_calendar": ("trap_cut",),
    "trap_session": ("trap_cut",),
    "huge_file": ("size_cap",),
    "latin1": (),
    "malformed_html": (),
    "doc_404": ("http_404",),
    "slow": (),
}
QUIRK_RATES: dict[str, float] = {
    "trap_calendar": 0.012,
    "trap_session": 0.012,
    "huge_file": 0.009,
    "latin1": 0.035,
    "malformed_html": 0.035,
    "doc_404": 0.025,
    "slow": 0.009,
}
#: Failure modes that need one page per numeral (the failing pages are numeral pages).
PARTIAL_FAILURES = frozenset({"section_5xx", "section_timeout", "private_redirect"})


PORTAL_NET = "127.77"
COMPRAS_HOST = "127.78.0.10"
DRIVE_HOST = "127.78.0.20"
PRIVATE_REDIRECT_TARGET = "http://169.254.169.254/latest/meta-data/"
HUGE_FILE_SIZE = 3 * 1024**3
SLOW_SECONDS = 120.0
#: Delay of every response of a ``slow`` portal: very slow, but under any sane crawler timeout.
SLOW_PORTAL_SECONDS = 1.5


def portal_host(index: int) -> str:
    """Loopback address of portal ``index`` (0-based): 127.77.1.1, 127.77.1.2, … 127.77.1.250, 127.77.2.1, …"""
    return f"{PORTAL_NET}.{1 + index // 250}.{1 + index % 250}"
