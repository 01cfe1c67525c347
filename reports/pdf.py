"""PDF of each checklist page with WeasyPrint, rendered in parallel worker processes.

WeasyPrint lays out one page at a time on one core, so the checklists are spread over processes.
The PDFs are made from the very HTML pages of the site (print stylesheet), and WeasyPrint may only
read files inside the site's folder: nothing is fetched from the network.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class PdfResult:
    written: int
    failed: tuple[str, ...]  # "municipio/0101.html: reason"


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


def render_pdfs(root: Path, pages: Sequence[str], workers: int | None = None) -> PdfResult:
    """Render ``root/<page>.html`` to ``root/<page>.pdf`` for each page, with ``workers`` processes."""
    if not pages:
        return PdfResult(0, ())
    n = max(1, min(workers or os.cpu_count() or 1, len(pages)))
    batches = [list(pages[i::n]) for i in range(n)]
    if n == 1:
        written, failed = _render_batch((str(root), batches[0]))
        return PdfResult(written, tuple(failed))
    total = 0
    errors: list[str] = []
    # fork: the workers start at once and need no importable __main__ (spawn re-runs the caller's script)
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=n, mp_context=get_context(method)) as pool:
        for written, failed in pool.map(_render_batch, [(str(root), b) for b in batches]):
            total += written
            errors.extend(failed)
    return PdfResult(total, tuple(sorted(errors)))
