"""View models: every figure, label and link the templates show, computed here in Python.

The templates only loop and test booleans over these dataclasses (the coverage.py HTML report's style).
Nothing here judges compliance: statuses, reasons, periods, scores and bands are the stored findings.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from checks.facts import BANDS, OUTDATED_CREDIT
from reports import charts, fmt
from reports.facts import (
    ACCEPTABLE,
    BAND_NAMES,
    BAND_RANGES,
    DEFICIENT,
    DEPARTMENT_ABBREVIATIONS,
    DEPARTMENT_TILES,
    FAILED_OUTCOMES,
    LOW,
    NO_SCORE,
    NUMERALS,
    OUTCOME_LABELS,
    PORTAL_RULES_BY_CODE,
    STATUS_LABELS,
    STATUS_MARKS,
    STATUSES,
    NumeralRule,
    band_for,
    pdh_scores,
)
from reports.loader import EvidenceItem, FindingRow, NightPoint, PortalRow, RunData
from vigia.registry import DEPARTMENTS, Municipality

SCORE_FORMULA = (
    f"Puntaje = 100 × (numerales que cumplen + {OUTDATED_CREDIT:g} × numerales desactualizados) ÷ "
    "numerales aplicables (los que no son «No aplica»). Bandas del PDH: "
    + ", ".join(f"{name} de {BAND_RANGES[name]}" for name in BAND_NAMES[:-1])
    + f", {BAND_NAMES[-1]} menos de {BANDS[-2][0]:g}. "
    "Un portal cuyo rastreo no se completó no tiene puntaje esa noche."
)
_RANK = {"absent": 0, "outdated": 1, "present": 2}
#: Evidence listed per numeral on a checklist (a monthly series can cite dozens; the exports list all).
MAX_EVIDENCE_SHOWN = 8


# --------------------------------------------------------------------------- small pieces


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str
    root: str  # "" for pages at the top, "../" for municipio/…
    active: str
    run_label: str
    as_of_label: str
    feed: str = "atom/pais.xml"  # the page's Atom feed (reports/feeds.py), relative to the site's root


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: str
    css: str = ""


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class EvidenceView:
    label: str
    live_href: str | None
    live_text: str
    archived_href: str | None
    period: str
    page_href: str | None


@dataclass(frozen=True, slots=True)
class RuleRowView:
    anchor: str
    code: str
    numeral: str
    title: str
    legal_text: str
    legal_note: str
    periodicity: str
    status: str
    status_label: str
    mark: str
    reason: str
    period: str
    evidence: tuple[EvidenceView, ...]
    more_evidence: int  # evidence items not listed on the page (all are in the exports)
    action: str
    previous_label: str  # "" when unchanged or no previous night
    review_note: str = ""  # "Revisado por la PDH el …" (docs/review.md)


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    night: str
    score: str
    band: str
    band_css: str
    outcome: str


@dataclass(frozen=True, slots=True)
class PdhView:
    text: str
    note: str


@dataclass(frozen=True, slots=True)
class ChecklistView:
    meta: PageMeta
    file_name: str
    ine_code: str
    municipality: str
    department: str
    portal_href: str | None
    portal_text: str
    transparency_href: str | None
    transparency_text: str
    crawl_date: str
    as_of: str
    outcome: str
    outcome_css: str
    outcome_reason: str
    pages: str
    documents: str
    score: str
    band: str
    band_css: str
    no_score_reason: str
    rules_version: str
    pdh: PdhView
    counts: tuple[StatusCount, ...]
    numerals: tuple[RuleRowView, ...]
    portal_rules: tuple[RuleRowView, ...]
    history: tuple[HistoryPoint, ...]
    history_chart: Markup | None
    pdf_href: str | None
    score_changes: tuple[HistoryPoint, ...]  # the nights whose score or band differed from the night before
    formula: str
    todo: tuple[RuleRowView, ...]  # what to fix first: absent and outdated numerals
    wacz_href: str | None = None  # the night's WACZ archive of this portal's cited evidence


@dataclass(frozen=True, slots=True)
class RankingRow:
    rank: str
    ine_code: str
    municipality: str
    department: str
    href: str | None
    score: str
    band: str
    band_css: str
    pdh: str
    present: int
    outdated: int
    absent: int
    unverified: int
    outcome: str
    outcome_css: str
    note: str
    priority: bool


@dataclass(frozen=True, slots=True)
class DepartmentRow:
    code: str
    name: str
    anchor: str
    registered: int
    evaluated: int
    scored: int
    mean: str
    band: str
    band_css: str
    aceptable: int
    bajo: int
    deficiente: int
    no_score: int


@dataclass(frozen=True, slots=True)
class ItemChangeView:
    municipality: str
    href: str | None
    rule: str
    item: str
    before: str
    before_status: str
    after: str
    after_status: str


@dataclass(frozen=True, slots=True)
class PortalChangeView:
    municipality: str
    href: str | None
    department: str
    before: str
    after: str
    detail: str


@dataclass(frozen=True, slots=True)
class ChangesView:
    has_previous: bool
    previous_label: str
    newly_compliant: int
    improved: tuple[ItemChangeView, ...]
    regressed: tuple[ItemChangeView, ...]
    went_down: tuple[PortalChangeView, ...]
    came_back: tuple[PortalChangeView, ...]
    band_changes: tuple[PortalChangeView, ...]
    new_portals: tuple[PortalChangeView, ...]
    missing_portals: tuple[PortalChangeView, ...]

    @property
    def empty(self) -> bool:
        return not (
            self.improved
            or self.regressed
            or self.went_down
            or self.came_back
            or self.band_changes
            or self.new_portals
            or self.missing_portals
        )


@dataclass(frozen=True, slots=True)
class TrendRow:
    night: str
    run: str
    evaluated: int
    scored: int
    mean: str
    aceptable: int
    bajo: int
    deficiente: int
    no_score: int


@dataclass(frozen=True, slots=True)
class NotEvaluatedRow:
    ine_code: str
    municipality: str
    department: str
    reason: str


@dataclass(frozen=True, slots=True)
class IndexView:
    meta: PageMeta
    figures: tuple[Figure, ...]
    band_chart: Markup
    histogram: Markup
    numeral_chart: Markup
    map_chart: Markup
    trend_chart: Markup | None
    departments: tuple[DepartmentRow, ...]
    trends: tuple[TrendRow, ...]
    changes: ChangesView
    ranking: tuple[RankingRow, ...]
    not_evaluated: tuple[NotEvaluatedRow, ...]
    priority_count: int
    priority_scored: int
    priority_mean: str
    formula: str
    band_ranges: tuple[tuple[str, str], ...]
    exports: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class PriorityView:
    meta: PageMeta
    ranking: tuple[RankingRow, ...]
    not_evaluated: tuple[NotEvaluatedRow, ...]
    figures: tuple[Figure, ...]


@dataclass(frozen=True, slots=True)
class MatrixCell:
    status: str
    mark: str
    tooltip: str


@dataclass(frozen=True, slots=True)
class MatrixRow:
    municipality: str
    department: str
    href: str | None
    score: str
    band_css: str
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True, slots=True)
class MatrixHeader:
    numeral: int
    title: str


@dataclass(frozen=True, slots=True)
class MatrixView:
    meta: PageMeta
    headers: tuple[MatrixHeader, ...]
    rows: tuple[MatrixRow, ...]
    share_present: tuple[str, ...]
    legend: tuple[StatusCount, ...]


@dataclass(frozen=True, slots=True)
class IncidentView:
    kind: str
    url_text: str
    url_href: str | None
    message: str
    at: str


@dataclass(frozen=True, slots=True)
class CrawlHealthRow:
    anchor: str
    municipality: str
    department: str
    href: str | None
    outcome: str
    outcome_css: str
    reason: str
    duration: str
    pages: int
    documents: int
    requests: int
    not_modified: int
    size: str
    incidents: int
    incident_kinds: str
    platform_declared: str
    platform_observed: str
    browser: bool
    incident_list: tuple[IncidentView, ...]
    more_incidents: int


@dataclass(frozen=True, slots=True)
class UnverifiedRow:
    municipality: str
    href: str | None
    outcome: str
    reason: str
    unverified_items: int


@dataclass(frozen=True, slots=True)
class PlatformChangeRow:
    municipality: str
    href: str | None
    declared: str
    observed: str
    previous: str
    kind: str


@dataclass(frozen=True, slots=True)
class NightlyView:
    meta: PageMeta
    figures: tuple[Figure, ...]
    outcome_chart: Markup
    outcomes: tuple[tuple[str, str, int], ...]
    rows: tuple[CrawlHealthRow, ...]
    unverified: tuple[UnverifiedRow, ...]
    platform_changes: tuple[PlatformChangeRow, ...]
    incident_kinds: tuple[tuple[str, int], ...]
    changes: ChangesView
    run_note: str


@dataclass(frozen=True, slots=True)
class ExportFile:
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class DataView:
    meta: PageMeta
    files: tuple[ExportFile, ...]
    columns: tuple[tuple[str, str, str], ...]
    schema_version: str


# --------------------------------------------------------------------------- the context


@dataclass
class ReportContext:
    """What every page needs: this run, the previous night, history, the registry and file names."""

    data: RunData
    previous: RunData | None
    history: list[NightPoint]
    registry: Sequence[Municipality]
    as_of: dt.date
    pdf: bool
    archived: dict[str, str]  # sha256 -> path relative to the site's root
    file_names: dict[int, str] = field(default_factory=dict)  # crawl_id -> municipio/XXXX.html
    wacz: dict[str, str] = field(default_factory=dict)  # portal key -> its WACZ, relative to the site's root

    def __post_init__(self) -> None:
        self.by_code = {m.ine_code: m for m in self.registry}
        for p in self.data.portals:
            self.file_names[p.crawl_id] = checklist_file_name(p)
        self.previous_by_key = {p.portal_key: p for p in self.previous.portals} if self.previous else {}
        self.history_by_key: dict[str, list[NightPoint]] = defaultdict(list)
        for point in self.history:
            self.history_by_key[point.portal_key].append(point)
        # the reference date the findings were evaluated at (``as_of`` may be "today" on the command line)
        dates = Counter(p.evaluation.as_of for p in self.data.portals if p.evaluation)
        self.reference = max(dates, key=lambda d: (dates[d], d)) if dates else self.as_of

    @property
    def run_label(self) -> str:
        run = self.data.run
        return f"Corrida {run.id} · {fmt.date_es(fmt.local_time(run.started_at).date() if run.started_at else None)}"

    def meta(self, title: str, active: str, root: str = "", feed: str = "atom/pais.xml") -> PageMeta:
        return PageMeta(
            title=title,
            root=root,
            active=active,
            run_label=self.run_label,
            as_of_label=fmt.date_es(self.reference),
            feed=feed,
        )

    def href(self, portal: PortalRow, root: str = "") -> str:
        return root + self.file_names[portal.crawl_id]

    def is_priority(self, portal: PortalRow) -> bool:
        m = self.by_code.get(portal.ine_code or "")
        return bool(m and m.priority)


def checklist_file_name(portal: PortalRow) -> str:
    code = portal.ine_code or ""
    if len(code) == 4 and code.isdigit():
        return f"municipio/{code}.html"
    return f"municipio/portal-{portal.crawl_id}.html"


def feed_file_name(portal: PortalRow) -> str:
    """The municipality's Atom feed (``atom/municipio-XXXX.xml``), named like its checklist."""
    key = checklist_file_name(portal).removeprefix("municipio/").removesuffix(".html")
    return f"atom/municipio-{key}.xml"


def band_css(band: str | None) -> str:
    return {ACCEPTABLE: "band-ok", LOW: "band-low", DEFICIENT: "band-bad"}.get(band or "", "band-none")


def outcome_css(outcome: str | None) -> str:
    if outcome == "complete":
        return "outcome-ok"
    if outcome == "partial":
        return "outcome-partial"
    return "outcome-failed"


def outcome_label(outcome: str | None) -> str:
    return OUTCOME_LABELS.get(outcome or "", "Sin terminar" if outcome is None else outcome)


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def status_css(status: str) -> str:
    return status if status in STATUS_LABELS else "unknown"


def pdh_view(ine_code: str | None) -> PdhView:
    record = pdh_scores().get(ine_code or "")
    if record is None:
        return PdhView("Sin dato del PDH", "El código INE no figura en las tablas publicadas por el PDH.")
    if record.score is None:
        return PdhView(
            "Sin puntaje publicado",
            "El PDH registra 0 o ningún dato en todas sus evaluaciones (sin evaluación o sin portal).",
        )
    note = ""
    if record.later_zero_years:
        years = " y ".join(record.later_zero_years)
        note = f"En {years} el PDH registra 0 (sin evaluación o sin portal)."
    return PdhView(f"{record.score:.2f} (PDH {record.year})", note)


# --------------------------------------------------------------------------- checklist


def _evidence_view(item: EvidenceItem, ctx: ReportContext, root: str) -> EvidenceView:
    archived = ctx.archived.get(item.sha256 or "") if item.sha256 else None
    clean_text, safe_href = fmt.clean_text, fmt.safe_href
    url = item.url
    return EvidenceView(
        label=clean_text(item.label, 200) or clean_text(url, 120) or "(sin título)",
        live_href=safe_href(url),
        live_text=clean_text(url, 90),
        archived_href=root + archived if archived else None,
        period=fmt.period(item.period) if item.period else "",
        page_href=safe_href(item.page_url),
    )


def _action(status: str, guidance: str, numeral: int | None) -> str:
    if status == "present" or status == "not_applicable":
        return ""
    if status == "unverified":
        return (
            "No se pudo verificar porque el rastreo no alcanzó este contenido: asegúrese de que el portal "
            "esté en línea y sea accesible para visitantes y buscadores; se volverá a revisar la próxima noche."
        )
    label = f" Identifíquelo como «Artículo 10, numeral {numeral}»." if numeral else ""
    if status == "outdated":
        return (
            f"{guidance} Publique el periodo más reciente: la información se actualiza dentro de los "
            f"treinta días siguientes a un cambio (LAIP, art. 7).{label}"
        ).strip()
    return f"{guidance}{label}".strip()


def _rule_row(
    f: FindingRow, ctx: ReportContext, root: str, previous: dict[str, str], fact: NumeralRule | None
) -> RuleRowView:
    if fact is not None:
        title = fact.title
        legal_text = fact.legal_text
        legal_note = fact.legal_text_kind_es
        periodicity = fact.periodicity_es
        guidance = fact.guidance
        numeral = str(fact.numeral)
        anchor = f"n{fact.numeral:02d}"
    else:
        pr = PORTAL_RULES_BY_CODE.get(f.rule)
        title = pr.title if pr else f.rule
        guidance = pr.guidance if pr else ""
        legal_text, legal_note, periodicity = "", "", ""
        numeral = ""
        anchor = "r-" + "".join(ch if ch.isalnum() else "-" for ch in f.rule.lower())
    before = previous.get(f.rule)
    return RuleRowView(
        anchor=anchor,
        code=f.rule,
        numeral=numeral,
        title=title,
        legal_text=legal_text,
        legal_note=legal_note,
        periodicity=periodicity,
        status=status_css(f.status),
        status_label=status_label(f.status),
        mark=STATUS_MARKS.get(f.status, "·"),
        reason=fmt.clean_text(f.reason, 600),
        period=fmt.period(f.period) if f.period else "",
        evidence=tuple(_evidence_view(e, ctx, root) for e in f.evidence[:MAX_EVIDENCE_SHOWN]),
        more_evidence=max(0, len(f.evidence) - MAX_EVIDENCE_SHOWN),
        action=_action(f.status, guidance, fact.numeral if fact else None),
        previous_label=status_label(before) if before and before != f.status else "",
        review_note=_review_note(f),
    )


def _review_note(f: FindingRow) -> str:
    """The mark of a reviewed item; the machine's verdict is named when the reviewer changed it."""
    if f.reviewed_by:
        note = f"Revisado por la PDH el {fmt.date_es(f.reviewed_at.date()) if f.reviewed_at else '—'}"
        if f.machine_status and f.machine_status != f.status:
            note += f" (la revisión automática decía: {status_label(f.machine_status)})"
        if f.review_reason:
            note += f". Motivo: {fmt.clean_text(f.review_reason, 300)}"
        return note + "."
    if f.needs_rereview:
        return "La evidencia cambió desde la última revisión de la PDH: rige la revisión automática hasta una nueva revisión."
    return ""


def _history(ctx: ReportContext, portal: PortalRow) -> tuple[tuple[HistoryPoint, ...], Markup | None]:
    points = ctx.history_by_key.get(portal.portal_key, [])
    rows = tuple(
        HistoryPoint(
            night=fmt.date_es(p.night),
            score=fmt.score(p.score),
            band=p.band or NO_SCORE,
            band_css=band_css(p.band),
            outcome=outcome_label(p.outcome),
        )
        for p in points
    )
    chart = None
    if len(points) > 1:
        chart = charts.sparkline("Puntaje por noche", [p.score for p in points])
    return rows, chart


def _changes_only(history: Sequence[HistoryPoint]) -> tuple[HistoryPoint, ...]:
    """The points where the score or band changed (what a PDF, which shows a state, can show)."""
    out: list[HistoryPoint] = []
    for point in history:
        if not out or (out[-1].score, out[-1].band) != (point.score, point.band):
            out.append(point)
    return tuple(out)


def checklist_view(ctx: ReportContext, portal: PortalRow) -> ChecklistView:
    root = "../"
    facts = NUMERALS
    prev = ctx.previous_by_key.get(portal.portal_key)
    previous = {f.rule: f.status for f in prev.findings} if prev else {}
    numeral_rows: list[RuleRowView] = []
    portal_rows: list[RuleRowView] = []
    for f in portal.findings:
        if f.numeral is not None:
            numeral_rows.append(_rule_row(f, ctx, root, previous, facts.get(f.numeral)))
        else:
            portal_rows.append(_rule_row(f, ctx, root, previous, None))
    counts = Counter(f.status for f in portal.findings if f.numeral is not None)
    ev = portal.evaluation
    history, chart = _history(ctx, portal)
    file_name = ctx.file_names[portal.crawl_id]
    pdf_href = file_name.removeprefix("municipio/").replace(".html", ".pdf") if ctx.pdf else None
    return ChecklistView(
        meta=ctx.meta(
            f"Lista de verificación — {portal.municipality}", "checklist", root, feed=feed_file_name(portal)
        ),
        file_name=file_name,
        ine_code=portal.ine_code or "",
        municipality=portal.municipality,
        department=portal.department,
        portal_href=fmt.safe_href(portal.portal_url),
        portal_text=fmt.clean_text(portal.portal_url, 120),
        transparency_href=fmt.safe_href(portal.transparency_url),
        transparency_text=fmt.clean_text(portal.transparency_url, 120),
        crawl_date=fmt.datetime_es(portal.started_at),
        as_of=fmt.date_es(ev.as_of if ev else ctx.as_of),
        outcome=outcome_label(portal.outcome),
        outcome_css=outcome_css(portal.outcome),
        outcome_reason=fmt.clean_text(portal.outcome_reason, 400),
        pages=fmt.integer(portal.pages),
        documents=fmt.integer(portal.documents),
        score=fmt.score(ev.score if ev else None),
        band=(ev.band if ev and ev.band else NO_SCORE),
        band_css=band_css(ev.band if ev else None),
        no_score_reason=fmt.clean_text(
            ev.no_score_reason if ev else "Sin evaluación para esta corrida.", 400
        ),
        rules_version=ev.rules_version if ev else "",
        pdh=pdh_view(portal.ine_code),
        counts=tuple(StatusCount(s, STATUS_LABELS[s], counts.get(s, 0)) for s in STATUSES),
        numerals=tuple(numeral_rows),
        portal_rules=tuple(portal_rows),
        history=history,
        history_chart=chart,
        pdf_href=pdf_href,
        score_changes=_changes_only(history),
        formula=SCORE_FORMULA,
        todo=tuple(r for r in numeral_rows if r.status in ("absent", "outdated")),
        wacz_href=root + ctx.wacz[portal.portal_key] if portal.portal_key in ctx.wacz else None,
    )


# --------------------------------------------------------------------------- ranking and departments


def _ranking(ctx: ReportContext, portals: Sequence[PortalRow], root: str = "") -> tuple[RankingRow, ...]:
    def key(p: PortalRow) -> tuple[int, float, str, str]:
        score = p.evaluation.score if p.evaluation else None
        return (0 if score is not None else 1, -(score or 0.0), p.municipality.casefold(), p.portal_key)

    rows: list[RankingRow] = []
    last_score: float | None = None
    last_rank = 0
    for i, p in enumerate(sorted(portals, key=key), start=1):
        ev = p.evaluation
        score = ev.score if ev else None
        if score is None:
            rank = "—"
        else:
            if score != last_score:
                last_rank, last_score = i, score
            rank = str(last_rank)
        counts = Counter(f.status for f in p.findings if f.numeral is not None)
        pdh = pdh_scores().get(p.ine_code or "")
        note = ""
        if score is None:
            note = fmt.clean_text((ev.no_score_reason if ev else None) or p.outcome_reason, 160)
        rows.append(
            RankingRow(
                rank=rank,
                ine_code=p.ine_code or "",
                municipality=p.municipality,
                department=p.department,
                href=ctx.href(p, root),
                score=fmt.score(score),
                band=(ev.band if ev and ev.band else NO_SCORE),
                band_css=band_css(ev.band if ev else None),
                pdh=f"{pdh.score:.1f} ({pdh.year})" if pdh and pdh.score is not None else "—",
                present=counts.get("present", 0),
                outdated=counts.get("outdated", 0),
                absent=counts.get("absent", 0),
                unverified=counts.get("unverified", 0),
                outcome=outcome_label(p.outcome),
                outcome_css=outcome_css(p.outcome),
                note=note,
                priority=ctx.is_priority(p),
            )
        )
    return tuple(rows)


def _not_evaluated(ctx: ReportContext, only_priority: bool = False) -> tuple[NotEvaluatedRow, ...]:
    seen = {p.ine_code for p in ctx.data.portals if p.ine_code}
    rows = []
    for m in sorted(ctx.registry, key=lambda m: m.ine_code):
        if m.ine_code in seen or not m.active or (only_priority and not m.priority):
            continue
        reason = (
            "Sin portal conocido en el registro."
            if not m.portal_url
            else "No se rastreó en esta corrida (fuera de la selección)."
        )
        rows.append(NotEvaluatedRow(m.ine_code, m.municipality, m.department, reason))
    return tuple(rows)


def _scores(portals: Sequence[PortalRow]) -> list[float]:
    return [p.evaluation.score for p in portals if p.evaluation and p.evaluation.score is not None]


def _band_counts(portals: Sequence[PortalRow]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for p in portals:
        band = p.evaluation.band if p.evaluation and p.evaluation.score is not None else None
        counts[band if band in BAND_NAMES else NO_SCORE] += 1
    return counts


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _departments(ctx: ReportContext) -> tuple[DepartmentRow, ...]:
    registered = Counter(m.ine_code[:2] for m in ctx.registry if m.active)
    by_dep: dict[str, list[PortalRow]] = defaultdict(list)
    for p in ctx.data.portals:
        code = (p.ine_code or "")[:2]
        if code not in DEPARTMENTS:
            code = next((c for c, n in DEPARTMENTS.items() if n == p.department), "")
        if code:
            by_dep[code].append(p)
    rows = []
    for code, name in sorted(DEPARTMENTS.items()):
        portals = by_dep.get(code, [])
        scores = _scores(portals)
        mean = _mean(scores)
        bands = _band_counts(portals)
        band = band_for(mean) if mean is not None else NO_SCORE
        rows.append(
            DepartmentRow(
                code=code,
                name=name,
                anchor=f"dep-{code}",
                registered=registered.get(code, 0),
                evaluated=len(portals),
                scored=len(scores),
                mean=fmt.score(mean),
                band=band,
                band_css=band_css(band),
                aceptable=bands.get(ACCEPTABLE, 0),
                bajo=bands.get(LOW, 0),
                deficiente=bands.get(DEFICIENT, 0),
                no_score=bands.get(NO_SCORE, 0),
            )
        )
    return tuple(rows)


def _map(departments: Sequence[DepartmentRow]) -> Markup:
    tiles = []
    for d in departments:
        col, row = DEPARTMENT_TILES[d.code]
        color = charts.map_color(float(d.mean) if d.scored else None)
        tip = (
            f"{d.name}: puntaje promedio {d.mean} ({d.band}); {d.scored} con puntaje de {d.evaluated} "
            f"evaluadas, {d.registered} en el registro"
        )
        tiles.append(
            charts.Tile(
                col, row, DEPARTMENT_ABBREVIATIONS[d.code], d.name, d.mean, color, tip, f"#{d.anchor}"
            )
        )
    legend = [(label, color) for _, label, color in charts.MAP_CLASSES] + [
        ("sin puntaje", charts.BAND_COLORS[NO_SCORE])
    ]
    return charts.tile_map("Mapa de departamentos por puntaje promedio", tiles, legend)


def _numeral_chart(portals: Sequence[PortalRow]) -> Markup:
    facts = NUMERALS
    present: Counter[int] = Counter()
    judged: Counter[int] = Counter()
    for p in portals:
        for f in p.findings:
            if f.numeral is None or f.status in ("not_applicable", "unverified"):
                continue
            judged[f.numeral] += 1
            if f.status == "present":
                present[f.numeral] += 1
    bars = []
    for n in sorted(facts):
        if not judged.get(n):
            continue
        share = 100 * present[n] / judged[n]
        bars.append(
            charts.Bar(
                label=f"{n}. {facts[n].title}"[:44],
                value=share,
                color=charts.BAND_COLORS[band_for(share)],
                text=f"{share:.0f} %",
                tooltip=f"Numeral {n} ({facts[n].title}): cumple en {present[n]} de {judged[n]} portales",
            )
        )
    return charts.horizontal_bars(
        "Porcentaje de portales que cumplen cada numeral", bars, maximum=100, width=760, label_w=300
    )


# --------------------------------------------------------------------------- changes


@dataclass(frozen=True, slots=True)
class PortalChanges:
    """What changed on one portal between two evaluations: the reading shared by the report's "changes
    since the previous night", the municipalities' messages and the Atom feeds."""

    went_down: PortalChangeView | None
    came_back: PortalChangeView | None
    band_change: PortalChangeView | None
    improved: tuple[ItemChangeView, ...]
    regressed: tuple[ItemChangeView, ...]
    #: status changes that are neither an improvement nor a regression (to or from No verificable / No aplica)
    other: tuple[ItemChangeView, ...]
    score_before: float | None
    score_after: float | None
    newly_compliant: int

    @property
    def score_changed(self) -> bool:
        return fmt.score(self.score_before) != fmt.score(self.score_after)

    @property
    def empty(self) -> bool:
        return not (
            self.went_down
            or self.came_back
            or self.band_change
            or self.improved
            or self.regressed
            or self.other
            or self.score_changed
        )


def portal_changes(prev: PortalRow, p: PortalRow, href: str) -> PortalChanges:
    """Compare one portal's previous evaluation (``prev``) with its current one (``p``)."""
    facts = NUMERALS
    down = back = band = None
    was_up = prev.outcome in ("complete", "partial")
    is_up = p.outcome in ("complete", "partial")
    if was_up and p.outcome in FAILED_OUTCOMES:
        down = PortalChangeView(
            p.municipality,
            href,
            p.department,
            outcome_label(prev.outcome),
            outcome_label(p.outcome),
            fmt.clean_text(p.outcome_reason, 200),
        )
    elif prev.outcome in FAILED_OUTCOMES and is_up:
        back = PortalChangeView(
            p.municipality, href, p.department, outcome_label(prev.outcome), outcome_label(p.outcome), ""
        )
    before_score = prev.evaluation.score if prev.evaluation else None
    after_score = p.evaluation.score if p.evaluation else None
    before_band = prev.evaluation.band if prev.evaluation and before_score is not None else None
    after_band = p.evaluation.band if p.evaluation and after_score is not None else None
    if before_band and after_band and before_band != after_band:
        band = PortalChangeView(
            p.municipality,
            href,
            p.department,
            f"{before_band} ({fmt.score(before_score)})",
            f"{after_band} ({fmt.score(after_score)})",
            "",
        )
    improved: list[ItemChangeView] = []
    regressed: list[ItemChangeView] = []
    other: list[ItemChangeView] = []
    newly_compliant = 0
    before = {f.rule: f.status for f in prev.findings if f.numeral is not None}
    for f in p.findings:
        if f.numeral is None:
            continue
        old = before.get(f.rule)
        if old is None or old == f.status:
            continue
        fact = facts.get(f.numeral)
        view = ItemChangeView(
            municipality=p.municipality,
            href=f"{href}#n{f.numeral:02d}",
            rule=fact.code if fact else f.rule,
            item=fact.title if fact else f.rule,
            before=status_label(old),
            before_status=old,
            after=status_label(f.status),
            after_status=f.status,
        )
        if old not in _RANK or f.status not in _RANK:
            other.append(view)
        elif _RANK[f.status] > _RANK[old]:
            improved.append(view)
            newly_compliant += f.status == "present"
        else:
            regressed.append(view)
    return PortalChanges(
        went_down=down,
        came_back=back,
        band_change=band,
        improved=tuple(improved),
        regressed=tuple(regressed),
        other=tuple(other),
        score_before=before_score,
        score_after=after_score,
        newly_compliant=newly_compliant,
    )


def changes_view(ctx: ReportContext, root: str = "") -> ChangesView:
    if ctx.previous is None:
        return ChangesView(False, "", 0, (), (), (), (), (), (), ())
    improved: list[ItemChangeView] = []
    regressed: list[ItemChangeView] = []
    down: list[PortalChangeView] = []
    back: list[PortalChangeView] = []
    bands: list[PortalChangeView] = []
    new: list[PortalChangeView] = []
    newly_compliant = 0
    current_keys = set()
    for p in sorted(ctx.data.portals, key=lambda p: (p.department, p.municipality.casefold(), p.portal_key)):
        current_keys.add(p.portal_key)
        href = ctx.href(p, root)
        prev = ctx.previous_by_key.get(p.portal_key)
        if prev is None:
            new.append(
                PortalChangeView(p.municipality, href, p.department, "—", outcome_label(p.outcome), "")
            )
            continue
        changes = portal_changes(prev, p, href)
        if changes.went_down:
            down.append(changes.went_down)
        if changes.came_back:
            back.append(changes.came_back)
        if changes.band_change:
            bands.append(changes.band_change)
        improved.extend(changes.improved)
        regressed.extend(changes.regressed)
        newly_compliant += changes.newly_compliant
    missing = tuple(
        PortalChangeView(p.municipality, None, p.department, outcome_label(p.outcome), "—", "")
        for p in sorted(ctx.previous.portals, key=lambda p: (p.department, p.municipality, p.portal_key))
        if p.portal_key not in current_keys
    )
    run = ctx.previous.run
    label = f"corrida {run.id} del {fmt.date_es(fmt.local_time(run.started_at).date() if run.started_at else None)}"
    return ChangesView(
        has_previous=True,
        previous_label=label,
        newly_compliant=newly_compliant,
        improved=tuple(improved),
        regressed=tuple(regressed),
        went_down=tuple(down),
        came_back=tuple(back),
        band_changes=tuple(bands),
        new_portals=tuple(new),
        missing_portals=missing,
    )


# --------------------------------------------------------------------------- trends


def _trends(ctx: ReportContext) -> tuple[tuple[TrendRow, ...], Markup | None]:
    by_run: dict[int, list[NightPoint]] = defaultdict(list)
    for p in ctx.history:
        by_run[p.run_id].append(p)
    rows: list[TrendRow] = []
    columns: list[charts.NightColumn] = []
    for run_id in sorted(by_run):
        points = by_run[run_id]
        scores = [p.score for p in points if p.score is not None]
        counts: Counter[str] = Counter()
        for p in points:
            counts[p.band if p.score is not None and p.band in BAND_NAMES else NO_SCORE] += 1
        mean = _mean(scores)
        night = points[0].night
        rows.append(
            TrendRow(
                night=fmt.date_es(night),
                run=str(run_id),
                evaluated=len(points),
                scored=len(scores),
                mean=fmt.score(mean),
                aceptable=counts.get(ACCEPTABLE, 0),
                bajo=counts.get(LOW, 0),
                deficiente=counts.get(DEFICIENT, 0),
                no_score=counts.get(NO_SCORE, 0),
            )
        )
        columns.append(
            charts.NightColumn(
                label=night.strftime("%d/%m") if night else str(run_id), counts=counts, mean=mean
            )
        )
    chart = charts.stacked_nights("Portales por banda en cada noche", columns) if columns else None
    return tuple(rows), chart


# --------------------------------------------------------------------------- pages


EXPORTS: tuple[tuple[str, str], ...] = (
    ("datos/hallazgos.csv", "CSV"),
    ("datos/hallazgos.xlsx", "XLSX"),
    ("datos/hallazgos.json", "JSON"),
)


def index_view(ctx: ReportContext) -> IndexView:
    portals = ctx.data.portals
    scores = _scores(portals)
    bands = _band_counts(portals)
    departments = _departments(ctx)
    trends, trend_chart = _trends(ctx)
    failed = sum(1 for p in portals if p.outcome in FAILED_OUTCOMES or p.outcome is None)
    priority = [p for p in portals if ctx.is_priority(p)]
    priority_scores = _scores(priority)
    figures = (
        Figure("Portales evaluados", fmt.integer(len(portals))),
        Figure("Con puntaje", fmt.integer(len(scores))),
        Figure("Puntaje promedio", fmt.score(_mean(scores))),
        Figure(ACCEPTABLE, fmt.integer(bands.get(ACCEPTABLE, 0)), "band-ok"),
        Figure(LOW, fmt.integer(bands.get(LOW, 0)), "band-low"),
        Figure(DEFICIENT, fmt.integer(bands.get(DEFICIENT, 0)), "band-bad"),
        Figure("Sin puntaje", fmt.integer(bands.get(NO_SCORE, 0)), "band-none"),
        Figure("Rastreos fallidos", fmt.integer(failed)),
    )
    total = len(portals) or 1
    band_bars = [
        charts.Bar(
            label=f"{b} ({BAND_RANGES[b]})" if b in BAND_RANGES else b,
            value=bands.get(b, 0),
            color=charts.BAND_COLORS[b],
            text=f"{bands.get(b, 0)} ({100 * bands.get(b, 0) / total:.0f} %)",
        )
        for b in (*BAND_NAMES, NO_SCORE)
    ]
    return IndexView(
        meta=ctx.meta("Informe de cumplimiento de la información pública de oficio", "index"),
        figures=figures,
        band_chart=charts.horizontal_bars("Municipalidades por banda", band_bars),
        histogram=charts.histogram("Distribución de puntajes", scores),
        numeral_chart=_numeral_chart(portals),
        map_chart=_map(departments),
        trend_chart=trend_chart,
        departments=departments,
        trends=trends,
        changes=changes_view(ctx),
        ranking=_ranking(ctx, portals),
        not_evaluated=_not_evaluated(ctx),
        priority_count=len(priority),
        priority_scored=len(priority_scores),
        priority_mean=fmt.score(_mean(priority_scores)),
        formula=SCORE_FORMULA,
        band_ranges=tuple((b, BAND_RANGES[b]) for b in BAND_NAMES),
        exports=EXPORTS,
    )


def priority_view(ctx: ReportContext) -> PriorityView:
    portals = [p for p in ctx.data.portals if ctx.is_priority(p)]
    scores = _scores(portals)
    bands = _band_counts(portals)
    figures = (
        Figure("En la lista de prioridad (evaluadas)", fmt.integer(len(portals))),
        Figure("Con puntaje", fmt.integer(len(scores))),
        Figure("Puntaje promedio", fmt.score(_mean(scores))),
        Figure(ACCEPTABLE, fmt.integer(bands.get(ACCEPTABLE, 0)), "band-ok"),
        Figure(LOW, fmt.integer(bands.get(LOW, 0)), "band-low"),
        Figure(DEFICIENT, fmt.integer(bands.get(DEFICIENT, 0)), "band-bad"),
        Figure("Sin puntaje", fmt.integer(bands.get(NO_SCORE, 0)), "band-none"),
    )
    return PriorityView(
        meta=ctx.meta("Lista de prioridad", "priority"),
        ranking=_ranking(ctx, portals),
        not_evaluated=_not_evaluated(ctx, only_priority=True),
        figures=figures,
    )


def matrix_view(ctx: ReportContext) -> MatrixView:
    facts = NUMERALS
    headers = tuple(MatrixHeader(n, f"{n}. {facts[n].title}") for n in sorted(facts))
    rows = []
    present: Counter[int] = Counter()
    judged: Counter[int] = Counter()
    totals: Counter[str] = Counter()
    for p in sorted(ctx.data.portals, key=lambda p: (p.department, p.municipality.casefold(), p.portal_key)):
        by_numeral = {f.numeral: f for f in p.findings if f.numeral is not None}
        cells = []
        for h in headers:
            f = by_numeral.get(h.numeral)
            if f is None:
                cells.append(MatrixCell("missing", "", f"{h.title}: sin hallazgo"))
                continue
            totals[f.status] += 1
            if f.status not in ("not_applicable", "unverified"):
                judged[h.numeral] += 1
                present[h.numeral] += f.status == "present"
            cells.append(
                MatrixCell(
                    status_css(f.status),
                    STATUS_MARKS.get(f.status, "·"),
                    f"{p.municipality} — {h.title}: {status_label(f.status)}",
                )
            )
        ev = p.evaluation
        rows.append(
            MatrixRow(
                municipality=p.municipality,
                department=p.department,
                href=ctx.href(p),
                score=fmt.score(ev.score if ev else None),
                band_css=band_css(ev.band if ev else None),
                cells=tuple(cells),
            )
        )
    share = tuple(
        f"{100 * present[h.numeral] / judged[h.numeral]:.0f}" if judged[h.numeral] else "—" for h in headers
    )
    return MatrixView(
        meta=ctx.meta("Matriz de municipalidades por numeral", "matrix"),
        headers=headers,
        rows=tuple(rows),
        share_present=share,
        legend=tuple(StatusCount(s, STATUS_LABELS[s], totals.get(s, 0)) for s in STATUSES),
    )


MAX_INCIDENTS_SHOWN = 15


def nightly_view(ctx: ReportContext) -> NightlyView:
    portals = ctx.data.portals
    run = ctx.data.run
    outcomes = Counter(p.outcome for p in portals)
    incident_kinds: Counter[str] = Counter()
    rows = []
    unverified = []
    platform_changes = []
    for p in sorted(portals, key=lambda p: (p.department, p.municipality.casefold(), p.portal_key)):
        kinds = Counter(i.kind for i in p.incidents)
        incident_kinds.update(kinds)
        href = ctx.href(p)
        observed = p.platform_observed or "—"
        rows.append(
            CrawlHealthRow(
                anchor=f"p{p.crawl_id}",
                municipality=p.municipality,
                department=p.department,
                href=href,
                outcome=outcome_label(p.outcome),
                outcome_css=outcome_css(p.outcome),
                reason=fmt.clean_text(p.outcome_reason, 240),
                duration=fmt.duration(p.seconds),
                pages=p.pages,
                documents=p.documents,
                requests=p.requests,
                not_modified=p.not_modified,
                size=fmt.size(p.bytes_received),
                incidents=len(p.incidents),
                incident_kinds=", ".join(
                    f"{k} ({n})" for k, n in sorted(kinds.items(), key=lambda x: (-x[1], x[0]))
                ),
                platform_declared=p.platform_declared,
                platform_observed=observed,
                browser=p.rendered_with_browser,
                incident_list=tuple(
                    IncidentView(
                        kind=i.kind,
                        url_text=fmt.clean_text(i.url, 100),
                        url_href=fmt.safe_href(i.url),
                        message=fmt.clean_text(i.message, 300),
                        at=fmt.short_datetime(i.at),
                    )
                    for i in p.incidents[:MAX_INCIDENTS_SHOWN]
                ),
                more_incidents=max(0, len(p.incidents) - MAX_INCIDENTS_SHOWN),
            )
        )
        ev = p.evaluation
        n_unverified = sum(1 for f in p.findings if f.status == "unverified" and f.numeral is not None)
        if p.outcome != "complete" or (ev is not None and ev.score is None):
            reason = p.outcome_reason or (ev.no_score_reason if ev else None) or "Rastreo sin terminar."
            unverified.append(
                UnverifiedRow(
                    p.municipality, href, outcome_label(p.outcome), fmt.clean_text(reason, 300), n_unverified
                )
            )
        prev = ctx.previous_by_key.get(p.portal_key)
        prev_observed = prev.platform_observed if prev else None
        kind = ""
        if p.platform_observed and prev_observed and p.platform_observed != prev_observed:
            kind = "Cambió desde la noche anterior"
        elif p.platform_observed and p.platform_declared not in ("unknown", p.platform_observed):
            kind = "Distinta de la declarada en el registro"
        elif p.platform_observed and p.platform_declared == "unknown" and p.platform_observed != "unknown":
            kind = "Detectada (el registro no la declara)"
        if kind:
            platform_changes.append(
                PlatformChangeRow(
                    p.municipality, href, p.platform_declared, observed, prev_observed or "—", kind
                )
            )
    seconds = [p.seconds for p in portals if p.seconds is not None]
    run_seconds = (
        (run.finished_at - run.started_at).total_seconds() if run.finished_at and run.started_at else None
    )
    figures = (
        Figure("Portales", fmt.integer(len(portals))),
        Figure("Completos", fmt.integer(outcomes.get("complete", 0)), "outcome-ok"),
        Figure("Parciales", fmt.integer(outcomes.get("partial", 0)), "outcome-partial"),
        Figure(
            "Fallidos",
            fmt.integer(sum(outcomes.get(o, 0) for o in FAILED_OUTCOMES) + outcomes.get(None, 0)),
            "outcome-failed",
        ),
        Figure("Páginas", fmt.integer(sum(p.pages for p in portals))),
        Figure("Documentos", fmt.integer(sum(p.documents for p in portals))),
        Figure("Solicitudes", fmt.integer(sum(p.requests for p in portals))),
        Figure("Descargado", fmt.size(sum(p.bytes_received for p in portals))),
        Figure("Incidentes", fmt.integer(sum(len(p.incidents) for p in portals))),
        Figure("Duración de la corrida", fmt.duration(run_seconds)),
        Figure("Mediana por portal", fmt.duration(statistics.median(seconds) if seconds else None)),
        Figure(
            "Estado de la corrida",
            {
                "finished": "terminada",
                "running": "en curso",
                "interrupted": "interrumpida",
                "failed": "fallida",
            }.get(run.status, run.status),
        ),
    )
    order = ("complete", "partial", "unreachable", "blocked", "disallowed", None)
    outcome_rows = tuple(
        (outcome_label(o), outcome_css(o), outcomes.get(o, 0)) for o in order if outcomes.get(o)
    )
    colors = {"outcome-ok": "#1e6b3a", "outcome-partial": "#c58f00", "outcome-failed": "#a52a22"}
    chart = charts.horizontal_bars(
        "Resultado del rastreo por portal",
        [charts.Bar(label, count, colors[css], str(count)) for label, css, count in outcome_rows],
    )
    return NightlyView(
        meta=ctx.meta("Reporte nocturno de rastreo", "nightly"),
        figures=figures,
        outcome_chart=chart,
        outcomes=outcome_rows,
        rows=tuple(rows),
        unverified=tuple(unverified),
        platform_changes=tuple(platform_changes),
        incident_kinds=tuple(sorted(incident_kinds.items(), key=lambda x: (-x[1], x[0]))),
        changes=changes_view(ctx),
        run_note=fmt.clean_text(run.note, 400),
    )
