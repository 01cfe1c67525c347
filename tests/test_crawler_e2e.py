"""End-to-end crawls (a child process, as `vigia crawl` runs them) against local portals on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import crawler_helpers as helpers  # tests/fixtures/crawler, on the path from conftest.py
import pytest
from aiohttp import web
from sqlalchemy import select

from crawler.api import audit_portal, crawl_municipalities
from vigia.registry import Municipality
from vigia.store import open_store
from vigia.store.models import CrawlRun, Document, Incident, Page, PortalCrawl

FIXTURES = Path(__file__).parent / "fixtures" / "crawler"

FAST = {"VIGIA_RETRY_BACKOFF": 0.01, "DOWNLOAD_TIMEOUT": 3, "AUTOTHROTTLE_START_DELAY": 0.0}
HTML = "text/html; charset=utf-8"


def _page(title: str, body: str, nav: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<nav class='menu'>{nav}</nav><main>{body}</main></body></html>"
    ).encode()


NAV = "<a href='/'>Inicio</a> <a href='/noticias'>Noticias</a> <a href='/gobierno/'>Gobierno</a>"


def good_site(port_for_external: int) -> Any:
    site = helpers.Site()
    f = site.files
    f["/"] = (HTML, _page("Municipalidad de Prueba", "<h1>Bienvenidos</h1><p>Portal oficial.</p>", NAV))
    f["/robots.txt"] = ("text/plain", b"User-agent: *\nDisallow: /privado/\n")
    f["/noticias"] = (HTML, _page("Noticias", "<h1>Noticias</h1><p>Ley de acceso: capacitación.</p>", NAV))
    f["/gobierno/"] = (
        HTML,
        _page(
            "Gobierno",
            "<h1>Gobierno municipal</h1><ul><li><a href='/gobierno/concejo'>Concejo</a></li>"
            "<li><a href='/transparencia/'>Información Pública de Oficio</a></li></ul>",
            NAV,
        ),
    )
    f["/gobierno/concejo"] = (HTML, _page("Concejo", "<h1>Concejo</h1><p>Miembros.</p>", NAV))
    section = (
        "<h1>Información Pública de Oficio</h1><p>Artículo 10 de la LAIP.</p>"
        "<h2>Numeral 1: Estructura orgánica</h2><a href='/docs/organigrama.docx'>Organigrama</a>"
        "<h2>Numeral 8: Ejecución presupuestaria</h2><table><tr><th>Mes</th><th>Archivo</th></tr>"
        "<tr><td>Agosto 2026</td><td><a href='/docs/ejecucion-agosto-2026.pdf'>PDF</a></td></tr>"
        "<tr><td>Septiembre 2026</td><td><a href='/docs/ejecucion-septiembre-2026.xlsx'>XLSX</a></td></tr>"
        "</table>"
        "<h2>Numeral 20: Compras</h2>"
        f"<a href='http://127.0.0.2:{port_for_external}/compras?nog=21234567'>NOG 21234567</a>"
        "<h2>Numeral 23: Auditorías</h2><a href='/docs/auditoria-escaneada.pdf'>Informe de auditoría 2025</a>"
        " <a href='/docs/falta.pdf'>Informe 2024</a>"
        "<h2>Numeral 4: Presupuesto</h2><a href='/transparencia/numeral-4?PHPSESSID=abc123'>Ver presupuesto</a>"
        "<h2>Calendario</h2><a href='/transparencia/calendario?mes=1'>Agenda</a>"
        "<h2>Reservado</h2><a href='/privado/x'>Interno</a>"
    )
    f["/transparencia/"] = (HTML, _page("Transparencia", section, NAV))
    f["/transparencia/numeral-4"] = (
        HTML,
        _page(
            "Numeral 4",
            "<h1>Numeral 4: Presupuesto</h1><a href='/docs/presupuesto-2026.pdf'>Presupuesto 2026</a>",
            NAV,
        ),
    )

    def calendar(request: web.Request) -> web.Response:
        month = int(request.query.get("mes", "1"))
        return web.Response(
            text=f"<html><body><h1>Agenda mes {month}</h1><a href='/transparencia/calendario?mes={month + 1}'>"
            "Siguiente</a></body></html>",
            content_type="text/html",
        )

    site.handlers["/transparencia/calendario"] = calendar
    f["/docs/ejecucion-agosto-2026.pdf"] = (
        "application/pdf",
        helpers.make_pdf(["Ejecucion presupuestaria", "Mes de agosto de 2026", "Total Q 1,234,567.00"]),
    )
    f["/docs/ejecucion-septiembre-2026.xlsx"] = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        helpers.make_xlsx([["Renglon", "Monto"], ["Ejecucion septiembre 2026", 1000]]),
    )
    f["/docs/organigrama.docx"] = (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        helpers.make_docx(["Organigrama municipal", "Vigente desde el 3 de enero de 2026"]),
    )
    f["/docs/auditoria-escaneada.pdf"] = ("application/pdf", helpers.make_scanned_pdf())
    f["/docs/presupuesto-2026.pdf"] = (
        "application/pdf",
        helpers.make_pdf(["Presupuesto ejercicio fiscal 2026"]),
    )
    return site


def muni(code: str, url: str, platform: str = "unknown", render: str = "auto") -> Municipality:
    return Municipality(
        ine_code=code,
        department="Guatemala",
        municipality=f"Prueba {code}",
        portal_url=url,
        platform=platform,
        render=render,
    )


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = open_store(f"sqlite:///{tmp_path / 'vigia.db'}", tmp_path / "data")
    yield s
    s.close()


def test_crawl_collects_evidence_and_outcomes(store: Any, tmp_path: Path) -> None:
    good = good_site(9)
    robots = helpers.Site(files={"/": (HTML, _page("Muni", "<a href='/t'>Transparencia</a>"))})
    robots.files["/robots.txt"] = ("text/plain", b"User-agent: *\nDisallow: /\n")
    login = helpers.Site(files={"/": (HTML, (FIXTURES / "login.html").read_bytes())})
    broken = helpers.Site(handlers={"/": lambda r: web.Response(status=503, text="caido")})
    private = helpers.Site(
        files={
            "/": (HTML, _page("Muni", "<a href='/transparencia'>Transparencia</a>")),
            "/transparencia": (
                HTML,
                _page(
                    "T",
                    "<h1>Artículo 10</h1><a href='/numeral-2'>Numeral 2</a><a href='/numeral-3'>Numeral 3</a>",
                ),
            ),
            "/numeral-3": (HTML, _page("N3", "<h1>Numeral 3</h1><p>Directorio</p>")),
        },
        handlers={
            "/numeral-2": lambda r: web.Response(
                status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
            )
        },
    )
    refused_port = helpers.free_port()
    sites = [good, robots, login, broken, private]
    with helpers.SiteServer(sites):
        rows = [
            muni("0101", good.base + "/"),
            muni("0102", robots.base + "/"),
            muni("0103", login.base + "/"),
            muni("0104", broken.base + "/"),
            muni("0105", private.base + "/"),
            muni("0106", f"http://127.0.0.1:{refused_port}/"),
        ]
        summary = crawl_municipalities(store, rows, allow_private=True, settings=FAST)
        night1 = {pc.portal_key: pc for pc in _portals(store, summary.run_id)}
        hits_night1 = len(good.hits)
        summary2 = crawl_municipalities(store, rows[:1], allow_private=True, settings=FAST)
        night2 = {pc.portal_key: pc for pc in _portals(store, summary2.run_id)}

    outcomes = {k: pc.outcome for k, pc in night1.items()}
    assert outcomes == {
        "0101": "complete",
        "0102": "disallowed",
        "0103": "blocked",
        "0104": "unreachable",
        "0105": "partial",
        "0106": "unreachable",
    }
    assert summary.portals == 6 and "6 portales" in summary.describe()
    kinds = _incident_kinds(store)
    assert "robots_disallowed" in kinds["0102"]
    assert "login_wall" in kinds["0103"]
    assert "http_5xx" in kinds["0104"]
    assert "private_address_refused" in kinds["0105"]
    assert "connection_refused" in kinds["0106"]
    assert {"trap_cut", "http_404", "robots_disallowed"} <= kinds["0101"] or {
        "trap_cut",
        "http_404",
    } <= kinds["0101"]
    # failed portals carry no evidence as if complete
    with store.session() as s:
        for key in ("0102", "0103", "0104", "0106"):
            pc_id = night1[key].id
            assert s.scalar(select(Page.id).where(Page.portal_crawl_id == pc_id)) is None
            assert s.scalar(select(Document.id).where(Document.portal_crawl_id == pc_id)) is None

    good_pc = night1["0101"]
    assert good_pc.transparency_url and good_pc.transparency_url.endswith("/transparencia/")
    assert good_pc.platform_observed == "static"
    with store.session() as s:
        docs = {
            d.url.rsplit("/", 1)[-1]: d
            for d in s.scalars(select(Document).where(Document.portal_crawl_id == good_pc.id))
        }
        pages = {p.url: p for p in s.scalars(select(Page).where(Page.portal_crawl_id == good_pc.id))}
    pdf = docs["ejecucion-agosto-2026.pdf"]
    assert pdf.fetched and pdf.doc_type == "pdf" and "2026-08" in pdf.dates and pdf.sha256
    assert _subsequence(
        ["Gobierno", "Información Pública de Oficio", "Numeral 8: Ejecución presupuestaria"], pdf.trail
    )
    assert "Agosto 2026" in pdf.label
    assert store.blobs.get(pdf.sha256).startswith(b"%PDF")
    assert "2026-09" in docs["ejecucion-septiembre-2026.xlsx"].dates
    assert "2026-01-03" in docs["organigrama.docx"].dates
    assert docs["auditoria-escaneada.pdf"].is_scanned is True
    assert docs["falta.pdf"].status == 404
    nog = docs["compras?nog=21234567"]
    assert nog.external and not nog.fetched
    assert "Numeral 4: Presupuesto" in docs["presupuesto-2026.pdf"].trail
    # discovery went through the menu (1-3 clicks); never visited: the robots-forbidden page, other hosts
    assert pages[good.base + "/transparencia/"].trail == [
        "Gobierno",
        "Gobierno municipal",
        "Información Pública de Oficio",
    ]
    assert "/privado/x" not in good.hits
    assert all("PHPSESSID" not in h for h in good.hits)
    assert sum(1 for h in good.hits[:hits_night1] if "calendario" in h) <= 6
    assert set(good_pc.stats["hosts_requested"]) == {f"127.0.0.1:{good.port}"}
    # second night: conditional requests, unchanged documents not parsed again
    pc2 = night2["0101"]
    assert pc2.outcome == "complete"
    assert pc2.not_modified_count > 5
    assert pc2.bytes_received <= 0.10 * good_pc.bytes_received, (pc2.bytes_received, good_pc.bytes_received)
    assert len(good.hits) > hits_night1
    with store.session() as s:
        again = s.scalar(select(Document).where(Document.portal_crawl_id == pc2.id, Document.url == pdf.url))
        assert again is not None and again.text == pdf.text and again.dates == pdf.dates
        pages2 = {p.url: p for p in s.scalars(select(Page).where(Page.portal_crawl_id == pc2.id))}
    # unchanged pages (304): the same evidence, from the parsed page kept by night 1 (crawler/parsed.py)
    assert pages2.keys() == pages.keys()
    for url, page in pages.items():
        again_page = pages2[url]
        assert (again_page.title, again_page.blocks, again_page.text, again_page.sha256) == (
            page.title,
            page.blocks,
            page.text,
            page.sha256,
        )
    assert any(p.from_cache for p in pages2.values())
    assert list((tmp_path / "data" / "parsed").glob("*/*/*"))
    with store.session() as s:
        done1 = (s.get(CrawlRun, summary.run_id).settings or {})["last_child"]
        done2 = (s.get(CrawlRun, summary2.run_id).settings or {})["last_child"]
    assert done1["pages_parse_reused"] == 0 and done1["pages_parsed"] >= len(pages)
    assert done2["pages_parse_reused"] >= 5, done2


def test_resume_keeps_finished_portals_and_audit(store: Any) -> None:
    good = good_site(9)
    with helpers.SiteServer([good]):
        rows = [muni("0201", good.base + "/")]
        with store.session() as s:
            run = CrawlRun(kind="crawl", status="interrupted")
            s.add(run)
            s.flush()
            s.add(PortalCrawl(run_id=run.id, portal_key="0201", portal_url=good.base + "/", outcome=None))
            s.add(
                PortalCrawl(
                    run_id=run.id, portal_key="0999", portal_url="http://x.invalid/", outcome="unreachable"
                )
            )
            run_id = run.id
        summary = crawl_municipalities(store, rows, allow_private=True, resume_run_id=run_id, settings=FAST)
        assert summary.run_id == run_id
        keys = sorted(pc.portal_key for pc in _portals(store, run_id))
        assert keys == ["0201", "0999"]
        assert all(pc.outcome for pc in _portals(store, run_id))
        pc_id = audit_portal(store, good.base + "/", allow_private=True)
    with store.session() as s:
        pc = s.get(PortalCrawl, pc_id)
        assert pc is not None and pc.outcome == "complete" and pc.portal_key == good.base + "/"
        assert pc.run.kind == "audit"


def test_private_addresses_refused_without_permission(store: Any) -> None:
    site = helpers.Site(files={"/": (HTML, _page("Muni", "<p>hola</p>"))})
    with helpers.SiteServer([site]):
        summary = crawl_municipalities(
            store, [muni("0301", site.base + "/")], allow_private=False, settings=FAST
        )
    assert site.hits == []  # refused before connecting
    pc = _portals(store, summary.run_id)[0]
    assert pc.outcome == "unreachable"
    assert "private_address_refused" in _incident_kinds(store)["0301"]


def _subsequence(wanted: list[str], trail: list[str]) -> bool:
    it = iter(trail)
    return all(any(w == t for t in it) for w in wanted)


def _portals(store: Any, run_id: int) -> list[PortalCrawl]:
    with store.session() as s:
        return list(s.scalars(select(PortalCrawl).where(PortalCrawl.run_id == run_id)))


def _incident_kinds(store: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    with store.session() as s:
        for key, kind in s.execute(
            select(PortalCrawl.portal_key, Incident.kind).join(
                Incident, Incident.portal_crawl_id == PortalCrawl.id
            )
        ):
            out.setdefault(key, set()).add(kind)
    return out


def _script_only_site(script: str, placeholder: str) -> Any:
    """A portal whose home page is an empty shell filled by ``/app.js``, with one PDF to find."""
    return helpers.Site(
        files={
            "/": (
                HTML,
                b"<!DOCTYPE html><html><head><title>Portal</title><script src='/app.js' defer></script></head>"
                b"<body><div id='app'>" + placeholder.encode() + b"</div></body></html>",
            ),
            "/app.js": ("application/javascript; charset=utf-8", script.encode()),
            "/docs/ejecucion-agosto-2026.pdf": ("application/pdf", helpers.make_pdf(["Agosto 2026"])),
        }
    )


@pytest.mark.browser
def test_javascript_portal_is_rendered_with_chromium(store: Any) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's Chromium is not installed")
    script = (
        "document.getElementById('app').innerHTML = \"<h1>Portal de Transparencia</h1>"
        "<h2>Numeral 8: Ejecución presupuestaria</h2>"
        "<a href='/docs/ejecucion-agosto-2026.pdf'>Ejecución agosto 2026</a>\";"
    )
    site = _script_only_site(script, "")
    with helpers.SiteServer([site]):
        summary = crawl_municipalities(
            store, [muni("0401", site.base + "/")], allow_private=True, settings=FAST
        )
    pc = _portals(store, summary.run_id)[0]
    assert pc.outcome == "complete" and pc.rendered_with_browser and pc.platform_observed == "javascript"
    with store.session() as s:
        doc = s.scalar(select(Document).where(Document.portal_crawl_id == pc.id))
    assert doc is not None and doc.fetched and "2026-08" in doc.dates
    assert "Numeral 8: Ejecución presupuestaria" in doc.trail


def test_a_javascript_page_is_read_after_its_slow_data_request_answers(store: Any) -> None:
    """The browser waits for the page's own data requests (fetch/XHR) to end before reading it: a portal
    whose API answers after 700 ms (after the load event, and longer than the 150 ms of DOM silence the
    wait also asks for) is read with its links."""
    import asyncio

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's Chromium is not installed")

    async def slow_api(request: web.Request) -> web.Response:
        await asyncio.sleep(0.7)
        return web.json_response(
            {
                "html": "<h2>Numeral 8: Ejecución presupuestaria</h2>"
                "<a href='/docs/ejecucion-agosto-2026.pdf'>Ejecución agosto 2026</a>"
            }
        )

    script = (
        "fetch('/api/contenido').then(r => r.json())"
        ".then(d => { document.getElementById('app').innerHTML = '<h1>Portal de Transparencia</h1>' + d.html; });"
    )
    site = _script_only_site(script, "Cargando...")
    site.handlers["/api/contenido"] = slow_api
    with helpers.SiteServer([site]):
        summary = crawl_municipalities(
            store,
            [muni("0402", site.base + "/", platform="javascript", render="browser")],
            allow_private=True,
            settings=FAST,
        )
    pc = _portals(store, summary.run_id)[0]
    assert pc.outcome == "complete" and pc.rendered_with_browser
    with store.session() as s:
        doc = s.scalar(select(Document).where(Document.portal_crawl_id == pc.id))
    assert doc is not None and doc.fetched and "Numeral 8: Ejecución presupuestaria" in doc.trail


@pytest.mark.parametrize("processes", [1, 2])
def test_a_document_host_shared_by_two_processes_keeps_one_ceiling(store: Any, processes: int) -> None:
    """Two portals (in two crawl processes, or one) link documents on one file host: the host never sees
    more than CONCURRENT_REQUESTS_PER_DOMAIN requests at once over the whole run, and once one portal is
    done the other portal's process gets the whole ceiling (its slots are not left idle)."""
    import asyncio
    import dataclasses

    flight: dict[str, Any] = {"now": 0, "max": 0, "served": 0, "by_origin": {}, "max_by_origin": {}}

    async def slow_pdf(request: web.Request) -> web.Response:
        origin = request.headers.get("Referer", "").split("/transparencia")[0]
        by = flight["by_origin"]
        flight["now"] += 1
        by[origin] = by.get(origin, 0) + 1
        flight["max"] = max(flight["max"], flight["now"])
        flight["max_by_origin"][origin] = max(flight["max_by_origin"].get(origin, 0), by[origin])
        try:
            await asyncio.sleep(0.05)
        finally:
            flight["now"] -= 1
            by[origin] -= 1
        flight["served"] += 1
        return web.Response(body=helpers.make_pdf(["Informe"]), content_type="application/pdf")

    drive = helpers.Site(handlers={f"/d/{i}.pdf": slow_pdf for i in range(60)})
    portals = [helpers.Site(files={"/robots.txt": ("text/plain", b"")}) for _ in range(4)]
    # the first two portals (one in each process) link 50 and 10 documents on the shared host
    counts = [(0, 50), (50, 10), (60, 0), (60, 0)]
    with helpers.SiteServer([drive, *portals]):
        for site, (first, n) in zip(portals, counts, strict=True):
            links = "".join(
                f"<li><a href='{drive.base}/d/{i}.pdf'>Informe {i}</a></li>" for i in range(first, first + n)
            )
            site.files["/"] = (
                HTML,
                _page("Municipalidad", "<a href='/transparencia'>Información pública de oficio</a>"),
            )
            site.files["/transparencia"] = (
                HTML,
                _page("Información pública de oficio", f"<h1>Artículo 10</h1><ul>{links}</ul>"),
            )
        drive_host = drive.base.split("//")[1]
        rows = [
            dataclasses.replace(muni(f"01{k:02d}", site.base + "/"), document_hosts=(drive_host,))
            for k, site in enumerate(portals, start=1)
        ]
        # FAST asks for no AutoThrottle start delay: with a delay of 0 Scrapy 2.19's own downloader
        # starts a slot's whole queue at once (crawler/compat.py keeps the ceiling)
        settings = {**FAST, "VIGIA_CRAWL_PROCESSES": processes}
        settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = 2
        crawl_municipalities(store, rows, allow_private=True, settings=settings)
        logs = sorted(p.name for p in (Path(store.blobs.root).parent / "logs").iterdir())
    # one log per process, and the lease table is gone
    assert logs == (["crawl-1-1.log", "crawl-1-2.log"] if processes == 2 else ["crawl-1.log"])
    assert flight["served"] == 60
    assert flight["max"] == 2  # the run's ceiling for the host, not one per process
    assert flight["max_by_origin"][portals[0].base] == 2  # the busy portal's process used the whole ceiling
    with store.session() as s:
        docs = s.scalars(select(Document).where(Document.host == drive_host)).all()
    assert len(docs) == 60 and all(d.fetched for d in docs)
