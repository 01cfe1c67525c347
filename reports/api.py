"""``build_reports``: the static site, the PDFs and the CGC exports of one run (docs/CONTRACTS.md).

Layout of ``out_dir``::

    index.html            the PDH compliance report (ranking, bands, departments, trends, changes)
    prioridad.html        the priority list on its own
    matriz.html           municipalities × numerals
    nocturno.html         the monitors' nightly report (crawl health)
    atom/*.xml            Atom feeds of the changes: the country's, per department, per municipality
    datos.html            the exports and their schema
    municipio/XXXX.html   one checklist per municipality (+ XXXX.pdf)
    evidencia/<sha256>.<ext>   archived copies of cited evidence (HTML kept as .html.txt)
    datos/hallazgos.{csv,xlsx,json}
    static/vigia.css
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from reports import exports, feeds, fmt, views
from reports.loader import BlobInfo, load_blob_info, load_history, load_run, previous_run_id, resolve_run_id
from reports.pdf import SINCE_MARK, render_pdfs
from reports.registry_proposals import registry_proposals_view
from vigia import __version__
from vigia.doctypes import CONTENT_TYPES, DOCUMENT_FORMATS
from vigia.errors import UserError
from vigia.registry import Municipality
from vigia.store.blobs import BlobStore
from vigia.store.db import Store

#: Archive file extension per media type: documents keep their type's extension; active formats are
#: archived as text, so an archived page can never run its scripts in the site.
_CONTENT_TYPE_EXT: dict[str, str] = {
    **{
        ctype: doc_type
        for ctype, doc_type in CONTENT_TYPES.items()
        if doc_type in DOCUMENT_FORMATS + ("zip",)
    },
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "text/plain": "txt",
    "text/html": "html.txt",
    "application/xhtml+xml": "html.txt",
    "image/svg+xml": "svg.txt",
    "application/json": "json.txt",
}
_SAFE_EXTENSIONS = frozenset(
    {"pdf", "xlsx", "xls", "docx", "doc", "ods", "odt", "csv", "zip", "png", "jpg", "gif"}
)


@dataclass(frozen=True, slots=True)
class ReportSummary:
    run_id: int
    as_of: dt.date
    out_dir: Path
    portals: int
    scored: int
    pages: int
    evidence_files: int
    export_rows: int
    pdfs: int
    pdf_failures: tuple[str, ...]
    pdfs_kept: int
    seconds: float
    seconds_pdf: float
    has_previous: bool = False
    pdf_engine: str = ""
    newly_compliant: int = 0
    regressed: int = 0
    went_down: int = 0
    came_back: int = 0
    feeds: int = 0

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"

    def describe(self) -> str:
        pdf = (
            f", {self.pdfs} PDF en {self.seconds_pdf:.1f} s"
            + (f" con {self.pdf_engine}" if self.pdf_engine else "")
            + (f" ({self.pdfs_kept} sin cambios)" if self.pdfs_kept else "")
            + (f" ({len(self.pdf_failures)} fallidos)" if self.pdf_failures else "")
            if self.pdfs or self.pdf_failures
            else ", sin PDF"
        )
        changes = (
            f"; desde la noche anterior: nuevos cumplimientos {self.newly_compliant}, retrocesos "
            f"{self.regressed}, portales caídos {self.went_down}, recuperados {self.came_back}"
            if self.has_previous
            else "; sin noche anterior para comparar"
        )
        return (
            f"Reportes de la corrida {self.run_id} (referencia {self.as_of.isoformat()}): "
            f"{self.portals} portales ({self.scored} con puntaje), {self.pages} páginas HTML, "
            f"{self.evidence_files} copias de evidencia, {self.export_rows} filas exportadas, "
            f"{self.feeds} feeds Atom"
            f"{pdf}{changes}; total {self.seconds:.1f} s → {self.index}"
        )


def environment() -> Environment:
    """Jinja2 with autoescape always on and strict undefined variables."""
    return Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        finalize=fmt.strip_bidi,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def archive_extension(info: BlobInfo | None, url: str) -> str:
    """The file extension for an archived copy; active content (HTML, SVG) becomes text."""
    ctype = ((info.content_type if info else None) or "").split(";")[0].strip().lower()
    if ctype in _CONTENT_TYPE_EXT:
        return _CONTENT_TYPE_EXT[ctype]
    doc_type = (info.doc_type if info else None) or ""
    if doc_type in _SAFE_EXTENSIONS:
        return doc_type
    try:
        suffix = Path(urlsplit(url).path).suffix.lower().lstrip(".")
    except ValueError:
        suffix = ""
    if suffix == "jpeg":
        suffix = "jpg"
    if suffix in _SAFE_EXTENSIONS:
        return suffix
    if suffix in ("html", "htm", "php", "asp", "aspx", "") and ctype.startswith("text/"):
        return "html.txt"
    return "bin"


def _plan_evidence(store: Store, run_id: int, data: Any) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Where each cited raw body goes in ``evidencia/``: (sha256 → relative path, copies still to make)."""
    first_url: dict[str, str] = {}
    for portal in data.portals:
        for finding in portal.findings:
            for e in finding.evidence:
                if e.sha256 and e.sha256 not in first_url:
                    first_url[e.sha256] = e.url
    if not first_url:
        return {}, []
    infos = load_blob_info(store, run_id, list(first_url))
    has = store.blobs.has
    archived: dict[str, str] = {}
    for sha in sorted(first_url):
        if has(sha):
            archived[sha] = f"evidencia/{sha}.{archive_extension(infos.get(sha), first_url[sha])}"
    return archived, sorted(archived.items())


def _publish_wacz(store: Store, run_id: int, out_dir: Path) -> dict[str, str]:
    """Put the run's WACZ archives and its manifest in ``archivo/`` (hard links where possible), and the
    earlier nights' WACZ its revisit records refer to in ``archivo/corrida-<M>/`` with their manifests;
    return portal key → path relative to the site's root (docs/evidence.md)."""
    from vigia.evidence import referenced_archives, site_archives

    sources, manifest = site_archives(store, run_id)
    if not sources:
        return {}
    folder = out_dir / "archivo"
    folder.mkdir(parents=True, exist_ok=True)
    published: dict[str, str] = {}
    for key, source in sources.items():
        if _link_or_copy(source, folder / source.name):
            published[key] = f"archivo/{source.name}"
    if manifest is not None:
        with contextlib.suppress(OSError):
            shutil.copyfile(manifest, folder / f"manifiesto-corrida-{run_id}.json")
    earlier = referenced_archives(store, run_id)
    wanted = {f"corrida-{ref_run}" for ref_run, _, _ in earlier}
    for stale in folder.glob("corrida-*"):
        if stale.is_dir() and stale.name not in wanted:
            shutil.rmtree(stale, ignore_errors=True)
    manifests: dict[int, Path] = {}
    for ref_run, wacz, ref_manifest in earlier:
        sub = folder / f"corrida-{ref_run}"
        sub.mkdir(exist_ok=True)
        _link_or_copy(wacz, sub / wacz.name)
        manifests[ref_run] = ref_manifest
    for ref_run, ref_manifest in manifests.items():  # once per earlier run, not once per archive of it
        with contextlib.suppress(OSError):
            shutil.copyfile(ref_manifest, folder / f"manifiesto-corrida-{ref_run}.json")
    return published


def _link_or_copy(source: Path, target: Path) -> bool:
    try:
        target.unlink(missing_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    except OSError:
        return False
    return True


def _copy_evidence(blobs: BlobStore, out_dir: Path, jobs: Sequence[tuple[str, str]]) -> list[str]:
    """Put raw bodies from the blob store into the site (hard links where possible, see
    :meth:`BlobStore.materialize`), skipping copies already there; returns failures."""
    failures: list[str] = []
    if not jobs:
        return failures
    folder = out_dir / "evidencia"
    folder.mkdir(parents=True, exist_ok=True)
    present = set(os.listdir(folder))  # one listing instead of a stat per copy on a rebuild
    root = os.fspath(out_dir)
    for sha, rel in jobs:
        if rel.removeprefix("evidencia/") in present:
            continue
        target = f"{root}/{rel}"
        try:
            blobs.materialize(sha, target)
        except FileExistsError:
            continue
        except (OSError, EOFError) as exc:
            failures.append(f"{rel}: {exc}")
    return failures


def _background(
    blobs: BlobStore, out_dir: Path, jobs: Sequence[tuple[str, str]], tables: exports.ExportTables
) -> list[str]:
    """The slow, independent part (evidence copies and the XLSX), run beside the HTML rendering."""
    failures = _copy_evidence(blobs, out_dir, jobs)
    exports.write_xlsx(tables, out_dir)
    return failures


def _start_background(
    blobs: BlobStore, out_dir: Path, jobs: Sequence[tuple[str, str]], tables: exports.ExportTables
) -> tuple[ProcessPoolExecutor | None, Any]:
    """Run :func:`_background` in a forked process when the platform can fork, else right here."""
    if "fork" not in get_all_start_methods():
        return None, _background(blobs, out_dir, jobs, tables)
    pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork"))
    return pool, pool.submit(_background, blobs, out_dir, jobs, tables)


_CHECKLIST_FILE = re.compile(r"^(\d{4}|portal-\d+)\.(html|pdf)$")


def _remove_stale_checklists(out_dir: Path, current: set[str]) -> int:
    """Delete checklist pages/PDFs of an earlier build for portals not in this run (only our own names)."""
    removed = 0
    folder = out_dir / "municipio"
    if not folder.is_dir():
        return 0
    for path in sorted(folder.iterdir()):
        if _CHECKLIST_FILE.match(path.name) and path.is_file() and f"municipio/{path.stem}" not in current:
            path.unlink()
            removed += 1
    return removed


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (and restore it): building the site allocates a few million
    small, acyclic objects, and full collections over them cost more than a second for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build_reports(
    store: Store,
    out_dir: Path,
    run_id: int | None,
    as_of: dt.date,
    registry: Sequence[Municipality],
    pdf: bool = True,
    console: Any = None,
    pdf_workers: int | None = None,
    pdf_engine: str | None = None,
) -> ReportSummary:
    """Write the site, the exports and (``pdf=True``) the checklists' PDFs for one run."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".vigia-write-test"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"no se puede escribir en la carpeta de reportes {out_dir}: {exc.strerror}") from None

    with _gc_paused():  # the site's part: millions of short-lived objects, hardly any cycles
        rid = resolve_run_id(store, run_id)
        data = load_run(store, rid, as_of)
        prev_id = previous_run_id(store, rid)
        previous = load_run(store, prev_id, as_of, with_details=False) if prev_id is not None else None
        history = load_history(store, rid, as_of)
        archived, copy_jobs = _plan_evidence(store, rid, data)
        wacz = _publish_wacz(store, rid, out_dir)
        ctx = views.ReportContext(
            data=data,
            previous=previous,
            history=history,
            registry=list(registry),
            as_of=as_of,
            pdf=pdf,
            archived=archived,
            wacz=wacz,
        )

        tables = exports.prepare(data, archived, ctx.file_names)
        pool, background = _start_background(store.blobs, out_dir, copy_jobs, tables)

        env = environment()
        pages = 0

        def render(template: str, rel: str, view: Any, **extra: Any) -> None:
            nonlocal pages
            _write(out_dir / rel, env.get_template(template).render(view=view, meta=view.meta, **extra))
            pages += 1

        index_view = views.index_view(ctx)
        render("index.html.j2", "index.html", index_view)
        render("priority.html.j2", "prioridad.html", views.priority_view(ctx))
        render("matrix.html.j2", "matriz.html", views.matrix_view(ctx))
        render(
            "nightly.html.j2",
            "nocturno.html",
            views.nightly_view(ctx),
            registry_proposals=registry_proposals_view(store, rid, prev_id, ctx.registry),
        )
        checklist = env.get_template("checklist.html.j2")
        checklist_pdf = env.get_template("checklist_pdf.html.j2")
        checklist_pages: list[str] = []
        pdf_documents: list[tuple[str, str]] = []
        for portal in data.portals:
            view = views.checklist_view(ctx, portal)
            _write(out_dir / view.file_name, checklist.render(view=view, meta=view.meta))
            checklist_pages.append(view.file_name)
            if pdf:
                pdf_documents.append(
                    (
                        view.file_name.removesuffix(".html") + ".pdf",
                        checklist_pdf.render(view=view, meta=view.meta, since=SINCE_MARK),
                    )
                )
            pages += 1
        _remove_stale_checklists(out_dir, {name.removesuffix(".html") for name in checklist_pages})
        static = out_dir / "static"
        static.mkdir(exist_ok=True)
        with resources.as_file(resources.files("reports").joinpath("static/vigia.css")) as css:
            shutil.copyfile(css, static / "vigia.css")

        exports.write_csv_json(tables, out_dir, __version__)
        data_view = views.DataView(
            meta=ctx.meta("Datos abiertos", "data"),
            files=(
                views.ExportFile("datos/hallazgos.csv", "CSV en UTF-8 (con BOM), separado por comas"),
                views.ExportFile(
                    "datos/hallazgos.xlsx", "Libro de Excel: hallazgos, reglas del portal, portales, esquema"
                ),
                views.ExportFile("datos/hallazgos.json", "JSON con la evidencia completa de cada hallazgo"),
            ),
            columns=exports.COLUMNS,
            schema_version=exports.SCHEMA_VERSION,
        )
        render("data.html.j2", "datos.html", data_view)
        feed_files = feeds.write_feeds(out_dir, feeds.nights(store, data, previous, as_of), archived)
        try:
            copy_failures = background.result() if pool is not None else background
        finally:
            if pool is not None:
                pool.shutdown()
        if console is not None:
            for line in copy_failures[:10]:
                console.print(f"copia de evidencia no disponible: {line}", markup=False)
    html_seconds = time.perf_counter() - started
    if console is not None:
        console.print(
            f"Sitio escrito en {out_dir} ({pages} páginas, {len(archived)} copias de evidencia) en {html_seconds:.1f} s"
        )

    pdfs, failures, pdf_seconds, kept, engine = 0, (), 0.0, 0, ""
    if pdf and pdf_documents:
        if console is not None:
            console.print(f"Generando {len(checklist_pages)} PDF de listas de verificación…")
        t0 = time.perf_counter()
        pdf_css = resources.files("reports").joinpath("static/pdf.css").read_text(encoding="utf-8")
        outcome = render_pdfs(
            out_dir,
            sorted(pdf_documents),
            pdf_css,
            workers=pdf_workers,
            since=fmt.date_es(ctx.reference),
            engine=pdf_engine,
        )
        pdf_seconds = time.perf_counter() - t0
        pdfs, failures, kept, engine = outcome.written, outcome.failed, outcome.kept, outcome.engine
        if console is not None:
            for line in failures[:10]:
                console.print(f"PDF no generado: {line}", markup=False)

    return ReportSummary(
        run_id=rid,
        as_of=ctx.reference,
        out_dir=out_dir,
        portals=len(data.portals),
        scored=sum(1 for p in data.portals if p.evaluation and p.evaluation.score is not None),
        pages=pages,
        evidence_files=len(archived),
        export_rows=len(tables.findings),
        pdfs=pdfs,
        pdf_failures=failures,
        pdfs_kept=kept,
        seconds=time.perf_counter() - started,
        seconds_pdf=pdf_seconds,
        pdf_engine=engine,
        has_previous=index_view.changes.has_previous,
        newly_compliant=index_view.changes.newly_compliant,
        regressed=len(index_view.changes.regressed),
        went_down=len(index_view.changes.went_down),
        came_back=len(index_view.changes.came_back),
        feeds=feed_files,
    )
