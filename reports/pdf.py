"""PDF of each checklist page with WeasyPrint, rendered in parallel worker processes.

WeasyPrint lays out one page at a time on one core, so the checklists are spread over processes.
The PDFs are made from the very HTML pages of the site (print stylesheet), and WeasyPrint may only
read files inside the site's folder: nothing is fetched from the network.
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


@dataclass(frozen=True, slots=True)
class PdfResult:
    written: int  # PDFs now up to date (rendered + kept)
    failed: tuple[str, ...]  # "municipio/0101.html: reason"
    kept: int = 0  # unchanged since the last build, not rendered again


def _fetcher_for(root: Path) -> Any:
    """A WeasyPrint URL fetcher that reads only files inside the site's folder."""
    from weasyprint.urls import URLFetcher

    prefix = root.resolve().as_uri() + "/"

    class SiteOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith(prefix):
                raise ValueError(f"recurso fuera del sitio bloqueado: {url[:80]}")
            return super().fetch(url, headers)

    return SiteOnlyFetcher(allowed_protocols={"file"})


def _render_batch(args: tuple[str, list[str]]) -> tuple[int, list[str]]:
    root_s, pages = args
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    root = Path(root_s)
    fetcher = _fetcher_for(root)
    written = 0
    failed: list[str] = []
    for rel in pages:
        source = root / rel
        target = source.with_suffix(".pdf")
        try:
            HTML(filename=str(source), url_fetcher=fetcher, media_type="print").write_pdf(str(target))
            written += 1
        except Exception as exc:  # noqa: BLE001 - one bad page must not stop the others
            failed.append(f"{rel}: {type(exc).__name__}: {str(exc)[:120]}")
    return written, failed


MANIFEST = "municipio/pdf-fuentes.json"


def _digest(path: Path, css: bytes) -> str:
    return hashlib.sha256(css + b"\0" + path.read_bytes()).hexdigest()


def render_pdfs(root: Path, pages: Sequence[str], workers: int | None = None) -> PdfResult:
    """Render ``root/<page>.html`` to ``root/<page>.pdf`` for each page, with ``workers`` processes.

    A PDF whose HTML and stylesheet are unchanged since it was made (recorded in ``MANIFEST``) is kept:
    re-running ``vigia report`` on the same run re-renders nothing.
    """
    if not pages:
        return PdfResult(0, (), 0)
    css_path = root / "static" / "vigia.css"
    css = css_path.read_bytes() if css_path.exists() else b""
    manifest_path = root / MANIFEST
    try:
        manifest: dict[str, str] = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            manifest = {}
    except (OSError, ValueError):
        manifest = {}
    digests = {rel: _digest(root / rel, css) for rel in pages}
    todo = [
        rel
        for rel in pages
        if manifest.get(rel) != digests[rel] or not (root / rel).with_suffix(".pdf").exists()
    ]
    kept = len(pages) - len(todo)
    written, errors = 0, []
    if todo:
        n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        batches = [list(todo[i::n]) for i in range(n)]
        if n == 1:
            written, errors = _render_batch((str(root), batches[0]))
        else:
            # fork: workers start at once and need no importable __main__ (spawn re-runs the caller's script)
            method = "fork" if "fork" in get_all_start_methods() else "spawn"
            with ProcessPoolExecutor(max_workers=n, mp_context=get_context(method)) as pool:
                for count, failed in pool.map(_render_batch, [(str(root), b) for b in batches]):
                    written += count
                    errors.extend(failed)
    failed_pages = {line.split(":", 1)[0] for line in errors}
    manifest = {rel: digests[rel] for rel in sorted(pages) if rel not in failed_pages}
    manifest_path.write_text(json.dumps(manifest, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return PdfResult(written + kept, tuple(sorted(errors)), kept)
