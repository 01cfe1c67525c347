"""The checks' confidence: which evidence makes a finding high, medium or low, and why."""

from __future__ import annotations

import datetime as dt
from typing import Any

from checks.casefile import snapshot_from_dict
from checks.confidence import LEVEL_RANK, REASONS, describe, level_of
from checks.engine import evaluate_snapshot

AS_OF = dt.date(2026, 11, 25)
BASE = "https://muni.example.gob.gt"


def _finding(links: list[dict[str, str]], documents: list[dict[str, Any]] | None = None, outcome: str = "complete",
             text: str = "", numeral: int = 8):  # type: ignore[no-untyped-def]  # fmt: skip
    block = {"headings": ["Información Pública de Oficio", f"Numeral {numeral} - Ejecución presupuestaria"],
             "text": text, "links": links}  # fmt: skip
    snapshot = snapshot_from_dict(
        {
            "outcome": outcome,
            "portal_url": BASE + "/",
            "pages": [{"url": BASE + "/transparencia", "title": "Transparencia", "blocks": [block]}],
            "documents": documents or [],
        }
    )
    result = evaluate_snapshot(snapshot, AS_OF)
    return next(f for f in result.findings if f.numeral == numeral)


def test_a_dated_document_under_its_numeral_is_high() -> None:
    url = BASE + "/docs/ejecucion-octubre-2026.pdf"
    f = _finding([{"url": url, "label": "Ejecución presupuestaria octubre 2026"}],
                 [{"url": url, "label": "Ejecución presupuestaria octubre 2026", "page_url": BASE + "/transparencia",
                   "doc_type": "pdf", "fetched": True, "status": 200, "text": "Informe de octubre 2026"}])  # fmt: skip
    assert f.status == "present"
    assert f.confidence == "high" and f.confidence_reasons == ("dated_document_under_heading",)


def test_a_period_from_the_file_name_or_a_scan_is_lower() -> None:
    url = BASE + "/docs/NUMERAL-8-OCTUBRE-2026.pdf"
    doc = {"url": url, "label": "Descargar", "page_url": BASE + "/transparencia", "doc_type": "pdf", "fetched": True,
           "status": 200, "is_scanned": True, "text": ""}  # fmt: skip
    f = _finding([{"url": url, "label": "Descargar"}], [doc])
    assert f.status == "present"
    assert f.confidence == "medium"
    assert set(f.confidence_reasons) >= {"scanned_document", "period_from_file_name"}


def test_page_content_without_a_period_is_low_and_failures_are_certain() -> None:
    f = _finding([], text="Presupuesto ejecutado por programa: funcionamiento, inversión y deuda pública. "
                           "Total ejecutado Q 12,500,000.00 de Q 20,000,000.00 asignados.")  # fmt: skip
    if f.status in ("present", "outdated"):
        assert f.confidence == "low" and "page_content_without_period" in f.confidence_reasons
    down = _finding([], outcome="unreachable")
    assert (
        down.status == "unverified"
        and down.confidence == "high"
        and down.confidence_reasons == ("crawl_failed",)
    )
    partial = _finding([], outcome="partial")
    assert partial.status == "unverified" and partial.confidence == "low"
    absent = _finding([])
    assert absent.status == "absent" and absent.confidence == "high"


def test_levels_and_descriptions() -> None:
    assert level_of([]) == "high"
    assert level_of(["dated_document_under_heading", "scanned_document"]) == "medium"
    assert level_of(["scanned_document", "no_period"]) == "low"
    assert all(level in LEVEL_RANK for level, _text in REASONS.values())
    assert describe(["no_period", "desconocido"]) == [REASONS["no_period"][1], "desconocido"]
