"""Property-based fuzzing (Hypothesis) of the HTML reader and the document readers over malformed input
(issue 14): they never raise, stay within their bounds and always return an outcome."""

from __future__ import annotations

import io
import re
import zipfile

import crawler_helpers as helpers  # tests/fixtures/crawler, on the path from conftest.py
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.documents import MAX_PDF_PAGES, TEXT_LIMIT, Extraction, extract
from crawler.htmlparse import ParsedPage, parse_html

FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_PERIOD = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

# --------------------------------------------------------------------------- HTML

_TAGS = ["a", "h1", "h2", "h3", "h4", "p", "div", "table", "tr", "td", "th", "ul", "li", "nav", "main",
         "section", "details", "summary", "script", "style", "base", "form", "input", "title", "meta",
         "iframe", "svg", "math", "template", "noscript", "frameset", "body", "html", "head"]  # fmt: skip
_ATTRS = st.sampled_from(
    [
        "",
        ' href="/docs/ejecucion-agosto-2026.pdf"',
        " href='javascript:alert(1)'",
        ' href="http://[::1"',
        ' href="\x00\x01"',
        ' href="//otro.example/x"',
        ' href="data:text/html,<b>x</b>"',
        ' colspan="999999999"',
        ' class="menu accordion"',
        ' type="password"',
        ' name="generator" content="WordPress 6.5"',
        ' href="' + "a" * 3000 + '"',
        " onload=alert(1)",
        ' href="/transparencia/?PHPSESSID=abc"',
    ]
)
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(
    ["Numeral 8", "Información Pública de Oficio", "Agosto 2026", "\u202eoculto", "&amp;&#0;&#x110000;"]
)


@st.composite
def tag_soup(draw: st.DrawFn) -> str:
    """HTML-like text: random tags (often unclosed or misnested), attributes and text."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 60))):
        kind = draw(st.integers(0, 3))
        tag = draw(st.sampled_from(_TAGS))
        if kind == 0:
            parts.append(f"<{tag}{draw(_ATTRS)}>")
        elif kind == 1:
            parts.append(f"</{tag}>")
        elif kind == 2:
            parts.append(draw(_TEXT))
        else:
            parts.append(
                draw(st.sampled_from(["<!--", "-->", "<![CDATA[", "<?xml ?>", "<", ">", "\x00", "&"]))
            )
    return "".join(parts)


def _check_page(page: ParsedPage, size: int) -> None:
    assert isinstance(page, ParsedPage)
    assert len(page.text) <= max(size, 1) * 2 + 100  # text comes from the input, never more
    assert isinstance(page.blocks, list) and isinstance(page.links, list)
    for link in page.links:
        assert isinstance(link.url, str) and isinstance(link.label, str)
        assert link.url.startswith(("http://", "https://")), link.url


@FUZZ
@given(tag_soup())
def test_html_reader_survives_tag_soup(html: str) -> None:
    _check_page(parse_html(html, "http://muni.example/transparencia/"), len(html))


@FUZZ
@given(st.binary(max_size=4000))
def test_html_reader_survives_arbitrary_bytes(body: bytes) -> None:
    _check_page(parse_html(body, "http://muni.example/"), len(body))


def test_html_reader_survives_deep_nesting_and_huge_attributes() -> None:
    for html in (
        "<div>" * 50_000 + "<a href='/x.pdf'>x</a>",
        "<table>" + "<tr><td>" * 20_000,
        "<a href='/" + "x" * 2_000_000 + "'>largo</a>",
        "\x00" * 100_000,
        "<html><body>" + "<h2>Numeral</h2>" * 20_000,
        '<base href="http://[::1"><a href="/x.pdf">x</a>',  # found by this fuzzing: used to raise ValueError
    ):
        _check_page(parse_html(html, "http://muni.example/"), len(html))


# --------------------------------------------------------------------------- documents


def _check_extraction(result: Extraction, kind: str = "") -> None:
    assert isinstance(result, Extraction)
    if kind in ("pdf", "xlsx", "docx", "csv"):
        # an outcome: something read (text, even empty, or pages), or the reason it could not be read
        assert result.error is not None or result.text is not None or result.page_count is not None, result
    if result.text is not None:
        assert len(result.text) <= TEXT_LIMIT
    assert all(isinstance(d, str) and _PERIOD.match(d) for d in result.dates), result.dates
    if result.page_count is not None:
        assert result.page_count >= 0
    if result.error is not None:
        assert isinstance(result.error, str) and "\n" not in result.error and len(result.error) <= 400


_VALID = {
    "pdf": helpers.make_pdf(["Ejecucion presupuestaria", "Mes de agosto de 2026"]),
    "xlsx": helpers.make_xlsx([["Renglon", "Monto"], ["Septiembre 2026", 1000]]),
    "docx": helpers.make_docx(["Organigrama", "Vigente desde el 3 de enero de 2026"]),
    "csv": b"mes,monto\nagosto 2026,10\n",
}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid document of each kind with bytes flipped, cut, repeated or inserted."""
    kind = draw(st.sampled_from(sorted(_VALID)))
    data = bytearray(_VALID[kind])
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.integers(0, 3))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == 0 and data:
            data[pos] ^= draw(st.integers(1, 255))
        elif op == 1:
            del data[pos : pos + draw(st.integers(1, 200))]
        elif op == 2:
            data[pos:pos] = draw(st.binary(max_size=64))
        else:
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 500))] * draw(st.integers(1, 20))
    return kind, bytes(data)


@FUZZ
@given(mutated())
def test_document_readers_survive_damaged_files(case: tuple[str, bytes]) -> None:
    kind, body = case
    _check_extraction(extract(kind, body), kind)


@FUZZ
@given(st.sampled_from(["pdf", "xlsx", "docx", "csv", "xls", "zip", "other"]), st.binary(max_size=3000))
def test_document_readers_survive_arbitrary_bytes(kind: str, body: bytes) -> None:
    _check_extraction(extract(kind, body), kind)


@st.composite
def office_zip(draw: st.DrawFn) -> tuple[str, bytes]:
    """A ZIP that claims to be an Office file, with some of its expected parts holding random XML."""
    kind = draw(st.sampled_from(["xlsx", "docx"]))
    names = (
        ["[Content_Types].xml", "xl/workbook.xml", "xl/sharedStrings.xml", "xl/styles.xml",
         "xl/worksheets/sheet1.xml", "xl/_rels/workbook.xml.rels"]
        if kind == "xlsx"
        else ["[Content_Types].xml", "word/document.xml"]
    )  # fmt: skip
    xml = st.sampled_from(
        [
            b"",
            b"<x/>",
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;'>]><x>&b;</x>",
            b"<worksheet><sheetData><row><c t='s'><v>999999</v></c><c t='d'><v>x</v></c></row></sheetData></worksheet>",
            b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:body>"
            b"<w:p><w:r><w:t>agosto 2026</w:t></w:r></w:p></w:body></w:document>",
            b"<sst><si><t>" + b"A" * 5000 + b"</t></si></sst>",
            b"\xff\xfe\x00<",
        ]
    ) | st.binary(max_size=300)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in draw(st.lists(st.sampled_from(names), max_size=len(names), unique=True)):
            zf.writestr(name, draw(xml))
    return kind, buffer.getvalue()


@FUZZ
@given(office_zip())
def test_office_readers_survive_hostile_parts(case: tuple[str, bytes]) -> None:
    kind, body = case
    _check_extraction(extract(kind, body), kind)


def test_pdf_page_count_is_bounded() -> None:
    """A PDF declaring many pages is read up to MAX_PDF_PAGES pages, and says how many it has."""
    body = helpers.make_pdf(["agosto 2026"] * 3)
    result = extract("pdf", body)
    _check_extraction(result)
    assert result.error is None and (result.page_count or 0) <= MAX_PDF_PAGES


def test_a_pdf_whose_content_inflates_past_the_limit_is_an_error_not_a_scan() -> None:
    """PDFium, given a page whose content stream inflates to hundreds of MB, gives up silently and reads
    the page as empty: the bomb passed for a scanned PDF, with no error. The inflation is counted first."""
    from crawler.documents import MAX_PDF_INFLATED, check_pdf_inflation, extract
    from vigia.doctypes import broke_a_limit

    bomb = helpers.make_pdf_bomb(MAX_PDF_INFLATED // 1048576 + 16)
    result = extract("pdf", bomb)
    assert result.error and result.error.startswith("ContentTooLarge") and not result.is_scanned
    assert broke_a_limit(result.error)
    good = helpers.make_pdf(["Presupuesto ejercicio fiscal 2026"])
    check_pdf_inflation(good)  # an ordinary PDF passes
    assert extract("pdf", good).error is None
    assert not broke_a_limit("PdfReadError: EOF marker not found")
