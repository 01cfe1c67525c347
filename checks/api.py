"""Entry points used by ``vigia check`` and ``vigia audit`` (docs/CONTRACTS.md)."""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Generator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks import RULES_VERSION
from checks.model import STATUS_LABELS
from checks.runner import Prepared, evaluate_in_session, evaluate_portal, existing_evaluations, store_prepared
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
    #: portals whose snapshot had been judged before (same rules, same as_of): findings copied
    reused: int = 0

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
            + (
                f"; {self.reused} sin cambios desde su evaluación anterior (hallazgos copiados)"
                if self.reused
                else ""
            )
            + f"; {self.seconds:.1f} s."
        )


def _run(session: Session, run_id: int | None) -> CrawlRun:
    if run_id is None:
        run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).first()
        if run is None:
            raise UserError("no hay corridas de rastreo en la base de datos: ejecute primero `vigia crawl`")
        return run
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise UserError(f"no existe la corrida {run_id} en la base de datos")
    return run


PARALLEL_MIN_PORTALS = 20  # below this, starting worker processes costs more than it saves
STORE_BATCH = 25  # portal crawls stored per transaction

# set in each worker process by _worker_init (a fresh engine: never one inherited across fork)
_worker_store: Any = None


def _worker_init(url: str, parent_engine: Any) -> None:
    global _worker_store
    from vigia.store.db import Store, make_engine

    if parent_engine is not None:
        parent_engine.dispose(close=False)  # the inherited pool belongs to the parent: drop, don't close
    _worker_store = Store(engine=make_engine(url), blobs=None)  # type: ignore[arg-type]


def _worker_evaluate(portal_crawl_id: int, as_of: dt.date) -> Prepared:
    with _worker_store.session() as session:
        return evaluate_portal(session, portal_crawl_id, as_of)


def _workers_for(store: Any, count: int) -> int:
    """How many worker processes to evaluate ``count`` portal crawls with (0: in this process)."""
    if count < PARALLEL_MIN_PORTALS or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    engine = getattr(store, "engine", None)
    if engine is None:
        return 0
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return 0  # a private in-memory database cannot be opened again by another process
    cpus = os.cpu_count() or 1
    return min(cpus, count) if cpus > 1 else 0


def _evaluated(store: Any, ids: list[int], as_of: dt.date, workers: int) -> Generator[Prepared, None, None]:
    """Every portal crawl evaluated, in the order of ``ids`` (in worker processes when ``workers``)."""
    if workers == 0:
        for start in range(0, len(ids), STORE_BATCH):
            with store.session() as session:
                prepared = [
                    evaluate_portal(session, pc_id, as_of) for pc_id in ids[start : start + STORE_BATCH]
                ]
            yield from prepared
        return
    url = store.engine.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_init,
        initargs=(url, store.engine),
    ) as pool:
        futures = [pool.submit(_worker_evaluate, pc_id, as_of) for pc_id in ids]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def check_run(
    store: Any,
    run_id: int | None = None,
    as_of: dt.date | None = None,
    only: list[str] | None = None,
    console: Any = None,
) -> CheckSummary:
    """Evaluate every portal crawl of a run (the newest when ``run_id`` is None).

    Snapshots are built and evaluated in worker processes (one per core) for large runs; this
    process stores the results, in portal crawl order, so the database sees one writer.
    """
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
        old = existing_evaluations(session, ids, as_of)
    if not ids:
        raise UserError(f"la corrida {summary.run_id} no tiene portales que evaluar con esa selección")
    workers = _workers_for(store, len(ids))
    evaluated = _evaluated(store, ids, as_of, workers)
    progress = None
    try:
        first = next(evaluated)  # worker processes are forked before the progress bar's thread starts
        if console is not None and len(ids) > 20:
            from rich.progress import Progress

            progress = Progress(console=console, transient=True)
            task = progress.add_task("Evaluando portales", total=len(ids))
            progress.start()
        pending = itertools.chain([first], evaluated)
        while True:
            batch = list(itertools.islice(pending, STORE_BATCH))
            if not batch:
                break
            with store.session() as session:
                store_prepared(session, as_of, batch, old)
            for p in batch:
                summary.evaluated += 1
                summary.reused += p.reused
                if p.score is not None:
                    summary.scored += 1
                    summary.bands[p.band or ""] += 1
                summary.statuses.update(p.numeral_statuses)
            if progress is not None:
                progress.update(task, advance=len(batch))
    finally:
        evaluated.close()
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
    """The JSON object of ``vigia audit --json`` (docs/CONTRACTS.md) for one evaluation."""
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
