"""Reviews beside the machine's findings, and the effective status the reports use.

Machine findings stay derived data, reproducible from the crawl. A review (confirm or override) is stored
beside them with a fingerprint of the evidence it was made on: the set of evidence URLs with the sha256
of each document (or of the page, for page content). The **effective status** of a finding is the
reviewer's while the finding's evidence has the same fingerprint; when a later night (or a re-crawl)
finds different evidence, the review is marked for re-review and the machine's verdict applies until an
analyst decides again.

The workspace's "current" finding of a municipality is the newest evaluated crawl of its portal (a night
or a re-crawl asked by a reply; never an ad-hoc ``vigia audit``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.confidence import LEVEL_RANK
from checks.model import STATUS_LABELS, STATUSES
from vigia import audit
from vigia.errors import UserError
from vigia.store.models import CrawlRun, Evaluation, Finding, Page, PortalCrawl, Reply, Review, utcnow

#: runs whose findings the workspace never shows (ad-hoc audits of any URL)
NOT_WORKSPACE_KINDS = ("audit",)
RECRAWL_KIND = "recrawl"
DISPUTABLE = tuple(s for s in STATUSES if s != "present")


def rule_code(numeral: int) -> str:
    return f"LAIP-10.{numeral:02d}"


def fingerprint(evidence: Iterable[dict[str, Any]], page_hashes: dict[str, str]) -> str:
    """sha256 over the evidence set: each URL with its document's (or page's) content hash."""
    parts = sorted(
        {
            f"{e.get('url') or ''}\t{e.get('sha256') or page_hashes.get(e.get('url') or '') or ''}"
            for e in evidence
            if isinstance(e, dict)
        }
    )
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def evidence_hashes(evidence: Iterable[dict[str, Any]], page_hashes: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"url": e.get("url"), "sha256": e.get("sha256") or page_hashes.get(e.get("url") or "")}
        for e in evidence
        if isinstance(e, dict)
    ]


def page_hashes(session: Session, portal_crawl_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """url (asked and final) -> sha256 of every page of these portal crawls."""
    out: dict[int, dict[str, str]] = {}
    ids = sorted(set(portal_crawl_ids))
    for start in range(0, len(ids), 500):
        for pc_id, url, final_url, sha in session.execute(
            select(Page.portal_crawl_id, Page.url, Page.final_url, Page.sha256).where(
                Page.portal_crawl_id.in_(ids[start : start + 500]), Page.sha256.is_not(None)
            )
        ):
            hashes = out.setdefault(pc_id, {})
            hashes[url] = sha
            if final_url:
                hashes.setdefault(final_url, sha)
    return out


@dataclass(frozen=True)
class Effective:
    """What the reports show for one finding with a review."""

    status: str
    machine_status: str
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_reason: str | None
    needs_rereview: bool


def resolve(machine_status: str, current_fingerprint: str, review: Review | None) -> Effective:
    if review is None:
        return Effective(machine_status, machine_status, None, None, None, False)
    if review.fingerprint == current_fingerprint:
        return Effective(
            review.status, machine_status, review.reviewer, review.at, review.reason or None, False
        )
    return Effective(machine_status, machine_status, None, None, None, True)


def latest_reviews(session: Session, codes: Iterable[str] | None = None) -> dict[tuple[str, str], Review]:
    query = select(Review).order_by(Review.id)
    wanted = sorted({c for c in codes or () if c})
    if codes is not None:
        if not wanted:
            return {}
        query = query.where(Review.ine_code.in_(wanted))
    return {(r.ine_code, r.rule): r for r in session.scalars(query)}


def latest_replies(session: Session, codes: Iterable[str] | None = None) -> dict[tuple[str, str], Reply]:
    query = select(Reply).order_by(Reply.id)
    if codes is not None:
        wanted = sorted({c for c in codes if c})
        if not wanted:
            return {}
        query = query.where(Reply.ine_code.in_(wanted))
    return {(r.ine_code, r.rule): r for r in session.scalars(query)}


def overlay(
    session: Session, rows: Iterable[tuple[int, int, str | None, str, str]]
) -> dict[tuple[int, str], Effective]:
    """Effective statuses of findings that have a review.

    ``rows``: (portal_crawl_id, evaluation_id, ine_code, rule, machine_status). Returns, for the rows
    with a review, ``(portal_crawl_id, rule) -> Effective``.
    """
    rows = [r for r in rows if r[2]]
    reviews = latest_reviews(session, {r[2] for r in rows if r[2]})
    wanted = [r for r in rows if (r[2], r[3]) in reviews]
    if not wanted:
        return {}
    evidence: dict[tuple[int, str], list[Any]] = {}
    eval_ids = sorted({r[1] for r in wanted})
    for start in range(0, len(eval_ids), 500):
        for eid, rule, ev in session.execute(
            select(Finding.evaluation_id, Finding.rule, Finding.evidence).where(
                Finding.evaluation_id.in_(eval_ids[start : start + 500])
            )
        ):
            evidence[(eid, rule)] = ev if isinstance(ev, list) else []
    hashes = page_hashes(session, (r[0] for r in wanted))
    out: dict[tuple[int, str], Effective] = {}
    for pc_id, eid, code, rule, machine in wanted:
        fp = fingerprint(evidence.get((eid, rule), []), hashes.get(pc_id, {}))
        out[(pc_id, rule)] = resolve(machine, fp, reviews[(code, rule)])  # type: ignore[index]
    return out


# --------------------------------------------------------------------------- the workspace's findings


@dataclass
class FindingView:
    """One current finding of one municipality, with its review, reply and effective status."""

    finding_id: int
    portal_crawl_id: int
    run_id: int
    run_kind: str
    crawled_at: dt.datetime | None
    as_of: dt.date
    ine_code: str
    municipality: str
    department: str
    portal_url: str
    rule: str
    numeral: int | None
    machine_status: str
    reason: str
    period: str | None
    evidence: list[dict[str, Any]]
    confidence: str
    confidence_reasons: list[str]
    fingerprint: str  # "" when not computed (no review of this municipality, whole queue)
    page_hashes: dict[str, str] = field(default_factory=dict)
    review: Review | None = None
    reply: Reply | None = None
    effective: Effective | None = None

    @property
    def status(self) -> str:
        return self.effective.status if self.effective else self.machine_status

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def machine_label(self) -> str:
        return STATUS_LABELS.get(self.machine_status, self.machine_status)

    @property
    def reviewed(self) -> bool:
        return bool(self.effective and self.effective.reviewed_by)

    @property
    def needs_rereview(self) -> bool:
        return bool(self.effective and self.effective.needs_rereview)

    @property
    def disputed(self) -> bool:
        """A municipality answered this finding after its last review."""
        if self.reply is None:
            return False
        return self.review is None or self.reply.at >= self.review.at

    def queue_key(self) -> tuple[int, int, int, str, int]:
        return (
            LEVEL_RANK.get(self.confidence, 2),
            0 if self.needs_rereview else 1,
            0 if self.disputed else 1,
            self.ine_code,
            self.numeral or 99,
        )

    def evidence_hashes(self) -> list[dict[str, Any]]:
        return evidence_hashes(self.evidence, self.page_hashes)


def _current_evaluations(session: Session, codes: Iterable[str] | None) -> dict[str, tuple[Any, ...]]:
    """ine_code -> (portal_crawl_id, evaluation_id, run_id, run_kind, as_of) of its newest evaluated crawl."""
    query = (
        select(
            PortalCrawl.id, PortalCrawl.ine_code, CrawlRun.id, CrawlRun.kind, Evaluation.id, Evaluation.as_of
        )
        .join(CrawlRun, PortalCrawl.run_id == CrawlRun.id)
        .join(Evaluation, Evaluation.portal_crawl_id == PortalCrawl.id)
        .where(CrawlRun.kind.notin_(NOT_WORKSPACE_KINDS), PortalCrawl.ine_code.is_not(None))
    )
    if codes is not None:
        query = query.where(PortalCrawl.ine_code.in_(sorted(set(codes))))
    best: dict[str, tuple[Any, ...]] = {}
    for pc_id, code, run_id, kind, eid, as_of in session.execute(query):
        key = (pc_id, as_of, eid)
        current = best.get(code)
        if current is None or key > (current[0], current[4], current[1]):
            best[code] = (pc_id, eid, run_id, kind, as_of)
    return best


def current_findings(
    session: Session, codes: Iterable[str] | None = None, numerals_only: bool = True
) -> list[FindingView]:
    """The current findings of these municipalities (all when ``codes`` is None)."""
    current = _current_evaluations(session, codes)
    if not current:
        return []
    by_eval = {v[1]: (code, v) for code, v in current.items()}
    crawls = {
        pc.id: pc
        for pc in session.scalars(
            select(PortalCrawl).where(PortalCrawl.id.in_([v[0] for v in current.values()]))
        )
    }
    reviews = latest_reviews(session, current.keys())
    replies = latest_replies(session, current.keys())
    # page hashes (for the fingerprints) of the crawls a review or a decision may need: all of them when
    # the municipalities are named, else those with a review (the whole queue needs no more)
    hashed = set(crawls) if codes is not None else {current[code][0] for code, _rule in reviews}
    hashes = page_hashes(session, hashed)
    out: list[FindingView] = []
    eval_ids = sorted(by_eval)
    for start in range(0, len(eval_ids), 500):
        query = select(Finding).where(Finding.evaluation_id.in_(eval_ids[start : start + 500]))
        if numerals_only:
            query = query.where(Finding.numeral.is_not(None))
        for f in session.scalars(query):
            code, (pc_id, _eid, run_id, kind, as_of) = by_eval[f.evaluation_id]
            pc = crawls[pc_id]
            evidence = [e for e in (f.evidence or []) if isinstance(e, dict)]
            pc_hashes = hashes.get(pc_id, {})
            view = FindingView(
                finding_id=f.id,
                portal_crawl_id=pc_id,
                run_id=run_id,
                run_kind=kind,
                crawled_at=pc.started_at,
                as_of=as_of,
                ine_code=code,
                municipality=pc.municipality or code,
                department=pc.department or "",
                portal_url=pc.portal_url,
                rule=f.rule,
                numeral=f.numeral,
                machine_status=f.status,
                reason=f.reason or "",
                period=f.period,
                evidence=evidence,
                confidence=f.confidence or "",  # "" for findings stored before confidence existed
                confidence_reasons=list(f.confidence_reasons or []),
                fingerprint=fingerprint(evidence, pc_hashes) if pc_id in hashed else "",
                page_hashes=pc_hashes,
                review=reviews.get((code, f.rule)),
                reply=replies.get((code, f.rule)),
            )
            view.effective = resolve(f.status, view.fingerprint, view.review)
            out.append(view)
    out.sort(key=lambda v: (v.ine_code, v.numeral or 99, v.rule))
    return out


def current_finding(session: Session, ine_code: str, numeral: int) -> FindingView:
    code = ine_code.strip().zfill(4)
    for view in current_findings(session, [code]):
        if view.numeral == numeral:
            return view
    raise UserError(f"no hay hallazgo del numeral {numeral} para la municipalidad {code}")


def queue(
    session: Session, *, pending_only: bool = True, codes: Iterable[str] | None = None
) -> list[FindingView]:
    """The analysts' queue: least certain first, then changed since the last review, then disputed.

    ``pending_only`` leaves out findings whose review still holds (unless a reply came after it).
    """
    views = current_findings(session, codes)
    if pending_only:
        views = [v for v in views if not v.reviewed or v.disputed]
    views.sort(key=FindingView.queue_key)
    return views


# --------------------------------------------------------------------------- decisions


def decide(
    session: Session,
    ine_code: str,
    numeral: int,
    *,
    action: str,
    reviewer: str,
    status: str | None = None,
    reason: str = "",
    address: str | None = None,
) -> Review:
    """Confirm the machine's verdict, or override it with ``status``; audited in the same transaction."""
    if action not in ("confirm", "override"):
        raise UserError(f"acción desconocida {action!r}")
    reason = " ".join((reason or "").split())[:2000]
    view = current_finding(session, ine_code, numeral)
    if action == "override":
        if status not in STATUSES:
            raise UserError(f"estado desconocido {status!r}: use {', '.join(STATUSES)}")
        if not reason:
            raise UserError("una corrección necesita un motivo (--reason)")
    else:
        status = view.machine_status
    before = {
        "status": view.status,
        "machine_status": view.machine_status,
        "reviewed_by": view.effective.reviewed_by if view.effective else None,
    }
    hashes = view.evidence_hashes()
    review = Review(
        ine_code=view.ine_code,
        rule=view.rule,
        numeral=view.numeral,
        action=action,
        status=status,  # type: ignore[arg-type]
        machine_status=view.machine_status,
        reason=reason,
        reviewer=reviewer,
        at=utcnow(),
        portal_crawl_id=view.portal_crawl_id,
        fingerprint=view.fingerprint,
        evidence=hashes,
    )
    session.add(review)
    session.flush()
    audit.record(
        session,
        reviewer,
        f"review.{action}",
        ine_code=view.ine_code,
        subject=view.rule,
        before=before,
        after={
            "status": status,
            "machine_status": view.machine_status,
            "reason": reason,
            "review_id": review.id,
        },
        evidence=hashes,
        address=address,
    )
    return review


def flag_rereviews(session: Session, actor: str = audit.SYSTEM, codes: Iterable[str] | None = None) -> int:
    """Mark the reviews whose finding's evidence changed since (audited once each); return how many."""
    reviews = [r for r in latest_reviews(session, codes).values() if r.rereview_since is None]
    if not reviews:
        return 0
    views = {(v.ine_code, v.rule): v for v in current_findings(session, {r.ine_code for r in reviews})}
    flagged = 0
    now = utcnow()
    for r in reviews:
        view = views.get((r.ine_code, r.rule))
        if view is None or view.fingerprint == r.fingerprint:
            continue
        r.rereview_since = now
        flagged += 1
        audit.record(
            session,
            actor,
            "review.rereview",
            ine_code=r.ine_code,
            subject=r.rule,
            before={"status": r.status, "fingerprint": r.fingerprint, "review_id": r.id},
            after={"status": view.machine_status, "fingerprint": view.fingerprint},
            evidence=view.evidence_hashes(),
        )
    return flagged


def view_json(v: FindingView) -> dict[str, Any]:
    """One queue entry for ``vigia review list --json``."""
    eff = v.effective
    return {
        "ine_code": v.ine_code,
        "municipality": v.municipality,
        "rule": v.rule,
        "numeral": v.numeral,
        "status": v.status,
        "machine_status": v.machine_status,
        "confidence": v.confidence,
        "confidence_reasons": v.confidence_reasons,
        "needs_rereview": v.needs_rereview,
        "disputed": v.disputed,
        "reviewed_by": eff.reviewed_by if eff else None,
        "reviewed_at": eff.reviewed_at.isoformat(timespec="seconds") if eff and eff.reviewed_at else None,
        "review_reason": eff.review_reason if eff else None,
        "reason": v.reason,
        "period": v.period,
        "evidence": v.evidence,
        "run_id": v.run_id,
        "run_kind": v.run_kind,
        "as_of": v.as_of.isoformat(),
    }
