"""Reports: golden files for every report type, hostile markup, determinism, exports, PDFs, errors.

Update the golden files after an intended change with ``VIGIA_UPDATE_GOLDEN=1 pytest tests/test_reports.py``
and review the diff (``git diff tests/golden``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports import fmt, synthetic, views
from reports.api import ReportSummary, archive_extension, build_reports
from reports.exports import COLUMNS, SCHEMA_VERSION, xlsx_dump
from reports.loader import BlobInfo, load_history, load_run
from vigia.errors import UserError
from vigia.store import open_store

GOLDEN = Path(__file__).parent / "golden" / "reports"
UPDATE = os.environ.get("VIGIA_UPDATE_GOLDEN") == "1"
AS_OF = synthetic.AS_OF


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("reports")
    store = open_store(f"sqlite:///{base / 'vigia.db'}", base / "data")
    first, second = synthetic.build_scenario(store)
    site = base / "site"
    summary = build_reports(store, site, None, AS_OF, synthetic.scenario_registry(), pdf=False)
    yield store, site, summary, (first, second)
    store.close()


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"falta el archivo dorado {path}: ejecute con VIGIA_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} difiere del archivo dorado (VIGIA_UPDATE_GOLDEN=1 para actualizarlo)"


@pytest.mark.parametrize(
    "page",
    [
        "index.html",
        "prioridad.html",
        "matriz.html",
        "nocturno.html",
        "datos.html",
        "municipio/0101.html",
        "municipio/0108.html",
        "municipio/1301.html",
        "municipio/1701.html",
    ],
)
def test_golden_pages(scenario, page: str) -> None:  # type: ignore[no-untyped-def]
    _, site, _, _ = scenario
    _check_golden(page.replace("/", "__"), (site / page).read_text(encoding="utf-8"))


def test_golden_exports(scenario) -> None:  # type: ignore[no-untyped-def]
    _, site, _, _ = scenario
    _check_golden("hallazgos.csv", (site / "datos/hallazgos.csv").read_text(encoding="utf-8"))
    _check_golden("hallazgos.json", (site / "datos/hallazgos.json").read_text(encoding="utf-8"))
    _check_golden("hallazgos.xlsx.txt", xlsx_dump(site / "datos/hallazgos.xlsx"))


def test_summary_and_layout(scenario) -> None:  # type: ignore[no-untyped-def]
    _, site, summary, (_, second) = scenario
    assert isinstance(summary, ReportSummary)
    assert summary.run_id == second
    assert summary.portals == 7 and summary.scored == 5
    assert summary.export_rows == 7 * 29
    line = summary.describe()
    assert "corrida 2" in line and "7 portales" in line and "\n" not in line
    assert "nuevos cumplimientos 1, retrocesos 1, portales caídos 1, recuperados 1" in line
    for rel in ("index.html", "nocturno.html", "static/vigia.css", "datos/hallazgos.xlsx"):
        assert (site / rel).is_file(), rel
    assert len(list((site / "municipio").glob("*.html"))) == 7
    # archived copies are the raw bodies, named by their digest
    copies = sorted((site / "evidencia").iterdir())
    assert copies and all(len(p.name.split(".")[0]) == 64 for p in copies)
    assert copies[0].read_bytes().startswith(b"%PDF")
    page = (site / "municipio/0108.html").read_text(encoding="utf-8")
    assert 'href="../evidencia/' in page and "55.56 (PDH 2023)" in page
    guatemala = (site / "municipio/0101.html").read_text(encoding="utf-8")
    assert "y 2 documentos más de este numeral" in guatemala  # 10 cited, 8 listed


def test_deterministic(scenario, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, site, _, _ = scenario
    other = tmp_path / "again"
    (other / "municipio").mkdir(parents=True)
    (other / "municipio/9999.html").write_text("página de una corrida anterior")
    (other / "municipio/9999.pdf").write_text("pdf viejo")
    (other / "municipio/notas.txt").write_text("de otra persona")
    build_reports(store, other, None, AS_OF, synthetic.scenario_registry(), pdf=False)
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".csv", ".json", ".css"):
            rel = path.relative_to(site)
            assert (other / rel).read_bytes() == path.read_bytes(), rel
    # checklists of portals not in this run are removed; files that are not ours are left alone
    assert not (other / "municipio/9999.html").exists() and not (other / "municipio/9999.pdf").exists()
    assert (other / "municipio/notas.txt").exists()


def test_reference_date_is_the_evaluations(scenario, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`vigia report` defaults --as-of to today; the pages show the date the findings were evaluated at."""
    store, _, _, _ = scenario
    summary = build_reports(
        store, tmp_path / "site", None, dt.date(2026, 12, 3), synthetic.scenario_registry(), pdf=False
    )
    assert summary.as_of == AS_OF
    index = (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert "Fecha de referencia: 25 de noviembre de 2026" in index and "diciembre" not in index


def test_changes_since_previous_night(scenario) -> None:  # type: ignore[no-untyped-def]
    store, _, _, (first, second) = scenario
    ctx = _context(store, first, second)
    changes = views.changes_view(ctx)
    assert [c.municipality for c in changes.went_down] == ["Huehuetenango"]
    assert [c.municipality for c in changes.came_back] == ["Cobán"]
    assert [(c.municipality, c.rule, c.after_status) for c in changes.improved] == [
        ("Guatemala", "LAIP-10.08", "present")
    ]
    assert [(c.municipality, c.rule, c.after_status) for c in changes.regressed] == [
        ("Mixco", "LAIP-10.03", "absent")
    ]
    assert changes.newly_compliant == 1
    nightly = views.nightly_view(ctx)
    assert [(p.municipality, p.observed, p.previous) for p in nightly.platform_changes][0] == (
        "Mixco",
        "joomla",
        "wordpress",
    )
    assert {u.municipality for u in nightly.unverified} == {"Huehuetenango", "Quetzaltenango"}
    index = views.index_view(ctx)
    assert [r.municipality for r in index.ranking][:2] == ["Guatemala", "Cobán"]
    assert index.ranking[-1].rank == "—"  # no score goes last, with its reason
    assert [r.ine_code for r in index.not_evaluated] == ["1401"]
    assert len(index.trends) == 2


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, k, v) for k, v in attrs)


def _safe_link(value: str) -> bool:
    if value.startswith(("https://", "http://", "#")):
        return True
    scheme = re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):", value)
    return scheme is None  # relative links inside the site


def test_hostile_markup_is_escaped_everywhere(scenario) -> None:  # type: ignore[no-untyped-def]
    _, site, _, _ = scenario
    pages = sorted(site.rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        collector = _Collector()
        collector.feed(text)
        assert not {"script", "img", "iframe", "object", "embed"} & set(collector.tags), page
        for tag, name, value in collector.attrs:
            assert not name.lower().startswith("on"), (page, tag, name)
            if name in ("href", "src", "action", "xlink:href"):
                assert value is not None and _safe_link(value), (page, tag, name, value)
        assert "javascript:" not in " ".join(v or "" for _, n, v in collector.attrs if n == "href").lower()
    flores = (site / "municipio/1701.html").read_text(encoding="utf-8")
    assert "Flores &lt;script&gt;alert(1)&lt;/script&gt;" in flores
    assert "&lt;img src=x onerror=alert(1)&gt;" in flores
    assert "enlace omitido" in flores  # the javascript: evidence link is shown as text, not as a link
    nightly = (site / "nocturno.html").read_text(encoding="utf-8")
    assert "Enlace raro &lt;script&gt;" in nightly


def test_exports_schema_and_formula_injection(scenario) -> None:  # type: ignore[no-untyped-def]
    _, site, _, _ = scenario
    with (site / "datos/hallazgos.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0].keys()) == [c[0] for c in COLUMNS]
    assert len(rows) == 7 * 29
    assert {r["schema_version"] for r in rows} == {SCHEMA_VERSION}
    assert len({(r["ine_code"], r["numeral"]) for r in rows}) == len(rows)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    mixco3 = next(r for r in rows if r["ine_code"] == "0108" and r["numeral"] == "3")
    assert (
        mixco3["status"] == "absent"
        and mixco3["compliant"] == "no"
        and mixco3["status_label"] == "No publicado"
    )
    guate8 = next(r for r in rows if r["ine_code"] == "0101" and r["numeral"] == "8")
    assert guate8["evidence_urls"].startswith("https://muniguate.example.gob.gt/")
    assert guate8["archived_copies"].startswith("evidencia/")
    doc = json.loads((site / "datos/hallazgos.json").read_text(encoding="utf-8"))
    assert doc["schema_version"] == SCHEMA_VERSION and doc["as_of"] == "2026-11-25"
    assert len(doc["findings"]) == 7 * 29
    assert doc["findings"][0]["evidence"][0]["sha256"]
    assert {r["rule"] for r in doc["portal_rules"]} >= {"PORTAL-HTTPS", "PORTAL-UIP"}
    dump = xlsx_dump(site / "datos/hallazgos.xlsx")
    assert "## Hallazgos" in dump and "## Esquema" in dump
    assert "\t=" not in dump and "\n=" not in dump


def test_safe_href() -> None:
    assert fmt.safe_href("https://muni.gob.gt/a b.pdf") == "https://muni.gob.gt/a%20b.pdf"
    for bad in (
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<script>",
        "vbscript:x",
        "//evil.example/",
        "file:///etc/passwd",
        "",
        None,
    ):
        assert fmt.safe_href(bad) is None, bad


def test_spreadsheet_cell_and_formats() -> None:
    assert fmt.spreadsheet_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert fmt.spreadsheet_cell("Cumple") == "Cumple"
    assert fmt.period("2026-08") == "agosto 2026"
    assert fmt.period("2026-Q3") == "3.º trimestre 2026"
    assert (
        fmt.datetime_es(dt.datetime(2026, 11, 25, 8, 0))
        == "25 de noviembre de 2026, 02:00 (hora de Guatemala)"
    )


def test_archive_extension_keeps_active_content_inert() -> None:
    assert archive_extension(BlobInfo("x", "text/html; charset=utf-8", None), "https://a/b") == "html.txt"
    assert archive_extension(BlobInfo("x", "image/svg+xml", None), "https://a/b.svg") == "svg.txt"
    assert archive_extension(BlobInfo("x", None, "xlsx"), "https://a/b") == "xlsx"
    assert archive_extension(None, "https://a/NUMERAL-2-FEBRERO.PDF") == "pdf"
    assert archive_extension(None, "https://a/x.exe") == "bin"


def test_errors_are_one_line(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    empty = open_store(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path / "data")
    with pytest.raises(UserError, match="no hay evaluaciones"):
        build_reports(empty, tmp_path / "out", None, AS_OF, [], pdf=False)
    empty.close()
    store, _, _, _ = scenario
    with pytest.raises(UserError, match="no existe la corrida 99"):
        build_reports(store, tmp_path / "out", 99, AS_OF, [], pdf=False)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="no se puede escribir"):
        build_reports(store, blocker / "sub", None, AS_OF, [], pdf=False)


def test_cli_report_without_evaluations(tmp_path: Path) -> None:
    vigia = Path(sys.executable).with_name("vigia")
    registry = Path(__file__).resolve().parent.parent / "municipalities.csv"
    proc = subprocess.run(
        [
            str(vigia),
            "report",
            "--out",
            str(tmp_path / "site"),
            "--db",
            f"sqlite:///{tmp_path / 'v.db'}",
            "--registry",
            str(registry),
            "--data-dir",
            str(tmp_path / "data"),
            "--no-pdf",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no hay evaluaciones" in proc.stderr
    assert "Traceback" not in proc.stderr


def _context(store, first: int, second: int) -> views.ReportContext:  # type: ignore[no-untyped-def]
    return views.ReportContext(
        data=load_run(store, second, AS_OF),
        previous=load_run(store, first, AS_OF, with_details=False),
        history=load_history(store, second, AS_OF),
        registry=synthetic.scenario_registry(),
        as_of=AS_OF,
        pdf=True,
        archived={},
    )


@pytest.mark.parametrize("engine", [pytest.param("chromium", marks=pytest.mark.browser), "weasyprint"])
def test_pdf_of_a_checklist(scenario, tmp_path: Path, engine: str) -> None:  # type: ignore[no-untyped-def]
    from importlib import resources

    from pypdf import PdfReader

    from reports.api import environment
    from reports.pdf import SINCE_MARK, render_pdfs

    store, _, _, (first, second) = scenario
    ctx = _context(store, first, second)
    portal = next(p for p in ctx.data.portals if p.ine_code == "0301")
    view = views.checklist_view(ctx, portal)
    html = (
        environment()
        .get_template("checklist_pdf.html.j2")
        .render(view=view, meta=view.meta, since=SINCE_MARK)
    )
    css = resources.files("reports").joinpath("static/pdf.css").read_text(encoding="utf-8")
    result = render_pdfs(
        tmp_path,
        [("municipio/0301.pdf", html)],
        css,
        workers=1,
        since="3 de diciembre de 2026",
        engine=engine,
    )
    assert result.written == 1 and result.kept == 0 and not result.failed and result.engine == engine
    pdf = tmp_path / "municipio/0301.pdf"
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 2
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Antigua Guatemala" in text and "Deficiente" in text and "29. Otra información de utilidad" in text
    assert "vigente desde el 3 de diciembre de 2026" in text and "Página 1 de" in text
    # unchanged HTML and stylesheet, a later night: the PDF is kept, with the date its state began
    before = pdf.stat().st_mtime_ns
    again = render_pdfs(
        tmp_path,
        [("municipio/0301.pdf", html)],
        css,
        workers=1,
        since="4 de diciembre de 2026",
        engine=engine,
    )
    assert again.written == 1 and again.kept == 1 and again.engine == "" and pdf.stat().st_mtime_ns == before
    # what it shows changed: rendered again, with the new date
    changed = html.replace("Deficiente", "Bajo")
    third = render_pdfs(
        tmp_path,
        [("municipio/0301.pdf", changed)],
        css,
        workers=1,
        since="5 de diciembre de 2026",
        engine=engine,
    )
    assert third.kept == 0 and third.written == 1
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "vigente desde el 5 de diciembre de 2026" in text and "Deficiente" not in text


@pytest.mark.parametrize("engine", [pytest.param("chromium", marks=pytest.mark.browser), "weasyprint"])
def test_pdf_engines_fetch_nothing(tmp_path: Path, engine: str) -> None:
    """Whatever reaches the print HTML, the engine loads no resource (scripts, images, styles, frames)."""
    import http.server
    import threading

    from reports.pdf import render_pdfs

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    html = (
        f'<html><head><link rel="stylesheet" href="{base}/css"><script src="{base}/js"></script></head>'
        f'<body><img src="{base}/img"><iframe src="{base}/frame"></iframe><p>texto</p>'
        f"<script>fetch('{base}/fetch')</script></body></html>"
    )
    try:
        result = render_pdfs(tmp_path, [("municipio/0000.pdf", html)], "", workers=1, engine=engine)
    finally:
        server.shutdown()
        server.server_close()
    assert result.written == 1 and not result.failed
    assert hits == []


def test_pdf_engine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    from reports import pdf
    from vigia.errors import UserError

    monkeypatch.setenv("VIGIA_PDF_ENGINE", "weasyprint")
    assert pdf.choose_engine() == "weasyprint"
    assert pdf.choose_engine("chromium") == "chromium"
    monkeypatch.setenv("VIGIA_PDF_ENGINE", "auto")
    monkeypatch.setattr(pdf, "chromium_available", lambda: False)
    assert pdf.choose_engine() == "weasyprint"
    with pytest.raises(UserError, match="motor de PDF desconocido"):
        pdf.choose_engine("prince")


def test_synthetic_generator_small(tmp_path: Path) -> None:
    registry = Path(__file__).resolve().parent.parent / "municipalities.csv"
    code = synthetic.main(
        ["--portals", "6", "--nights", "2", "--no-pdf", "--out", str(tmp_path), "--registry", str(registry)]
    )
    assert code == 0
    assert len(list((tmp_path / "site-html/municipio").glob("*.html"))) == 6


@pytest.mark.postgres
def test_same_site_from_postgresql(scenario, postgres_server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The loader's queries give the same pages on PostgreSQL as on SQLite."""
    from conftest import _create_database

    store = open_store(_create_database(postgres_server), tmp_path / "data")
    try:
        synthetic.build_scenario(store)
        build_reports(store, tmp_path / "site", None, AS_OF, synthetic.scenario_registry(), pdf=False)
    finally:
        store.close()
    _, site, _, _ = scenario
    for rel in ("index.html", "nocturno.html", "municipio/0108.html", "datos/hallazgos.csv"):
        assert (tmp_path / "site" / rel).read_text(encoding="utf-8") == (site / rel).read_text(
            encoding="utf-8"
        ), rel


def test_build_with_pdf_hands_every_checklist_to_the_renderer(
    scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The wiring of pdf=True (the engines themselves are exercised in test_pdf_of_a_checklist)."""
    import reports.api as api
    from reports.pdf import PdfResult

    seen: list[tuple[str, str]] = []

    def fake(root: Path, documents, css: str, workers=None, since="", engine=None):  # type: ignore[no-untyped-def]
        seen.extend(documents)
        assert "@page" in css
        assert since == "25 de noviembre de 2026"
        return PdfResult(len(documents), (), 0)

    monkeypatch.setattr(api, "render_pdfs", fake)
    store = scenario[0]
    summary = build_reports(store, tmp_path / "site", None, AS_OF, synthetic.scenario_registry(), pdf=True)
    assert summary.pdfs == 7 and "7 PDF" in summary.describe()
    assert sorted(rel for rel, _ in seen) == sorted(
        f"municipio/{p.name[:4]}.pdf" for p in (tmp_path / "site/municipio").glob("*.html")
    )
    flores = dict(seen)["municipio/1701.pdf"]
    assert "<script>" not in flores and "&lt;script&gt;alert(1)&lt;/script&gt;" in flores
    page = (tmp_path / "site/municipio/0108.html").read_text(encoding="utf-8")
    assert 'href="0108.pdf"' in page


_ROW = re.compile(r'<tr id="(?P<anchor>[^"]+)" class="rule-row[^"]*">(?P<body>.*?)</tr>', re.S)
_TITLE = re.compile(
    r'<th scope="row" class="rule-name"><span class="numeral">[^<]*</span> (?P<title>.*?)<div class="code">'
)
_LEGAL = re.compile(
    r'<p class="legal"><strong>Lo que pide la ley:</strong> (?P<text>.*?) <span class="muted">\((?P<note>.*?)\)</span></p>'
)
_ACTION = re.compile(
    r'<p class="action"><strong>Qué debe hacer la municipalidad:</strong> (?P<action>.*?)</p>'
)


def test_checklists_show_the_rules_own_facts(scenario) -> None:  # type: ignore[no-untyped-def]
    """Every checklist title, legal text, note and guidance is the rule's own (checks.facts)."""
    from html import escape

    from checks.facts import NUMERALS, PORTAL_RULES_BY_CODE

    _, site, _, _ = scenario
    pages = sorted((site / "municipio").glob("*.html"))
    assert pages
    seen_numerals: set[int] = set()
    guidance_seen = 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for row in _ROW.finditer(html):
            anchor, body = row.group("anchor"), row.group("body")
            title_match = _TITLE.search(body)
            assert title_match, (page.name, anchor)
            title = title_match.group("title")
            action = _ACTION.search(body)
            if anchor.startswith("n"):
                rule = NUMERALS[int(anchor[1:])]
                seen_numerals.add(rule.numeral)
                assert title == escape(rule.title), (page.name, anchor, title)
                legal = _LEGAL.search(body)
                assert legal, (page.name, anchor)
                assert legal.group("text") == escape(rule.legal_text), (page.name, anchor)
                assert legal.group("note") == escape(rule.legal_text_kind_es), (page.name, anchor)
                guidance = rule.guidance
            else:
                code = anchor.removeprefix("r-").upper()
                portal = PORTAL_RULES_BY_CODE[code]
                assert title == escape(portal.title), (page.name, anchor, title)
                guidance = portal.guidance
            if action and "rastreo no alcanzó" not in action.group("action"):
                assert action.group("action").startswith(escape(guidance)), (page.name, anchor)
                guidance_seen += 1
    assert seen_numerals == set(range(1, 30))
    assert guidance_seen > 0
    # the exports name each item by the rule's own title too
    exported = json.loads((site / "datos/hallazgos.json").read_text(encoding="utf-8"))["findings"]
    assert exported and all(f["item"] == NUMERALS[f["numeral"]].title for f in exported)
    # numerals 15, 20 and 26 quote a summary: never presented as the literal text
    for n in (15, 20, 26):
        assert NUMERALS[n].legal_text_is_summary and NUMERALS[n].legal_text_kind_es.startswith("Resumen")
