"""Document type detection and text/date extraction (PDF with PDFium or pypdf; XLSX and DOCX read from
their XML with lxml, with openpyxl and python-docx as fallbacks). Image-only PDFs are flagged
``is_scanned``. Never raises on a bad file: the problem is returned in ``Extraction.error`` (the crawler
records a ``parse_error`` incident)."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from crawler.dates import extract_periods
from vigia.doctypes import doc_type_from_content_type, doc_type_from_url, is_document_host, is_social_host  # noqa: F401

TEXT_LIMIT = 50_000
MAX_PDF_PAGES = 300
MAX_SHEET_ROWS = 20_000

log = logging.getLogger(__name__)


@dataclass
class Extraction:
    text: str | None = None
    dates: list[str] = field(default_factory=list)
    page_count: int | None = None
    is_scanned: bool | None = None
    error: str | None = None


def extract(doc_type: str, body: bytes) -> Extraction:
    """Text, dates, page count and the scanned flag of a document body."""
    try:
        if doc_type == "pdf":
            result = _pdf(body)
        elif doc_type == "xlsx":
            result = _xlsx(body)
        elif doc_type == "docx":
            result = _docx(body)
        elif doc_type == "csv":
            result = Extraction(text=_decode(body)[:TEXT_LIMIT])
        else:
            return Extraction()
    except Exception as exc:  # noqa: BLE001 - hostile files: any library error is a parse problem
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        return Extraction(error=f"{type(exc).__name__}: {first}")
    if result.text:
        result.text = result.text[:TEXT_LIMIT]
        result.dates = sorted(set(result.dates) | set(extract_periods(result.text)))
    return result


def _decode(body: bytes) -> str:
    for enc in ("utf-8", "latin-1"):
        try:
            return body.decode(enc)
        except UnicodeDecodeError:
            continue
    return body.decode("utf-8", "replace")


#: Most bytes the compressed (FlateDecode) streams of a PDF other than its images may inflate to: page
#: content, forms, object streams. A text PDF's are a few MB; a decompression bomb's are gigabytes.
MAX_PDF_INFLATED = 64 * 1024 * 1024
_STREAM = re.compile(rb"stream\r?\n")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")


class ContentTooLarge(ValueError):
    """A PDF's compressed streams inflate past ``MAX_PDF_INFLATED`` (a decompression bomb)."""


def check_pdf_inflation(body: bytes, limit: int = MAX_PDF_INFLATED) -> None:
    """Raise :class:`ContentTooLarge` when the PDF's Flate streams, images aside, inflate to more than
    ``limit`` bytes in all. Counted with a bounded ``zlib`` inflate (never more than 1 MB at a time, and
    it stops at the limit), before any reader runs: PDFium, given a page whose content stream inflates to
    a gigabyte, gives up without a word and reads the page as empty (a "scanned" PDF, no error), and
    pypdf exhausts the worker's memory. A bomb must be a ``parse_error``, never a blank document."""
    import zlib

    total = 0
    view = memoryview(body)
    for match in _STREAM.finditer(body):
        start = match.end()
        head_from = body.rfind(b" obj", 0, match.start())
        head = body[head_from if head_from >= 0 else max(0, match.start() - 2048) : match.start()]
        if b"/FlateDecode" not in head or _IMAGE.search(head):
            continue
        inflater = zlib.decompressobj()
        pos = start
        try:
            while not inflater.eof and pos < len(view) and total <= limit:
                piece = view[pos : pos + 65536]
                pos += len(piece)
                total += len(inflater.decompress(piece, 1 << 20))
                while inflater.unconsumed_tail and total <= limit:
                    total += len(inflater.decompress(inflater.unconsumed_tail, 1 << 20))
        except zlib.error:
            continue  # a damaged stream: the readers say what they make of it
        if total > limit:
            raise ContentTooLarge(
                f"el contenido del PDF se descomprime a más de {limit // 1048576} MB "
                "(bomba de descompresión): no se lee"
            )


def _pdf(body: bytes) -> Extraction:
    """PDFium (``pypdfium2``, C) when installed: ~4× less CPU than pypdf on the same text; pypdf otherwise
    or when PDFium cannot open the file. A PDF whose streams inflate past ``MAX_PDF_INFLATED`` is not
    read (:func:`check_pdf_inflation`)."""
    check_pdf_inflation(body)
    try:
        import pypdfium2
    except ImportError:
        return _pdf_pypdf(body)
    try:
        return _pdf_pdfium(pypdfium2, body)
    except Exception:  # noqa: BLE001 - let pypdf (more lenient with broken files) have a go
        return _pdf_pypdf(body)


def _pdf_pdfium(pdfium: Any, body: bytes) -> Extraction:
    pdf = pdfium.PdfDocument(body)
    try:
        pages = len(pdf)
        parts: list[str] = []
        size = 0
        for i in range(min(pages, MAX_PDF_PAGES)):
            if size > TEXT_LIMIT:
                break
            page = pdf[i]
            textpage = page.get_textpage()
            try:
                text = textpage.get_text_range() or ""
            finally:
                textpage.close()
                page.close()
            text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufffe", "")
            parts.append(text)
            size += len(text)
    finally:
        pdf.close()
    text = "\n".join(parts).strip()
    scanned = pages > 0 and len(re.sub(r"\s+", "", text)) < 20
    return Extraction(text=text or None, page_count=pages, is_scanned=scanned)


def _pdf_pypdf(body: bytes) -> Extraction:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(body), strict=False)
    pages = len(reader.pages)
    parts: list[str] = []
    size = 0
    has_images = False
    for i, page in enumerate(reader.pages):
        if i >= MAX_PDF_PAGES or size > TEXT_LIMIT:
            break
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if not text.strip() and not has_images:
            try:
                resources = page.get("/Resources") or {}
                xobjects = resources.get("/XObject") if hasattr(resources, "get") else None
                has_images = bool(xobjects)
            except Exception:  # noqa: BLE001
                has_images = False
    text = "\n".join(parts).strip()
    scanned = pages > 0 and len(re.sub(r"\s+", "", text)) < 20
    return Extraction(text=text or None, page_count=pages, is_scanned=scanned)


def _xlsx(body: bytes) -> Extraction:
    """Each sheet's title, then its rows (cells joined by " | "), read straight from the sheets' XML with
    lxml, streaming; openpyxl (≈ 5 times slower on the fleet's workbooks) if that fails."""
    try:
        return _xlsx_lxml(body)
    except PartTooLarge:
        raise
    except Exception:  # noqa: BLE001
        return _xlsx_openpyxl(body)


class _SheetText:
    """Collects a workbook's lines with the same limits and date rule for both readers."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.dates: set[str] = set()
        self.size = 0
        self.rows = 0

    def full(self) -> bool:
        return self.rows > MAX_SHEET_ROWS or self.size > TEXT_LIMIT

    def row(self, values: Any) -> None:
        cells = []
        for value in values:
            if value is None:
                continue
            if isinstance(value, dt.datetime | dt.date):
                d = value.date() if isinstance(value, dt.datetime) else value
                if 1990 <= d.year <= 2050:
                    self.dates.add(d.isoformat())
            cells.append(str(value))
        if cells:
            line = " | ".join(cells)
            self.parts.append(line)
            self.size += len(line)

    def extraction(self, sheets: int) -> Extraction:
        return Extraction(text="\n".join(self.parts), dates=sorted(self.dates), page_count=sheets)


def _xlsx_openpyxl(body: bytes) -> Extraction:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    out = _SheetText()
    try:
        for ws in wb.worksheets:
            out.parts.append(f"# {ws.title}")
            for row in ws.iter_rows(values_only=True):
                out.rows += 1
                if out.full():
                    break
                out.row(row)
    finally:
        wb.close()
    return out.extraction(len(wb.sheetnames))


_SSML = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


#: Largest uncompressed XML part read whole from an Office file (a 25 MB ZIP can unpack to many GB).
MAX_XML_PART = 64 * 1024 * 1024


class PartTooLarge(ValueError):
    """An Office file's XML part unpacks to more than ``MAX_XML_PART`` bytes (no reader tries it again)."""


def _read_part(zf: Any, name: str) -> bytes:
    size = zf.getinfo(name).file_size
    if size > MAX_XML_PART:
        raise PartTooLarge(f"{name} ocupa {size} bytes sin comprimir (máximo {MAX_XML_PART})")
    return zf.read(name)


def _xml(data: Any) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(data, parser=parser)


def _xlsx_part(name: str, base: str = "xl/") -> str:
    """A relationship target as a path inside the package (relative to ``xl/``, or absolute)."""
    return name.lstrip("/") if name.startswith("/") else base + name


def _xlsx_date_styles(zf: Any) -> set[int]:
    """Indexes of the cell formats (``cellXfs``) that show a number as a date or time."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    try:
        root = _xml(_read_part(zf, "xl/styles.xml"))
    except KeyError:
        return set()
    custom = {
        int(f.get("numFmtId")): f.get("formatCode") or ""
        for f in root.iter(f"{_SSML}numFmt")
        if (f.get("numFmtId") or "").isdigit()
    }
    dates: set[int] = set()
    xfs = root.find(f"{_SSML}cellXfs")
    for index, xf in enumerate(xfs.iterchildren(f"{_SSML}xf") if xfs is not None else ()):
        fmt_id = int(xf.get("numFmtId") or 0)
        code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, ""))
        if code and is_date_format(code):
            dates.add(index)
    return dates


def _xlsx_lxml(body: bytes) -> Extraction:
    import zipfile

    from lxml import etree
    from openpyxl.utils.datetime import from_excel

    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        book = _xml(_read_part(zf, "xl/workbook.xml"))
        targets = {
            r.get("Id"): r.get("Target") or ""
            for r in _xml(_read_part(zf, "xl/_rels/workbook.xml.rels")).iter(f"{_PKG_REL}Relationship")
        }
        sheets = [
            (s.get("name") or "", _xlsx_part(targets[s.get(f"{_REL}id")])) for s in book.iter(f"{_SSML}sheet")
        ]
        shared: list[str] = []
        if "xl/sharedStrings.xml" in zf.namelist():
            for si in _xml(_read_part(zf, "xl/sharedStrings.xml")).iterchildren(f"{_SSML}si"):
                # the text runs, without phonetic guides (<rPh>), as Excel shows the cell
                shared.append(
                    "".join(t.text or "" for t in si.iter(f"{_SSML}t") if t.getparent().tag != f"{_SSML}rPh")
                )
        date_styles = _xlsx_date_styles(zf)
        epoch = dt.datetime(1904, 1, 1) if _xlsx_1904(book) else None
        out = _SheetText()
        for title, part in sheets:
            out.parts.append(f"# {title}")
            with zf.open(part) as fh:
                for _, row in etree.iterparse(
                    fh, tag=f"{_SSML}row", resolve_entities=False, no_network=True, huge_tree=False
                ):
                    out.rows += 1
                    if out.full():
                        break
                    out.row(
                        _xlsx_value(c, shared, date_styles, epoch, from_excel)
                        for c in row.iterchildren(f"{_SSML}c")
                    )
                    row.clear()
                    while row.getprevious() is not None:
                        del row.getparent()[0]
    return out.extraction(len(sheets))


def _xlsx_1904(book: Any) -> bool:
    pr = book.find(f"{_SSML}workbookPr")
    return pr is not None and (pr.get("date1904") or "").lower() in ("1", "true")


def _xlsx_value(cell: Any, shared: list[str], date_styles: set[int], epoch: Any, from_excel: Any) -> Any:
    """A cell's value as openpyxl gives it with ``data_only=True`` (cached result of formulas)."""
    kind = cell.get("t") or "n"
    if kind == "inlineStr":
        node = cell.find(f"{_SSML}is")
        return "".join(t.text or "" for t in node.iter(f"{_SSML}t")) if node is not None else None
    v = cell.find(f"{_SSML}v")
    if v is None or v.text is None:
        return None
    text = v.text
    if kind == "s":
        return shared[int(text)]
    if kind in ("str", "e"):
        return text
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "d":
        return dt.datetime.fromisoformat(text)
    number: int | float = float(text) if any(ch in text for ch in ".eE") else int(text)
    if int(cell.get("s") or 0) in date_styles:
        return from_excel(number, epoch) if epoch is not None else from_excel(number)
    return number


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx(body: bytes) -> Extraction:
    """Body paragraphs, then table rows (cells joined by " | "), read straight from ``word/document.xml``
    with lxml (python-docx builds a whole object model for the same text); python-docx if that fails."""
    try:
        return _docx_lxml(body)
    except PartTooLarge:
        raise
    except Exception:  # noqa: BLE001
        return _docx_python_docx(body)


def _docx_text(el: Any) -> str:
    out: list[str] = []
    for node in el.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if node.tag == f"{_W}t":
            out.append(node.text or "")
        elif node.tag == f"{_W}tab":
            out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def _docx_lxml(body: bytes) -> Extraction:
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        xml = _read_part(zf, "word/document.xml")
    root = etree.fromstring(
        xml, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    )
    bodies = root.findall(f"{_W}body")
    if len(bodies) != 1:
        raise ValueError("documento sin cuerpo")
    parts = [t for p in bodies[0].iterchildren(f"{_W}p") if (t := _docx_text(p)).strip()]
    for table in bodies[0].iterchildren(f"{_W}tbl"):
        for row in table.iterchildren(f"{_W}tr"):
            cells = []
            for cell in row.iterchildren(f"{_W}tc"):
                text = "\n".join(_docx_text(p) for p in cell.iterchildren(f"{_W}p")).strip()
                if text:
                    cells.append(text)
            if cells:
                parts.append(" | ".join(cells))
    return Extraction(text="\n".join(parts))


def _docx_python_docx(body: bytes) -> Extraction:
    import docx

    document = docx.Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                parts.append(" | ".join(cells))
    return Extraction(text="\n".join(parts))
