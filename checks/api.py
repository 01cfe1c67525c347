"""Entry points used by ``vigia check`` and ``vigia audit`` (docs/CONTRACTS.md)."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from checks import RULES_VERSION
from checks.model import STATUS_LABELS
from checks.runner import evaluate_in_session
from vigia.errors import UserError
from vigia.store.models import CrawlRun, Evaluation, Finding, PortalCrawl

__all__ = ["STATUS_LABELS", "CheckSummary", "audit_document", "check_run", "evaluate_portal_crawl"]


@dataclass
class CheckSummary:
    run_id: int
    as_of: dt.date
    evaluated: int = 0
    scored: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    bands: Counter[str] = field(default_factory=Counter)
    rules_version: str = RULES_VERSION

    def describe(self) -> str:
        counts = ", ".join(
            f"{STATUS_LABELS[s]}: {self.statuses[s]}" for s in STATUS_LABELS if self.statuses.get(s)
        )
        bands = ", ".join(f"{b}: {n}" for b, n in sorted(self.bands.items()))
        return (
            f"Evaluación de la corrida {self.run_id} (referencia {self.as_of.isoformat()}, reglas "
            f"{self.rules_version}): {self.evaluated} portales, {self.scored} con puntaje"
            + (f" ({bands})" if bands else "")
            + (f"; hallazgos de numerales — {counts}" if counts else "")
            + f"; {self.seconds:.1f} s."
        )


def _run(session: Any, run_id: int | None) -> CrawlRun:
    if run_id is None:
        run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).first()
        if run is None:
            raise UserError("no hay corridas de rastreo en la base de datos: ejecute primero `vigia crawl`")
        return run
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise UserError(f"no existe la corrida {run_id} en la base de datos")
    return run


def check_run(
    store: Any,
    run_id: int | None = None,
    as_of: dt.date | None = None,
    only: list[str] | None = None,
    console: Any = None,
) -> CheckSummary:
    """Evaluate every portal crawl of a run (the newest when ``run_id`` is None)."""
    if as_of is None:
        raise UserError("falta la fecha de referencia (--as-of)")
    started = time.perf_counter()
    with store.session() as session:
        run = _run(session, run_id)
        query = select(PortalCrawl.id).where(PortalCrawl.run_id == run.id).order_by(PortalCrawl.id)
        if only:
            query = query.where(PortalCrawl.ine_code.in_([c.zfill(4) for c in only]))
        ids = list(session.scalars(query))
        summary = CheckSummary(run_id=run.id, as_of=as_of)
    if not ids:
        raise UserError(f"la corrida {summary.run_id} no tiene portales que evaluar con esa selección")
    progress = None
    if console is not None and len(ids) > 20:
        from rich.progress import Progress

        progress = Progress(console=console, transient=True)
        task = progress.add_task("Evaluando portales", total=len(ids))
        progress.start()
    try:
        batch = 25
        for start in range(0, len(ids), batch):
            with store.session() as session:
                for pc_id in ids[start : start + batch]:
                    portal = session.get(PortalCrawl, pc_id)
                    _eid, result = evaluate_in_session(session, portal, as_of)
                    summary.evaluated += 1
                    if result.score is not None:
                        summary.scored += 1
                        summary.bands[result.band or ""] += 1
                    summary.statuses.update(f.status for f in result.findings if f.numeral is not None)
            if progress is not None:
                progress.update(task, advance=min(batch, len(ids) - start))
    finally:
        if progress is not None:
            progress.stop()
    summary.seconds = time.perf_counter() - started
    return summary


def evaluate_portal_crawl(store: Any, portal_crawl_id: int, as_of: dt.date) -> int:
    """Evaluate one portal crawl; replaces an evaluation with the same as_of and rules version."""
    with store.session() as session:
        portal = session.get(PortalCrawl, portal_crawl_id)
        if portal is None:
            raise UserError(f"no existe el rastreo de portal {portal_crawl_id}")
        evaluation_id, _result = evaluate_in_session(session, portal, as_of)
    return evaluation_id


def audit_document(store: Any, evaluation_id: int) -> dict[str, Any]:
    """The JSON object of DESIGN.md §5 for one evaluation."""
    with store.session() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        if evaluation is None:
            raise UserError(f"no existe la evaluación {evaluation_id}")
        portal = evaluation.portal
        findings = session.scalars(
            select(Finding).where(Finding.evaluation_id == evaluation_id).order_by(Finding.position)
        ).all()
        return {
            "portal": portal.portal_url,
            "as_of": evaluation.as_of.isoformat(),
            "crawl": {
                "outcome": portal.outcome,
                "pages": portal.pages_count or 0,
                "documents": portal.documents_count or 0,
            },
            "score": evaluation.score,
            "band": evaluation.band,
            "findings": [
                {
                    "rule": f.rule,
                    "numeral": f.numeral,
                    "status": f.status,
                    "evidence": [
                        {"url": e.get("url"), "label": e.get("label"), "period": e.get("period")}
                        for e in (f.evidence or [])
                    ],
                    "reason": f.reason,
                }
                for f in findings
            ],
        }
