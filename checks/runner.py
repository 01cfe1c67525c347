"""Read one portal crawl from the store into a frozen snapshot; write its evaluation and findings.

The only part of ``checks`` that touches the database. Rules see the snapshot and ``as_of`` only.

The rules are pure functions of the snapshot and ``as_of``, so a snapshot already judged on the same
``as_of`` by the same rules gets the same findings: each evaluation keeps a key of what it judged
(:func:`snapshot_key`: the rules' fingerprint, ``as_of`` and the snapshot's whole content) and a portal
whose snapshot has a key already in the store has that evaluation's findings copied, not judged again
(an unchanged night: 340 portals' analysis skipped).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import String, Table, delete, insert, select, type_coerce
from sqlalchemy.orm import Session

from checks import RULES_VERSION
from checks.engine import Result, evaluate_snapshot
from checks.model import Block, DocumentSnap, IncidentSnap, Link, Mention, PageSnap, PortalSnapshot
from vigia.store.models import Document, Evaluation, Finding, Incident, Page, PortalCrawl

# the tables behind the models (declarative ``__table__`` is typed as a generic FromClause)
_FINDINGS = cast(Table, Finding.__table__)
_EVALUATIONS = cast(Table, Evaluation.__table__)

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


@lru_cache(maxsize=16384)
def _strings_json(raw: str) -> tuple[str, ...]:
    return _strings(json.loads(raw))


@lru_cache(maxsize=4096)
def _mentions_json(raw: str) -> tuple[Mention, ...]:
    return _mentions(json.loads(raw))


@lru_cache(maxsize=8192)
def _dates_json(raw: str) -> tuple[Any, ...] | None:
    """The dates of a JSON list, or None when an item is mutable (then decoded afresh each time)."""
    value = json.loads(raw)
    if not isinstance(value, list):
        return ()
    if any(isinstance(v, dict | list) for v in value):
        return None
    return tuple(value)


class _Decoder:
    """JSON columns as the ORM would decode them. On SQLite the raw text is read instead and the
    values many rows share (trails, mentions, dates) are decoded once per process."""

    def __init__(self, session: Session) -> None:
        self.raw = session.get_bind().dialect.name == "sqlite"

    def column(self, column: Any) -> Any:
        return type_coerce(column, String).label(column.key) if self.raw else column

    def strings(self, value: Any) -> tuple[str, ...]:
        return _strings_json(value) if self.raw and isinstance(value, str) else _strings(value)

    def mentions(self, value: Any) -> tuple[Mention, ...]:
        return _mentions_json(value) if self.raw and isinstance(value, str) else _mentions(value)

    def dates(self, value: Any) -> tuple[Any, ...]:
        if self.raw and isinstance(value, str):
            found = _dates_json(value)
            if found is not None:
                return found
            value = json.loads(value)
        return tuple(value) if isinstance(value, list) else ()

    def blocks(self, value: Any) -> tuple[Block, ...]:
        return _blocks(json.loads(value) if self.raw and isinstance(value, str) else value)


def build_snapshot(session: Session, portal_crawl: PortalCrawl) -> PortalSnapshot:
    """The frozen view of one portal crawl that the rules evaluate."""
    pc_id = portal_crawl.id
    decode = _Decoder(session)
    connection = session.connection()
    pages_t, documents_t, incidents_t = Page.__table__.c, Document.__table__.c, Incident.__table__.c
    pages = tuple(
        PageSnap(
            url=url,
            final_url=final_url or url,
            status=status or 0,
            title=title or "",
            trail=decode.strings(trail),
            blocks=decode.blocks(blocks),
            text=text or "",
        )
        for url, final_url, status, title, trail, blocks, text in connection.execute(
            select(
                pages_t.url,
                pages_t.final_url,
                pages_t.status,
                pages_t.title,
                decode.column(pages_t.trail),
                decode.column(pages_t.blocks),
                pages_t.text,
            )
            .where(pages_t.portal_crawl_id == pc_id)
            .order_by(pages_t.url)
        ).all()
    )
    documents = tuple(
        DocumentSnap(
            url=url,
            label=label or "",
            page_url=page_url,
            trail=decode.strings(trail),
            mentions=decode.mentions(mentions),
            host=host or "",
            external=bool(external),
            doc_type=doc_type or "other",
            fetched=bool(fetched),
            status=status,
            text=(text or "")[:DOC_TEXT_LIMIT],
            dates=decode.dates(dates),
            is_scanned=is_scanned,
            error=error,
            sha256=sha256,
            final_url=final_url,
        )
        for (
            url,
            label,
            page_url,
            trail,
            mentions,
            host,
            external,
            doc_type,
            fetched,
            status,
            text,
            dates,
            is_scanned,
            error,
            sha256,
            final_url,
        ) in connection.execute(
            select(
                documents_t.url,
                documents_t.label,
                documents_t.page_url,
                decode.column(documents_t.trail),
                decode.column(documents_t.mentions),
                documents_t.host,
                documents_t.external,
                documents_t.doc_type,
                documents_t.fetched,
                documents_t.status,
                documents_t.text,
                decode.column(documents_t.dates),
                documents_t.is_scanned,
                documents_t.error,
                documents_t.sha256,
                documents_t.final_url,
            )
            .where(documents_t.portal_crawl_id == pc_id)
            .order_by(documents_t.url)
        ).all()
    )
    incidents = tuple(
        IncidentSnap(kind=r.kind, url=r.url, message=r.message or "")
        for r in connection.execute(
            select(incidents_t.kind, incidents_t.url, incidents_t.message)
            .where(incidents_t.portal_crawl_id == pc_id)
            .order_by(incidents_t.id)
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
            "confidence": f.confidence,
            "confidence_reasons": list(f.confidence_reasons),
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
    snapshot_key: str | None = None
    #: the findings were copied from an earlier evaluation of the same snapshot (not judged again)
    reused: bool = False


def prepare(portal_crawl_id: int, result: Result, snapshot_key: str | None = None) -> Prepared:
    return Prepared(
        portal_crawl_id=portal_crawl_id,
        score=result.score,
        band=result.band,
        no_score_reason=result.no_score_reason,
        rows=finding_rows(result),
        numeral_statuses=tuple(f.status for f in result.findings if f.numeral is not None),
        snapshot_key=snapshot_key,
    )


@lru_cache(maxsize=1)
def _rules_fingerprint() -> str:
    from checks.fingerprint import rules_fingerprint

    return rules_fingerprint()


def snapshot_key(snapshot: PortalSnapshot, as_of: dt.date) -> str:
    """What decides the findings of ``snapshot`` on ``as_of``: the fingerprint of the rules' code and
    metadata (checks/fingerprint.py: any change to them, even without a new ``RULES_VERSION``, gives new
    keys), ``as_of`` and the snapshot's content (its dataclass ``repr``: every field, by value)."""
    digest = hashlib.sha256()
    digest.update(f"{_rules_fingerprint()}\0{as_of.isoformat()}\0".encode())
    digest.update(repr(snapshot).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


_FINDING_COLUMNS = tuple(c for c in _FINDINGS.c if c.key not in ("id", "evaluation_id"))


def judged_before(session: Session, portal_crawl_id: int, key: str) -> Prepared | None:
    """The findings of the newest evaluation whose snapshot had ``key``, for ``portal_crawl_id``; ``None``
    when there is none (or it has no findings: every evaluation has them, so it is being replaced)."""
    ev = _EVALUATIONS.c
    found = session.execute(
        select(ev.id, ev.score, ev.band, ev.no_score_reason)
        .where(ev.snapshot_key == key)
        .order_by(ev.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    rows = [
        dict(row._mapping)
        for row in session.execute(
            select(*_FINDING_COLUMNS)
            .where(_FINDINGS.c.evaluation_id == found.id)
            .order_by(_FINDINGS.c.position)
        )
    ]
    if not rows:
        return None
    return Prepared(
        portal_crawl_id=portal_crawl_id,
        score=found.score,
        band=found.band,
        no_score_reason=found.no_score_reason,
        rows=rows,
        numeral_statuses=tuple(r["status"] for r in rows if r["numeral"] is not None),
        snapshot_key=key,
        reused=True,
    )


def evaluate_portal(session: Session, portal_crawl_id: int, as_of: dt.date) -> Prepared:
    """Snapshot and evaluate one portal crawl (reads only); a snapshot judged before on the same ``as_of``
    by the same rules gets that evaluation's findings."""
    portal = session.get(PortalCrawl, portal_crawl_id)
    if portal is None:
        raise ValueError(f"no portal crawl {portal_crawl_id}")
    snapshot = build_snapshot(session, portal)
    key = snapshot_key(snapshot, as_of)
    found = judged_before(session, portal_crawl_id, key)
    if found is not None:
        return found
    return prepare(portal_crawl_id, evaluate_snapshot(snapshot, as_of), key)


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
        session.execute(delete(_FINDINGS).where(_FINDINGS.c.evaluation_id.in_(old_ids)))
        session.execute(delete(_EVALUATIONS).where(_EVALUATIONS.c.id.in_(old_ids)))
    evaluations = _EVALUATIONS
    ids: list[int] = []
    rows: list[dict[str, Any]] = []
    for p in batch:
        inserted = session.connection().execute(
            insert(evaluations).values(
                portal_crawl_id=p.portal_crawl_id,
                as_of=as_of,
                rules_version=RULES_VERSION,
                score=p.score,
                band=p.band,
                no_score_reason=p.no_score_reason,
                snapshot_key=p.snapshot_key,
            )
        )
        key = inserted.inserted_primary_key
        if key is None:
            raise RuntimeError("la base de datos no devolvió el id de la evaluación insertada")
        eid = int(key[0])
        ids.append(eid)
        for row in p.rows:
            rows.append({"evaluation_id": eid, **row})
    if rows:
        session.execute(insert(_FINDINGS), rows)
    return ids


def store_result(session: Session, portal_crawl_id: int, as_of: dt.date, result: Result) -> int:
    """Replace the evaluation with the same portal crawl / as_of / rules version; return its id."""
    return store_prepared(session, as_of, [prepare(portal_crawl_id, result)])[0]


def evaluate_in_session(session: Session, portal_crawl: PortalCrawl, as_of: dt.date) -> tuple[int, Result]:
    snapshot = build_snapshot(session, portal_crawl)
    result = evaluate_snapshot(snapshot, as_of)
    return store_result(session, portal_crawl.id, as_of, result), result
