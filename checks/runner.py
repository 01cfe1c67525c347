"""Read one portal crawl from the store into a frozen snapshot; write its evaluation and findings.

The only part of ``checks`` that touches the database. Rules see the snapshot and ``as_of`` only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from checks import RULES_VERSION
from checks.engine import Result, evaluate_snapshot
from checks.model import Block, DocumentSnap, IncidentSnap, Link, Mention, PageSnap, PortalSnapshot
from vigia.store.models import Document, Evaluation, Finding, Incident, Page, PortalCrawl

DOC_TEXT_LIMIT = 4000  # the rules read the first lines of a document (title area, periods, NOG)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(v) for v in value if isinstance(v, str | int | float) and str(v).strip())


def _blocks(value: Any) -> tuple[Block, ...]:
    out = []
    for b in value if isinstance(value, list) else ():
        if not isinstance(b, dict):
            continue
        links = []
        for li in b.get("links") or ():
            if isinstance(li, dict) and isinstance(li.get("url"), str):
                links.append(Link(url=li["url"], label=str(li.get("label") or "")))
        out.append(
            Block(headings=_strings(b.get("headings")), text=str(b.get("text") or ""), links=tuple(links))
        )
    return tuple(out)


def _mentions(value: Any) -> tuple[Mention, ...]:
    out = []
    for m in value if isinstance(value, list) else ():
        if isinstance(m, dict):
            out.append(
                Mention(
                    page_url=str(m.get("page_url") or ""),
                    label=str(m.get("label") or ""),
                    trail=_strings(m.get("trail")),
                )
            )
    return tuple(out)


def build_snapshot(session: Session, portal_crawl: PortalCrawl) -> PortalSnapshot:
    """The frozen view of one portal crawl that the rules evaluate."""
    pc_id = portal_crawl.id
    pages = tuple(
        PageSnap(
            url=r.url,
            final_url=r.final_url or r.url,
            status=r.status or 0,
            title=r.title or "",
            trail=_strings(r.trail),
            blocks=_blocks(r.blocks),
            text=r.text or "",
        )
        for r in session.execute(
            select(Page.url, Page.final_url, Page.status, Page.title, Page.trail, Page.blocks, Page.text)
            .where(Page.portal_crawl_id == pc_id)
            .order_by(Page.url)
        )
    )
    documents = tuple(
        DocumentSnap(
            url=r.url,
            label=r.label or "",
            page_url=r.page_url,
            trail=_strings(r.trail),
            mentions=_mentions(r.mentions),
            host=r.host or "",
            external=bool(r.external),
            doc_type=r.doc_type or "other",
            fetched=bool(r.fetched),
            status=r.status,
            text=(r.text or "")[:DOC_TEXT_LIMIT],
            dates=tuple(r.dates) if isinstance(r.dates, list) else (),
            is_scanned=r.is_scanned,
            error=r.error,
            sha256=r.sha256,
            final_url=r.final_url,
        )
        for r in session.execute(
            select(
                Document.url,
                Document.label,
                Document.page_url,
                Document.trail,
                Document.mentions,
                Document.host,
                Document.external,
                Document.doc_type,
                Document.fetched,
                Document.status,
                Document.text,
                Document.dates,
                Document.is_scanned,
                Document.error,
                Document.sha256,
                Document.final_url,
            )
            .where(Document.portal_crawl_id == pc_id)
            .order_by(Document.url)
        )
    )
    incidents = tuple(
        IncidentSnap(kind=r.kind, url=r.url, message=r.message or "")
        for r in session.execute(
            select(Incident.kind, Incident.url, Incident.message)
            .where(Incident.portal_crawl_id == pc_id)
            .order_by(Incident.id)
        )
    )
    return PortalSnapshot(
        portal_url=portal_crawl.portal_url,
        outcome=portal_crawl.outcome,
        outcome_reason=portal_crawl.outcome_reason,
        pages_count=max(portal_crawl.pages_count or 0, len(pages)),
        documents_count=max(portal_crawl.documents_count or 0, len(documents)),
        pages=pages,
        documents=documents,
        incidents=incidents,
        transparency_url=portal_crawl.transparency_url,
        ine_code=portal_crawl.ine_code,
    )


def finding_rows(result: Result) -> list[dict[str, Any]]:
    """The ``findings`` rows of one result, in rule order (``evaluation_id`` is added when stored)."""
    return [
        {
            "position": position,
            "rule": f.rule,
            "numeral": f.numeral,
            "status": f.status,
            "reason": f.reason,
            "period": f.period,
            "evidence": [e.as_dict() for e in f.evidence],
            "details": dict(f.details),
        }
        for position, f in enumerate(result.findings)
    ]


@dataclass(frozen=True)
class Prepared:
    """One portal crawl evaluated and ready to store (what a worker process hands back)."""

    portal_crawl_id: int
    score: float | None
    band: str | None
    no_score_reason: str | None
    rows: list[dict[str, Any]]
    numeral_statuses: tuple[str, ...]


def prepare(portal_crawl_id: int, result: Result) -> Prepared:
    return Prepared(
        portal_crawl_id=portal_crawl_id,
        score=result.score,
        band=result.band,
        no_score_reason=result.no_score_reason,
        rows=finding_rows(result),
        numeral_statuses=tuple(f.status for f in result.findings if f.numeral is not None),
    )


def evaluate_portal(session: Session, portal_crawl_id: int, as_of: dt.date) -> Prepared:
    """Snapshot and evaluate one portal crawl (reads only)."""
    portal = session.get(PortalCrawl, portal_crawl_id)
    if portal is None:
        raise ValueError(f"no portal crawl {portal_crawl_id}")
    return prepare(portal_crawl_id, evaluate_snapshot(build_snapshot(session, portal), as_of))


def existing_evaluations(
    session: Session, portal_crawl_ids: list[int], as_of: dt.date
) -> dict[int, list[int]]:
    """Evaluation ids with the same as_of and rules version, by portal crawl (to be replaced)."""
    out: dict[int, list[int]] = {}
    for chunk_start in range(0, len(portal_crawl_ids), 500):
        chunk = portal_crawl_ids[chunk_start : chunk_start + 500]
        for eid, pc_id in session.execute(
            select(Evaluation.id, Evaluation.portal_crawl_id)
            .where(
                Evaluation.portal_crawl_id.in_(chunk),
                Evaluation.as_of == as_of,
                Evaluation.rules_version == RULES_VERSION,
            )
            .order_by(Evaluation.id)
        ):
            out.setdefault(pc_id, []).append(eid)
    return out


def store_prepared(
    session: Session, as_of: dt.date, batch: list[Prepared], old: dict[int, list[int]] | None = None
) -> list[int]:
    """Replace the evaluations of a batch of portal crawls (same as_of / rules version); return their ids.

    ``old`` maps portal crawl id to the evaluation ids to replace; when None they are looked up.
    """
    pc_ids = [p.portal_crawl_id for p in batch]
    if old is None:
        old = existing_evaluations(session, pc_ids, as_of)
    old_ids = [eid for pc_id in pc_ids for eid in old.get(pc_id, ())]
    if old_ids:
        session.execute(delete(Finding.__table__).where(Finding.__table__.c.evaluation_id.in_(old_ids)))
        session.execute(delete(Evaluation.__table__).where(Evaluation.__table__.c.id.in_(old_ids)))
    evaluations = Evaluation.__table__
    ids: list[int] = []
    rows: list[dict[str, Any]] = []
    for p in batch:
        inserted = session.execute(
            insert(evaluations).values(
                portal_crawl_id=p.portal_crawl_id,
                as_of=as_of,
                rules_version=RULES_VERSION,
                score=p.score,
                band=p.band,
                no_score_reason=p.no_score_reason,
            )
        )
        eid = inserted.inserted_primary_key[0]
        ids.append(eid)
        for row in p.rows:
            rows.append({"evaluation_id": eid, **row})
    if rows:
        session.execute(insert(Finding.__table__), rows)
    return ids


def store_result(session: Session, portal_crawl_id: int, as_of: dt.date, result: Result) -> int:
    """Replace the evaluation with the same portal crawl / as_of / rules version; return its id."""
    return store_prepared(session, as_of, [prepare(portal_crawl_id, result)])[0]


def evaluate_in_session(session: Session, portal_crawl: PortalCrawl, as_of: dt.date) -> tuple[int, Result]:
    snapshot = build_snapshot(session, portal_crawl)
    result = evaluate_snapshot(snapshot, as_of)
    return store_result(session, portal_crawl.id, as_of, result), result
