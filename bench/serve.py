"""Benchmark of the review workspace: ``vigia serve`` (waitress) serving municipality checklists to 50
concurrent logged-in readers, against ``python -m http.server`` serving the static site's checklists in the
same run. Run alone with ``python -m bench.serve`` (``make bench`` runs it too).

The store is the reports' synthetic one (340 portals × 2 nights): the figure is about serving, not crawling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-clave-larga-123"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _readers(base: str, paths: list[str], readers: int, seconds: float, login: bool) -> dict[str, Any]:
    """``readers`` clients (each logged in first when ``login``) fetch ``paths`` in turn for ``seconds``."""
    import aiohttp

    latencies: list[float] = []
    errors = 0
    logged = 0
    all_in = asyncio.Event()
    start = asyncio.Event()
    stop = float("inf")

    async def one(i: int) -> None:
        nonlocal errors, logged
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            try:
                if login:
                    async with session.get(base + "login") as r:
                        token = _TOKEN.search(await r.text())
                    data = {
                        "email": f"lector{i}@pdh.example.gt",
                        "password": PASSWORD,
                        "csrf_token": token.group(1) if token else "",
                    }
                    async with session.post(base + "login", data=data, allow_redirects=False) as r:
                        if r.status != 302:
                            errors += 1
            finally:
                logged += 1
                if logged == readers:
                    all_in.set()
            await start.wait()
            k = i
            while time.perf_counter() < stop:
                path = paths[k % len(paths)]
                k += readers
                t0 = time.perf_counter()
                try:
                    async with session.get(base + path, allow_redirects=False) as r:
                        await r.read()
                        ok = r.status == 200
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors += 1

    tasks = [asyncio.create_task(one(i)) for i in range(readers)]
    await all_in.wait()  # the logins (argon2 on the server, slow on purpose) are not measured
    t_begin = time.perf_counter()
    stop = t_begin + seconds
    start.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t_begin
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * _percentile(latencies, 0.50), 1),
        "p95_ms": round(1000 * _percentile(latencies, 0.95), 1),
    }


def _wait_ready(path: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        if time.monotonic() > deadline:
            raise RuntimeError("server not ready")
        time.sleep(0.1)


def measure(
    portals: int = 340, readers: int = 50, seconds: float = 15.0, work: Path | None = None
) -> dict[str, Any]:
    """rps and p95 latency of ``vigia serve`` and of a static file server, same checklists, same readers."""
    from reports import synthetic
    from reports.api import build_reports
    from vigia.accounts import add_user
    from vigia.registry import load_registry
    from vigia.store import open_store

    if work is None:
        scratch = Path(tempfile.mkdtemp(prefix="vigia-bench-serve-"))
        try:
            return measure(portals, readers, seconds, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    db = f"sqlite:///{work / 'vigia.db'}"
    store = open_store(db, work / "data")
    registry = load_registry(ROOT / "municipalities.csv")
    synthetic.generate(store, registry, portals, nights=2)
    build_reports(store, work / "site", None, synthetic.AS_OF, registry, pdf=False)
    with store.session() as s:
        for i in range(readers):
            add_user(s, f"lector{i}@pdh.example.gt", PASSWORD, "analyst", None, actor="bench")
    store.close()
    codes = [m.ine_code for m in registry if m.active][:portals]
    app_paths = [f"municipio/{c}" for c in codes]
    static_paths = sorted(f"municipio/{p.name}" for p in (work / "site" / "municipio").glob("*.html"))
    env = {**os.environ, "VIGIA_RECRAWLS_PER_DAY": "0"}
    results: dict[str, Any] = {"portals": portals, "readers": readers, "seconds": seconds}
    ready = work / "serve-ready"
    app = subprocess.Popen(
        [sys.executable, "-m", "vigia.cli", "serve", "--port", "0", "--ready-file", str(ready), "--db", db,
         "--data-dir", str(work / "data"), "--threads", "8"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_ready(ready, app)
        results["app"] = asyncio.run(
            _readers(ready.read_text().strip(), app_paths, readers, seconds, login=True)
        )
    finally:
        app.terminate()
        app.wait(timeout=30)
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    static = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(work / "site")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(1.0)
        results["static"] = asyncio.run(
            _readers(f"http://127.0.0.1:{port}/", static_paths, readers, seconds, login=False)
        )
    finally:
        static.terminate()
        static.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Vigía: el espacio de revisión frente a un servidor estático."
    )
    parser.add_argument("--portals", type=int, default=340)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    result = measure(args.portals, args.readers, args.seconds)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
