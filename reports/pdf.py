"""PDF of each checklist with WeasyPrint, rendered in parallel worker processes.

The PDF is made from the same view model as the checklist page, through a lean print template
(``templates/checklist_pdf.html.j2``) and stylesheet (``static/pdf.css``): WeasyPrint lays out a small DOM
with few style rules about twice as fast as the screen page. WeasyPrint may fetch nothing at all (the
template references no resources; a fetcher refuses every URL).

``municipio/pdf-fuentes.json`` records the digest of the HTML + CSS each PDF was made from: a PDF whose
sources did not change is kept, so re-running ``vigia report`` on the same run renders nothing again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

MANIFEST = "municipio/pdf-fuentes.json"


@dataclass(frozen=True, slots=True)
class PdfResult:
    written: int  # PDFs now up to date (rendered + kept)
    failed: tuple[str, ...]  # "municipio/0101.pdf: reason"
    kept: int = 0  # unchanged since the last build, not rendered again


def _no_fetch() -> Any:
    from weasyprint.urls import URLFetcher

    class NoFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"recurso externo bloqueado: {url[:80]}")

    return NoFetcher()


def _render_batch(args: tuple[str, str, list[tuple[str, str]]]) -> tuple[int, list[str]]:
    root_s, css_text, documents = args
    import logging

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


def _digest(html: str, css: str) -> str:
    return hashlib.sha256(css.encode() + b"\0" + html.encode()).hexdigest()


def render_pdfs(
    root: Path, documents: Sequence[tuple[str, str]], css: str, workers: int | None = None
) -> PdfResult:
    """Write each ``(relative .pdf path, html)`` under ``root``, with ``workers`` processes."""
    if not documents:
        return PdfResult(0, (), 0)
    manifest_path = root / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            manifest = {}
    except (OSError, ValueError):
        manifest = {}
    digests = {rel: _digest(html, css) for rel, html in documents}
    todo = [
        (rel, html)
        for rel, html in documents
        if manifest.get(rel) != digests[rel] or not (root / rel).exists()
    ]
    kept = len(documents) - len(todo)
    written, errors = 0, []
    if todo:
        n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        batches = [(str(root), css, list(todo[i::n])) for i in range(n)]
        if n == 1:
            written, errors = _render_batch(batches[0])
        else:
            # fork: workers start at once and need no importable __main__ (spawn re-runs the caller's script)
            method = "fork" if "fork" in get_all_start_methods() else "spawn"
            with ProcessPoolExecutor(max_workers=n, mp_context=get_context(method)) as pool:
                for count, failed in pool.map(_render_batch, batches):
                    written += count
                    errors.extend(failed)
    failed_docs = {line.split(":", 1)[0] for line in errors}
    manifest = {rel: digests[rel] for rel in sorted(digests) if rel not in failed_docs}
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return PdfResult(written + kept, tuple(sorted(errors)), kept)
