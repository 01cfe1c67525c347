"""Dates and periods named in Spanish text, as ISO strings ("2026-08-15", "2026-08", "2026").

Regular expressions over ASCII-folded text: fast enough for 50 000-character documents, and they
find dates inside sentences ("15 de octubre de 2024"), months with a year ("AGOSTO-2026",
"mes de agosto de 2026"), quarters and month ranges ("primer trimestre 2026", "enero a marzo 2026",
counted as their last month, as docs/legal-reading.md asks) and fiscal years ("ejercicio fiscal 2026").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from vigia.spanish import fold

MONTHS = {
    "enero": 1,
    "ene": 1,
    "febrero": 2,
    "feb": 2,
    "marzo": 3,
    "mar": 3,
    "abril": 4,
    "abr": 4,
    "mayo": 5,
    "may": 5,
    "junio": 6,
    "jun": 6,
    "julio": 7,
    "jul": 7,
    "agosto": 8,
    "ago": 8,
    "septiembre": 9,
    "setiembre": 9,
    "sep": 9,
    "sept": 9,
    "set": 9,
    "octubre": 10,
    "oct": 10,
    "noviembre": 11,
    "nov": 11,
    "diciembre": 12,
    "dic": 12,
}
_MONTH_FULL = (
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
)
_MONTH_ANY = _MONTH_FULL + r"|ene|feb|mar|abr|may|jun|jul|ago|sept|sep|set|oct|nov|dic"
_YEAR = r"(20\d{2}|19\d{2})"
_SEP = r"[\s._/\-,]*(?:de(?:l)?[\s._\-]+)?(?:ano[\s._\-]+)?"

# a day may carry an ordinal mark: "1.º", "1o.", "1ro.", "1er." and "1°" (folded to "1deg")
_DAY_ORDINAL = r"(?:\.?(?:o|ro|er|deg)\b\.?)?"
RE_DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}}){_DAY_ORDINAL}[\s._\-]*de[\s._\-]+({_MONTH_FULL})[\s._\-,]*(?:de(?:l)?[\s._\-]+)?{_YEAR}\b"
)
RE_NUMERIC_DMY = re.compile(r"\b(\d{1,2})[/\-.](\d{1,2})[/\-.](20\d{2})\b")
RE_ISO = re.compile(r"\b(20\d{2})-(\d{2})(?:-(\d{2}))?\b")
RE_MONTH_RANGE = re.compile(
    rf"\b({_MONTH_FULL})[\s._\-]*(?:a|al|-|hasta|y)[\s._\-]*({_MONTH_FULL}){_SEP}{_YEAR}\b"
)
RE_MONTH_YEAR = re.compile(rf"(?<![a-z])({_MONTH_ANY})\.?{_SEP}{_YEAR}\b")
ORDINALS = {
    "primer": 1,
    "primero": 1,
    "1er": 1,
    "1": 1,
    "segundo": 2,
    "2do": 2,
    "2": 2,
    "tercer": 3,
    "tercero": 3,
    "3er": 3,
    "3": 3,
    "cuarto": 4,
    "4to": 4,
    "4": 4,
}
RE_QUARTER = re.compile(
    r"\b(primer|primero|1er|segundo|2do|tercer|tercero|3er|cuarto|4to|[1-4])[\s._\-]*(?:o[\s._\-]+)?"
    rf"(trimestre|cuatrimestre|semestre){_SEP}{_YEAR}\b"
)
RE_FISCAL = re.compile(rf"\b(?:ejercicio(?: fiscal)?|ano(?: fiscal)?|periodo fiscal|fiscal){_SEP}{_YEAR}\b")
RE_YEAR = re.compile(r"(?<![\d/.\-])(20[0-4]\d)(?![\d/])")

_SPAN_MONTHS = {"trimestre": 3, "cuatrimestre": 4, "semestre": 6}


def _valid_year(year: int) -> bool:
    return 1990 <= year <= 2050


def extract_periods(text: str, *, limit: int = 50000, with_years: bool = True) -> list[str]:
    """Every date or period named in ``text``, de-duplicated and sorted (ISO strings)."""
    if not text:
        return []
    s = fold(text[:limit])
    found: set[str] = set()
    covered: list[tuple[int, int]] = []

    def add(value: str, span: tuple[int, int]) -> None:
        found.add(value)
        covered.append(span)

    for m in RE_DAY_MONTH_YEAR.finditer(s):
        day, month, year = int(m.group(1)), MONTHS[m.group(2)], int(m.group(3))
        if _valid_year(year) and _valid_date(year, month, day):
            add(f"{year:04d}-{month:02d}-{day:02d}", m.span())
    for m in RE_NUMERIC_DMY.finditer(s):
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if _valid_date(year, month, day):
            add(f"{year:04d}-{month:02d}-{day:02d}", m.span())
    for m in RE_ISO.finditer(s):
        year, month = int(m.group(1)), int(m.group(2))
        if not (1 <= month <= 12):
            continue
        if m.group(3):
            day = int(m.group(3))
            if _valid_date(year, month, day):
                add(f"{year:04d}-{month:02d}-{day:02d}", m.span())
        else:
            add(f"{year:04d}-{month:02d}", m.span())
    for m in RE_MONTH_RANGE.finditer(s):
        year = int(m.group(3))
        if _valid_year(year):
            add(f"{year:04d}-{MONTHS[m.group(2)]:02d}", m.span())
    for m in RE_QUARTER.finditer(s):
        n, kind, year = ORDINALS.get(m.group(1), 0), m.group(2), int(m.group(3))
        span = _SPAN_MONTHS[kind]
        if n and n * span <= 12 and _valid_year(year):
            add(f"{year:04d}-{n * span:02d}", m.span())
    for m in RE_MONTH_YEAR.finditer(s):
        if _inside(m.span(), covered):
            continue
        year = int(m.group(2))
        if _valid_year(year):
            add(f"{year:04d}-{MONTHS[m.group(1)]:02d}", m.span())
    for m in RE_FISCAL.finditer(s):
        year = int(m.group(1))
        if _valid_year(year):
            add(f"{year:04d}", m.span())
    if with_years:
        for m in RE_YEAR.finditer(s):
            if not _inside(m.span(), covered):
                found.add(m.group(1))
    return sorted(found)


def _inside(span: tuple[int, int], covered: Iterable[tuple[int, int]]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in covered)


def _valid_date(year: int, month: int, day: int) -> bool:
    if not _valid_year(year):
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True
