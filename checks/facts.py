"""The rules' facts, for every other part (reports, fleet, docs, exports): import them from here.

Each fact is defined once, in the rule modules and the checks' model: a numeral's title, legal text
(literal or summary) and how it was verified, periodicity and whether it applies to municipalities,
what the municipality must do (``guidance``); the portal-level rules' titles and guidance; the status
codes and their Spanish labels; the PDH bands; the crawl outcomes that count as failures. Nothing
here reads a file or the clock.
"""

from __future__ import annotations

from checks import RULES_VERSION
from checks.engine import ACCEPTABLE, BANDS, DEFICIENT, LOW, OUTDATED_CREDIT, band_for
from checks.model import (
    ABSENT,
    FAILED_OUTCOMES,
    NOT_APPLICABLE,
    OUTDATED,
    PRESENT,
    STATUS_LABELS,
    STATUSES,
    UNVERIFIED,
)
from checks.registry import NUMERAL_RULES
from checks.rules.base import (
    ANNUAL_CURRENT,
    ANNUAL_PREVIOUS,
    MONTHLY,
    NOT_MUNICIPAL,
    PERIODICITIES,
    PERIODICITY_ES,
    STANDING,
    WHEN_OCCURS,
    NumeralRule,
)
from checks.rules.portal import PORTAL_RULES, PortalRule

__all__ = [
    "ABSENT",
    "ACCEPTABLE",
    "DEFICIENT",
    "LOW",
    "ANNUAL_CURRENT",
    "ANNUAL_PREVIOUS",
    "BANDS",
    "BAND_NAMES",
    "FAILED_OUTCOMES",
    "MONTHLY",
    "NOT_APPLICABLE",
    "NOT_MUNICIPAL",
    "NUMERALS",
    "NUMERAL_RULES",
    "OUTDATED",
    "OUTDATED_CREDIT",
    "PERIODICITIES",
    "PERIODICITY_ES",
    "PORTAL_RULES",
    "PORTAL_RULES_BY_CODE",
    "PRESENT",
    "RULES_VERSION",
    "STANDING",
    "STATUSES",
    "STATUS_LABELS",
    "UNVERIFIED",
    "WHEN_OCCURS",
    "NumeralRule",
    "PortalRule",
    "band_for",
    "band_range",
]

#: The 29 numerals of article 10, by number.
NUMERALS: dict[int, NumeralRule] = {rule.numeral: rule for rule in NUMERAL_RULES}
#: The portal-level rules, by code.
PORTAL_RULES_BY_CODE: dict[str, PortalRule] = {rule.code: rule for rule in PORTAL_RULES}
#: The PDH's band names, best first ("Aceptable", "Bajo", "Deficiente").
BAND_NAMES: tuple[str, ...] = tuple(name for _floor, name in BANDS)


def band_range(name: str) -> str:
    """The scores of a band in words ("85 a 100", "60 a 84.99", "0 a 59.99")."""
    floors = dict((band, floor) for floor, band in BANDS)
    floor = floors[name]
    higher = [f for f, _band in BANDS if f > floor]
    top = f"{min(higher) - 0.01:g}" if higher else "100"
    return f"{floor:g} a {top}"
