"""A moved portal is noticed: the nightly report proposes updating the registry (a permanent redirect to
another host at once; a temporary one after two nights; a platform change)."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiohttp import web
from fleet_helpers import fleet_server, free_port, make_fleet
from sqlalchemy import select

from reports.registry_proposals import HomeSignal, load_signals, registry_proposals
from vigia.registry import load_registry
from vigia.store import open_store
from vigia.store.models import PortalCrawl

ROOT = Path(__file__).resolve().parent.parent


def _sig(key: str, url: str, redirects=(), platform=None, recorded=True) -> HomeSignal:  # type: ignore[no-untyped-def]
    return HomeSignal(1, key, key, url, platform, tuple(redirects), recorded)


def test_proposals_from_redirects_and_platforms() -> None:
    registry = load_registry(ROOT / "municipalities.csv")
    by_code = {m.ine_code: m for m in registry}
    xela = by_code["0901"].portal_url  # https://munixela.gob.gt/
    reu = by_code["1101"].portal_url
    coban = by_code["1601"].portal_url
    current = {
        "0901": _sig("0901", xela, [(xela, "https://xela.gob.gt/", (301,))]),
        "1101": _sig("1101", reu, [(reu, "https://reu-nuevo.gob.gt/", (302,))]),
        "1601": _sig("1601", coban, [(coban, "https://coban.gob.gt/inicio", (302,))]),
        "0108": _sig("0108", by_code["0108"].portal_url, [], platform="wordpress"),
    }
    previous = {
        "1601": _sig("1601", coban, [(coban, "https://coban.gob.gt/", (302,))]),
        "0108": _sig("0108", by_code["0108"].portal_url, [], platform="joomla"),
    }
    view = registry_proposals(current, previous, registry)
    rows = {(r.ine_code, r.field): r for r in view.rows}
    assert rows[("0901", "portal_url")].proposed == "https://xela.gob.gt/"
    assert rows[("0901", "portal_url")].certainty == "Redirección permanente"
    assert "301" in rows[("0901", "portal_url")].evidence
    assert ("1101", "portal_url") not in rows  # one temporary redirect is not a move
    assert rows[("1601", "portal_url")].certainty.startswith("Redirección temporal dos noches")
    assert rows[("0108", "platform")].proposed == "wordpress"
    assert "joomla" in rows[("0108", "platform")].evidence
    assert len(view.rows) == 3
    # a redirect inside the same host (http → https, www.) is no move
    same = {"0901": _sig("0901", xela, [(xela, "https://www.munixela.gob.gt/inicio", (301,))])}
    assert not registry_proposals(same, {}, registry)


@contextmanager
def redirector(target: str) -> Iterator[int]:
    """127.0.0.1:PORT answers every page with a 301 to ``target`` (a portal that moved)."""
    port = free_port()

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/robots.txt":
            return web.Response(text="User-agent: *\nAllow: /\n")
        raise web.HTTPMovedPermanently(target)

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = threading.Event()

    async def main() -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await runner.cleanup()

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield port
    finally:
        stop.set()
        thread.join(10)
        loop.close()


def test_nightly_report_proposes_the_new_address_of_a_moved_portal(tmp_path: Path) -> None:
    spec, _ = make_fleet(tmp_path / "fleet", portals=2, failures="none", platforms=["static"])
    new_home = spec["portals"][1]["url"]
    reg = tmp_path / "fleet" / "registry.csv"
    rows = list(csv.DictReader(reg.open(encoding="utf-8")))
    env = {**os.environ, "VIGIA_ALLOW_PRIVATE_ADDRESSES": "1"}
    env.pop("VIGIA_DATABASE_URL", None)
    with fleet_server(tmp_path / "fleet"), redirector(new_home) as port:
        old_home = f"http://127.0.0.1:{port}/"
        rows[1]["portal_url"] = old_home  # the registry still has the old address
        with reg.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        db = f"sqlite:///{tmp_path / 'vigia.db'}"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "vigia.cli",
                "nightly",
                "--registry",
                str(reg),
                "--db",
                db,
                "--data-dir",
                str(tmp_path / "data"),
                "--out",
                str(tmp_path / "site"),
                "--as-of",
                "2026-11-25",
                "--no-pdf",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    store = open_store(db, tmp_path / "data")
    with store.session() as s:
        moved = s.scalars(select(PortalCrawl).where(PortalCrawl.ine_code == rows[1]["ine_code"])).one()
        run_id = moved.run_id
        assert moved.outcome == "complete"
        assert moved.stats["home_redirects"] == [{"from": old_home, "to": new_home, "statuses": [301]}]
    signals = load_signals(store, run_id)
    assert signals[rows[1]["ine_code"]].redirects == ((old_home, new_home, (301,)),)
    assert signals[rows[0]["ine_code"]].redirects == ()
    store.close()
    page = (tmp_path / "site" / "nocturno.html").read_text(encoding="utf-8")
    assert "Propuestas de actualización del registro (1)" in page
    section = page.split('id="registro"', 1)[1].split("</section>", 1)[0]
    assert new_home in section and old_home in section and "Redirección permanente" in section
    assert f"· {rows[1]['ine_code']}<" in section and f"· {rows[0]['ine_code']}<" not in section
