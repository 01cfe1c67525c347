"""What each message says: view models built from stored findings, rendered by Jinja2 templates into an
HTML part (autoescape on) and a plain-text part (its own template), packed as a MIME message.

Nothing here reads the clock: the night, the run and the previous message's state are inputs, so the same
inputs give the same message (golden files in ``tests/golden/notify``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from reports import fmt, views
from reports.facts import FAILED_OUTCOMES, NO_SCORE, STATUS_LABELS, STATUSES
from reports.loader import EvaluationRow, FindingRow, PortalRow, RunData
from vigia.registry import Municipality

KIND_MUNICIPALITY = "municipio"
KIND_DIGEST = "resumen"
#: How many nights in a row a portal must be down to be listed in the digest (``--down-nights``).
DEFAULT_DOWN_NIGHTS = 3


def environment() -> Environment:
    """Autoescape for every HTML template; the plain-text templates (``*.txt.j2``) are not HTML."""
    return Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=lambda name: not (name or "").endswith(".txt.j2"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


# --------------------------------------------------------------------------- state of a message


def portal_state(portal: PortalRow) -> dict[str, Any]:
    """What a municipality's message reported, kept in the outbox: the next message compares with it."""
    ev = portal.evaluation
    return {
        "run_id": None,  # filled by the caller
        "outcome": portal.outcome,
        "outcome_reason": portal.outcome_reason,
        "score": ev.score if ev else None,
        "band": ev.band if ev else None,
        "as_of": ev.as_of.isoformat() if ev else None,
        "statuses": {f.rule: [f.numeral, f.status] for f in portal.findings},
    }


def portal_from_state(state: Mapping[str, Any], current: PortalRow) -> PortalRow:
    """The portal as a previous message reported it (a :class:`PortalRow` for :func:`views.portal_changes`)."""
    statuses = state.get("statuses") or {}
    findings = tuple(
        FindingRow(
            rule=rule, numeral=value[0], status=value[1], reason="", period=None, evidence=(), position=0
        )
        for rule, value in sorted(statuses.items())
        if isinstance(value, list) and len(value) == 2
    )
    as_of = state.get("as_of")
    evaluation = EvaluationRow(
        id=0,
        as_of=dt.date.fromisoformat(as_of) if as_of else dt.date.min,
        rules_version="",
        score=state.get("score"),
        band=state.get("band"),
        no_score_reason=None,
    )
    return replace(
        current,
        outcome=state.get("outcome"),
        outcome_reason=state.get("outcome_reason"),
        evaluation=evaluation,
        findings=findings,
        incidents=(),
    )


# --------------------------------------------------------------------------- municipality message


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One numeral in a message: what it is, its status (and before), why, and what to do."""

    code: str
    numeral: str
    title: str
    before: str
    after: str
    after_status: str
    reason: str
    action: str
    href: str


@dataclass(frozen=True, slots=True)
class MunicipalityMessage:
    recipient: str
    ine_code: str
    municipality: str
    department: str
    night: str
    first: bool
    previous_night: str
    portal_text: str
    outcome: str
    outcome_reason: str
    is_down: bool
    score: str
    band: str
    no_score_reason: str
    went_down: str
    came_back: str
    band_change: str
    score_change: str
    regressed: tuple[ItemLine, ...]
    improved: tuple[ItemLine, ...]
    other: tuple[ItemLine, ...]
    todo: tuple[ItemLine, ...]
    counts: tuple[views.StatusCount, ...]
    checklist_href: str
    pdf_href: str
    site_href: str
    unsubscribe: str

    @property
    def subject(self) -> str:
        place = f"{self.municipality} ({self.department})"
        if self.first:
            return f"Vigía: lista de verificación del portal de transparencia de {place}, {self.night}"
        return f"Vigía: cambios en el portal de transparencia de {place}, {self.night}"


def _line(row: views.RuleRowView, before: str, checklist: str) -> ItemLine:
    return ItemLine(
        code=row.code,
        numeral=row.numeral,
        title=row.title,
        before=before,
        after=row.status_label,
        after_status=row.status,
        reason=row.reason,
        action=row.action,
        href=f"{checklist}#{row.anchor}",
    )


def municipality_message(
    run: RunData,
    portal: PortalRow,
    municipality: Municipality,
    recipient: str,
    previous_state: Mapping[str, Any] | None,
    previous_night: dt.date | None,
    night: dt.date,
    site_url: str,
    unsubscribe: str,
    pdf: bool = True,
) -> MunicipalityMessage | None:
    """The message for one municipality, or ``None`` when nothing changed since ``previous_state``.

    Without a previous message the municipality gets its first one: the current checklist in short.
    """
    ctx = views.ReportContext(
        data=RunData(run=run.run, portals=(portal,)),
        previous=None,
        history=[],
        registry=[municipality],
        as_of=night,
        pdf=True,
        archived={},
    )
    checklist = views.checklist_view(ctx, portal)
    checklist_href = site_url + checklist.file_name
    rows = {r.code: r for r in checklist.numerals}
    changes = None
    if previous_state is not None:
        changes = views.portal_changes(portal_from_state(previous_state, portal), portal, checklist_href)
        if changes.empty:
            return None

    def lines(items: Sequence[views.ItemChangeView]) -> tuple[ItemLine, ...]:
        return tuple(_line(rows[i.rule], i.before, checklist_href) for i in items if i.rule in rows)

    is_down = portal.outcome in FAILED_OUTCOMES
    went_down = came_back = band_change = score_change = ""
    regressed = improved = other = ()
    if changes is not None:
        if changes.went_down:
            went_down = f"{changes.went_down.before} → {changes.went_down.after}"
        if changes.came_back:
            came_back = f"{changes.came_back.before} → {changes.came_back.after}"
        if changes.band_change:
            band_change = f"{changes.band_change.before} → {changes.band_change.after}"
        if changes.score_changed and not (changes.went_down or changes.came_back):
            score_change = f"{fmt.score(changes.score_before)} → {fmt.score(changes.score_after)}"
        regressed, improved = lines(changes.regressed), lines(changes.improved)
        # a portal that went down (or came back) moves every numeral to (or from) No verificable: the
        # outcome says it once
        other = () if (changes.went_down or changes.came_back) else lines(changes.other)
    todo = tuple(_line(r, "", checklist_href) for r in checklist.todo)
    return MunicipalityMessage(
        recipient=recipient,
        ine_code=checklist.ine_code,
        municipality=fmt.clean_text(portal.municipality, 120),
        department=fmt.clean_text(portal.department, 60),
        night=fmt.date_es(night),
        first=previous_state is None,
        previous_night=fmt.date_es(previous_night),
        portal_text=checklist.portal_text,
        outcome=checklist.outcome,
        outcome_reason=checklist.outcome_reason,
        is_down=is_down,
        score=checklist.score,
        band=checklist.band,
        no_score_reason=checklist.no_score_reason if checklist.band == NO_SCORE else "",
        went_down=went_down,
        came_back=came_back,
        band_change=band_change,
        score_change=score_change,
        regressed=regressed,
        improved=improved,
        other=other,
        todo=todo,
        counts=checklist.counts,
        checklist_href=checklist_href,
        pdf_href=checklist_href.removesuffix(".html") + ".pdf" if pdf else "",
        site_href=site_url + "index.html",
        unsubscribe=unsubscribe,
    )


# --------------------------------------------------------------------------- monitors' digest


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class DownRow:
    municipality: str
    department: str
    nights: int
    reason: str
    href: str


@dataclass(frozen=True, slots=True)
class ChangeRow:
    municipality: str
    department: str
    rule: str
    item: str
    before: str
    after: str
    href: str


@dataclass(frozen=True, slots=True)
class PortalLine:
    municipality: str
    department: str
    before: str
    after: str
    detail: str
    href: str


@dataclass(frozen=True, slots=True)
class WaitingLine:
    """One piece of review work waiting (from the review workspace, when it exists)."""

    what: str
    count: int
    href: str


@dataclass(frozen=True, slots=True)
class Digest:
    recipient: str
    night: str
    run_label: str
    departments: str  # "" = the whole country
    portals: int
    scored: int
    outcomes: tuple[OutcomeCount, ...]
    pages: str
    documents: str
    incidents: str
    statuses: tuple[views.StatusCount, ...]
    has_previous: bool
    previous_label: str
    down_nights: int
    down: tuple[DownRow, ...]
    went_down: tuple[PortalLine, ...]
    came_back: tuple[PortalLine, ...]
    regressions: tuple[ChangeRow, ...]
    newly_compliant: tuple[ChangeRow, ...]
    review_available: bool
    waiting: tuple[WaitingLine, ...]
    nightly_href: str
    site_href: str
    unsubscribe: str

    @property
    def subject(self) -> str:
        scope = f" ({self.departments})" if self.departments else ""
        return (
            f"Vigía: resumen nocturno del {self.night}{scope}: {self.portals} portales, "
            f"{len(self.went_down)} caídos, {len(self.regressions)} retrocesos, "
            f"{len(self.newly_compliant)} nuevos cumplimientos"
        )


def down_streaks(history: Sequence[Any], run_id: int) -> dict[str, int]:
    """Nights in a row each portal has been down (failed outcome), counting back from ``run_id``."""
    by_portal: dict[str, list[Any]] = {}
    for point in history:
        if point.run_id <= run_id:
            by_portal.setdefault(point.portal_key, []).append(point)
    streaks: dict[str, int] = {}
    for key, points in by_portal.items():
        points.sort(key=lambda p: p.run_id, reverse=True)
        if points[0].run_id != run_id:
            continue
        n = 0
        for p in points:
            if p.outcome not in FAILED_OUTCOMES:
                break
            n += 1
        streaks[key] = n
    return streaks


def digest(
    ctx: views.ReportContext,
    changes: views.ChangesView,
    streaks: Mapping[str, int],
    incidents: Mapping[int, int],
    recipient: str,
    departments: Sequence[str],
    down_nights: int,
    night: dt.date,
    site_url: str,
    waiting: Sequence[WaitingLine] | None,
    unsubscribe: str,
) -> Digest:
    """The nightly digest for one monitor (``departments`` narrows it; empty = the whole country)."""
    wanted = {d.casefold() for d in departments}

    def keep(department: str) -> bool:
        return not wanted or department.casefold() in wanted

    portals = [p for p in ctx.data.portals if keep(p.department)]
    outcomes = Counter(p.outcome for p in portals)
    statuses = Counter(f.status for p in portals for f in p.findings if f.numeral is not None)
    down = sorted(
        (
            DownRow(
                municipality=fmt.clean_text(p.municipality, 120),
                department=p.department,
                nights=streaks.get(p.portal_key, 0),
                reason=fmt.clean_text(p.outcome_reason, 200),
                href=ctx.href(p, site_url),
            )
            for p in portals
            if streaks.get(p.portal_key, 0) >= down_nights
        ),
        key=lambda r: (-r.nights, r.department, r.municipality.casefold()),
    )

    department_of = {ctx.href(p, site_url): p.department for p in portals}

    def change_rows(
        items: Sequence[views.ItemChangeView], only_present: bool = False
    ) -> tuple[ChangeRow, ...]:
        rows = []
        for i in items:
            department = department_of.get((i.href or "").split("#")[0])
            if department is None or (only_present and i.after_status != "present"):
                continue
            rows.append(
                ChangeRow(
                    fmt.clean_text(i.municipality, 120),
                    department,
                    i.rule,
                    i.item,
                    i.before,
                    i.after,
                    i.href or "",
                )
            )
        return tuple(rows)

    def portal_lines(items: Sequence[views.PortalChangeView]) -> tuple[PortalLine, ...]:
        return tuple(
            PortalLine(
                fmt.clean_text(i.municipality, 120), i.department, i.before, i.after, i.detail, i.href or ""
            )
            for i in items
            if keep(i.department)
        )

    return Digest(
        recipient=recipient,
        night=fmt.date_es(night),
        run_label=ctx.run_label,
        departments=", ".join(sorted({d for d in departments})),
        portals=len(portals),
        scored=sum(1 for p in portals if p.evaluation and p.evaluation.score is not None),
        outcomes=tuple(
            OutcomeCount(views.outcome_label(o), outcomes[o])
            for o in ("complete", "partial", "unreachable", "blocked", "disallowed", None)
            if outcomes.get(o)
        ),
        pages=fmt.integer(sum(p.pages for p in portals)),
        documents=fmt.integer(sum(p.documents for p in portals)),
        incidents=fmt.integer(sum(incidents.get(p.crawl_id, 0) for p in portals)),
        statuses=tuple(views.StatusCount(s, STATUS_LABELS[s], statuses.get(s, 0)) for s in STATUSES),
        has_previous=changes.has_previous,
        previous_label=changes.previous_label,
        down_nights=down_nights,
        down=tuple(down),
        went_down=portal_lines(changes.went_down),
        came_back=portal_lines(changes.came_back),
        regressions=change_rows(changes.regressed),
        newly_compliant=change_rows(changes.improved, only_present=True),
        review_available=waiting is not None,
        waiting=tuple(waiting or ()),
        nightly_href=site_url + "nocturno.html",
        site_href=site_url + "index.html",
        unsubscribe=unsubscribe,
    )


# --------------------------------------------------------------------------- MIME


def message_id(key: str, sender: str) -> str:
    """A Message-ID derived from the idempotency key: a resent copy carries the same one."""
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "vigia.invalid"
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


def render(env: Environment, template: str, view: Any) -> tuple[str, str]:
    """(plain text, HTML) of one message from ``mail/<template>.txt.j2`` and ``mail/<template>.html.j2``."""
    text = env.get_template(f"mail/{template}.txt.j2").render(m=view)
    html = env.get_template(f"mail/{template}.html.j2").render(m=view)
    return text, html


def mime(
    *,
    key: str,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    html: str,
    unsubscribe: str,
    date: dt.datetime,
) -> EmailMessage:
    """The message: multipart/alternative (plain text, then HTML), quoted-printable, headers for lists."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = fmt.clean_text(subject, 200)
    msg["Date"] = format_datetime(date if date.tzinfo else date.replace(tzinfo=dt.UTC))
    msg["Message-ID"] = message_id(key, sender)
    msg["Auto-Submitted"] = "auto-generated"
    msg["List-Unsubscribe"] = f"<mailto:{unsubscribe}?subject=BAJA%20{recipient}>"
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg
