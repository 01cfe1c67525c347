"""Hostile portal families of the simulated fleet (issue 14), planted only with ``fleet generate --hostile``.

Three healthy portals (no failure mode, no quirk) become hostile, chosen by the fleet's seed:

* ``pdf_bomb``: one document of a static portal is a small PDF (about 1 MB) whose page content stream
  inflates to ``BOMB_UNPACKED`` bytes;
* ``xlsx_bomb``: one document is an XLSX (about 1 MB) whose sheet XML inflates to ``BOMB_UNPACKED`` bytes;
* ``browser_private_redirect``: a JavaScript portal whose transparency section (read only through the
  browser) answers ``302 → http://0.0.0.0:PORT/`` — on Linux a connection to 0.0.0.0 reaches the machine
  itself, and the unspecified address is refused even with ``--allow-private-addresses`` (the fleet is
  served on loopback, so a redirect to 127.0.0.1 would be allowed there by design; the crawler tests
  check 127.0.0.1 without the flag, in a network namespace).

The truth of a hostile portal (``hostile`` in truth.json): the crawl is ``partial`` (a crawler limit or a
refused address is never "No publicado"), with the incident kinds below, and the numerals the hostile
part hides are ``unverified`` (not those the law does not put on municipalities, 24 and 25: they stay
"No aplica" whatever the crawl saw); the rest of the fleet is untouched.
"""

from __future__ import annotations

import functools
import io
import random
import zipfile
import zlib
from pathlib import Path
from typing import Any

from checks.facts import NOT_MUNICIPAL
from fleet.catalog import periodicity

#: family -> incident kinds the crawl records
HOSTILE: dict[str, tuple[str, ...]] = {
    "pdf_bomb": ("parse_error",),
    "xlsx_bomb": ("parse_error",),
    "browser_private_redirect": ("private_address_refused",),
}
#: how much a bomb inflates to
BOMB_UNPACKED = 1024**3
_CHUNK = 1 << 20


def _deflate_spaces(total: int, wbits: int = 15) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    chunk = b" " * _CHUNK
    parts = [compressor.compress(chunk) for _ in range(total // _CHUNK)]
    parts.append(compressor.flush())
    return b"".join(parts)


def pdf_bomb() -> bytes:
    """A one-page PDF whose content stream inflates to BOMB_UNPACKED bytes (whitespace)."""
    from fleet.documents import _assemble_pdf

    data = _deflate_spaces(BOMB_UNPACKED)
    objects = [
        b"<< /Type /Catalog /Pages 3 0 R >>",
        b"<< /Title (Ejecucion presupuestaria) /Producer (Vigia fleet) >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 842] /Contents 5 0 R >>",
        f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream",
    ]
    return _assemble_pdf(objects)


def xlsx_bomb() -> bytes:
    """A valid small workbook whose shared-strings part inflates to BOMB_UNPACKED bytes (a reader must
    hold that part whole to resolve any cell)."""
    import datetime as dt

    from fleet.documents import xlsx

    valid = xlsx("Informe mensual", ["Mes | Monto", "agosto 2026 | 1000"], dt.date(2026, 9, 1))
    buffer = io.BytesIO()
    item = b"<si><t>Ejecucion presupuestaria agosto 2026</t></si>"
    block = item * (_CHUNK // len(item))
    with (
        zipfile.ZipFile(io.BytesIO(valid)) as source,
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            zf.writestr(info.filename, data)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for _ in range(BOMB_UNPACKED // len(block)):
                part.write(block)
            part.write(b"</sst>")
    return buffer.getvalue()


BOMB_FILES = {"pdf": "pdf_bomb.pdf", "xlsx": "xlsx_bomb.xlsx"}


def write_bombs(folder: Path) -> None:
    """Write the bomb documents once into the fleet's folder (generating them takes tens of seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, name in BOMB_FILES.items():
        target = folder / name
        if not target.exists():
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(pdf_bomb() if kind == "pdf" else xlsx_bomb())
            tmp.replace(target)


@functools.cache
def bomb_body(kind: str, folder: str) -> tuple[bytes, str]:
    """(bytes, content type) of a planted bomb document, read from the fleet's folder."""
    body = (Path(folder) / BOMB_FILES[kind]).read_bytes()
    if kind == "xlsx":
        return body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return body, "application/pdf"


def redirect_target(port: int) -> str:
    return f"http://0.0.0.0:{port}/"


def _healthy(p: dict[str, Any]) -> bool:
    return p["failure"] is None and not p["quirks"]


def _bomb_candidate(p: dict[str, Any], doc_type: str) -> tuple[str, dict[str, Any]] | None:
    """A numeral of ``p`` with evidence whose first document is on the portal's host and of ``doc_type``."""
    by_id = {d["id"]: d for d in p["documents"]}
    for n, plan in sorted(p["numerals"].items(), key=lambda kv: int(kv[0])):
        if plan["status"] not in ("present", "outdated") or not plan.get("doc_ids"):
            continue
        docs = [by_id[i] for i in plan["doc_ids"]]
        if all(d["host"] == "portal" and d["status"] == 200 for d in docs) and docs[0]["type"] == doc_type:
            return n, docs[0]
    return None


def plant(spec: dict[str, Any]) -> list[str]:
    """Make three healthy portals of ``spec`` hostile (one per family, when the fleet has a fit);
    return the INE codes chosen."""
    rng = random.Random(f"hostile:{spec['seed']}:{len(spec['portals'])}")
    portals = [p for p in spec["portals"] if _healthy(p)]
    rng.shuffle(portals)
    chosen: list[str] = []
    used: set[str] = set()
    for family, doc_type in (("pdf_bomb", "pdf"), ("xlsx_bomb", "xlsx")):
        for p in portals:
            if p["ine_code"] in used or p["platform"] == "javascript":
                continue
            found = _bomb_candidate(p, doc_type)
            if found is None:
                continue
            n, doc = found
            doc["bomb"] = doc_type
            p["hostile"] = {"family": family, "numerals": [n], "document": doc["id"]}
            used.add(p["ine_code"])
            chosen.append(p["ine_code"])
            break
    for p in portals:
        if p["ine_code"] in used or p["platform"] != "javascript":
            continue
        entry = next((pg for pg in p["pages"] if pg.get("parent") == "/"), None)
        if entry is None:
            continue
        entry["fail"] = "browser_private_redirect"
        p["hostile"] = {"family": "browser_private_redirect", "numerals": sorted(p["numerals"], key=int)}
        used.add(p["ine_code"])
        chosen.append(p["ine_code"])
        break
    return chosen


def apply_truth(spec: dict[str, Any], truth: dict[str, Any]) -> None:
    """Correct the truth of the hostile portals (see the module docstring)."""
    by_code = {p["ine_code"]: p for p in spec["portals"] if p.get("hostile")}
    for entry in truth["portals"]:
        p = by_code.get(entry["ine_code"])
        if p is None:
            continue
        family = p["hostile"]["family"]
        entry["hostile"] = family
        entry["expected_outcome"] = "partial"
        entry["expected_incidents"] = sorted(set(entry["expected_incidents"]) | set(HOSTILE[family]))
        hidden = set(p["hostile"]["numerals"])
        for key, numeral in entry["numerals"].items():
            if periodicity(int(key)) == NOT_MUNICIPAL:
                continue  # the law does not oblige a municipality: "No aplica" whatever the crawl saw
            if key in hidden or numeral["planted_status"] == "absent":
                numeral["status"] = "unverified"
                numeral["period"] = None
                numeral["note"] = (
                    f"No verificable (rastreo partial: portal hostil {family}). {numeral['note']}"
                )
                numeral["hard_cases"] = sorted({*numeral["hard_cases"], f"hostile_{family}"})
    truth.setdefault("makeup", {})["hostile"] = {
        p["ine_code"]: p["hostile"]["family"] for p in by_code.values()
    }
