"""Facts the fleet needs about article 10 and about periods, imported from the checks (never copied).

The titles, legal texts and periodicities are the rules' own (``checks.facts``); the month names are
``vigia.spanish``'s; the freshness policy (art. 7's thirty days, the fiscal year) is ``checks.periods``'s.
Only what belongs to the simulation is defined here (the reasons portals give for "No aplica").
"""

from __future__ import annotations

import datetime as dt

from checks.facts import (
    ANNUAL_CURRENT as ANNUAL_CURRENT_KIND,
)
from checks.facts import (
    ANNUAL_PREVIOUS as ANNUAL_PREVIOUS_KIND,
)
from checks.facts import (
    MONTHLY as MONTHLY_KIND,
)
from checks.facts import (
    NUMERALS,
    NumeralRule,
)
from checks.periods import required_month, required_year_current
from vigia.spanish import MONTHS_ES

__all__ = [
    "ANNUAL_CURRENT",
    "ANNUAL_PREVIOUS",
    "MONTHLY",
    "MONTHS_ES",
    "NO_APLICA_REASONS",
    "QUARTER_NAMES",
    "add_months",
    "fiscal_year",
    "month_end",
    "month_key",
    "numerals",
    "periodicity",
    "required_month",
]

QUARTER_NAMES: tuple[str, ...] = ("primer", "segundo", "tercer", "cuarto")

MONTHLY = frozenset(n for n, r in NUMERALS.items() if r.periodicity == MONTHLY_KIND)
ANNUAL_CURRENT = frozenset(n for n, r in NUMERALS.items() if r.periodicity == ANNUAL_CURRENT_KIND)
ANNUAL_PREVIOUS = frozenset(n for n, r in NUMERALS.items() if r.periodicity == ANNUAL_PREVIOUS_KIND)
#: Numerals for which real portals often state "No aplica" with a reason.
NO_APLICA_REASONS: dict[int, str] = {
    15: "la municipalidad no ejecuta programas de subsidios, becas ni transferencias con fondos públicos",
    16: "la municipalidad no ha otorgado contratos, licencias ni concesiones para el usufructo de bienes",
    17: "durante el presente ejercicio no se ha realizado precalificación de empresas",
    21: "la municipalidad no administra fideicomisos con fondos públicos",
}


def periodicity(numeral: int) -> str:
    """The rule's periodicity (``checks.facts.MONTHLY`` … ``NOT_MUNICIPAL``)."""
    return NUMERALS[numeral].periodicity


def numerals() -> dict[int, NumeralRule]:
    """The 29 numerals' rules (``title``, ``legal_text`` …), by number."""
    return NUMERALS


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_end(year: int, month: int) -> dt.date:
    ny, nm = add_months(year, month, 1)
    return dt.date(ny, nm, 1) - dt.timedelta(days=1)


def fiscal_year(as_of: dt.date) -> int:
    """The fiscal year whose POA and budget must be published (the previous one until 31 January)."""
    return required_year_current(as_of)


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"
