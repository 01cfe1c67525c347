"""Hostile portals (issue 14): documents that explode, pages the crawler cannot read whole, bodies with
control characters. Each is served by a local server and crawled end to end (a child process, as
`vigia crawl` runs it), with the extraction limits set by the test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import crawler_helpers as helpers  # tests/fixtures/crawler, on the path from conftest.py
import pytest
from aiohttp import web
from sqlalchemy import select

from crawler.api import crawl_municipalities
from vigia.registry import Municipality
from vigia.store import open_store
from vigia.store.models import CrawlRun, Document, Incident, Page, PortalCrawl

HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: the limits under test: a worker may use 256 MB of address space and 5 s per document
LIMITS = {
    "VIGIA_RETRY_BACKOFF": 0.01,
    "DOWNLOAD_TIMEOUT": 5,
    "AUTOTHROTTLE_START_DELAY": 0.0,
    "VIGIA_EXTRACT_MEMORY_MB": 256,
    "VIGIA_EXTRACT_SECONDS": 5,
    "VIGIA_PAGE_MAXSIZE": 300_000,
}


def _page(title: str, body: str) -> bytes:
    return f"<!DOCTYPE html><html><head><title>{title}</title></head><body><main>{body}</main></body></html>".encode()


async def _silent(request: web.Request) -> web.Response:
    """A page that does not answer within the tests' time-outs (and ends soon enough for the server to stop)."""
    import asyncio

    await asyncio.sleep(3)
    return web.Response(text="tarde")


def muni(code: str, url: str) -> Municipality:
    return Municipality(ine_code=code, department="Guatemala", municipality=f"Prueba {code}", portal_url=url)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = open_store(f"sqlite:///{tmp_path / 'vigia.db'}", tmp_path / "data")
    yield s
    s.close()


def hostile_site() -> helpers.Site:
    site = helpers.Site()
    f = site.files
    f["/"] = (HTML, _page("Municipalidad", "<h1>Inicio</h1><a href='/transparencia/'>Transparencia</a>"))
    f["/transparencia/"] = (
        HTML,
        _page(
            "Información Pública de Oficio",
            "<h1>Información Pública de Oficio</h1>"
            "<h2>Numeral 8</h2><a href='/docs/bomba.pdf'>Ejecución agosto 2026</a>"
            "<a href='/docs/fila.xlsx'>Ejecución septiembre 2026</a>"
            "<h2>Numeral 1</h2><a href='/docs/parte.docx'>Organigrama</a>"
            "<a href='/docs/bueno.pdf'>Presupuesto 2026</a> <a href='/docs/nul.csv'>Listado</a>"
            "<h2>Numeral 2</h2><a href='/transparencia/privado'>Personal</a>"
            "<h2>Numeral 3</h2><a href='/transparencia/profunda'>Directorio</a>"
            "<h2>Numeral 4</h2><a href='/transparencia/grande'>Presupuesto</a>"
            "<h2>Numeral 5</h2><a href='/transparencia/nul'>Servicios</a>",
        ),
    )
    f["/docs/bomba.pdf"] = (PDF, helpers.make_pdf_bomb(600))  # < 1 MB, inflates to 600 MB
    f["/docs/fila.xlsx"] = (XLSX, helpers.make_xlsx_giant_row(600_000))
    f["/docs/parte.docx"] = (DOCX, helpers.make_docx_huge_part(40))
    f["/docs/bueno.pdf"] = (PDF, helpers.make_pdf(["Presupuesto ejercicio fiscal 2026"]))
    f["/docs/nul.csv"] = ("text/csv", b"nombre,cargo\nAna\x00,Alcaldesa\x07\n")
    f["/transparencia/privado"] = (HTML, b"")  # replaced by a 403 handler below
    deep = "<div>" * 300 + "profundo" + "</div>" * 300 + "<p>Directorio <a href='/docs/tarde.pdf'>PDF</a></p>"
    f["/transparencia/profunda"] = (HTML, _page("Directorio", deep))
    f["/transparencia/nul"] = (HTML, _page("Servicios\x00", "<h1>Servicios\x00 municipales\x1b</h1>"))

    async def big_chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})  # no Content-Length: chunked
        await resp.prepare(request)
        for _ in range(40):
            await resp.write(b"<p>" + b"x" * 20_000 + b"</p>")
        await resp.write_eof()
        return resp

    site.handlers["/transparencia/grande"] = big_chunked
    site.handlers["/transparencia/privado"] = lambda r: web.Response(status=403, text="prohibido")
    return site


def test_hostile_documents_and_pages_cost_only_themselves(store: Any, tmp_path: Path) -> None:
    hostile = hostile_site()
    empty = helpers.Site(files={"/": (HTML, b"")})
    good = helpers.Site(files={"/": (HTML, _page("Muni", "<h1>Bienvenidos</h1><p>Portal oficial.</p>"))})
    with helpers.SiteServer([hostile, empty, good]):
        rows = [
            muni("0101", hostile.base + "/"),
            muni("0102", empty.base + "/"),
            muni("0103", good.base + "/"),
        ]
        summary = crawl_municipalities(store, rows, allow_private=True, settings=LIMITS)
    assert not summary.problems
    with store.session() as s:
        pcs = {
            pc.portal_key: pc
            for pc in s.scalars(select(PortalCrawl).where(PortalCrawl.run_id == summary.run_id))
        }
        assert s.get(CrawlRun, summary.run_id).status == "finished"
        hostile_pc = pcs["0101"]
        docs = {
            d.url.rsplit("/", 1)[-1]: d
            for d in s.scalars(select(Document).where(Document.portal_crawl_id == hostile_pc.id))
        }
        incidents = list(s.scalars(select(Incident).where(Incident.portal_crawl_id == hostile_pc.id)))
        pages = {
            p.url.rsplit("/", 1)[-1]: p
            for p in s.scalars(select(Page).where(Page.portal_crawl_id == hostile_pc.id))
        }
        empty_pages = s.scalars(select(Page).where(Page.portal_crawl_id == pcs["0102"].id)).all()
    # each bomb is a parse error of its own document, with its archived copy; the night went on
    for name in ("bomba.pdf", "fila.xlsx", "parte.docx"):
        assert docs[name].fetched and docs[name].sha256 and docs[name].error, name
        assert docs[name].text is None
    parse_errors = {i.url.rsplit("/", 1)[-1] for i in incidents if i.kind == "parse_error"}
    assert {"bomba.pdf", "fila.xlsx", "parte.docx"} <= parse_errors
    assert docs["bueno.pdf"].error is None and "2026" in (docs["bueno.pdf"].text or "")
    # control characters never reach the store
    assert docs["nul.csv"].text == "nombre,cargo\nAna,Alcaldesa\n"
    stored = (pages["nul"].title or "") + (pages["nul"].text or "")
    assert stored.startswith("Servicios") and "\x00" not in stored and "\x1b" not in stored
    # crawler limits are an incomplete crawl, never a complete one with numerals missing
    kinds = {(i.kind, i.url.rsplit("/", 1)[-1]) for i in incidents}
    assert ("login_wall", "privado") in kinds  # 403 inside the section
    assert ("size_cap", "grande") in kinds  # a chunked page over the cap (no Content-Length)
    assert ("parse_error", "profunda") in kinds  # nested deeper than the parser reads
    assert hostile_pc.outcome == "partial", hostile_pc.outcome_reason
    assert "límites de lectura" in (hostile_pc.outcome_reason or "")  # the bombs, said in the reason
    # an empty home page is not evidence; the other portals are untouched
    assert pcs["0102"].outcome != "complete" and not empty_pages
    assert pcs["0103"].outcome == "complete"
    log = next((tmp_path / "data" / "logs").glob("crawl-*.log")).read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and "TypeError" not in log


def test_retry_after_is_waited_before_retrying(store: Any) -> None:
    """A 503 with ``Retry-After: 2`` is retried after 2 s, not after the (here 10 ms) backoff."""
    import time

    seen: list[float] = []

    def busy(request: web.Request) -> web.Response:
        seen.append(time.monotonic())
        if len(seen) == 1:
            return web.Response(status=503, headers={"Retry-After": "2"}, text="ocupado")
        return web.Response(body=_page("Muni", "<h1>Bienvenidos</h1>"), content_type="text/html")

    site = helpers.Site(handlers={"/": busy})
    with helpers.SiteServer([site]):
        summary = crawl_municipalities(
            store, [muni("0101", site.base + "/")], allow_private=True, settings=LIMITS
        )
    assert summary.outcomes["complete"] == 1
    assert len(seen) == 2 and seen[1] - seen[0] >= 1.9


def test_a_host_that_times_out_twice_gets_no_more_retries_of_its_time_outs(store: Any) -> None:
    """A dead portal: robots.txt times out twice (its short time-out, one retry), then its home page is
    asked once, not three times. A portal whose one page never answers: that page is asked twice. Both
    are recorded as time-outs (a crawler failure, never non-compliance)."""

    home = _page("Municipalidad", "<h1>Inicio</h1><a href='/transparencia/'>Transparencia</a>")
    dead = helpers.Site(handlers={"/robots.txt": _silent, "/": _silent})
    hanging = helpers.Site(files={"/": (HTML, home)}, handlers={"/transparencia/": _silent})
    fast = {**LIMITS, "DOWNLOAD_TIMEOUT": 1, "VIGIA_ROBOTS_TIMEOUT": 0.5}
    with helpers.SiteServer([dead, hanging]):
        summary = crawl_municipalities(
            store,
            [muni("0101", dead.base + "/"), muni("0102", hanging.base + "/")],
            allow_private=True,
            settings=fast,
        )
    assert dead.hits.count("/robots.txt") == 2
    assert dead.hits.count("/") == 1  # no retry: its host had already timed out twice
    assert hanging.hits.count("/transparencia/") == 2  # one retry, then the host's second time-out
    assert summary.outcomes.get("unreachable") == 1 and summary.outcomes.get("partial") == 1
    with store.session() as s:
        kinds = set(
            s.execute(
                select(PortalCrawl.ine_code, Incident.kind).join(
                    Incident, Incident.portal_crawl_id == PortalCrawl.id
                )
            ).all()
        )
    assert ("0101", "timeout") in kinds and ("0102", "timeout") in kinds


def test_what_timed_out_last_night_gets_one_attempt_tonight(store: Any) -> None:
    """Night 2 of the portals above: the dead portal's robots.txt and home page, and the hanging page, are
    asked once each (they timed out on night 1) and are again recorded as time-outs, never as
    non-compliance. A home page that timed out last night and answers tonight is read as usual."""
    import asyncio

    recovered: list[int] = []

    async def slow_then_back(request: web.Request) -> web.Response:
        recovered.append(1)
        if len(recovered) <= 2:  # night 1: both attempts time out
            await asyncio.sleep(3)
        return web.Response(
            body=_page("Municipalidad", "<h1>Inicio</h1>"), content_type="text/html", charset="utf-8"
        )

    home = _page("Municipalidad", "<h1>Inicio</h1><a href='/transparencia/'>Transparencia</a>")
    dead = helpers.Site(handlers={"/robots.txt": _silent, "/": _silent})
    hanging = helpers.Site(files={"/": (HTML, home)}, handlers={"/transparencia/": _silent})
    back = helpers.Site(handlers={"/": slow_then_back})
    fast = {**LIMITS, "DOWNLOAD_TIMEOUT": 1, "VIGIA_ROBOTS_TIMEOUT": 0.5}
    with helpers.SiteServer([dead, hanging, back]):
        portals = [
            muni("0101", dead.base + "/"),
            muni("0102", hanging.base + "/"),
            muni("0103", back.base + "/"),
        ]
        first = crawl_municipalities(store, portals, allow_private=True, settings=fast)
        assert (dead.hits.count("/robots.txt"), dead.hits.count("/")) == (2, 1)
        assert hanging.hits.count("/transparencia/") == 2 and len(recovered) == 2
        assert first.outcomes.get("unreachable") == 2 and first.outcomes.get("partial") == 1
        dead.hits.clear()
        hanging.hits.clear()
        summary = crawl_municipalities(store, portals, allow_private=True, settings=fast)
    assert dead.hits.count("/robots.txt") == 1 and dead.hits.count("/") == 1
    assert hanging.hits.count("/transparencia/") == 1
    assert len(recovered) == 3  # asked once tonight, and it answered
    assert summary.outcomes == {"unreachable": 1, "partial": 1, "complete": 1}
    with store.session() as s:
        rows = s.execute(
            select(PortalCrawl.ine_code, Incident.kind, Incident.url)
            .join(Incident, Incident.portal_crawl_id == PortalCrawl.id)
            .where(PortalCrawl.run_id == summary.run_id)
        ).all()
    timeouts = {(code, url) for code, kind, url in rows if kind == "timeout"}
    assert timeouts == {("0101", dead.base + "/"), ("0102", hanging.base + "/transparencia/")}


@pytest.mark.parametrize(("timeout_retries", "attempts"), [(None, 2), (2, 3)])
def test_a_page_that_never_answers_is_asked_twice(
    store: Any, timeout_retries: int | None, attempts: int
) -> None:
    """A page that never answers, on a host that answers its other pages in between (so the host's count of
    time-outs in a row starts again): its time-out is retried once (``VIGIA_TIMEOUT_RETRIES``), not twice
    (``RETRY_TIMES``). With the setting at 2, the third attempt is made: the host did answer in between."""
    import asyncio

    def slow(body: bytes) -> Any:
        async def handler(request: web.Request) -> web.Response:
            await asyncio.sleep(0.3)
            return web.Response(body=body, content_type="text/html", charset="utf-8")

        return handler

    numerals = range(2, 12)
    home = _page("Municipalidad", "<h1>Inicio</h1><a href='/transparencia/'>Transparencia</a>")
    section = _page(
        "Transparencia",
        "<h1>Información pública de oficio</h1><a href='/transparencia/numeral-1/'>Numeral 1</a>"
        + "".join(f"<a href='/transparencia/numeral-{n}/'>Numeral {n}</a>" for n in numerals),
    )
    handlers = {"/transparencia/numeral-1/": _silent}
    for n in numerals:
        handlers[f"/transparencia/numeral-{n}/"] = slow(_page(f"Numeral {n}", f"<h1>Numeral {n}</h1>"))
    site = helpers.Site(files={"/": (HTML, home), "/transparencia/": (HTML, section)}, handlers=handlers)
    settings: dict[str, Any] = {**LIMITS, "DOWNLOAD_TIMEOUT": 1}
    if timeout_retries is not None:
        settings["VIGIA_TIMEOUT_RETRIES"] = timeout_retries
    with helpers.SiteServer([site]):
        summary = crawl_municipalities(
            store, [muni("0101", site.base + "/")], allow_private=True, settings=settings
        )
    assert site.hits.count("/transparencia/numeral-1/") == attempts
    assert summary.outcomes == {"partial": 1}


def test_a_host_that_answers_between_two_time_outs_keeps_its_retries(store: Any) -> None:
    """The count is of time-outs in a row: a page that times out once and then answers starts it again, so
    the next page's time-out is still retried (a busy file host shared by many portals is not a dead one)."""
    import asyncio

    calls: dict[str, int] = {}

    def silent_once(body: bytes) -> Any:
        async def handler(request: web.Request) -> web.Response:
            calls[request.path] = calls.get(request.path, 0) + 1
            if calls[request.path] == 1:
                await asyncio.sleep(3)  # past the time-out below
            return web.Response(body=body, content_type="text/html", charset="utf-8")

        return handler

    home = _page("Municipalidad", "<h1>Inicio</h1><a href='/transparencia/'>Transparencia</a>")
    section = _page(
        "Transparencia",
        "<h1>Información pública de oficio</h1><a href='/transparencia/numeral-1/'>Numeral 1</a>",
    )
    leaf = _page("Numeral 1", "<h1>Estructura orgánica</h1><p>Organigrama municipal.</p>")
    site = helpers.Site(
        files={"/": (HTML, home)},
        handlers={"/transparencia/": silent_once(section), "/transparencia/numeral-1/": silent_once(leaf)},
    )
    with helpers.SiteServer([site]):
        crawl_municipalities(
            store,
            [muni("0101", site.base + "/")],
            allow_private=True,
            settings={**LIMITS, "DOWNLOAD_TIMEOUT": 1},
        )
    assert site.hits.count("/transparencia/") == 2
    assert site.hits.count("/transparencia/numeral-1/") == 2  # retried: the host answered in between


def _crawl_children() -> list[tuple[int, list[str]]]:
    """(pid, portal keys) of this process's crawl children."""
    import json
    import os

    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and b"crawler.run" in cmdline:
            job = json.loads(Path(cmdline[-2].decode()).read_text())
            out.append((int(entry.name), [p["key"] for p in job["portals"]]))
    return out


def test_a_crawl_process_that_dies_loses_only_its_own_portals(store: Any) -> None:
    """A crawl child killed mid-run (the OOM killer, say): its unfinished portal is recorded as an
    incomplete crawl with the reason, the other child's portal is stored as usual, the run is "failed"
    and its checks give the lost portal's numerals "No verificable"."""
    import datetime as dt
    import os
    import signal
    import threading
    import time

    from checks.api import check_run
    from vigia.store.models import Evaluation, Finding

    release = threading.Event()

    async def stuck(request: web.Request) -> web.Response:
        import asyncio

        while not release.is_set():
            await asyncio.sleep(0.1)
        return web.Response(body=_page("Muni", "<h1>Tarde</h1>"), content_type="text/html")

    fast = helpers.Site(files={"/": (HTML, _page("Muni", "<h1>Bienvenidos</h1><p>Portal oficial.</p>"))})
    slow = helpers.Site(handlers={"/": stuck})
    result: dict[str, Any] = {}
    with helpers.SiteServer([fast, slow]):
        rows = [muni("0101", fast.base + "/"), muni("0102", slow.base + "/")]
        settings = {**LIMITS, "VIGIA_CRAWL_PROCESSES": 2, "DOWNLOAD_TIMEOUT": 60}
        worker = threading.Thread(
            target=lambda: result.update(
                summary=crawl_municipalities(store, rows, allow_private=True, settings=settings)
            )
        )
        worker.start()
        killed = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            time.sleep(0.2)
            with store.session() as s:
                done = s.scalar(
                    select(PortalCrawl.id).where(
                        PortalCrawl.portal_key == "0101", PortalCrawl.outcome.is_not(None)
                    )
                )
            for pid, keys in _crawl_children() if done else []:
                if keys == ["0102"]:
                    os.kill(pid, signal.SIGKILL)
                    killed = True
        release.set()
        worker.join(60)
    assert killed and not worker.is_alive()
    summary = result["summary"]
    assert summary.problems and "código -9" in summary.problems[0]
    with store.session() as s:
        pcs = {
            pc.portal_key: pc
            for pc in s.scalars(select(PortalCrawl).where(PortalCrawl.run_id == summary.run_id))
        }
        assert s.get(CrawlRun, summary.run_id).status == "failed"
    assert pcs["0101"].outcome == "complete"
    assert pcs["0102"].outcome == "partial" and "falla del rastreador" in (pcs["0102"].outcome_reason or "")
    check_run(store, run_id=summary.run_id, as_of=dt.date(2026, 11, 25))
    with store.session() as s:
        statuses = set(
            s.scalars(
                select(Finding.status)
                .join(Evaluation, Finding.evaluation_id == Evaluation.id)
                .where(Evaluation.portal_crawl_id == pcs["0102"].id, Finding.numeral.is_not(None))
            )
        )
    assert "unverified" in statuses and statuses <= {"unverified", "not_applicable"}  # never "absent"


@pytest.fixture
def small_blobs(tmp_path: Path) -> Any:
    """A store whose blob folder is a 256 KB file system (a full disk), mounted by the test (root)."""
    import subprocess

    blobs = tmp_path / "data" / "blobs"
    blobs.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(blobs)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"no se puede montar un tmpfs pequeño (se necesita root): {mounted.stderr.decode().strip()}"
        )
    s = open_store(f"sqlite:///{tmp_path / 'vigia.db'}", tmp_path / "data")
    try:
        yield s
    finally:
        s.close()
        subprocess.run(["umount", "-l", str(blobs)], check=False)


def test_a_full_disk_fails_the_crawl_loudly(small_blobs: Any) -> None:
    """Documents whose archived copy cannot be written: the portal is partial with the reason, the run
    is "failed" and the crawl reports the problem (it used to end "complete", logged as parse errors)."""
    import os

    store = small_blobs
    body = os.urandom(600_000)  # does not compress: it cannot fit in 256 KB
    site = helpers.Site(
        files={
            "/": (HTML, _page("Muni", "<h1>Transparencia</h1><a href='/docs/informe.pdf'>Informe 2026</a>")),
            "/docs/informe.pdf": (PDF, body),
        }
    )
    with helpers.SiteServer([site]):
        summary = crawl_municipalities(
            store, [muni("0101", site.base + "/")], allow_private=True, settings=LIMITS
        )
    assert summary.problems and "0101" in summary.problems[0]
    with store.session() as s:
        pc = s.scalar(select(PortalCrawl).where(PortalCrawl.run_id == summary.run_id))
        assert s.get(CrawlRun, summary.run_id).status == "failed"
    assert pc.outcome == "partial" and "no se pudieron guardar" in (pc.outcome_reason or "")


def test_a_terminated_crawl_is_marked_interrupted_and_leaves_no_process(tmp_path: Path) -> None:
    """SIGTERM to `vigia crawl` (a service manager stopping it): the run is "interrupted", not left
    "running", and its crawl process is gone."""
    import csv
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    release = threading.Event()

    async def stuck(request: web.Request) -> web.Response:
        import asyncio

        while not release.is_set():
            await asyncio.sleep(0.1)
        return web.Response(body=_page("Muni", "<h1>Tarde</h1>"), content_type="text/html")

    site = helpers.Site(handlers={"/": stuck})
    root = Path(__file__).resolve().parent.parent
    with (root / "municipalities.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    registry = tmp_path / "registry.csv"
    db = f"sqlite:///{tmp_path / 'vigia.db'}"
    with helpers.SiteServer([site]):
        row = {**rows[0], "portal_url": site.base + "/"}
        with registry.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerow(row)
        command = [sys.executable, "-m", "vigia.cli", "crawl", "--registry", str(registry), "--db", db]
        command += ["--data-dir", str(tmp_path / "data"), "--allow-private-addresses"]
        command += ["--set", "DOWNLOAD_TIMEOUT=60"]
        proc = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        children: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not children:
            time.sleep(0.2)
            children = [
                int(p.name)
                for p in Path("/proc").iterdir()
                if p.name.isdigit() and _parent_of(p) == proc.pid and b"crawler.run" in _cmdline(p)
            ]
        assert children, "no arrancó el proceso de rastreo"
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        release.set()
    time.sleep(1.0)
    assert all(not Path(f"/proc/{pid}").exists() or _state(pid) == "Z" for pid in children)
    store = open_store(db, tmp_path / "data")
    try:
        with store.session() as s:
            statuses = list(s.scalars(select(CrawlRun.status)))
    finally:
        store.close()
    assert statuses == ["interrupted"] and proc.returncode != 0
    assert os.path.exists(registry)


def _parent_of(proc_dir: Path) -> int:
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _cmdline(proc_dir: Path) -> bytes:
    try:
        return (proc_dir / "cmdline").read_bytes()
    except OSError:
        return b""


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (children, grandchildren…), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parents[int(entry.name)] = _parent_of(entry)
    out: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        children = [p for p, parent in parents.items() if parent == current]
        out += children
        frontier += children
    return out


def test_a_killed_parent_leaves_no_crawl_behind_and_its_run_is_interrupted(tmp_path: Path) -> None:
    """SIGKILL to `vigia crawl` (it cannot clean up): its crawl process and that one's helpers (the
    extraction workers) die with it, and `vigia runs` — like the next crawl — marks the run
    "interrumpida" instead of leaving it "running" for ever."""
    import csv
    import json
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    release = threading.Event()

    async def stuck(request: web.Request) -> web.Response:
        import asyncio

        while not release.is_set():
            await asyncio.sleep(0.1)
        return web.Response(body=_page("Muni", "<h1>Tarde</h1>"), content_type="text/html")

    site = helpers.Site(
        files={
            "/": (
                HTML,
                _page("Muni", "<a href='/docs/a.pdf'>Informe 2026</a><a href='/transparencia/'>T</a>"),
            ),
            "/docs/a.pdf": (PDF, helpers.make_pdf(["Presupuesto ejercicio fiscal 2026"])),
        },
        handlers={"/transparencia/": stuck},
    )
    root = Path(__file__).resolve().parent.parent
    with (root / "municipalities.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    registry = tmp_path / "registry.csv"
    db = f"sqlite:///{tmp_path / 'vigia.db'}"
    base = [sys.executable, "-m", "vigia.cli"]
    where = ["--db", db, "--data-dir", str(tmp_path / "data")]
    with helpers.SiteServer([site]):
        with registry.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerow({**rows[0], "portal_url": site.base + "/"})
        command = [*base, "crawl", "--registry", str(registry), *where, "--allow-private-addresses"]
        command += ["--set", "DOWNLOAD_TIMEOUT=60"]
        proc = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tree: list[int] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # the crawl process and its extraction helpers are up
            time.sleep(0.3)
            tree = _descendants(proc.pid)
            if len(tree) >= 2 and any(b"forkserver" in _cmdline(Path(f"/proc/{p}")) for p in tree):
                break
        assert any(b"crawler.run" in _cmdline(Path(f"/proc/{p}")) for p in tree), "no arrancó el rastreo"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        gone_by = time.monotonic() + 20
        alive = tree
        while alive and time.monotonic() < gone_by:
            time.sleep(0.2)
            alive = [p for p in tree if Path(f"/proc/{p}").exists() and _state(p) not in ("Z", "")]
        release.set()
        assert not alive, (
            f"procesos vivos tras matar al padre: {[_cmdline(Path(f'/proc/{p}')) for p in alive]}"
        )
        listed = subprocess.run([*base, "runs", *where, "--json"], cwd=root, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert [r["status"] for r in runs] == ["interrupted"]
    assert "ya no existe" in runs[0]["note"] and str(proc.pid) in runs[0]["note"]
