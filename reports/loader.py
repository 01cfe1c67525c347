"""Read one run's crawl rows, evaluations and findings from the store into plain, immutable records.

The reports never judge: they show the findings the checks stored. This module is the only place that
queries the store; the view models are built from what it returns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigia.errors import UserError
from vigia.store.db import Store
from vigia.store.models import Blob, CrawlRun, Document, Evaluation, Finding, Incident, PortalCrawl

#: Runs that are not nights: ad-hoc audits of one URL and re-crawls asked by a municipality's reply.
NOT_NIGHT_KINDS = ("audit", "recrawl")
#: How many nights the trend charts look back.
TREND_NIGHTS = 30
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    url: str
    label: str
    period: str | None
    page_url: str | None
    sha256: str | None


@dataclass(frozen=True, slots=True)
class FindingRow:
    rule: str
    numeral: int | None
    status: str
    reason: str
    period: str | None
    evidence: tuple[EvidenceItem, ...]
    position: int
    # the review workspace (docs/review.md): ``status`` above is the effective status
    machine_status: str = ""
    confidence: str | None = None
    reviewed_by: str | None = None
    reviewed_at: dt.datetime | None = None
    review_reason: str | None = None
    needs_rereview: bool = False


@dataclass(frozen=True, slots=True)
class IncidentRow:
    kind: str
    url: str | None
    message: str
    at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class EvaluationRow:
    id: int
    as_of: dt.date
    rules_version: str
    score: float | None
    band: str | None
    no_score_reason: str | None


@dataclass(frozen=True, slots=True)
class PortalRow:
    crawl_id: int
    portal_key: str
    ine_code: str | None
    municipality: str
    department: str
    portal_url: str
    platform_declared: str
    platform_observed: str | None
    rendered_with_browser: bool
    transparency_url: str | None
    outcome: str | None
    outcome_reason: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    pages: int
    documents: int
    requests: int
    bytes_received: int
    not_modified: int
    evaluation: EvaluationRow | None
    findings: tuple[FindingRow, ...]
    incidents: tuple[IncidentRow, ...]

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return max(0.0, (self.finished_at - self.started_at).total_seconds())
        return None


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    kind: str
    status: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    vigia_version: str
    note: str | None


@dataclass(frozen=True, slots=True)
class RunData:
    run: RunInfo
    portals: tuple[PortalRow, ...]


@dataclass(frozen=True, slots=True)
class NightPoint:
    """One portal on one night, for trends and per-portal history."""

    run_id: int
    night: dt.date | None
    portal_key: str
    outcome: str | None
    score: float | None
    band: str | None


@dataclass(frozen=True, slots=True)
class BlobInfo:
    sha256: str
    content_type: str | None
    doc_type: str | None


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    return "" if value is None else str(value)


def _evidence(raw: Any) -> tuple[EvidenceItem, ...]:
    """Evidence JSON as stored; malformed entries are skipped, never fatal."""
    if not isinstance(raw, list):
        return ()
    items: list[EvidenceItem] = []
    text = _text
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        get = entry.get
        sha = get("sha256")
        items.append(
            EvidenceItem(
                url=text(get("url")).strip(),
                label=text(get("label")).strip(),
                period=text(get("period")).strip() or None,
                page_url=text(get("page_url")).strip() or None,
                sha256=sha if isinstance(sha, str) and len(sha) == 64 and sha.isalnum() else None,
            )
        )
    return tuple(items)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def _runs_with_evaluations(session: Session, below: int | None = None) -> list[tuple[int, str]]:
    query = (
        select(CrawlRun.id, CrawlRun.kind)
        .join(PortalCrawl, PortalCrawl.run_id == CrawlRun.id)
        .join(Evaluation, Evaluation.portal_crawl_id == PortalCrawl.id)
        .group_by(CrawlRun.id, CrawlRun.kind)
        .order_by(CrawlRun.id.desc())
    )
    if below is not None:
        query = query.where(CrawlRun.id < below)
    return [(r[0], r[1]) for r in session.execute(query)]


def resolve_run_id(store: Store, run_id: int | None) -> int:
    """The run to report: ``run_id`` itself, or the newest run (not an audit) that has evaluations."""
    with store.session() as session:
        if run_id is not None:
            if session.get(CrawlRun, run_id) is None:
                raise UserError(f"no existe la corrida {run_id} en la base de datos")
            has = session.scalar(
                select(func.count(Evaluation.id))
                .join(PortalCrawl, Evaluation.portal_crawl_id == PortalCrawl.id)
                .where(PortalCrawl.run_id == run_id)
            )
            if not has:
                raise UserError(
                    f"la corrida {run_id} no tiene evaluaciones: ejecute primero vigia check --run {run_id}"
                )
            return run_id
        runs = _runs_with_evaluations(session)
    if not runs:
        raise UserError("no hay evaluaciones en la base de datos: ejecute primero vigia crawl y vigia check")
    nightly = [rid for rid, kind in runs if kind not in NOT_NIGHT_KINDS]
    return nightly[0] if nightly else runs[0][0]


def previous_run_id(store: Store, run_id: int) -> int | None:
    """The newest earlier run (not an audit) with evaluations: "the previous night"."""
    with store.session() as session:
        runs = _runs_with_evaluations(session, below=run_id)
    return next((rid for rid, kind in runs if kind not in NOT_NIGHT_KINDS), None)


def _pick_evaluations(rows: Iterable[tuple[int, int, dt.date]], as_of: dt.date) -> dict[int, int]:
    """For each portal crawl, the evaluation at ``as_of`` if there is one, else its newest (as_of, id)."""
    best: dict[int, tuple[tuple[int, dt.date, int], int]] = {}
    for crawl_id, eval_id, eval_as_of in rows:
        key = (1 if eval_as_of == as_of else 0, eval_as_of, eval_id)
        current = best.get(crawl_id)
        if current is None or key > current[0]:
            best[crawl_id] = (key, eval_id)
    return {crawl_id: v[1] for crawl_id, v in best.items()}


def load_run(store: Store, run_id: int, as_of: dt.date, with_details: bool = True) -> RunData:
    """Everything the reports show about one run. ``with_details=False`` skips evidence and incidents."""
    with store.session() as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise UserError(f"no existe la corrida {run_id} en la base de datos")
        info = RunInfo(
            id=run.id,
            kind=run.kind,
            status=run.status,
            started_at=run.started_at,
            finished_at=run.finished_at,
            vigia_version=run.vigia_version or "",
            note=run.note,
        )
        crawls = list(
            session.scalars(select(PortalCrawl).where(PortalCrawl.run_id == run_id).order_by(PortalCrawl.id))
        )
        crawl_ids = [c.id for c in crawls]
        eval_rows: list[tuple[int, int, dt.date]] = []
        for chunk in _chunks(crawl_ids):
            eval_rows.extend(
                (r[0], r[1], r[2])
                for r in session.execute(
                    select(Evaluation.portal_crawl_id, Evaluation.id, Evaluation.as_of).where(
                        Evaluation.portal_crawl_id.in_(chunk)
                    )
                )
            )
        chosen = _pick_evaluations(eval_rows, as_of)
        evaluations: dict[int, EvaluationRow] = {}
        findings: dict[int, list[FindingRow]] = defaultdict(list)
        eval_ids = sorted(chosen.values())
        for chunk in _chunks(eval_ids):
            for ev in session.scalars(select(Evaluation).where(Evaluation.id.in_(chunk))):
                evaluations[ev.id] = EvaluationRow(
                    id=ev.id,
                    as_of=ev.as_of,
                    rules_version=ev.rules_version,
                    score=ev.score,
                    band=ev.band,
                    no_score_reason=ev.no_score_reason,
                )
            columns = (
                Finding.evaluation_id,
                Finding.rule,
                Finding.numeral,
                Finding.status,
                Finding.reason,
                Finding.period,
                Finding.position,
                Finding.confidence,
            )
            query = select(*columns, Finding.evidence) if with_details else select(*columns)
            for r in session.execute(query.where(Finding.evaluation_id.in_(chunk))):
                findings[r[0]].append(
                    FindingRow(
                        rule=r[1],
                        numeral=r[2],
                        status=r[3],
                        reason=r[4] or "",
                        period=r[5],
                        evidence=_evidence(r[8]) if with_details else (),
                        position=r[6] or 0,
                        machine_status=r[3],
                        confidence=r[7],
                    )
                )
        _apply_reviews(session, crawls, chosen, findings, evaluations)
        incidents: dict[int, list[IncidentRow]] = defaultdict(list)
        if with_details:
            for chunk in _chunks(crawl_ids):
                for inc in session.scalars(
                    select(Incident).where(Incident.portal_crawl_id.in_(chunk)).order_by(Incident.id)
                ):
                    incidents[inc.portal_crawl_id].append(
                        IncidentRow(kind=inc.kind, url=inc.url, message=inc.message or "", at=inc.at)
                    )
        portals: list[PortalRow] = []
        for c in crawls:
            eval_id = chosen.get(c.id)
            portal_findings = sorted(
                findings.get(eval_id, []) if eval_id else [],
                key=lambda f: (f.numeral is None, f.numeral or 0, f.position, f.rule),
            )
            portals.append(
                PortalRow(
                    crawl_id=c.id,
                    portal_key=c.portal_key,
                    ine_code=c.ine_code,
                    municipality=c.municipality or c.portal_key,
                    department=c.department or "",
                    portal_url=c.portal_url,
                    platform_declared=c.platform_declared or "unknown",
                    platform_observed=c.platform_observed,
                    rendered_with_browser=bool(c.rendered_with_browser),
                    transparency_url=c.transparency_url,
                    outcome=c.outcome,
                    outcome_reason=c.outcome_reason,
                    started_at=c.started_at,
                    finished_at=c.finished_at,
                    pages=c.pages_count or 0,
                    documents=c.documents_count or 0,
                    requests=c.requests_count or 0,
                    bytes_received=c.bytes_received or 0,
                    not_modified=c.not_modified_count or 0,
                    evaluation=evaluations.get(eval_id) if eval_id else None,
                    findings=tuple(portal_findings),
                    incidents=tuple(incidents.get(c.id, [])),
                )
            )
    return RunData(run=info, portals=tuple(portals))


def _apply_reviews(
    session: Session,
    crawls: list[PortalCrawl],
    chosen: dict[int, int],
    findings: dict[int, list[FindingRow]],
    evaluations: dict[int, EvaluationRow],
) -> None:
    """Replace machine statuses by the reviewers' where a review holds (vigia/review.py), in place, and
    score those portals again from their effective statuses."""
    from checks.engine import band_for, score_findings
    from vigia.review import overlay

    rows = [
        (c.id, chosen[c.id], c.ine_code, f.rule, f.status)
        for c in crawls
        if c.id in chosen
        for f in findings.get(chosen[c.id], ())
    ]
    effective = overlay(session, rows)
    if not effective:
        return
    for c in crawls:
        eval_id = chosen.get(c.id)
        if eval_id is None:
            continue
        changed = False
        updated: list[FindingRow] = []
        for f in findings.get(eval_id, ()):
            eff = effective.get((c.id, f.rule))
            if eff is not None:
                changed = changed or eff.status != f.status
                f = replace(
                    f,
                    status=eff.status,
                    reviewed_by=eff.reviewed_by,
                    reviewed_at=eff.reviewed_at,
                    review_reason=eff.review_reason,
                    needs_rereview=eff.needs_rereview,
                )
            updated.append(f)
        findings[eval_id] = updated
        ev = evaluations.get(eval_id)
        if changed and ev is not None and ev.score is not None:
            score = score_findings(tuple(updated))  # type: ignore[arg-type]
            if score is not None:
                evaluations[eval_id] = replace(ev, score=score, band=band_for(score))


def load_history(store: Store, up_to_run: int, as_of: dt.date) -> list[NightPoint]:
    """Score and outcome of every portal on each of the last nights up to ``up_to_run`` (inclusive)."""
    with store.session() as session:
        run_rows = list(
            session.execute(
                select(CrawlRun.id, CrawlRun.started_at)
                .join(PortalCrawl, PortalCrawl.run_id == CrawlRun.id)
                .join(Evaluation, Evaluation.portal_crawl_id == PortalCrawl.id)
                .where(CrawlRun.id <= up_to_run, CrawlRun.kind.notin_(NOT_NIGHT_KINDS))
                .group_by(CrawlRun.id, CrawlRun.started_at)
                .order_by(CrawlRun.id.desc())
                .limit(TREND_NIGHTS)
            )
        )
        run_ids = [r[0] for r in run_rows]
        nights = {r[0]: (r[1].date() if r[1] else None) for r in run_rows}
        if not run_ids:
            return []
        rows = list(
            session.execute(
                select(
                    PortalCrawl.id,
                    PortalCrawl.run_id,
                    PortalCrawl.portal_key,
                    PortalCrawl.outcome,
                    Evaluation.id,
                    Evaluation.as_of,
                    Evaluation.score,
                    Evaluation.band,
                )
                .join(Evaluation, Evaluation.portal_crawl_id == PortalCrawl.id)
                .where(PortalCrawl.run_id.in_(run_ids))
            )
        )
    chosen = _pick_evaluations(((r[0], r[4], r[5]) for r in rows), as_of)
    points = [
        NightPoint(run_id=r[1], night=nights.get(r[1]), portal_key=r[2], outcome=r[3], score=r[6], band=r[7])
        for r in rows
        if chosen.get(r[0]) == r[4]
    ]
    points.sort(key=lambda p: (p.run_id, p.portal_key))
    return points


def load_blob_info(store: Store, run_id: int, digests: Sequence[str]) -> dict[str, BlobInfo]:
    """Content type (from the blob index, else from the run's documents) and document type (from the
    run's documents) per digest.

    One query reads the run's documents with their blob rows; only digests no document of the run
    has (pages) are looked up in the blob index, in chunks.
    """
    wanted = sorted(set(digests))
    wanted_set = set(wanted)
    content_types: dict[str, str | None] = {}
    doc_types: dict[str, str | None] = {}
    with store.session() as session:
        for sha, dtype, doc_ctype, blob_ctype in session.execute(
            select(Document.sha256, Document.doc_type, Document.content_type, Blob.content_type)
            .join(PortalCrawl, Document.portal_crawl_id == PortalCrawl.id)
            .outerjoin(Blob, Blob.sha256 == Document.sha256)
            .where(PortalCrawl.run_id == run_id, Document.sha256.is_not(None))
            .order_by(Document.id)
        ):
            if sha not in wanted_set:
                continue
            if sha not in doc_types:
                content_types[sha] = blob_ctype
            doc_types[sha] = dtype
            if not content_types.get(sha):
                content_types[sha] = doc_ctype
        missing = [sha for sha in wanted if sha not in doc_types]
        for chunk in _chunks(missing):
            for sha, ctype in session.execute(
                select(Blob.sha256, Blob.content_type).where(Blob.sha256.in_(chunk))
            ):
                content_types[sha] = ctype
    return {
        sha: BlobInfo(sha256=sha, content_type=content_types.get(sha), doc_type=doc_types.get(sha))
        for sha in wanted
    }
