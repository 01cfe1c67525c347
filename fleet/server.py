"""One aiohttp process serving the whole fleet: one loopback address per portal, one fixed port.

A portal whose failure mode is ``connection_refused`` simply has no listener on its address. The server
reloads ``spec.json`` when the file changes (checked every second) or on SIGHUP, opening and closing
listeners as portals come back or go down; SIGTERM/SIGINT stop it cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from fleet.render import Fleet, Reply, respond

ROOT = Path(__file__).resolve().parent.parent

CACHE_ENTRIES = 6000


@dataclass(frozen=True, slots=True)
class Shaping:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    bandwidth_kbps: float = 0.0

    def delay(self, rng: random.Random) -> float:
        if self.latency_ms <= 0 and self.jitter_ms <= 0:
            return 0.0
        return max(0.0, self.latency_ms + rng.uniform(-self.jitter_ms, self.jitter_ms)) / 1000.0


def load_spec(fleet_dir: Path) -> dict[str, Any]:
    return json.loads((fleet_dir / "spec.json").read_text(encoding="utf-8"))


def listening_hosts(spec: dict[str, Any]) -> list[str]:
    hosts = [p["host"] for p in spec["portals"] if p["failure"] != "connection_refused"]
    hosts += [h["host"] for h in spec["document_hosts"].values()]
    return hosts


def _http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(dt.UTC).replace(microsecond=0), usegmt=True)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:24] + '"'


def not_modified(request: web.BaseRequest, etag: str | None, last_modified: dt.datetime | None) -> bool:
    """RFC 9110 §13.1: If-None-Match wins over If-Modified-Since."""
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        if etag is None:
            return False
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or etag in tags
    ims = request.headers.get("If-Modified-Since")
    if ims and last_modified is not None:
        try:
            since = email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        return last_modified.replace(microsecond=0) <= since
    return False


class FleetServer:
    def __init__(self, fleet_dir: Path, shaping: Shaping, ready_file: Path | None = None) -> None:
        self.fleet_dir = fleet_dir
        self.shaping = shaping
        self.ready_file = ready_file
        self.rng = random.Random(0)
        self.spec = load_spec(fleet_dir)
        self.fleet = Fleet(self.spec)
        self.port = int(self.spec["base_port"])
        self.mtime = (fleet_dir / "spec.json").stat().st_mtime_ns
        self.cache: OrderedDict[tuple[str, str], Reply] = OrderedDict()
        self.sites: dict[str, web.TCPSite] = {}
        self.runner: web.AppRunner | None = None
        self.stopping = asyncio.Event()
        self.requests = 0

    # ------------------------------------------------------------------------------------- HTTP
    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        transport = request.transport
        sockname = transport.get_extra_info("sockname") if transport else None
        host = sockname[0] if sockname else ""
        target = request.raw_path
        key = (host, target)
        reply = self.cache.get(key)
        if reply is None:
            try:
                reply = respond(self.fleet, host, request.method, target)
            except Exception as exc:  # noqa: BLE001 - a bug in a page must not kill the fleet
                reply = Reply(
                    status=500, body=f"error interno del simulador: {exc}".encode(), cacheable=False
                )
            if reply.cacheable and reply.stream_size is None:
                self.cache[key] = reply
                if len(self.cache) > CACHE_ENTRIES:
                    self.cache.popitem(last=False)
        else:
            self.cache.move_to_end(key)
        wait = self.shaping.delay(self.rng) + reply.delay
        if wait:
            await asyncio.sleep(wait)
        headers = dict(reply.headers)
        headers["Server"] = "Apache/2.4.41 (Ubuntu)"
        etag = headers.get("ETag")
        if reply.status == 200 and reply.stream_size is None:
            etag = etag or _etag(reply.body)
            headers["ETag"] = etag
        if reply.last_modified is not None and reply.status == 200:
            headers["Last-Modified"] = _http_date(reply.last_modified)
        if reply.status == 200 and not_modified(request, etag, reply.last_modified):
            keep = {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified", "Server")}
            return web.Response(status=304, headers=keep)
        headers["Content-Type"] = reply.content_type
        if reply.stream_size is not None:
            return await self._stream_huge(request, reply, headers)
        if self.shaping.bandwidth_kbps > 0 and reply.body and request.method != "HEAD":
            return await self._throttled(request, reply, headers)
        return web.Response(status=reply.status, body=reply.body, headers=headers)

    async def _throttled(
        self, request: web.Request, reply: Reply, headers: dict[str, str]
    ) -> web.StreamResponse:
        resp = web.StreamResponse(status=reply.status, headers=headers)
        resp.content_length = len(reply.body)
        await resp.prepare(request)
        rate = self.shaping.bandwidth_kbps * 1000 / 8  # bytes per second
        chunk = max(512, int(rate / 20))
        try:
            for start in range(0, len(reply.body), chunk):
                await resp.write(reply.body[start : start + chunk])
                await asyncio.sleep(len(reply.body[start : start + chunk]) / rate)
            await resp.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return resp

    async def _stream_huge(
        self, request: web.Request, reply: Reply, headers: dict[str, str]
    ) -> web.StreamResponse:
        """Declare the full (3 GB) length, then dribble padding out slowly; never hold it in memory."""
        resp = web.StreamResponse(status=200, headers=headers)
        resp.content_length = reply.stream_size
        await resp.prepare(request)
        if request.method == "HEAD":
            return resp
        padding = b"%" + b" " * 65534 + b"\n"
        sent = 0
        try:
            await resp.write(reply.body)
            sent = len(reply.body)
            assert reply.stream_size is not None
            while sent < reply.stream_size and not self.stopping.is_set():
                piece = padding[: min(len(padding), reply.stream_size - sent)]
                await resp.write(piece)
                sent += len(piece)
                await asyncio.sleep(0.05)
        except (ConnectionResetError, asyncio.CancelledError, RuntimeError):
            pass
        return resp

    # ------------------------------------------------------------------------------------- lifecycle
    async def _sync_sites(self) -> None:
        assert self.runner is not None
        wanted = set(listening_hosts(self.spec))
        for host in sorted(set(self.sites) - wanted):
            await self.sites.pop(host).stop()
        for host in sorted(wanted - set(self.sites)):
            site = web.TCPSite(self.runner, host, self.port, reuse_address=True, backlog=256)
            await site.start()
            self.sites[host] = site

    async def reload(self) -> None:
        try:
            spec = load_spec(self.fleet_dir)
            fleet = Fleet(spec)
        except (OSError, ValueError, KeyError) as exc:
            print(
                f"fleet: no se pudo recargar spec.json ({exc}); se mantiene la versión anterior", flush=True
            )
            return
        self.spec, self.fleet = spec, fleet
        self.cache.clear()
        await self._sync_sites()
        print(
            f"fleet: spec.json recargado (noche {spec.get('night')}, {len(self.sites)} direcciones)",
            flush=True,
        )

    async def _watch(self) -> None:
        path = self.fleet_dir / "spec.json"
        while not self.stopping.is_set():
            await asyncio.sleep(1.0)
            try:
                mtime = path.stat().st_mtime_ns
            except OSError:
                continue
            if mtime != self.mtime:
                self.mtime = mtime
                await self.reload()

    async def run(self) -> None:
        started = time.perf_counter()
        server = web.Server(self.handle, access_log=None, handler_cancellation=True)
        self.runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=1.0)
        await self.runner.setup()
        await self._sync_sites()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))
        seconds = time.perf_counter() - started
        refused = len(self.spec["portals"]) + 2 - len(self.sites)
        message = (
            f"fleet: {len(self.spec['portals'])} portales servidos en {len(self.sites)} direcciones "
            f"(puerto {self.port}; {refused} sin escucha a propósito), listo en {seconds:.2f} s"
        )
        print(message, flush=True)
        if self.ready_file is not None:
            tmp = self.ready_file.with_suffix(".tmp")
            tmp.write_text(
                json.dumps(
                    {"pid": os.getpid(), "port": self.port, "addresses": len(self.sites), "seconds": seconds}
                )
            )
            tmp.replace(self.ready_file)
        watcher = asyncio.ensure_future(self._watch())
        try:
            await self.stopping.wait()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await self.runner.cleanup()
            if self.ready_file is not None:
                with contextlib.suppress(OSError):
                    self.ready_file.unlink()
            print("fleet: servidor detenido", flush=True)


def serve(fleet_dir: Path, shaping: Shaping, ready_file: Path | None = None) -> None:
    asyncio.run(FleetServer(fleet_dir, shaping, ready_file).run())


@contextmanager
def serve_subprocess(fleet_dir: Path, *args: str, timeout: float = 30.0) -> Iterator[subprocess.Popen[bytes]]:
    """``vigia fleet serve`` on ``fleet_dir`` (with extra ``args``) in a subprocess until the block ends
    (SIGTERM, then wait); raises when the server exits or is not ready within ``timeout`` seconds."""
    ready = fleet_dir / "ready"
    ready.unlink(missing_ok=True)
    log = (fleet_dir / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vigia.cli",
            "fleet",
            "serve",
            "--fleet",
            str(fleet_dir),
            "--ready-file",
            str(ready),
            *args,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"el servidor de la flota no arrancó: {(fleet_dir / 'server.log').read_text()}"
                )
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
