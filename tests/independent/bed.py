"""Independent test bed: serves hand-written municipal portals on loopback, runs Vigía's public pipeline
(`vigia nightly` over a temporary registry) and compares its findings with the statuses written by hand in
each portal's ``expected.yml``.

Documents are committed as text (``informe.pdf.txt``, ``planilla.xlsx.txt``, ``manual.docx.txt``) and built
into real files when the site is copied to a temporary directory; ``*.scan.pdf.txt`` becomes an image-only
PDF (no text layer), like a scanned document.
"""

from __future__ import annotations

import csv
import html
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# "fresh": a second held-out set (issue 19), written later by another independent author; same format as "cases"
# (partial numerals allowed; its whole portals declare all 29).
# "fresh2": a third held-out set (issue 19) by yet another independent author, same format as "fresh".
SETS = {
    "portals": HERE / "portals",
    "cases": HERE / "cases",
    "fresh": HERE / "fresh",
    "fresh2": HERE / "fresh2",
}
# Sets kept apart: judged and floored on their own ("set:fresh"), not mixed into "overall", so "overall" stays
# the figure of the first bed and the new set's agreement is reported by itself.
APART = {"fresh", "fresh2"}
STATUSES = ("present", "outdated", "absent", "not_applicable", "unverified")


@dataclass
class Entry:
    set_name: str
    slug: str
    site: Path
    as_of: str
    ine_code: str | None
    expected: dict[int, tuple[str, str]]
    tags: list[str] = field(default_factory=list)


def load_entries() -> list[Entry]:
    entries: list[Entry] = []
    for set_name, folder in SETS.items():
        for exp_file in sorted(folder.glob("*/expected.yml")):
            data = yaml.safe_load(exp_file.read_text(encoding="utf-8"))
            expected: dict[int, tuple[str, str]] = {}
            for num, item in (data.get("numerals") or {}).items():
                status, why = (item["status"], item.get("why", "")) if isinstance(item, dict) else (item, "")
                if status not in STATUSES:
                    raise ValueError(f"{exp_file}: numeral {num}: estado desconocido {status!r}")
                expected[int(num)] = (status, why)
            if set_name == "portals" and sorted(expected) != list(range(1, 30)):
                raise ValueError(f"{exp_file}: un portal completo declara los 29 numerales")
            entries.append(
                Entry(
                    set_name=set_name,
                    slug=exp_file.parent.name,
                    site=exp_file.parent / "site",
                    as_of=str(data["as_of"]),
                    ine_code=str(data["ine_code"]).zfill(4) if data.get("ine_code") else None,
                    expected=expected,
                    tags=list(data.get("tags") or []),
                )
            )
    return entries


# ---------------------------------------------------------------- documents


def _pdf(text: str, target: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for line in text.splitlines():
        safe = line.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, 5, safe or " ", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(target))


def _scanned_pdf(text: str, target: Path) -> None:
    """An image-only PDF: the text is drawn into a picture, the PDF has no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    img = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(text.splitlines()):
        draw.text((80, 80 + 22 * i), line, fill=0)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(img, x=0, y=0, w=210)
    pdf.output(str(target))


def _rows(text: str) -> list[list[str]]:
    return [[c.strip() for c in line.split("|")] for line in text.splitlines() if line.strip()]


def _xlsx(text: str, target: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in _rows(text):
        ws.append([float(c) if c.replace(".", "", 1).isdigit() else c for c in row])
    wb.save(target)


def _docx(text: str, target: Path) -> None:
    from docx import Document

    doc = Document()
    for line in text.splitlines():
        doc.add_paragraph(line)
    doc.save(str(target))


def build_site(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst)
    for txt in sorted(dst.rglob("*.txt")):
        name = txt.name[: -len(".txt")]
        text = txt.read_text(encoding="utf-8")
        if name.endswith(".scan.pdf"):
            _scanned_pdf(text, txt.with_name(name.replace(".scan.pdf", ".pdf")))
        elif name.endswith(".pdf"):
            _pdf(text, txt.with_name(name))
        elif name.endswith(".xlsx"):
            _xlsx(text, txt.with_name(name))
        elif name.endswith(".docx"):
            _docx(text, txt.with_name(name))
        else:
            continue
        txt.unlink()


# ---------------------------------------------------------------- serving


class PortalHandler(SimpleHTTPRequestHandler):
    """Static files; ``page.html@page=2`` answers ``page.html?page=2``; folders without an index get an
    Apache-style "Index of" listing, as many municipal servers show."""

    def translate_path(self, path: str) -> str:
        base = super().translate_path(path)
        query = urllib.parse.urlsplit(path).query
        if query:
            target = os.path.join(base, "index.html") if os.path.isdir(base) else base
            candidate = f"{target}@{query}"
            if os.path.exists(candidate):
                return candidate
        return base

    def guess_type(self, path: Any) -> str:
        return super().guess_type(str(path).split("@", 1)[0])

    def list_directory(self, path: Any) -> Any:
        import io

        rel = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        names = sorted(n for n in os.listdir(path) if "@" not in n)
        rows = [
            '<tr><td><a href="../">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td></tr>'
        ]
        for n in names:
            full = os.path.join(path, n)
            shown = n + "/" if os.path.isdir(full) else n
            size = "-" if os.path.isdir(full) else f"{max(1, os.path.getsize(full) // 1024)}K"
            rows.append(
                f'<tr><td><a href="{urllib.parse.quote(shown)}">{html.escape(shown)}</a></td>'
                f'<td align="right">2026-10-14 09:12  </td><td align="right">{size}</td></tr>'
            )
        body = (
            f'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html><head><title>Index of {html.escape(rel)}'
            f"</title></head><body><h1>Index of {html.escape(rel)}</h1><table><tr><th>Name</th><th>Last modified</th>"
            f"<th>Size</th></tr>{''.join(rows)}</table><address>Apache/2.4.41 (Ubuntu) Server</address></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def serve(sites: dict[str, Path]) -> Iterator[dict[str, str]]:
    """One loopback server per portal (free ports); yields slug -> base URL."""
    servers: list[ThreadingHTTPServer] = []
    urls: dict[str, str] = {}
    try:
        for slug, folder in sites.items():
            server = ThreadingHTTPServer(("127.0.0.1", 0), partial(PortalHandler, directory=str(folder)))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
            urls[slug] = f"http://127.0.0.1:{server.server_address[1]}/"
        yield urls
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


# ---------------------------------------------------------------- running the pipeline


def _registry_rows() -> tuple[list[str], dict[str, dict[str, str]]]:
    with (ROOT / "municipalities.csv").open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = {r["ine_code"]: r for r in reader}
        return list(reader.fieldnames or []), rows


def assign_codes(entries: list[Entry]) -> dict[str, str]:
    fields, rows = _registry_rows()
    del fields
    taken = {e.ine_code for e in entries if e.ine_code}
    for e in entries:
        if e.ine_code and e.ine_code not in rows:
            raise ValueError(f"{e.slug}: código INE {e.ine_code} no está en municipalities.csv")
    pool = iter(c for c in rows if c not in taken)
    return {e.slug: e.ine_code or next(pool) for e in entries}


def _vigia(*args: str, timeout: int = 1800) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIGIA_ALLOW_PRIVATE_ADDRESSES": "1"}
    env.pop("VIGIA_DATABASE_URL", None)
    env.pop("VIGIA_REGISTRY", None)
    return subprocess.run(
        [sys.executable, "-m", "vigia.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_pipeline(entries: list[Entry], work: Path) -> dict[tuple[str, int], tuple[str, str]]:
    """Runs ``vigia nightly`` once per ``as_of`` over all portals; returns (slug, numeral) -> (status, reason)."""
    codes = assign_codes(entries)
    fields, rows = _registry_rows()
    sites = {}
    for e in entries:
        dst = work / "sites" / e.slug
        build_site(e.site, dst)
        sites[e.slug] = dst
    got: dict[tuple[str, int], tuple[str, str]] = {}
    by_as_of: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_as_of[e.as_of].append(e)
    with serve(sites) as urls:
        for as_of, group in sorted(by_as_of.items()):
            run_dir = work / f"run-{as_of}"
            run_dir.mkdir()
            registry = run_dir / "registry.csv"
            with registry.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
                writer.writeheader()
                for e in group:
                    row = dict(rows[codes[e.slug]])
                    row.update(portal_url=urls[e.slug], alt_urls="", platform="unknown", active="yes")
                    writer.writerow(row)
            common = [
                "--registry",
                str(registry),
                "--db",
                f"sqlite:///{run_dir / 'vigia.db'}",
                "--data-dir",
                str(run_dir / "data"),
            ]
            result = _vigia("nightly", *common, "--out", str(run_dir / "site"), "--as-of", as_of, "--no-pdf")
            if result.returncode != 0:
                raise RuntimeError(
                    f"vigia nightly falló ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                )
            data = json.loads((run_dir / "site" / "datos" / "hallazgos.json").read_text(encoding="utf-8"))
            slug_of = {codes[e.slug]: e.slug for e in group}
            for f in data["findings"]:
                if f.get("numeral") is None or f["ine_code"] not in slug_of:
                    continue
                got[(slug_of[f["ine_code"]], int(f["numeral"]))] = (f["status"], f.get("reason") or "")
    return got


# ---------------------------------------------------------------- scoring


def _figures(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    confusion: dict[str, Counter[str]] = {s: Counter() for s in STATUSES}
    for exp, got in pairs:
        confusion[exp][got] += 1
    n = len(pairs)
    agree = sum(1 for e, g in pairs if e == g)
    tp = sum(1 for e, g in pairs if e == g == "present")
    got_present = sum(1 for _, g in pairs if g == "present")
    exp_present = sum(1 for e, _ in pairs if e == "present")
    return {
        "judged": n,
        "agreement": round(agree / n, 4) if n else None,
        "present_precision": round(tp / got_present, 4) if got_present else None,
        "present_recall": round(tp / exp_present, 4) if exp_present else None,
        "confusion": {e: {g: confusion[e][g] for g in STATUSES} for e in STATUSES},
    }


def score(entries: list[Entry], got: dict[tuple[str, int], tuple[str, str]]) -> dict[str, Any]:
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    disagreements = []
    for e in entries:
        for num, (exp, why) in sorted(e.expected.items()):
            status, reason = got.get((e.slug, num), ("missing", "sin hallazgo en hallazgos.json"))
            pair = (exp, status)
            if e.set_name not in APART:
                groups["overall"].append(pair)
            groups[f"set:{e.set_name}"].append(pair)
            for tag in e.tags:
                groups[f"tag:{tag}"].append(pair)
            if exp != status:
                disagreements.append(
                    {
                        "set": e.set_name,
                        "portal": e.slug,
                        "numeral": num,
                        "expected": exp,
                        "got": status,
                        "why": why,
                        "reason": reason,
                    }
                )
    return {
        "figures": {k: _figures(v) for k, v in sorted(groups.items())},
        "disagreements": disagreements,
    }


def render(result: dict[str, Any]) -> str:
    out = ["Banco de pruebas independiente — acuerdo con los estados esperados", ""]
    out.append(f"{'grupo':32} {'juzgados':>8} {'acuerdo':>8} {'prec.Cumple':>11} {'recall':>7}")
    for name, fig in result["figures"].items():
        out.append(
            f"{name:32} {fig['judged']:8} {fig['agreement'] or 0:8.3f} "
            f"{fig['present_precision'] or 0:11.3f} {fig['present_recall'] or 0:7.3f}"
        )
    conf = result["figures"]["overall"]["confusion"]
    out += [
        "",
        "Confusión (filas: esperado; columnas: obtenido)",
        f"{'':16}" + "".join(f"{s[:12]:>13}" for s in STATUSES),
    ]
    for e in STATUSES:
        out.append(f"{e:16}" + "".join(f"{conf[e][g]:13}" for g in STATUSES))
    out += ["", f"Desacuerdos ({len(result['disagreements'])}):"]
    for d in result["disagreements"]:
        out.append(
            f"  {d['set']}/{d['portal']} num. {d['numeral']}: esperado {d['expected']}, obtenido {d['got']}"
            f" — motivo: {d['reason']} | por qué se esperaba: {d['why']}"
        )
    return "\n".join(out)


def evaluate(work: Path) -> dict[str, Any]:
    entries = load_entries()
    result = score(entries, run_pipeline(entries, work))
    target = os.environ.get("VIGIA_INDEPENDENT_REPORT")
    text = json.dumps(result, ensure_ascii=False, indent=1)
    (work / "independent-report.json").write_text(text, encoding="utf-8")
    if target:
        Path(target).write_text(text, encoding="utf-8")
    return result
