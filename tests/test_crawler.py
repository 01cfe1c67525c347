"""Offline tests of the crawler (city-scrapers style: frozen HTML in tests/fixtures/crawler, hand-built
responses, tiny documents made in the test). No network except nothing at all."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import crawler_helpers as helpers  # tests/fixtures/crawler, on the path from conftest.py
import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.test import get_crawler

from crawler.dates import extract_periods
from crawler.documents import doc_type_from_url, extract
from crawler.htmlparse import Link, detect_platform, is_transparency_link, parse_html
from crawler.items import IncidentItem, PageItem
from crawler.middlewares import GuardMiddleware, OutOfScope
from crawler.pipelines import IncidentPipeline
from crawler.safety import AddressRefused, address_problem
from crawler.spiders.portal import PortalSpider, classify_failure
from crawler.state import PortalState, canonical_url

FIXTURES = Path(__file__).parent / "fixtures" / "crawler"

BASE = "https://munisanpedro.gob.gt"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- parsing and discovery


def test_sections_keep_heading_trail_links_and_table_context() -> None:
    page = parse_html(fixture("wordpress_section.html"), f"{BASE}/?page_id=77")
    by_heading = {tuple(b["headings"]): b for b in page.blocks}
    n8 = by_heading[("Información Pública de Oficio", "Numeral 8: Ejecución presupuestaria")]
    urls = [link["url"] for link in n8["links"]]
    assert urls == [
        f"{BASE}/wp-content/uploads/2026/09/NUMERAL-8-AGOSTO.pdf",
        f"{BASE}/wp-content/uploads/2026/10/NUMERAL-8-SEPTIEMBRE.xlsx",
    ]
    assert "Agosto 2026" in n8["links"][0]["label"]  # the row header names the month of a bare "PDF"
    # an empty accordion stays empty: the link after it does not inherit its heading
    assert by_heading[("Información Pública de Oficio", "Numeral 12: Viajes")]["links"] == []
    after = [b for b in page.blocks if any("page_id=78" in link["url"] for link in b["links"])][0]
    assert after["headings"] == ["Información Pública de Oficio"]
    # links carry their section headings and whether they sit in a menu
    links = {link.url: link for link in page.links}
    assert links[f"{BASE}/?page_id=45"].in_nav is True
    pdf = links[f"{BASE}/wp-content/uploads/2026/09/NUMERAL-8-AGOSTO.pdf"]
    assert pdf.in_nav is False and pdf.headings[-2:] == ["Numeral 8: Ejecución presupuestaria", "Agosto 2026"]


def test_malformed_html_and_hostile_links_are_handled() -> None:
    page = parse_html(fixture("static_table.html"), "https://muni.gob.gt/t/")
    assert [link.url for link in page.links] == [
        "https://muni.gob.gt/t/docs/n8-ene.pdf",
        "https://muni.gob.gt/t/docs/n8-feb.pdf",
        "https://muni.gob.gt/t/docs/n9-ene.pdf",
    ]
    assert page.links[2].label == "Numeral 9 Viáticos · PDF enero"  # image alt text as the label
    deep = "<div>" * 200 + "<h2>Hondo</h2><a href='/x.pdf'>x</a>" + "</div>" * 200
    assert parse_html(deep, "https://m.gob.gt/").links[0].headings == ["Hondo"]
    parse_html("<div>" * 20000, "https://m.gob.gt/")  # absurd nesting: no crash, no recursion error
    assert parse_html("", "https://m.gob.gt/").links == []


@pytest.mark.parametrize(
    ("name", "platform"),
    [
        ("wordpress_home.html", "wordpress"),
        ("joomla_home.html", "joomla"),
        ("laip_home.html", "laip_standard"),
        ("static_table.html", "static"),
        ("js_shell.html", "javascript"),
    ],
)
def test_platform_detection(name: str, platform: str) -> None:
    assert (
        detect_platform("https://muni.gob.gt/", parse_html(fixture(name), "https://muni.gob.gt/"), "")
        == platform
    )


@pytest.mark.parametrize(
    "label",
    [
        "Transparencia",
        "Información Pública de Oficio",
        "INFORMACIÓN PÚBLICA",
        "Ley de Acceso",
        "LAIP",
        "Artículo 10",
        "Acceso a la información",
        "UIP",
    ],
)
def test_transparency_labels(label: str) -> None:
    assert is_transparency_link(Link(url="https://m.gob.gt/?page_id=3", label=label, headings=[]))


def test_ordinary_links_are_not_transparency() -> None:
    for label in ("Noticias", "Contacto", "Turismo", "Inicio"):
        assert not is_transparency_link(Link(url="https://m.gob.gt/x", label=label, headings=[]))
    assert is_transparency_link(Link(url="https://m.gob.gt/transparencia/", label="Ver", headings=[]))


# --------------------------------------------------------------------------- dates and documents


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Informe del 15 de octubre de 2024 en el portal", ["2024-10-15"]),
        ("Publicado el 15 de octubre de 2024 en el portal", []),  # a publication date is not a period
        ("Ejecución Presupuestaria Mes de AGOSTO 2026 Artículo 10 Numeral 8", ["2026-08"]),
        ("NUMERAL-8-SEPTIEMBRE-2026.pdf", ["2026-09"]),
        ("Informe del primer trimestre 2026", ["2026-03"]),
        ("Reporte enero a marzo de 2025", ["2025-03"]),
        ("Presupuesto ejercicio fiscal 2026", ["2026"]),
        ("Fecha: 03/02/2026", ["2026-02-03"]),
        ("NOG 21234567, teléfono 7825-6070", []),
        ("Ejecución de ENERO\u2013MARZO\u00a02026 (“definitiva”)", ["2026-03"]),
        ("Vigente desde el 1.º de diciembre de 2025", ["2025-12-01"]),
        ("Publicado el 1.º de diciembre de 2025", []),  # nor is an ordinal publication date
        (
            "Vigente desde el 1° de enero de 2026; acta del 2o. de febrero de 2026",
            ["2026-01-01", "2026-02-02"],
        ),
    ],
)
def test_periods(text: str, expected: list[str]) -> None:
    assert extract_periods(text) == expected


def test_folding_matches_unidecode_on_spanish_text() -> None:
    from unidecode import unidecode

    from vigia.spanish import fold

    for text in (
        "Información Pública de Oficio — Artículo 10, numeral 8º",
        "¿Qué es la LAIP? ¡Sí! Ñandú, pingüino, «Compras» y “Contrataciones” … • 1ª sesión",
        "Ejecución\u00a0presupuestaria enero\u2013marzo",
        "Municipalidad de San José Chacayá, Sololá",
    ):
        assert fold(text) == unidecode(text).lower()
    assert fold("INFORMACIÓN") == "informacion" and fold("") == ""


def test_document_text_and_dates_from_pdf_xlsx_docx() -> None:
    pdf = extract("pdf", helpers.make_pdf(["Ejecucion presupuestaria", "Mes de agosto de 2026"]))
    assert pdf.text and "agosto" in pdf.text and "2026-08" in pdf.dates
    assert pdf.page_count == 1 and pdf.is_scanned is False
    xlsx = extract("xlsx", helpers.make_xlsx([["Mes", "Monto"], ["septiembre 2026", 10]]))
    assert xlsx.text and "2026-09" in xlsx.dates
    docx = extract("docx", helpers.make_docx(["Vigente desde el 3 de enero de 2026"]))
    assert docx.dates == ["2026-01-03"]
    scanned = extract("pdf", helpers.make_scanned_pdf())
    assert scanned.is_scanned is True and not scanned.text
    broken = extract("pdf", b"%PDF-1.4 esto no es un pdf")
    assert broken.error and broken.text is None


def _varied_workbook(date1904: bool = False) -> bytes:
    import datetime as dt
    import io

    from openpyxl import Workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    wb = Workbook()
    wb.epoch = dt.datetime(1904, 1, 1) if date1904 else wb.epoch
    ws = wb.active
    ws.title = "Ejecución"
    ws.append(["Renglón", "Descripción", "Monto", "Fecha", "Pagado"])
    ws.append([11, "Personal permanente", 12500.75, dt.datetime(2026, 9, 30), True])
    ws.append([None, "Sin renglón", 0, dt.date(2026, 10, 1), False])
    ws["F3"] = 1.5e-7
    ws["G2"] = "=C2*2"  # a formula without a cached value: no value, as Excel files saved by openpyxl
    ws["B5"] = CellRichText("Total ", TextBlock(InlineFont(b=True), "septiembre 2026"))
    ws["D5"].value = 46000
    ws["D5"].number_format = "dd/mm/yyyy"
    ws["E5"].value = 0.5
    ws["E5"].number_format = "hh:mm"
    second = wb.create_sheet("Compras & contrataciones <2026>")
    second.append(["NOG", "Proveedor"])
    second.append([21234567, "Ferretería “El Éxito”"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("date1904", [False, True])
def test_xlsx_read_from_its_xml_as_openpyxl_reads_it(date1904: bool) -> None:
    from crawler.documents import _xlsx_lxml, _xlsx_openpyxl

    body = _varied_workbook(date1904)
    fast, reference = _xlsx_lxml(body), _xlsx_openpyxl(body)
    assert fast.text == reference.text
    assert fast.dates == reference.dates and fast.page_count == reference.page_count == 2
    assert "Personal permanente | 12500.75 | 2026-09-30 00:00:00 | True" in fast.text
    assert "# Compras & contrataciones <2026>" in fast.text
    assert {"2026-09-30", "2026-10-01"} <= set(fast.dates)
    # a workbook the fast reader cannot read is still read by openpyxl
    whole = extract("xlsx", body)
    assert whole.text and whole.text.startswith("# Ejecución")
    assert extract("xlsx", b"PK\x03\x04 no es un libro").error


def test_an_office_file_that_unpacks_to_gigabytes_is_a_parse_error_not_a_memory_blow_up() -> None:
    import io
    import zipfile

    from crawler import documents

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", b"<workbook>" + b" " * (documents.MAX_XML_PART + 1) + b"</workbook>")
        zf.writestr("word/document.xml", b"<document>" + b" " * (documents.MAX_XML_PART + 1) + b"</document>")
    assert len(bomb.getvalue()) < 1_000_000
    for doc_type in ("xlsx", "docx"):
        result = extract(doc_type, bomb.getvalue())
        assert result.error and result.error.startswith("PartTooLarge") and result.text is None


def test_document_types_from_urls() -> None:
    assert doc_type_from_url("https://m.gob.gt/a/NUMERAL-2-FEBRERO.PDF") == "pdf"
    assert doc_type_from_url("https://m.gob.gt/a/b.xlsx?x=1") == "xlsx"
    assert doc_type_from_url("https://m.gob.gt/?page_id=3") is None


# --------------------------------------------------------------------------- safety


def test_address_rules() -> None:
    assert address_problem("8.8.8.8", False) is None
    for ip in ("127.0.0.1", "10.1.2.3", "192.168.1.1", "172.16.0.5"):
        assert address_problem(ip, False) is not None
        assert address_problem(ip, True) is None
    for ip in ("169.254.169.254", "0.0.0.0", "224.0.0.1", "240.0.0.1", "::ffff:169.254.169.254", "fe80::1"):
        assert address_problem(ip, True) is not None, ip


class _FakeCrawler:
    def __init__(self, spider: Any) -> None:
        self.spider = spider


def _spider(allow_private: bool, **settings: Any) -> PortalSpider:
    crawler = get_crawler(PortalSpider, {"VIGIA_ALLOW_PRIVATE": allow_private, **settings})
    spider = PortalSpider.from_crawler(crawler, portals=[])
    return spider


def _guard(spider: PortalSpider, request: Request) -> None:
    asyncio.run(GuardMiddleware(_FakeCrawler(spider)).process_request(request))


def test_guard_refuses_before_connecting() -> None:
    strict = _spider(False)
    with pytest.raises(AddressRefused):
        _guard(strict, Request("http://127.0.0.1:8080/"))
    with pytest.raises(AddressRefused):
        _guard(strict, Request("http://10.0.0.7/"))
    lenient = _spider(True)
    _guard(lenient, Request("http://127.0.0.1:8080/"))  # allowed for tests and the demo
    with pytest.raises(AddressRefused):
        _guard(lenient, Request("http://169.254.169.254/latest/meta-data/"))
    with pytest.raises(AddressRefused):
        _guard(lenient, Request("http://[::ffff:169.254.169.254]/"))


def test_guard_keeps_requests_inside_the_portal() -> None:
    spider = _spider(True)
    st = spider.window.make_state(
        {"key": "0101", "start_url": "http://127.0.0.1:8001/", "document_hosts": ["127.0.0.9"]}
    )
    spider.states[st.key] = st
    page = Request("http://127.0.0.1:8001/transparencia", meta={"vigia_portal": "0101", "vigia_kind": "page"})
    _guard(spider, page)
    assert page.headers.get(b"Cache-Control") == b"max-age=0"  # conditional request through the cache
    assert page.meta["download_slot"] == "127.0.0.1:8001"
    with pytest.raises(OutOfScope):  # another portal's host
        _guard(
            spider, Request("http://127.0.0.1:8002/x", meta={"vigia_portal": "0101", "vigia_kind": "page"})
        )
    doc = Request("http://127.0.0.9:8001/nog.pdf", meta={"vigia_portal": "0101", "vigia_kind": "document"})
    _guard(spider, doc)  # declared document host: documents only
    with pytest.raises(OutOfScope):
        _guard(
            spider, Request("http://127.0.0.9:8001/p", meta={"vigia_portal": "0101", "vigia_kind": "page"})
        )


def test_failure_classification() -> None:
    from scrapy.exceptions import IgnoreRequest
    from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TimeoutError

    assert classify_failure(ConnectionRefusedError())[0] == "connection_refused"
    assert classify_failure(TimeoutError())[0] == "timeout"
    assert classify_failure(DNSLookupError())[0] == "dns_error"
    assert classify_failure(IgnoreRequest("Forbidden by robots.txt"))[0] == "robots_disallowed"
    assert classify_failure(IgnoreRequest("max redirections reached"))[0] == "redirect_loop"
    assert classify_failure(AddressRefused("x (siempre rechazada)"))[0] == "private_address_refused"


# --------------------------------------------------------------------------- spider callbacks


def _portal_spider(platform: str = "unknown", render: str = "auto") -> tuple[PortalSpider, PortalState]:
    spider = _spider(True)
    st = spider.window.make_state(
        {"key": "0901", "start_url": f"{BASE}/", "platform": platform, "render": render}
    )
    spider.states[st.key] = st
    return spider, st


def _respond(
    spider: PortalSpider, request: Request, body: str, url: str | None = None, **kw: Any
) -> TextResponse:
    return HtmlResponse(url or request.url, body=body.encode(), encoding="utf-8", request=request, **kw)


def test_home_leads_to_the_section_and_records_platform() -> None:
    spider, st = _portal_spider()
    home = spider.links.request(st, f"{BASE}/", kind="home", depth=0, trail=[], in_section=False)
    assert home is not None
    out = spider.parse_page(_respond(spider, home, fixture("wordpress_home.html")))
    assert st.platform_observed == "wordpress" and st.home_ok
    assert isinstance(out[0], PageItem) and out[0].home  # the page's body goes to the pipelines
    out = [r for r in out if isinstance(r, Request)]
    section = [r for r in out if r.meta["vigia_section_root"]]
    assert [r.url for r in section] == [f"{BASE}/?page_id=77"]
    assert section[0].meta["vigia_trail"] == ["Información Pública de Oficio"]
    assert not any("facebook" in r.url or "page_id=45" in r.url for r in out)  # menu noise not followed
    assert any("/wp-json/wp/v2/pages" in r.url for r in out)  # WordPress entry point
    assert f"{BASE}/" in st.pages and st.pages[f"{BASE}/"]["title"].startswith("Municipalidad")


def test_a_page_that_breaks_the_callback_is_an_incident_item_recorded_by_its_pipeline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spider, st = _portal_spider()
    home = spider.links.request(st, f"{BASE}/", kind="home", depth=0, trail=[], in_section=False)
    assert home is not None

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("crawler.parsed.parse_html", broken)
    pending = st.pending
    out = spider.parse_page(_respond(spider, home, "<html><body>x</body></html>"))
    assert [type(x) for x in out] == [IncidentItem] and not st.incidents  # yielded, not yet recorded
    item = out[0]
    assert item.kind == "parse_error" and item.url == f"{BASE}/" and "RecursionError" in item.message
    assert st.pending == pending  # the response's own work ended, the item's began: the portal waits for it
    crawler = spider.crawler
    crawler.spider = spider  # as the engine sets it when the crawl opens
    IncidentPipeline(crawler).process_item(item)
    spider.on_item_done(item)
    assert [(i["kind"], i["url"]) for i in st.incidents] == [("parse_error", f"{BASE}/")]
    assert st.pending == pending - 1


def test_section_page_collects_documents_with_trails() -> None:
    spider, st = _portal_spider("wordpress")
    st.home_ok = True
    req = spider.links.request(
        st,
        f"{BASE}/?page_id=77",
        kind="page",
        depth=1,
        trail=["Transparencia"],
        in_section=True,
        section_root=True,
    )
    assert req is not None
    out = [
        r
        for r in spider.parse_page(_respond(spider, req, fixture("wordpress_section.html")))
        if isinstance(r, Request)
    ]
    docs = st.documents
    pdf = docs[f"{BASE}/wp-content/uploads/2026/09/NUMERAL-8-AGOSTO.pdf"]
    assert pdf["trail"] == [
        "Transparencia",
        "Información Pública de Oficio",
        "Numeral 8: Ejecución presupuestaria",
        "Agosto 2026",
    ]
    assert pdf["doc_type"] == "pdf" and pdf["external"] is False
    nog = docs["https://www.guatecompras.gt/concursos/consultaConcurso.aspx?nog=21234567"]
    assert nog["external"] is True and nog["label"] == "NOG 21234567"
    fetched = {r.url for r in out if r.meta["vigia_kind"] == "document"}
    assert nog["url"] not in fetched and pdf["url"] in fetched  # other hosts are recorded, never fetched
    pages = {r.url for r in out if r.meta["vigia_kind"] == "page"}
    assert f"{BASE}/?page_id=78" in pages and f"{BASE}/?page_id=45" not in pages
    assert st.transparency_url == f"{BASE}/?page_id=77"


def test_script_only_page_is_rendered_with_the_browser() -> None:
    spider, st = _portal_spider()
    home = spider.links.request(st, f"{BASE}/", kind="home", depth=0, trail=[], in_section=False)
    assert home is not None
    out = spider.parse_page(_respond(spider, home, fixture("js_shell.html")))
    assert len(out) == 1 and out[0].meta.get("playwright") is True and out[0].url == f"{BASE}/"
    assert st.platform_observed == "javascript"


def test_login_wall_blocks_and_stores_no_evidence() -> None:
    spider, st = _portal_spider()
    home = spider.links.request(st, f"{BASE}/", kind="home", depth=0, trail=[], in_section=False)
    assert home is not None
    spider.parse_page(_respond(spider, home, fixture("login.html")))
    assert st.outcome()[0] == "blocked" and st.pages == {}
    assert [i["kind"] for i in st.incidents] == ["login_wall"]


def test_session_ids_and_traps_are_cut() -> None:
    url, had = canonical_url("https://m.gob.gt/avisos/?PHPSESSID=abc&pagina=2#x")
    assert had and url == "https://m.gob.gt/avisos/?pagina=2"
    st = PortalState(key="k", start_url="https://m.gob.gt/", municipality={})
    reasons = [st.trap_reason(f"https://m.gob.gt/calendario/?mes=2026-{m:02d}") for m in range(1, 10)]
    assert reasons[:5] == [None] * 5 and all(reasons[5:])
    assert st.trap_reason("https://m.gob.gt/noticias?page=500")
    assert st.trap_reason("https://m.gob.gt/a/b/a/b/a/b/")


def test_outcomes_never_report_a_failure_as_complete() -> None:
    st = PortalState(key="k", start_url="https://m.gob.gt/", municipality={})
    assert st.outcome()[0] == "unreachable"  # nothing fetched yet
    st.home_failure = ("robots_disallowed", "robots.txt")
    assert st.outcome()[0] == "disallowed"
    st.home_failure, st.home_ok = None, True
    assert st.outcome()[0] == "complete"
    st.section_failure = ("captcha", "captcha")
    assert st.outcome()[0] == "blocked"
    st.section_failure = None
    st.failures = 1
    assert st.outcome()[0] == "partial"


def test_docx_and_pdf_fast_paths_match_the_libraries() -> None:
    from crawler import documents

    docx_body = helpers.make_docx(["Ejecución presupuestaria agosto de 2026", "Otro párrafo"])
    fast = documents._docx_lxml(docx_body)
    slow = documents._docx_python_docx(docx_body)
    assert fast.text == slow.text and "agosto de 2026" in (fast.text or "")
    pdf_body = helpers.make_pdf(["Informe del mes", "de octubre de 2026"])
    reference = documents._pdf_pypdf(pdf_body)
    result = documents._pdf(pdf_body)  # PDFium when installed, pypdf otherwise
    assert " ".join((result.text or "").split()) == " ".join((reference.text or "").split())
    assert (result.page_count, result.is_scanned) == (reference.page_count, reference.is_scanned)
    assert extract("pdf", b"%PDF-1.4 not really").error is not None
    scanned = documents._pdf(helpers.make_scanned_pdf())
    assert scanned.is_scanned is True and not scanned.text


def test_slow_portals_of_last_night_start_first_and_shares_balance_their_time() -> None:
    from crawler import api

    specs = [{"key": f"{i:04d}", "platform": "unknown", "render": "auto"} for i in range(8)]
    # 0003 timed out last night (130 s); 0006 was slow; 0007 is new (no history: the median is assumed)
    cost = {"0000": 10.0, "0001": 12.0, "0002": 8.0, "0003": 130.0, "0004": 9.0, "0005": 11.0, "0006": 60.0}
    shards = api.shard_specs(specs, 2, cost)
    assert sorted(s["key"] for shard in shards for s in shard) == [s["key"] for s in specs]
    firsts = {shard[0]["key"] for shard in shards}
    assert firsts == {"0003", "0006"}  # the two slowest open the night, one per process
    loads = [sum(cost.get(s["key"], 11.0) for s in shard) for shard in shards]
    assert max(loads) - min(loads) <= 130.0 - 60.0  # the dead portal's share gets the fewest others
    for shard in shards:  # slowest first inside each share
        times = [cost.get(s["key"], 11.0) for s in shard]
        assert times == sorted(times, reverse=True)
    # one process: the same longest-first order; no history: registry order
    assert [s["key"] for s in api.shard_specs(specs, 1, cost)[0]][:2] == ["0003", "0006"]
    assert [s["key"] for s in api.shard_specs(specs, 1)[0]] == [s["key"] for s in specs]


def test_first_night_opens_with_portals_on_a_shared_document_host() -> None:
    """Under the per-host ceiling a file host shared by many portals is the night's bottleneck: on a
    first night the portals declaring it start right after the browser portals, in both processes."""
    from crawler import api

    specs = [{"key": f"{i:04d}", "platform": "unknown", "render": "auto"} for i in range(12)]
    for i in (5, 8, 11):
        specs[i]["document_hosts"] = ["drive.example.gt"]
    specs[9]["document_hosts"] = ["solo.example.gt"]  # declared by one portal only: not shared
    specs[10]["platform"] = "javascript"
    (only,) = api.shard_specs(specs, 1)
    assert [s["key"] for s in only][:4] == ["0010", "0005", "0008", "0011"]
    assert [s["key"] for s in only][4:] == [f"{i:04d}" for i in (0, 1, 2, 3, 4, 6, 7, 9)]
    first, second = api.shard_specs(specs, 2)
    assert first[0]["key"] == "0010"
    shared_first = [s for s in first[1:] if s.get("document_hosts") == ["drive.example.gt"]]
    assert first[1 : 1 + len(shared_first)] == shared_first
    assert [s.get("document_hosts") for s in second][:1] == [["drive.example.gt"]]


def test_browser_portals_take_only_part_of_the_window_of_open_portals() -> None:
    """Browser portals wait for one of a few browser pages: at most VIGIA_ACTIVE_BROWSER_PORTALS of them
    are open at once, and the other places go to portals read without the browser."""
    spider = _spider(True, VIGIA_ACTIVE_BROWSER_PORTALS=2)
    specs = [
        {"key": f"{i:04d}", "start_url": f"http://127.0.0.{i + 1}:9/", "platform": platform, "render": "auto"}
        for i, platform in enumerate(["javascript"] * 4 + ["unknown"] * 3)
    ]
    spider.window.queue = list(reversed(specs))
    opened = [spider._open_next_portal()[0].meta["vigia_portal"] for _ in range(4)]
    assert opened == ["0000", "0001", "0004", "0005"]  # two browser portals, then the next static ones
    assert spider.window.browser_open == 2
    spider._finish(spider.states["0000"], open_next=False)
    assert spider.window.browser_open == 1
    assert spider._open_next_portal()[0].meta["vigia_portal"] == "0002"  # a browser place is free again
    assert spider._open_next_portal()[0].meta["vigia_portal"] == "0006"
    # nothing else left: the last browser portal opens even over the limit
    assert spider._open_next_portal()[0].meta["vigia_portal"] == "0003"
    assert not spider.window.queue


def test_portals_are_shared_among_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler import api

    monkeypatch.setattr(api.os, "cpu_count", lambda: 2)
    specs = [
        {"key": f"{i:04d}", "platform": "javascript" if i % 7 == 0 else "unknown", "render": "auto"}
        for i in range(100)
    ]
    assert api.crawl_processes(100) == 2
    assert api.crawl_processes(1) == 1
    assert api.crawl_processes(100, {"VIGIA_CRAWL_PROCESSES": 1}) == 1
    assert api.crawl_processes(100, {"VIGIA_CRAWL_PROCESSES": 8}) == 2
    shards = api.shard_specs(specs, 2)
    keys = [s["key"] for shard in shards for s in shard]
    assert sorted(keys) == [s["key"] for s in specs]  # every portal once
    assert all(s["platform"] != "javascript" for s in shards[1])  # one browser process
    assert abs(len(shards[0]) - len(shards[1])) <= 1
    # a first night: the browser portals open it, then registry order
    browser_first = sorted(shards[0], key=lambda s: (s["platform"] != "javascript", s["key"]))
    assert [s["key"] for s in shards[0]] == [s["key"] for s in browser_first]
    assert [s["key"] for s in shards[1]] == sorted(s["key"] for s in shards[1])
    first, second = (api._shard_settings({}, 2, k, Path("/run/x.leases")) for k in (0, 1))
    assert first["VIGIA_HOST_LEASES"] == {"path": "/run/x.leases", "index": 0, "processes": 2}
    assert second["VIGIA_HOST_LEASES"]["index"] == 1 and second["PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"] == 2
    assert api._shard_settings({}, 1, 0) == {}
    merged = api._merge_done(
        [{"seconds": 3, "cpu_seconds": 1.5, "pages": 2}, {"seconds": 5, "cpu_seconds": 2}]
    )
    assert merged["seconds"] == 5 and merged["cpu_seconds"] == 3.5 and merged["pages"] == 2


def test_a_stuck_crawl_closes_its_open_portals_with_a_timeout_but_a_moving_one_does_not() -> None:
    """One request that never ends (a stuck browser page) must not hold the night open; a portal waiting
    its turn on a busy shared host while other requests complete is left alone."""
    from crawler.extensions import StallWatchdog

    spider, st = _portal_spider()
    spider.crawler.spider = spider
    watchdog = StallWatchdog(spider.crawler, 300.0)
    st.pending = 2
    other = spider.window.make_state({"key": "0102", "start_url": "http://127.0.0.1:1/", "municipality": {}})
    spider.states[other.key] = other
    other.pending = 1
    watchdog.check(now=spider.last_activity + 299)  # the crawl is still moving: nothing closes
    assert not st.finished and not other.finished
    watchdog.check(now=spider.last_activity + 301)
    assert st.finished and other.finished
    assert any(i["kind"] == "timeout" and "no avanzó en 300 s" in i["message"] for i in st.incidents)
    assert st.outcome()[0] != "complete"  # never reported as a complete crawl


def test_a_process_that_cannot_close_after_the_watchdog_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the stuck request never ends, closing the spider waits for it forever: the process is stopped
    after a grace period (the portals' evidence is already stored), and the run can end."""
    from twisted.internet import reactor

    from crawler import extensions

    spider, st = _portal_spider()
    st.pending = 1
    closed: list[str] = []
    engine = type(
        "Engine", (), {"crawl": lambda self, r: None, "close_spider": lambda self, s, why: closed.append(why)}
    )()
    crawler = type("Crawler", (), {"spider": spider, "engine": engine, "signals": spider.crawler.signals})()
    watchdog = extensions.StallWatchdog(crawler, 300.0)
    monkeypatch.setattr(spider, "_engine", lambda: engine)
    monkeypatch.setattr(spider, "_finish", lambda state, open_next=True: setattr(state, "finished", True))
    later: list[tuple[float, Any]] = []
    monkeypatch.setattr(reactor, "callLater", lambda delay, fn, *a: later.append((delay, fn)), raising=False)
    watchdog.check(now=spider.last_activity + 301)
    assert closed == ["finished"]
    assert later and later[0][0] == extensions.STOP_GRACE_SECONDS
    stopped: list[bool] = []
    monkeypatch.setattr(reactor, "running", True, raising=False)
    monkeypatch.setattr(reactor, "stop", lambda: stopped.append(True), raising=False)
    later[0][1]()  # the grace period is over and the process is still up
    assert stopped == [True]


def test_a_browser_request_that_never_ends_fails_as_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy.exceptions import DownloadTimeoutError

    from crawler.handlers import BrowserServiceHandler

    async def never(self: Any, request: Request) -> Any:
        await asyncio.sleep(3600)

    monkeypatch.setattr(BrowserServiceHandler, "render", never)
    handler = object.__new__(BrowserServiceHandler)
    handler.deadline = 0.05
    request = Request("http://127.0.0.1:1/", meta={"playwright": True})
    with pytest.raises(DownloadTimeoutError, match="no terminó"):
        asyncio.run(handler.download_request(request))


def test_browser_error_pages_and_off_portal_pages_are_never_evidence() -> None:
    """A page the browser ended on chrome-error:// (or outside the portal's hosts) is a failure of that
    page, not a page of the portal; inside the section it makes the crawl partial."""
    spider, st = _portal_spider()
    st.home_ok = True
    for final in ("chrome-error://chromewebdata/", "http://otro-sitio.example/transparencia"):
        req = spider.links.request(
            st, f"{BASE}/t{len(final)}", kind="page", depth=1, trail=[], in_section=True
        )
        assert req is not None
        out = spider.parse_page(_respond(spider, req, fixture("wordpress_section.html"), url=final))
        assert out == [] and not st.pages
    assert st.outcome()[0] == "partial"
    assert {i["kind"] for i in st.incidents} == {"connection_refused"}


def test_a_403_or_an_oversized_page_inside_the_section_makes_the_crawl_partial() -> None:
    spider, st = _portal_spider()
    st.home_ok = True
    req = spider.links.request(st, f"{BASE}/t/personal", kind="page", depth=2, trail=[], in_section=True)
    assert req is not None
    spider.parse_page(_respond(spider, req, "<html><body>prohibido</body></html>", status=403))
    assert st.outcome()[0] == "partial" and st.incidents[-1]["kind"] == "login_wall"
    outside, st2 = _portal_spider()
    st2.home_ok = True
    req = outside.links.request(st2, f"{BASE}/noticias", kind="page", depth=1, trail=[], in_section=False)
    assert req is not None
    outside.parse_page(_respond(outside, req, "<html><body>prohibido</body></html>", status=403))
    assert st2.outcome()[0] == "complete"  # outside the section: an incident, the crawl is complete


def test_section_page_is_the_page_that_lists_the_numerals_not_a_news_post() -> None:
    from crawler.state import PortalState

    st = PortalState(key="0101", start_url=f"{BASE}/", municipality={})
    news = f"{BASE}/2026/11/municipalidad-cumple-con-la-ley-de-acceso/"
    listing = f"{BASE}/?page_id=77"
    st.transparency_url = news  # the first in-section page the spider reached
    numbered = [{"url": f"{BASE}/n{n}.pdf", "label": f"Numeral {n}"} for n in range(1, 12)]
    st.pages[news] = {
        "status": 200,
        "final_url": news,
        "depth": 1,
        "blocks": [{"headings": ["Noticias"], "text": "", "links": numbered}],
    }
    assert st.transparency_url == news  # a news post is never the section page
    st.pages[listing] = {
        "status": 200,
        "final_url": listing,
        "depth": 2,
        "blocks": [
            {"headings": ["Información Pública de Oficio", f"{n}. Tema {n}"], "text": "", "links": []}
            for n in range(1, 30)
        ],
    }
    assert st.transparency_url == listing
    st.pages[f"{BASE}/?page_id=80"] = {
        "status": 200,
        "depth": 1,
        "blocks": [{"headings": ["Ley"], "text": "", "links": numbered[:3]}],
    }
    assert st.transparency_url == listing  # three numerals are not an index of article 10


def test_tab_panels_are_headed_by_their_tab_title() -> None:
    """Year tabs held in the DOM (Bootstrap): each panel's links carry the year of the tab that opens it,
    and the month of the accordion they sit in, below the numeral's heading."""
    from crawler.htmlparse import parse_html

    html = """<html><body><main><h2>Numeral 8: Ejecución presupuestaria</h2>
    <ul class="nav nav-tabs" role="tablist">
      <li><button class="nav-link active" data-bs-toggle="tab" data-bs-target="#t2026" role="tab">2026</button></li>
      <li><a class="nav-link" data-toggle="tab" href="#t2025">2025</a></li></ul>
    <div class="tab-content">
      <div class="tab-pane fade show active" id="t2026" role="tabpanel"><div class="accordion">
        <div class="accordion-item"><h2 class="accordion-header"><button class="accordion-button">Octubre</button></h2>
          <div class="accordion-collapse"><div class="accordion-body"><a href="/a.pdf">Descargar</a></div></div></div>
      </div></div>
      <div class="tab-pane fade" id="t2025"><div class="accordion">
        <div class="accordion-item"><h2 class="accordion-header"><button class="accordion-button">Diciembre</button></h2>
          <div class="accordion-collapse"><div class="accordion-body"><a href="/b.pdf">Descargar</a></div></div></div>
      </div></div>
    </div><h2>Numeral 9: Depósitos</h2><p><a href="/c.pdf">Descargar</a></p></main></body></html>"""
    parsed = parse_html(html, "https://muni.example.gob.gt/")
    heads = {link.url.rsplit("/", 1)[-1]: link.headings for link in parsed.links}
    assert heads["a.pdf"] == ["Numeral 8: Ejecución presupuestaria", "2026", "Octubre"]
    assert heads["b.pdf"] == ["Numeral 8: Ejecución presupuestaria", "2025", "Diciembre"]
    assert heads["c.pdf"] == ["Numeral 9: Depósitos"]


def test_table_rows_and_list_items_are_lines_of_their_block() -> None:
    """Issue 19 (classes A and B): a row is where its evidence stands. Each table row and list item ends
    a line of the block's text (a "No aplica" stays in its numeral's row, not in the next one nor in the
    footer), and a link in a table nested in a cell takes its column header from its own table."""
    html = """<html><body><main><h1>Información Pública de Oficio</h1><table>
    <tr><th>Numeral</th><th>Descripción</th><th>Estado</th></tr>
    <tr><td>21</td><td>Fideicomisos</td><td>No aplica: la municipalidad no ha constituido fideicomisos</td></tr>
    <tr><td>22</td><td>Compras directas</td><td><table><tr><th>Mes</th><th>Archivo</th></tr>
      <tr><td>Octubre 2026</td><td><a href="/cd-oct.pdf">PDF</a></td></tr></table></td></tr>
    </table><ol><li>27. Índice de información clasificada: <b>No aplica</b>.</li></ol></main>
    <footer><p>3a. calle 2-10 zona 1, tel. 7926-1234</p></footer></body></html>"""
    parsed = parse_html(html, "https://muni.example.gob.gt/transparencia/")
    (block,) = [b for b in parsed.blocks if b["headings"] == ["Información Pública de Oficio"]]
    assert block["text"].split("\n") == [
        "Numeral Descripción Estado",
        "21 Fideicomisos No aplica: la municipalidad no ha constituido fideicomisos",
        "22 Compras directas",
        "Mes Archivo",
        "Octubre 2026 PDF",
        "27. Índice de información clasificada: No aplica .",
        "3a. calle 2-10 zona 1, tel. 7926-1234",
    ]
    assert block["links"] == [
        {"url": "https://muni.example.gob.gt/cd-oct.pdf", "label": "Octubre 2026 · Archivo · PDF"}
    ]


def test_a_partial_crawls_reason_does_not_depend_on_the_order_of_failures() -> None:
    """The reason names a refused address first, then the first failure by URL: the same failures in
    another order (another night's crawl) give the same reason, so no checklist is rendered again for it."""
    failures = [
        ("timeout", "https://m.gob.gt/transparencia/numeral-4", "tiempo de espera agotado (numeral 4)"),
        ("timeout", "https://m.gob.gt/transparencia/numeral-20", "tiempo de espera agotado (numeral 20)"),
    ]
    reasons = []
    for order in (failures, failures[::-1]):
        st = PortalState(key="k", start_url="https://m.gob.gt/", municipality={})
        st.home_ok, st.failures = True, 2
        for kind, url, message in order:
            st.incident(kind, url, message)
        reasons.append(st.outcome())
    assert reasons[0] == reasons[1] and "numeral 20" in (reasons[0][1] or "")
    st.incident("private_address_refused", "https://m.gob.gt/z", "dirección privada")
    assert "private_address_refused" in (st.outcome()[1] or "")
