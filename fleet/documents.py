"""Real document files built on demand, deterministically (same input -> same bytes, across restarts).

PDFs are written by hand (text PDFs with Helvetica/WinAnsi, and image-only "scanned" PDFs), XLSX and DOCX
as minimal Office Open XML packages with fixed zip timestamps: ~100x faster than fpdf2/openpyxl, which
matters when a benchmark downloads tens of thousands of them. pypdf, openpyxl and python-docx read them.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
import zlib
from typing import Any
from xml.sax.saxutils import escape

from fleet.catalog import MONTHS_ES, month_end, numerals
from vigia.doctypes import CONTENT_TYPES as _DOC_CONTENT_TYPES

#: Media type the fleet serves per document type (``vigia.doctypes.CONTENT_TYPES`` read backwards).
_MEDIA_TYPES = {doc_type: ctype for ctype, doc_type in reversed(_DOC_CONTENT_TYPES.items())}
CONTENT_TYPES = {t: _MEDIA_TYPES[t] for t in ("pdf", "xlsx", "docx")} | {"scanned_pdf": _MEDIA_TYPES["pdf"]}
SUPPLIERS = (
    "Constructora El Progreso, S.A.",
    "Distribuidora La Económica",
    "Ferretería San José",
    "Servicios Técnicos Quetzal, S.A.",
    "Agropecuaria Los Altos",
    "Librería y Papelería Minerva",
    "Transportes Chávez",
)
RENGLONES = (
    ("011", "Personal permanente"),
    ("029", "Otras remuneraciones de personal temporal"),
    ("122", "Impresión, encuadernación y reproducción"),
    ("151", "Arrendamiento de edificios y locales"),
    ("262", "Combustibles y lubricantes"),
    ("331", "Construcciones de bienes nacionales de uso común"),
)


def publication_date(doc: dict[str, Any], as_of: dt.date) -> dt.date:
    """When the document was published: shortly after its period ended, never after ``as_of``.

    The generator stores it in the document (``published``) so that it does not move with later nights.
    """
    if doc.get("published"):
        return dt.date.fromisoformat(doc["published"])
    rng = random.Random(f"pub:{doc['id']}:{doc['filename']}")
    kind = doc.get("period_kind")
    if kind in ("month", "quarter"):
        end = month_end(doc["year"], doc["month"])
        date = end + dt.timedelta(days=rng.randint(3, 20))
    elif kind == "year":
        date = dt.date(doc["year"], 1, 1) + dt.timedelta(days=rng.randint(20, 80))
        if doc["numeral"] in (13, 23, 26, 28):
            date = dt.date(doc["year"] + 1, 1, 1) + dt.timedelta(days=rng.randint(15, 80))
    else:
        date = as_of - dt.timedelta(days=rng.randint(60, 900))
    return min(date, as_of - dt.timedelta(days=1))


def _date_es(d: dt.date) -> str:
    return f"{d.day} de {MONTHS_ES[d.month - 1]} de {d.year}"


def document_lines(portal: dict[str, Any], doc: dict[str, Any], as_of: dt.date) -> list[str]:
    """The text of a document (also drawn, unreadable, in scanned PDFs)."""
    n = doc["numeral"]
    rng = random.Random(f"text:{portal['ine_code']}:{doc['id']}")
    if doc.get("text_kind") == "norm":
        # a regulation, law, form or guide: articles, no period reported (issue 19, "a rule about X is not X")
        return [
            f"MUNICIPALIDAD DE {portal['municipality'].upper()}, {portal['department'].upper()}",
            doc["title"].upper(),
            f"Acuerdo Municipal No. {rng.randint(1, 40):02d}-{rng.randint(2012, 2024)}",
            "CONSIDERANDO: que es necesario normar los procedimientos administrativos de la municipalidad;",
            "POR TANTO: con base en los artículos 35 y 42 del Código Municipal, ACUERDA emitir el siguiente:",
            "Artículo 1. Objeto. El presente instrumento regula los procedimientos que en él se indican.",
            "Artículo 2. Ámbito de aplicación. Es de observancia obligatoria para todas las dependencias.",
            "Artículo 3. Responsables. La Dirección de Administración Financiera Integrada Municipal velará por su cumplimiento.",
            "Artículo 4. Vigencia. El presente acuerdo empieza a regir al día siguiente de su publicación.",
        ]
    info = numerals()[n]
    period = doc["period_label"]
    title = doc["title"] + (f" - {period}" if period else "")
    lines = [
        f"MUNICIPALIDAD DE {portal['municipality'].upper()}, {portal['department'].upper()}",
        "Unidad de Información Pública",
        "Ley de Acceso a la Información Pública, Decreto 57-2008",
        f"Artículo 10, numeral {n}: {info.title}",
        "",
        title,
    ]
    if period:
        lines.append(f"Período que se informa: {period}")
    lines.append(f"Fecha de publicación: {_date_es(publication_date(doc, as_of))}")
    lines.append("")
    if n == 20 or doc.get("nog"):
        lines.append("NOG | Descripción | Proveedor | Monto (Q) | Fecha de adjudicación")
        for nog in doc.get("nog") or []:
            lines.append(
                f"{nog} | Adquisición de materiales para obra | {rng.choice(SUPPLIERS)} | "
                f"{rng.randint(20_000, 900_000):,}.00 | {_date_es(publication_date(doc, as_of) - dt.timedelta(days=rng.randint(5, 25)))}"
            )
    elif n in (4, 3):
        lines.append("Nombre | Puesto | Renglón | Salario (Q)")
        for _ in range(rng.randint(6, 14)):
            lines.append(
                f"{rng.choice(('Juan', 'María', 'Pedro', 'Ana', 'Rosa'))} {rng.choice(('López', 'Pérez', 'Tzul', 'Méndez'))} | "
                f"{rng.choice(('Secretario', 'Tesorero', 'Conserje', 'Técnico', 'Policía municipal'))} | "
                f"{rng.choice(('011', '022', '029'))} | {rng.randint(3500, 14000):,}.00"
            )
    elif n in (7, 8, 9, 5):
        lines.append("Renglón | Descripción | Asignado (Q) | Ejecutado (Q)")
        for code, name in RENGLONES:
            a = rng.randint(50_000, 3_000_000)
            lines.append(f"{code} | {name} | {a:,}.00 | {int(a * rng.uniform(0.2, 0.95)):,}.00")
    else:
        lines.append("No. | Descripción | Responsable | Observaciones")
        for k in range(rng.randint(3, 9)):
            lines.append(
                f"{k + 1} | {info.title} - registro {k + 1} | {rng.choice(SUPPLIERS)} | "
                f"{rng.choice(('Vigente', 'Finalizado', 'En proceso'))}"
            )
    lines += ["", f"Responsable de actualización: {portal['uip_officer']}", "Encargado de la UIP"]
    return lines


# ------------------------------------------------------------------------------------------------- PDF
def _pdf_escape(text: str) -> bytes:
    raw = text.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _pdf_date(d: dt.date) -> bytes:
    return f"D:{d.year:04d}{d.month:02d}{d.day:02d}100000Z".encode()


def _assemble_pdf(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 2 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def text_pdf(title: str, lines: list[str], date: dt.date) -> bytes:
    per_page = 48
    chunks = [lines[i : i + per_page] for i in range(0, max(len(lines), 1), per_page)] or [[]]
    n_pages = len(chunks)
    # objects: 1 catalog, 2 info, 3 pages, 4 font, then (page, content) pairs
    kids = " ".join(f"{5 + 2 * k} 0 R" for k in range(n_pages))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 3 0 R >>",
        b"<< /Title ("
        + _pdf_escape(title)
        + b") /Producer (Vigia fleet) /CreationDate ("
        + _pdf_date(date)
        + b") /ModDate ("
        + _pdf_date(date)
        + b") >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for k, chunk in enumerate(chunks):
        stream = io.BytesIO()
        stream.write(b"BT /F1 10 Tf 13 TL 50 790 Td\n")
        for line in chunk:
            stream.write(b"(" + _pdf_escape(line) + b") Tj T*\n")
        stream.write(b"ET\n")
        data = zlib.compress(stream.getvalue(), 6)
        objects.append(
            f"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 842] /Resources << /Font << /F1 4 0 R >> >> "
            f"/Contents {6 + 2 * k} 0 R >>".encode()
        )
        objects.append(
            f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream"
        )
    return _assemble_pdf(objects)


def scanned_pdf(lines: list[str], date: dt.date, seed: str) -> bytes:
    """A PDF whose only content is a grey-scale image of text-like strokes: no text layer at all."""
    rng = random.Random(seed)
    width, height = 420, 594
    white = b"\xf4" * width
    rows: list[bytes] = []
    y = 30
    rows.extend([white] * 30)
    for line in lines:
        if y > height - 40:
            break
        if not line:
            rows.extend([white] * 10)
            y += 10
            continue
        # a "line of text": 7 rows of dark blobs, one blob per word, then spacing
        words = line.split()
        pattern = bytearray(white)
        x = 30
        for w in words:
            wlen = min(len(w) * 4, width - x - 30)
            if wlen <= 0:
                break
            pattern[x : x + wlen] = bytes([rng.randint(20, 90)]) * wlen
            x += wlen + 6
        rows.extend([bytes(pattern)] * 7)
        rows.extend([white] * 6)
        y += 13
    rows.extend([white] * (height - len(rows)))
    raw = b"".join(rows[:height])
    data = zlib.compress(raw, 6)
    content = f"q {width * 1.45:.1f} 0 0 {height * 1.417:.1f} 0 0 cm /Im1 Do Q".encode()
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 3 0 R >>",
        b"<< /Producer (Escaner KM-2050) /CreationDate (" + _pdf_date(date) + b") >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 842] /Resources << /XObject << /Im1 6 0 R >> >> "
        b"/Contents 5 0 R >>",
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
        f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray "
        f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode()
        + data
        + b"\nendstream",
    ]
    return _assemble_pdf(objects)


# ------------------------------------------------------------------------------------------------- OOXML
_ZIP_DATE = (2026, 1, 1, 0, 0, 0)


def _zip(files: dict[str, str], date: dt.date) -> bytes:
    buf = io.BytesIO()
    stamp = (max(date.year, 1980), date.month, date.day, 10, 0, 0)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


def _core(title: str, date: dt.date) -> str:
    iso = f"{date.isoformat()}T10:00:00Z"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>Unidad de Información Pública</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{iso}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{iso}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _col(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def xlsx(title: str, lines: list[str], date: dt.date) -> bytes:
    rows_xml = []
    for r, line in enumerate(lines, start=1):
        cells = [c.strip() for c in line.split("|")] if "|" in line else [line]
        cx = []
        for c, value in enumerate(cells):
            ref = f"{_col(c)}{r}"
            plain = value.replace(",", "")
            try:
                number = float(plain)
                is_num = (
                    bool(plain) and not (len(plain) == 8 and plain.isdigit()) and not plain.startswith("0")
                )
            except ValueError:
                is_num = False
            if is_num:
                cx.append(f'<c r="{ref}"><v>{number}</v></c>')
            elif value:
                cx.append(
                    f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
                )
        rows_xml.append(f'<row r="{r}">{"".join(cx)}</row>')
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>",
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        "</Relationships>",
        "docProps/core.xml": _core(title, date),
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Hoja1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + "".join(rows_xml)
        + "</sheetData></worksheet>",
    }
    return _zip(files, date)


def docx(title: str, lines: list[str], date: dt.date) -> bytes:
    paras = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>' for line in lines)
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>",
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        "</Relationships>",
        "docProps/core.xml": _core(title, date),
        "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        + paras
        + "</w:body></w:document>",
    }
    return _zip(files, date)


def render_document(portal: dict[str, Any], doc: dict[str, Any], as_of: dt.date) -> tuple[bytes, str]:
    """(bytes, content type) of a planted document."""
    lines = document_lines(portal, doc, as_of)
    date = publication_date(doc, as_of)
    title = doc["title"] + (f" {doc['period_label']}" if doc["period_label"] else "")
    kind = doc["type"]
    if kind == "xlsx":
        return xlsx(title, lines, date), CONTENT_TYPES["xlsx"]
    if kind == "docx":
        return docx(title, lines, date), CONTENT_TYPES["docx"]
    if kind == "scanned_pdf":
        return scanned_pdf(lines, date, f"{portal['ine_code']}:{doc['id']}"), CONTENT_TYPES["pdf"]
    return text_pdf(title, lines, date), CONTENT_TYPES["pdf"]


def huge_pdf_head() -> bytes:
    """First bytes of the 3 GB document (the rest is padding streamed lazily)."""
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n% Inventario general escaneado (archivo de gran tamano)\n"


__all__ = ["CONTENT_TYPES", "publication_date", "render_document"]
