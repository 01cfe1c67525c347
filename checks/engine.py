"""Evaluate one snapshot with every rule, and score it (pure: no database, no clock)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from checks.model import NOT_APPLICABLE, OUTDATED, PRESENT, Finding, PortalSnapshot
from checks.registry import ALL_RULES
from checks.rules.base import OUTCOME_ES

OUTDATED_CREDIT = 0.5  # docs/legal-reading.md: score = 100 × (present + 0.5 × outdated) / applicable
ACCEPTABLE, LOW, DEFICIENT = "Aceptable", "Bajo", "Deficiente"
#: The PDH's bands: (lowest score, name), best first.
BANDS = ((85.0, ACCEPTABLE), (60.0, LOW), (0.0, DEFICIENT))


@dataclass(frozen=True)
class Result:
    findings: tuple[Finding, ...]
    score: float | None
    band: str | None
    no_score_reason: str | None


def band_for(score: float) -> str:
    for floor, name in BANDS:
        if score >= floor:
            return name
    return BANDS[-1][1]


def score_findings(findings: tuple[Finding, ...]) -> float | None:
    numerals = [f for f in findings if f.numeral is not None]
    applicable = [f for f in numerals if f.status != NOT_APPLICABLE]
    if not applicable:
        return None
    present = sum(1 for f in applicable if f.status == PRESENT)
    outdated = sum(1 for f in applicable if f.status == OUTDATED)
    return round(100.0 * (present + OUTDATED_CREDIT * outdated) / len(applicable), 2)


def no_score_reason(snapshot: PortalSnapshot) -> str | None:
    if snapshot.complete:
        return None
    why = OUTCOME_ES.get(snapshot.outcome, f"el rastreo terminó como {snapshot.outcome}")
    detail = f" ({snapshot.outcome_reason})" if snapshot.outcome_reason else ""
    return f"Sin puntaje esta noche: {why}{detail}."


def evaluate_snapshot(snapshot: PortalSnapshot, as_of: dt.date) -> Result:
    findings = tuple(rule.evaluate(snapshot, as_of) for rule in ALL_RULES)
    reason = no_score_reason(snapshot)
    if reason is not None:
        return Result(findings, None, None, reason)
    score = score_findings(findings)
    if score is None:
        return Result(findings, None, None, "Sin puntaje: ningún numeral aplicable.")
    return Result(findings, score, band_for(score), None)
