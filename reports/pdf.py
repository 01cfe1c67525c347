"""PDF of each checklist, made from the same view model as the checklist page.

The PDF goes through a lean print template (``templates/checklist_pdf.html.j2``) and stylesheet
(``static/pdf.css``). Two engines lay it out with the same look (page margin boxes included):

* **Chromium** (Debian's, through Playwright; the default where it is installed): one headless browser,
  a few pages printing at once, JavaScript off and the context offline, so a checklist can load nothing.
  About 5 × faster than WeasyPrint on the 340 checklists.
* **WeasyPrint** (the fallback, and ``VIGIA_PDF_ENGINE=weasyprint``): worker processes, a URL fetcher that
  refuses everything.

**Incremental.** A checklist PDF shows a state, not a night: the print template carries no run number,
crawl date or night-by-night history, only the date since which the state holds (``Vigente desde``).
``municipio/pdf-fuentes.json`` records, per PDF, the digest of the HTML + CSS it was made from (with that
date left out) and the date; a PDF whose sources did not change is kept, so a night where nothing changed
renders no PDF at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

from vigia.browser import CHROMIUM_ARGS, CHROMIUM_PATH

MANIFEST = "municipio/pdf-fuentes.json"
#: Stands in the print HTML for the "vigente desde" date until the digest is taken (see module docstring).
SINCE_MARK = "\u2063vigia-vigente-desde\u2063"
#: Bumped when the way PDFs are made changes in a way the HTML does not show (forces one full re-render).
PDF_FORMAT = "2"
ENGINES = ("chromium", "weasyprint")
_PDF_TIMEOUT_MS = 60_000

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PdfResult:
    written: int  # PDFs now up to date (rendered + kept)
    failed: tuple[str, ...]  # "municipio/0101.pdf: reason"
    kept: int = 0  # unchanged since the last build, not rendered again
    engine: str = ""  # the engine that rendered this build's PDFs ("" when none was needed)


# --------------------------------------------------------------------------- WeasyPrint


def _no_fetch() -> Any:
    from weasyprint.urls import URLFetcher

    class NoFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"recurso externo bloqueado: {url[:80]}")

    return NoFetcher()


def _weasy_batch(args: tuple[str, str, list[tuple[str, str]]]) -> tuple[int, list[str]]:
    root_s, css_text, documents = args
    from weasyprint import CSS, HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    root = Path(root_s)
    fetcher = _no_fetch()
    stylesheet = CSS(string=css_text, url_fetcher=fetcher)
    written = 0
    failed: list[str] = []
    for rel, html in documents:
        target = root / rel
        tmp = target.with_name(target.name + ".tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            HTML(string=html, base_url=str(root) + "/", url_fetcher=fetcher).write_pdf(
                str(tmp), stylesheets=[stylesheet]
            )
            tmp.replace(target)
            written += 1
        except Exception as exc:  # noqa: BLE001 - one bad page must not stop the others
            tmp.unlink(missing_ok=True)
            failed.append(f"{rel}: {type(exc).__name__}: {str(exc)[:120]}")
    return written, failed


def _render_weasyprint(
    root: Path, todo: Sequence[tuple[str, str]], css: str, workers: int
) -> tuple[int, list[str]]:
    n = max(1, min(workers, len(todo)))
    batches = [(str(root), css, list(todo[i::n])) for i in range(n)]
    if n == 1:
        return _weasy_batch(batches[0])
    written, errors = 0, []
    # fork: workers start at once and need no importable __main__ (spawn re-runs the caller's script)
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=n, mp_context=get_context(method)) as pool:
        for count, failed in pool.map(_weasy_batch, batches):
            written += count
            errors.extend(failed)
    return written, errors


# --------------------------------------------------------------------------- Chromium


class EngineUnavailable(RuntimeError):
    """The engine cannot start on this machine (not a fault of any one document)."""


async def _chromium_async(
    root: Path, todo: Sequence[tuple[str, str]], css: str, pages: int
) -> tuple[int, list[str]]:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    style = f"<style>{css}</style>"
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in todo:
        queue.put_nowait(item)
    written = 0
    failed: list[str] = []
    async with async_playwright() as p:
        try:
            browser = await p.chromium.launch(
                executable_path=CHROMIUM_PATH, headless=True, args=list(CHROMIUM_ARGS)
            )
        except PlaywrightError as exc:
            raise EngineUnavailable(str(exc).splitlines()[0][:200]) from None
        try:
            # the checklist needs nothing from anywhere: no scripts, no network
            context = await browser.new_context(java_script_enabled=False, offline=True)
            await context.route("**/*", lambda route: route.abort())

            async def worker() -> None:
                nonlocal written
                page = await context.new_page()
                page.set_default_timeout(_PDF_TIMEOUT_MS)
                while not queue.empty():
                    rel, html = queue.get_nowait()
                    target = root / rel
                    tmp = target.with_name(target.name + ".tmp")
                    try:
                        head_end = html.find("</head>")
                        doc = html[:head_end] + style + html[head_end:] if head_end >= 0 else style + html
                        await page.set_content(doc, wait_until="load")
                        data = await page.pdf(prefer_css_page_size=True, print_background=True)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        tmp.write_bytes(data)
                        tmp.replace(target)
                        written += 1
                    except (PlaywrightError, OSError) as exc:
                        tmp.unlink(missing_ok=True)
                        failed.append(f"{rel}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")

            await asyncio.gather(*(worker() for _ in range(max(1, min(pages, len(todo))))))
        finally:
            await browser.close()
    return written, failed


def _render_chromium(
    root: Path, todo: Sequence[tuple[str, str]], css: str, pages: int
) -> tuple[int, list[str]]:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_chromium_async(root, todo, css, pages))
    # called from inside an event loop (a web worker, a test): print on a thread of its own
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = asyncio.run(_chromium_async(root, todo, css, pages))
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread below
            box["error"] = exc

    thread = threading.Thread(target=run, name="vigia-pdf")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]


def chromium_available() -> bool:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return False
    return os.access(CHROMIUM_PATH, os.X_OK)


def choose_engine(engine: str | None = None) -> str:
    """``engine`` or ``VIGIA_PDF_ENGINE``, else Chromium where it is installed, else WeasyPrint."""
    wanted = (engine or os.environ.get("VIGIA_PDF_ENGINE") or "auto").strip().lower()
    if wanted in ENGINES:
        return wanted
    if wanted != "auto":
        from vigia.errors import UserError

        raise UserError(f"motor de PDF desconocido: {wanted!r} (use chromium, weasyprint o auto)")
    return "chromium" if chromium_available() else "weasyprint"


# --------------------------------------------------------------------------- the incremental build


def _digest(html: str, css: str) -> str:
    return hashlib.sha256(PDF_FORMAT.encode() + b"\0" + css.encode() + b"\0" + html.encode()).hexdigest()


def _read_manifest(path: Path) -> dict[str, dict[str, str]]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {
        rel: entry
        for rel, entry in raw.items()
        if isinstance(entry, dict)
        and isinstance(entry.get("digest"), str)
        and isinstance(entry.get("since"), str)
    }


def render_pdfs(
    root: Path,
    documents: Sequence[tuple[str, str]],
    css: str,
    workers: int | None = None,
    since: str = "",
    engine: str | None = None,
) -> PdfResult:
    """Write each ``(relative .pdf path, html)`` under ``root``, rendering only what changed.

    ``html`` may hold :data:`SINCE_MARK` where the PDF shows since when its state holds: it is replaced by the
    date of the build that first rendered these very sources (``since`` for a PDF rendered now).
    """
    if not documents:
        return PdfResult(0, (), 0)
    manifest_path = root / MANIFEST
    manifest = _read_manifest(manifest_path)
    entries: dict[str, dict[str, str]] = {}
    todo: list[tuple[str, str]] = []
    for rel, html in documents:
        digest = _digest(html, css)
        old = manifest.get(rel)
        if old is not None and old["digest"] == digest and (root / rel).exists():
            entries[rel] = old
            continue
        entries[rel] = {"digest": digest, "since": since}
        todo.append((rel, html.replace(SINCE_MARK, since)))
    kept = len(documents) - len(todo)
    written, errors, used = 0, [], ""
    if todo:
        n = max(1, workers or os.cpu_count() or 1)
        used = choose_engine(engine)
        if used == "chromium":
            try:
                # two pages per core keep Chromium's renderer and the writer busy
                written, errors = _render_chromium(root, todo, css, pages=2 * n)
            except EngineUnavailable as exc:
                log.warning("Chromium no disponible para los PDF (%s); se usa WeasyPrint", exc)
                used = "weasyprint"
        if used == "weasyprint":
            written, errors = _render_weasyprint(root, todo, css, n)
    failed_docs = {line.split(":", 1)[0] for line in errors}
    kept_entries = {rel: entries[rel] for rel in sorted(entries) if rel not in failed_docs}
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(kept_entries, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return PdfResult(written + kept, tuple(sorted(errors)), kept, used)
