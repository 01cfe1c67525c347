"""How certain a finding is: ``high``, ``medium`` or ``low``, with the reason codes that set it.

The analysts' review queue (docs/review.md) puts the least certain findings first. Confidence is a pure
function of the finding, its rule and the portal snapshot (the same evidence the rule saw): it never
changes a status. A finding's level is the lowest level among its reasons; for evidence, the decisive
item (the one carrying the finding's period, else the best one) is what counts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from checks.model import ABSENT, NOT_APPLICABLE, OUTDATED, PRESENT, UNVERIFIED, Finding, PortalSnapshot
from checks.periods import best_period
from checks.text import file_name

if TYPE_CHECKING:
    from checks.attribution import Item

HIGH = "high"
MEDIUM = "medium"
LOW = "low"
LEVELS = (HIGH, MEDIUM, LOW)
LEVEL_LABELS = {HIGH: "Alta", MEDIUM: "Media", LOW: "Baja"}
#: lower sorts first: the least certain findings lead the review queue
LEVEL_RANK = {LOW: 0, MEDIUM: 1, HIGH: 2}

#: reason code -> (level, what it means, in Spanish)
REASONS: dict[str, tuple[str, str]] = {
    "dated_document_under_heading": (HIGH, "Documento con periodo legible bajo el encabezado de su numeral."),
    "document_under_heading": (HIGH, "Documento enlazado bajo el encabezado de su numeral."),
    "complete_crawl_nothing_found": (HIGH, "Rastreo completo: nada corresponde al numeral."),
    "crawl_failed": (HIGH, "El rastreo del portal falló: no se puede verificar."),
    "not_for_municipalities": (HIGH, "El numeral no aplica a las municipalidades."),
    "portal_rule": (HIGH, "Regla del portal, no de un numeral."),
    "vocabulary_match": (MEDIUM, "Atribuido por vocabulario, sin mención explícita del numeral."),
    "scanned_document": (MEDIUM, "Documento escaneado (sin texto legible)."),
    "period_from_file_name": (MEDIUM, "Periodo deducido del nombre del archivo."),
    "page_content": (MEDIUM, "Contenido de la página, sin documento adjunto."),
    "portal_statement": (MEDIUM, "El portal declara que el numeral no aplica."),
    "broken_links": (MEDIUM, "Hay enlaces del numeral que no funcionan."),
    "requirement_not_shown": (MEDIUM, "Hay documentos del numeral, pero sin el requisito de la regla."),
    "page_content_without_period": (LOW, "Contenido de la página sin periodo, en un numeral periódico."),
    "no_period": (LOW, "Evidencia sin periodo legible, en un numeral periódico."),
    "partial_crawl": (LOW, "Rastreo parcial: no se pudo afirmar que falte."),
    "requirement_unchecked": (LOW, "El requisito de la regla no se pudo comprobar (documentos ilegibles)."),
}


def level_of(reasons: tuple[str, ...] | list[str]) -> str:
    """The lowest level among ``reasons`` (``high`` when there are none)."""
    levels = [REASONS[r][0] for r in reasons if r in REASONS]
    return min(levels, key=LEVEL_RANK.__getitem__) if levels else HIGH


def describe(reasons: tuple[str, ...] | list[str]) -> list[str]:
    """The Spanish sentences of ``reasons`` (unknown codes are shown as they are)."""
    return [REASONS[r][1] if r in REASONS else r for r in reasons]


def _item_reasons(item: Item, periodic: bool) -> tuple[str, ...]:
    reasons: list[str] = []
    if item.source == "content":
        reasons.append("page_content_without_period" if periodic and item.period is None else "page_content")
    else:
        if item.scanned:
            reasons.append("scanned_document")
        if periodic and item.period is None:
            reasons.append("no_period")
        elif (
            periodic and best_period([item.label]) is None and best_period([file_name(item.url)]) is not None
        ):
            reasons.append("period_from_file_name")
    if item.how == "vocabulary":
        reasons.append("vocabulary_match")
    if not reasons:
        reasons.append("dated_document_under_heading" if periodic else "document_under_heading")
    return tuple(reasons)


def assess(finding: Finding, rule: object, snapshot: PortalSnapshot) -> tuple[str, tuple[str, ...]]:
    """(level, reason codes) of one finding produced by ``rule`` on ``snapshot``."""
    from checks.rules.base import NOT_MUNICIPAL, PERIODIC

    if finding.numeral is None:
        return HIGH, ("portal_rule",)
    if finding.status == UNVERIFIED:
        return (HIGH, ("crawl_failed",)) if snapshot.failed else (LOW, ("partial_crawl",))
    periodicity = getattr(rule, "periodicity", None)
    if finding.status == NOT_APPLICABLE:
        if periodicity == NOT_MUNICIPAL:
            return HIGH, ("not_for_municipalities",)
        return MEDIUM, ("portal_statement",)
    analysis = snapshot.analysis
    if finding.status == ABSENT:
        found = ["complete_crawl_nothing_found"]
        if analysis.broken.get(finding.numeral):
            found.append("broken_links")
        if analysis.items.get(finding.numeral):
            found.append("requirement_not_shown")
        return level_of(found), tuple(found)
    if finding.status not in (PRESENT, OUTDATED):
        return HIGH, ()
    wanted = {(e.url, e.page_url) for e in finding.evidence}
    items = [i for i in analysis.items.get(finding.numeral, ()) if (i.url, i.page_url) in wanted]
    periodic = periodicity in PERIODIC
    decisive = [
        i for i in items if finding.period and i.period and i.period.code() == finding.period
    ] or items
    extra: tuple[str, ...] = ()
    if getattr(rule, "requires_es", "") and "No se pudo comprobar" in finding.reason:
        extra = ("requirement_unchecked",)
    reasons: tuple[str, ...]
    if not decisive:
        reasons = (("no_period",) if periodic and not finding.period else ("page_content",)) + extra
        return level_of(reasons), reasons
    best = max(
        (_item_reasons(i, periodic) for i in decisive),
        key=lambda rs: (LEVEL_RANK[level_of(rs)], -len(rs)),
    )
    reasons = best + extra
    return level_of(reasons), reasons


def with_confidence(finding: Finding, rule: object, snapshot: PortalSnapshot) -> Finding:
    level, reasons = assess(finding, rule, snapshot)
    return replace(finding, confidence=level, confidence_reasons=reasons)
