"""Facts the fleet needs about article 10 and about periods (the legal reading of docs/legal-reading.md)."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import vigia

MONTHS_ES: tuple[str, ...] = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
QUARTER_NAMES: tuple[str, ...] = ("primer", "segundo", "tercer", "cuarto")

MONTHLY = frozenset({3, 4, 8, 9, 10, 11, 12, 14, 15, 18, 19, 20, 22})
ANNUAL_CURRENT = frozenset({5, 7})
ANNUAL_PREVIOUS = frozenset({13, 23, 26, 28})
STANDING = frozenset({1, 2, 6})
WHEN_OCCURS = frozenset({16, 17, 21, 27, 29})
NOT_FOR_MUNICIPALITIES = frozenset({24, 25})
#: Numerals for which real portals often state "No aplica" with a reason.
NO_APLICA_REASONS: dict[int, str] = {
    15: "la municipalidad no ejecuta programas de subsidios, becas ni transferencias con fondos públicos",
    16: "la municipalidad no ha otorgado contratos, licencias ni concesiones para el usufructo de bienes",
    17: "durante el presente ejercicio no se ha realizado precalificación de empresas",
    21: "la municipalidad no administra fideicomisos con fondos públicos",
}


def periodicity(numeral: int) -> str:
    if numeral in MONTHLY:
        return "monthly"
    if numeral in ANNUAL_CURRENT:
        return "annual_current"
    if numeral in ANNUAL_PREVIOUS:
        return "annual_previous"
    if numeral in STANDING:
        return "standing"
    if numeral in WHEN_OCCURS:
        return "when_occurs"
    return "not_applicable"


@dataclass(frozen=True, slots=True)
class Numeral:
    number: int
    short_name: str
    legal_text: str


@cache
def numerals() -> dict[int, Numeral]:
    path = Path(vigia.__file__).resolve().parent / "data" / "laip_art10.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {
        int(r["numeral"]): Numeral(int(r["numeral"]), r["nombre_corto"].strip(), r["resumen_es"].strip())
        for r in rows
    }


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_end(year: int, month: int) -> dt.date:
    ny, nm = add_months(year, month, 1)
    return dt.date(ny, nm, 1) - dt.timedelta(days=1)


def required_month(as_of: dt.date) -> tuple[int, int]:
    """The latest month M whose end + 30 days is before ``as_of`` (art. 7's thirty days)."""
    year, month = as_of.year, as_of.month
    while not (month_end(year, month) + dt.timedelta(days=30) < as_of):
        year, month = add_months(year, month, -1)
    return year, month


def fiscal_year(as_of: dt.date) -> int:
    """The fiscal year whose POA and budget must be published (the previous one until 31 January)."""
    return as_of.year if as_of > dt.date(as_of.year, 1, 31) else as_of.year - 1


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"
