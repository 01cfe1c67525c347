"""The browser service (crawler/browser_service.py): Chromium in a process of its own, fed by the crawl
processes one render message at a time; a closed connection cancels its render; the service and its
Chromium end with the process that started it, even when that process is killed."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from scrapy.http import HtmlResponse, Request

from crawler.browser_service import ServiceProcess
from crawler.handlers import BrowserServiceHandler, ask_service, render_job, settle_page_methods
from vigia.browser import CHROMIUM_ARGS, CHROMIUM_PATH

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM_PATH) is None, reason="Debian's chromium is not installed"),
]


def _config(pages: int = 2, **more: Any) -> dict[str, Any]:
    return {
        "allow_private": True,
        "pages": pages,
        "launch_options": {"executable_path": CHROMIUM_PATH, "headless": True, "args": list(CHROMIUM_ARGS)},
        "navigation_timeout_ms": 20000,
        **more,
    }


async def _site(routes: dict[str, Any], host: str = "127.0.0.1") -> tuple[web.AppRunner, str]:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"{host}:{port}"


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout.split("\n")
    children: dict[int, list[int]] = {}
    for line in out:
        fields = line.split()
        if len(fields) == 2:
            children.setdefault(int(fields[1]), []).append(int(fields[0]))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _program(pid: int) -> str:
    try:
        return Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:  # a helper that ended in the meantime
        return ""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_render_gives_the_settled_page_its_redirects_and_loads_only_the_portal_hosts() -> None:
    seen_elsewhere: list[str] = []

    async def scenario() -> None:
        async def home(request: web.Request) -> web.Response:
            return web.Response(
                text="<html><body><div id=x></div><img src='http://" + other + "/tracker.png'>"
                "<script>fetch('http://" + other + "/leak').catch(() => 0);"
                "fetch('/data').then(r => r.text()).then(t => {"
                "document.getElementById('x').innerHTML = '<a href=/n1.pdf>' + t + '</a>'})</script>"
                "</body></html>",
                content_type="text/html",
            )

        async def data(request: web.Request) -> web.Response:
            await asyncio.sleep(0.5)
            return web.Response(text="Numeral 1 · Estructura orgánica")

        async def moved(request: web.Request) -> web.Response:
            raise web.HTTPFound("/")

        async def elsewhere(request: web.Request) -> web.Response:
            seen_elsewhere.append(request.path)
            return web.Response(text="x")

        other_runner, other = await _site({"/{tail:.*}": elsewhere}, "127.0.0.2")
        runner, portal = await _site({"/": home, "/data": data, "/viejo": moved})
        service = ServiceProcess(_config())
        loop = asyncio.get_running_loop()
        socket_path = await loop.run_in_executor(None, service.start)
        try:
            request = Request(f"http://{portal}/viejo", headers={"User-Agent": "Vigia-prueba"})
            request.meta["vigia_init_scripts"] = ("settle",)
            request.meta["playwright_page_methods"] = settle_page_methods()
            answer = await ask_service(socket_path, render_job(request, {portal}))
        finally:
            await loop.run_in_executor(None, service.stop)
            await runner.cleanup()
            await other_runner.cleanup()
        assert answer["ok"], answer
        assert answer["url"] == f"http://{portal}/" and answer["status"] == 200
        assert answer["redirects"] == [[f"http://{portal}/viejo", 302]]
        assert "Numeral 1 · Estructura orgánica" in answer["text"]  # read after its data request answered

    asyncio.run(scenario())
    assert seen_elsewhere == []  # neither the image nor the script's request left the portal's hosts


def test_a_closed_connection_cancels_its_render_and_frees_the_page() -> None:
    """One page only: the second render can only happen if the first (a page that never answers) was
    cancelled when its client went away, as the crawl's deadline does."""

    async def scenario() -> dict[str, Any]:
        async def never(request: web.Request) -> web.Response:
            await asyncio.sleep(3600)
            return web.Response(text="tarde")

        async def quick(request: web.Request) -> web.Response:
            return web.Response(text="<p>pronto</p>", content_type="text/html")

        runner, portal = await _site({"/nunca": never, "/": quick})
        service = ServiceProcess(_config(pages=1, navigation_timeout_ms=3_600_000))
        loop = asyncio.get_running_loop()
        socket_path = await loop.run_in_executor(None, service.start)
        try:
            job = {"url": f"http://{portal}/nunca", "headers": {}, "allowed_hosts": [portal]}
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ask_service(socket_path, job), 5)
            job = {"url": f"http://{portal}/", "headers": {}, "allowed_hosts": [portal]}
            return await asyncio.wait_for(ask_service(socket_path, job), 120)  # a hang guard only
        finally:
            await loop.run_in_executor(None, service.stop)
            await runner.cleanup()

    answer = asyncio.run(scenario())
    assert answer["ok"] and "pronto" in answer["text"]


def test_the_service_and_its_chromium_end_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    starter = tmp_path / "starter.py"
    starter.write_text(
        "import asyncio, json, sys, time\n"
        "from crawler.browser_service import ServiceProcess\n"
        "from crawler.handlers import ask_service\n"
        f"service = ServiceProcess({_config()!r})\n"
        "path = service.start()\n"
        "job = {'url': 'data:text/html,<p>hola</p>', 'headers': {}, 'allowed_hosts': []}\n"
        "answer = asyncio.run(ask_service(path, job))\n"
        "print(json.dumps({'ok': answer['ok'], 'pid': service.proc.pid}), flush=True)\n"
        "time.sleep(3600)\n",
        encoding="utf-8",
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(starter)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        said = json.loads(proc.stdout.readline())
        assert said["ok"]
        service_pid = said["pid"]
        tree = [service_pid, *_descendants(service_pid)]
        names = {_program(pid) for pid in tree}
        assert names & {"chromium", "chromium-headless-shell"}  # Chromium runs under the service
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(_alive(pid) for pid in tree):
            time.sleep(0.2)
        assert [pid for pid in tree if _alive(pid)] == []
    finally:
        if proc.poll() is None:
            proc.kill()


def test_without_a_service_from_the_run_the_handler_starts_its_own_and_ends_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from scrapy.settings import Settings

    from crawler import middlewares
    from crawler import settings as defaults

    settings = Settings()
    settings.setmodule(defaults)
    settings.set("VIGIA_ALLOW_PRIVATE", True)
    settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", 1)

    async def scenario() -> tuple[Any, int]:
        async def home(request: web.Request) -> web.Response:
            return web.Response(text="<p>contenido dibujado</p>", content_type="text/html")

        runner, portal = await _site({"/": home})
        monkeypatch.setattr(middlewares, "BROWSER_ALLOWED_HOSTS", {portal})  # as the portal's window does
        handler = object.__new__(BrowserServiceHandler)  # its HTTP/1.1 half needs Scrapy's reactor
        handler.vigia_crawler = SimpleNamespace(settings=settings, spider=None)
        handler.deadline, handler.socket_path, handler.own_service = 120.0, "", None
        handler._start_lock = asyncio.Lock()
        try:
            response = await handler.download_request(Request(f"http://{portal}/", meta={"playwright": True}))
            pid = handler.own_service.proc.pid
        finally:
            await handler.stop_own_service()
            await runner.cleanup()
        return response, pid

    response, pid = asyncio.run(scenario())
    assert isinstance(response, HtmlResponse) and "playwright" in response.flags
    assert b"contenido dibujado" in response.body
    assert not _alive(pid)
