"""Helpers to use the simulated fleet from tests: generate a small fleet, run its server, fetch from it.

Other test modules may import these (``from tests.fleet_helpers import ...`` or, with ``tests`` on the path,
``from fleet_helpers import ...``)::

    spec, truth = make_fleet(tmp_path / "fleet", portals=6, failures="none")
    with fleet_server(tmp_path / "fleet"):
        status, headers, body = fetch(truth["portals"][0]["url"])

The server runs in a subprocess (``python -m vigia.cli fleet serve``) on loopback addresses only
(127.77.x.y for portals, 127.78.0.x for the document hosts) and a free port.
"""

from __future__ import annotations

import http.client
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_fleet(
    out: Path,
    portals: int = 14,
    failures: str = "all",
    platforms: list[str] | None = None,
    seed: int = 2026,
    port: int | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Generate a fleet from the repository's municipalities.csv into ``out`` (on a free port)."""
    from fleet.files import write_fleet
    from vigia.registry import load_registry

    registry = load_registry(ROOT / "municipalities.csv")
    return write_fleet(
        out,
        registry,
        portals,
        seed=seed,
        base_port=port or free_port(),
        failures=failures,
        platforms=platforms,
    )


def fleet_server(fleet_dir: Path, *args: str, timeout: float = 30.0) -> Any:
    """Run ``vigia fleet serve`` on ``fleet_dir`` until the block ends (:func:`fleet.server.serve_subprocess`)."""
    from fleet.server import serve_subprocess

    return serve_subprocess(fleet_dir, *args, timeout=timeout)


def fetch(
    url: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
    read: bool = True,
) -> tuple[int, dict[str, str], bytes]:
    """One request, no redirects followed (loopback only: refuses any other address)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host.startswith("127."):
        raise ValueError(f"tests only talk to loopback, not {host}")
    conn = http.client.HTTPConnection(host, parts.port or 80, timeout=timeout)
    try:
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read() if read and method != "HEAD" else b""
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def portal(truth: dict[str, Any], **match: Any) -> dict[str, Any]:
    """The first portal of the truth whose fields equal ``match`` (e.g. failure="captcha")."""
    for p in truth["portals"]:
        if all(p.get(k) == v for k, v in match.items()):
            return p
    raise LookupError(f"no portal with {match}")
