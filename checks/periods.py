"""The freshness policy (LAIP art. 7) over the periods that ``vigia.periods`` reads.

The reference date ``as_of`` is always an argument: nothing here reads the clock. The period reader
itself (month names, quarters, dates in Spanish) is ``vigia.periods``, shared with the crawler; its
names are re-exported here for the rules.
"""

from __future__ import annotations

import datetime as dt

from vigia.periods import (
    PartialPeriod,
    Period,
    best_period,
    context_year,
    extract_periods,
    find_periods,
    period_from_dates,
    period_from_text,
    state_period,
    without_signatures,
)
from vigia.spanish import MONTHS_ES

__all__ = [
    "MONTHS_ES",
    "PartialPeriod",
    "Period",
    "best_period",
    "context_year",
    "extract_periods",
    "find_periods",
    "month_label",
    "period_from_dates",
    "period_from_text",
    "required_month",
    "required_year_current",
    "required_year_previous",
    "state_period",
    "without_signatures",
]


# --------------------------------------------------------------------------- freshness policy


def month_label(year: int, month: int) -> str:
    return f"{MONTHS_ES[month - 1]} {year}"


def required_month(as_of: dt.date) -> tuple[int, int]:
    """Latest month M whose end + 30 days is before ``as_of`` (LAIP art. 7, docs/legal-reading.md)."""
    year, month = as_of.year, as_of.month
    while True:
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        end = nxt - dt.timedelta(days=1)
        if end + dt.timedelta(days=30) < as_of:
            return (year, month)


def required_year_current(as_of: dt.date) -> int:
    """The fiscal year of ``as_of`` (the previous one until 31 January)."""
    return as_of.year if as_of.month > 1 else as_of.year - 1


def required_year_previous(as_of: dt.date) -> int:
    return as_of.year - 1
