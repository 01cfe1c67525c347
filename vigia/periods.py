"""Spanish periods and dates, read once for the whole project: the crawler, the checks and the reports.

A :class:`Period` is a month, a run of months (quarter, semester, "enero a marzo") or a year; it
counts for its last month (docs/legal-reading.md: "a quarterly report counts for the last month of
its quarter"). Labels, file names, headings and document text are read with the same regular
expressions over normalised text (``vigia.spanish.norm``): numeral labels, article and decree
numbers, NOG and amounts of money are removed first so they are not read as dates.

- :func:`find_periods` / :func:`best_period`: what the checks attribute to a link or a section;
- :func:`extract_periods`: the ISO strings the crawler stores in ``Document.dates``
  ("2026-08-15", "2026-08", "2026"), read by the same scanner;
- :func:`period_from_dates`: those ISO strings read back into a :class:`Period`.

Regular expressions only: hundreds of portals are read in seconds. Nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from vigia.spanish import MONTHS_ES, norm

# A date that says when a file was printed, published, signed or updated is not the period it covers
# ("Actualizado: 02/11/2026", "Fecha de publicación 5 de noviembre de 2026", "Impreso el 3/11/2026").
_MONTH_NAMES = "|".join(MONTHS_ES) + "|setiembre"
_STAMP_DATE = (
    r"(?:\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}|\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}"
    r"|(?:\d{1,2}(?:\.?\s*o|ro)?\s+(?:de\s+)?)?(?:" + _MONTH_NAMES + r")\.?(?:\s+(?:de(?:l)?\s+)?\d{4})?)"
)
_STAMPS = re.compile(
    r"(?<![a-z])(?:ultima actualizacion|actualizad[oa]s?|actualizacion|fecha de (?:publicacion|actualizacion|impresion"
    r"|elaboracion|emision|creacion|carga|firma)|impres[oa]|publicad[oa]|generad[oa]|elaborad[oa]|emitid[oa]|firmad[oa]"
    r"|subid[oa]|cargad[oa]|modificad[oa])(?:\s+(?:el|al|en|a|con fecha|por ultima vez))?\s*[:\-]?\s*(?:el\s+)?"
    + _STAMP_DATE
)
_STAMP_WORDS = (
    "actualiz",
    "fecha de",
    "impres",
    "publicad",
    "generad",
    "elaborad",
    "emitid",
    "firmad",
    "subid",
    "cargad",
    "modificad",
)
_STRIP_FOR_PERIODS = re.compile(
    r"(?<![a-z])num(?:erales?|eral|er|\.)?\s*[.:#_\-]*\s*(?:no\.?\s*)?\d{1,2}(?!\d)"
    r"|(?<![a-z])art(?:iculo|\.)?\s*[.:#_\-]*\s*\d{1,3}(?!\d)"
    # an identifier is not a period: "Acuerdo 03-2019" is not March 2019, "Acta No. 12-2026" not December
    r"|(?<![a-z])(?:decreto|acuerdo(?: gubernativo| municipal| de concejo| ministerial)?|ley|acta|resolucion|oficio"
    r"|circular|expediente|contrato|convenio|dictamen|providencia|punto|referencia|ref\.?|no\.|nro\.?|numero|correlativo"
    r"|reglamento|normativo)\s*(?:numero|no\.?|n\.?o\.?|nro\.?|#)?\s*[a-z]{0,6}[-\s]?\d{1,4}\s*[-–/]\s*\d{2,4}"
    r"|(?<![a-z])(?:nog|npg|nit)\s*[.:#_\-]*\s*\d+"
    r"|(?<![a-z])q\s*\.?\s*[\d.,]+\d"
    # a Guatemalan phone number ("7839-2002", "PBX 2222 3333") is not the year 2002: eight digits in two
    # groups whose first is not a year ("2025-2026" stays a run of years)
    r"|(?<![\d.,/])(?:\+?502[\s\-]?)?(?!(?:19|20)\d\d)\d{4}[\s\-]\d{4}(?![\d/])"
)
# The date a list shows its state at ("Actualizado al 31 de octubre de 2026", "Última actualización: octubre
# 2026", "Directorio (actualizado noviembre 2026)"): read only when nothing names the period covered.
_STATE_STAMP = re.compile(
    r"(?<![a-z])(?:ultima actualizacion|actualizad[oa]s?|actualizacion|fecha de actualizacion|fecha de corte"
    r"|con corte al?|corte al|datos al|vigente al)(?![a-z])"
)
_STATE_LEAD = re.compile(
    r"\s*[:\-–]?\s*(?:(?:el|al|a|en|hasta(?: el)?|con fecha(?: de(?:l)?)?|por ultima vez(?: el)?|a la fecha"
    r"|de fecha)\s+)?(?=\d|(?:" + _MONTH_NAMES + r")(?![a-z]))"
)
# a stamp about the site or the page ("Última actualización del sitio: …") says nothing of a document
_SITE_STAMP = re.compile(r"^\s*(?:del?|de la|de esta)\s+(?:sitio|pagina|portal|web)")
_LEADING_NUMBER = re.compile(r"^\s*(?:\(\s*)?\d{1,2}\s*(?:\.\s*-|\.|\)|-|–|—|:)\s*(?=[a-z(\"'])")


def strip_non_period_numbers(text: str) -> str:
    """Remove numeral labels, identifiers (decree, agreement, minutes numbers), NOG, money and the dates a
    file was printed, published or updated, so that none of them is read as the period covered."""
    t = norm(text)
    t = _LEADING_NUMBER.sub(" ", t)
    if any(w in t for w in _STAMP_WORDS):
        t = _STAMPS.sub(" ", t)
    return _STRIP_FOR_PERIODS.sub(" ", t)


_MONTH_WORDS: dict[str, int] = {}
for _i, _name in enumerate(MONTHS_ES, start=1):
    _MONTH_WORDS[_name] = _i
for _word, _i in {
    "ene": 1,
    "feb": 2,
    "febr": 2,
    "mar": 3,
    "marz": 3,
    "abr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "ago": 8,
    "agos": 8,
    "agost": 8,
    "sep": 9,
    "sept": 9,
    "set": 9,
    "setiembre": 9,
    "septiemre": 9,
    "septembre": 9,
    "oct": 10,
    "octub": 10,
    "nov": 11,
    "novi": 11,
    "noviem": 11,
    "dic": 12,
    "dici": 12,
    "diciem": 12,
    "febreo": 2,
    "agoto": 8,
    "octumbre": 10,
}.items():
    _MONTH_WORDS[_word] = _i

_MONTH = "(" + "|".join(sorted(_MONTH_WORDS, key=len, reverse=True)) + r")\.?"
_B = r"(?<![a-z])"
_E = r"(?![a-z])"
_YEAR4 = r"(20[0-4]\d)(?!\d)"
_OF = r"\s*(?:[-/.,_]\s*)?(?:de(?:l)?\s+)?(?:ano\s+|a\.\s*)?"

_RANGE = re.compile(
    _B
    + _MONTH
    + _E
    + r"\s*(?:a|al|-|–|_|y|hasta)\s*(?:(?:el\s+)?\d{1,2}\s+de\s+)?"
    + _MONTH
    + _E
    + r"(?:"
    + _OF
    + _YEAR4
    + ")?"
)
_ORD = {
    "primer": 1,
    "primero": 1,
    "1er": 1,
    "1o": 1,
    "1": 1,
    "i": 1,
    "segundo": 2,
    "2do": 2,
    "2o": 2,
    "2": 2,
    "ii": 2,
    "tercer": 3,
    "tercero": 3,
    "3er": 3,
    "3o": 3,
    "3": 3,
    "iii": 3,
    "cuarto": 4,
    "4to": 4,
    "4o": 4,
    "4": 4,
    "iv": 4,
}
_ORD_RX = "(" + "|".join(sorted(_ORD, key=len, reverse=True)) + ")"
_QUARTER = re.compile(
    _B + _ORD_RX + r"\.?\s*(trimestre|semestre|cuatrimestre)" + r"(?:" + _OF + _YEAR4 + ")?"
)
_QUARTER2 = re.compile(
    _B
    + r"(trimestre|semestre|cuatrimestre)[\s_\-]*(?:no\.?\s*)?"
    + _ORD_RX
    + r"(?![a-z0-9])"
    + r"(?:"
    + _OF
    + _YEAR4
    + ")?"
)
_TQ = re.compile(_B + r"t([1-4])\s*[-_ ]?\s*" + _YEAR4 + r"|(?<!\d)" + _YEAR4 + r"\s*[-_ ]?\s*t([1-4])(?!\d)")
_MONTH_YEAR = re.compile(_B + _MONTH + _E + r"(?:" + _OF + r"(?:" + _YEAR4 + r"|'?(\d{2})(?!\d)))?")
_NUM_MY = re.compile(r"(?<![\d.,])(0?[1-9]|1[0-2])\s*[-/_.]\s*" + _YEAR4)
_NUM_YM = re.compile(
    r"(?<![\d.,])" + r"(20[0-4]\d)\s*[-/_.]\s*(0?[1-9]|1[0-2])(?![\d])(?!\s*[-/_.]\s*20\d\d)"
)
_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[-/.]\s*(0?[1-9]|1[0-2])\s*[-/.]\s*" + _YEAR4)
_YEAR = re.compile(r"(?<![\d.,])" + _YEAR4)
# "15 de octubre de 2024", "1.º de diciembre de 2025" ("1.o" once normalised), "2o. de febrero de 2026"
_DAY_MONTH_YEAR = re.compile(
    r"(?<![\d.,])(\d{1,2})\s*\.?\s*(?:o|ro|er|do|to)?\.?\s+de\s+" + _MONTH + _E + _OF + _YEAR4
)
_ISO_DATE = re.compile(r"(?<![\d.,])(20[0-4]\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?!\d)")
_FISCAL = re.compile(r"ejercicio\s+fiscal\s*" + _YEAR4)


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: ``year`` and the months it covers (``first``..``last``); ``kind`` says how."""

    year: int
    last: int  # last month covered (12 for a year)
    first: int
    kind: str  # month | range | year

    @property
    def key(self) -> tuple[int, int]:
        return (self.year, self.last)

    def code(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "month":
            return f"{self.year}-{self.last:02d}"
        return f"{self.year}-{self.first:02d}/{self.year}-{self.last:02d}"

    def label(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "month":
            return f"{MONTHS_ES[self.last - 1]} {self.year}"
        return f"{MONTHS_ES[self.first - 1]} a {MONTHS_ES[self.last - 1]} {self.year}"


@dataclass(frozen=True)
class PartialPeriod:
    """What one text says: a period, possibly without its year (``"AGOSTO"``)."""

    first: int | None
    last: int | None
    year: int | None
    kind: str
    day: int | None = None  # when the text names a date ("15 de octubre de 2024"), not only a month

    def complete(self, year: int | None) -> Period | None:
        y = self.year if self.year is not None else year
        if y is None:
            return None
        if self.kind == "year" or self.last is None:
            return Period(y, 12, 1, "year")
        first = self.first if self.first is not None else self.last
        return Period(y, self.last, first, "month" if first == self.last else "range")


def _year2(value: str | None) -> int | None:
    if value is None:
        return None
    return 2000 + int(value)


def _mask(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


def _quarter_months(kind: str, n: int) -> tuple[int, int] | None:
    if kind == "trimestre" and 1 <= n <= 4:
        return 3 * n - 2, 3 * n
    if kind == "semestre" and 1 <= n <= 2:
        return 6 * n - 5, 6 * n
    if kind == "cuatrimestre" and 1 <= n <= 3:
        return 4 * n - 3, 4 * n
    return None


def find_periods(text: str) -> list[PartialPeriod]:
    """Every period named in ``text`` (numeral labels, decree numbers and money ignored)."""
    return list(_find_periods(text)) if text else []


@lru_cache(maxsize=65536)
def _find_periods(text: str) -> tuple[PartialPeriod, ...]:
    return tuple(_scan_periods(text))


def _scan_periods(text: str) -> list[PartialPeriod]:
    t = strip_non_period_numbers(text)
    out: list[PartialPeriod] = []
    for m in list(_RANGE.finditer(t)):
        a, b = _MONTH_WORDS[m.group(1)], _MONTH_WORDS[m.group(2)]
        if a <= b:
            out.append(PartialPeriod(a, b, int(m.group(3)) if m.group(3) else None, "range"))
            t = _mask(t, m.span())
    for rx in (_QUARTER, _QUARTER2):
        for m in list(rx.finditer(t)):
            if rx is _QUARTER:
                n, kind = _ORD[m.group(1)], m.group(2)
            else:
                kind, n = m.group(1), _ORD[m.group(2)]
            months = _quarter_months(kind, n)
            if months:
                out.append(
                    PartialPeriod(months[0], months[1], int(m.group(3)) if m.group(3) else None, "range")
                )
                t = _mask(t, m.span())
    for m in list(_TQ.finditer(t)):
        q = int(m.group(1) or m.group(4))
        year = int(m.group(2) or m.group(3))
        out.append(PartialPeriod(3 * q - 2, 3 * q, year, "range"))
        t = _mask(t, m.span())
    for m in list(_ISO_DATE.finditer(t)):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if _valid_date(year, month, day):
            out.append(PartialPeriod(month, month, year, "month", day))
            t = _mask(t, m.span())
    for m in list(_DATE.finditer(t)):
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1 <= day <= 31:
            out.append(
                PartialPeriod(month, month, year, "month", day if _valid_date(year, month, day) else None)
            )
            t = _mask(t, m.span())
    for m in list(_DAY_MONTH_YEAR.finditer(t)):
        day, month, year = int(m.group(1)), _MONTH_WORDS[m.group(2)], int(m.group(3))
        if _valid_date(year, month, day):
            out.append(PartialPeriod(month, month, year, "month", day))
            t = _mask(t, m.span())
    for m in list(_MONTH_YEAR.finditer(t)):
        month = _MONTH_WORDS[m.group(1)]
        named: int | None = int(m.group(2)) if m.group(2) else _year2(m.group(3))
        word = m.group(1)
        if named is None and len(word) <= 3 and word in ("mar", "may", "set", "sep", "dic", "nov"):
            # a bare three-letter word ("mar", "set") is too ambiguous without a year next to it
            continue
        out.append(PartialPeriod(month, month, named, "month"))
        t = _mask(t, m.span())
    for m in list(_NUM_YM.finditer(t)):
        out.append(PartialPeriod(int(m.group(2)), int(m.group(2)), int(m.group(1)), "month"))
        t = _mask(t, m.span())
    for m in list(_NUM_MY.finditer(t)):
        out.append(PartialPeriod(int(m.group(1)), int(m.group(1)), int(m.group(2)), "month"))
        t = _mask(t, m.span())
    for m in _YEAR.finditer(t):
        out.append(PartialPeriod(None, None, int(m.group(1)), "year"))
    return out


def context_year(texts: list[str] | tuple[str, ...]) -> int | None:
    """The year named by the nearest text that names one (headings, page title, trail)."""
    for text in texts:
        if not text:
            continue
        t = strip_non_period_numbers(text)
        m = _FISCAL.search(t)
        if m:
            return int(m.group(1))
        years = [int(y) for y in _YEAR.findall(t)]
        if years:
            return max(years)
    return None


def best_period(
    texts: list[str] | tuple[str, ...], year_context: list[str] | tuple[str, ...] = ()
) -> Period | None:
    """The newest period named by the first text (in order of precedence) that names one.

    A month without a year takes its year from the same text, else from ``year_context``
    (headings above the link, page title, page trail).
    """
    for text in texts:
        partial = find_periods(text)
        if not partial:
            continue
        own_years = [p.year for p in partial if p.year is not None]
        fallback = max(own_years) if own_years else context_year(year_context)
        specific = [p for p in partial if p.kind != "year"]
        chosen = specific or partial
        periods = [p.complete(p.year if p.year is not None else fallback) for p in chosen]
        complete = [p for p in periods if p is not None]
        if complete:
            return max(complete)
        # months with no year anywhere: keep looking in the next source
    return None


_PERIOD_CUE = re.compile(
    r"(?<![a-z])(?:periodo(?: que se informa| del informe| reportado)?|mes(?: de)?|correspondiente(?: al?)?|"
    r"ejercicio fiscal|trimestre|informe(?: mensual)? de)\s*[:\-]?\s*"
)


def state_period(text: str) -> Period | None:
    """The month a list's update stamp shows ("Actualizado al 31 de octubre de 2026" → October 2026).

    A state on day D shows the months ended by D: "al 31 de octubre" is October, "al 5 de noviembre" is
    still October (November is not over); a stamp with a month and no day ("Última actualización: octubre
    2026", "actualizado noviembre 2026") is that month. The checks read it only when nothing names the
    period covered (a stated month wins: docs/legal-reading.md); a stamp about the site is not read.
    """
    if not text:
        return None
    t = norm(text)
    if "actualiz" not in t and "corte" not in t and " al " not in t:
        return None
    best: Period | None = None
    for m in _STATE_STAMP.finditer(t):
        rest = t[m.end() : m.end() + 60]
        if _SITE_STAMP.match(rest):
            continue
        lead = _STATE_LEAD.match(rest)
        if lead is None:
            continue
        found = [
            p for p in _scan_periods(rest[lead.end() :][:40]) if p.year is not None and p.last is not None
        ]
        if not found or found[0].kind == "year":
            continue
        p = found[0]
        year, month = p.year, p.last
        assert year is not None and month is not None
        if p.day is not None:
            nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
            if p.day != (nxt - dt.timedelta(days=1)).day:
                year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        q = Period(year, month, month, "month")
        best = q if best is None or q > best else best
    return best


# "San Marcos, septiembre de 2026", "Guatemala, 3 de noviembre de 2026.": the place and date a document was
# signed, on a line of its own, is not the period it reports (it is usually the month after)
_SIGNATURE_LINE = re.compile(
    r"^[a-z][a-z .]{2,60},\s*(?:(?:a\s+)?(?:los\s+)?\d{1,2}(?:\s+dias)?\s+(?:del\s+mes\s+)?(?:de\s+)?)?(?:"
    + _MONTH_NAMES
    + r")\s+(?:de(?:l)?\s+)?(?:ano\s+)?\d{4}\.?$"
)
SIGNATURE_SKIP_LINES = 3


def without_signatures(text: str) -> str:
    """``text`` without its signature lines ("San Marcos, septiembre de 2026"), except in its first three
    lines, where such a line is a title ("Informe de compras, octubre de 2026")."""
    if not text or "," not in text:
        return text
    out = []
    seen = 0
    for line in text.split("\n"):
        if line.strip():
            seen += 1
            if seen > SIGNATURE_SKIP_LINES and "," in line and _SIGNATURE_LINE.match(norm(line)):
                continue
        out.append(line)
    return "\n".join(out)


def period_from_text(text: str) -> Period | None:
    """The period a document's text says it reports: after a cue ("Período: …", "Mes de …"), else the
    first one named (a title comes before signature or publication dates, which must not win)."""
    if not text:
        return None
    t = norm(text[:4000])
    for m in _PERIOD_CUE.finditer(t):
        p = best_period([t[m.start() : m.end() + 40]])
        if p is not None and p.kind != "year":
            return p
    for line in text[:4000].splitlines()[:40]:
        p = best_period([line])
        if p is not None:
            return p
    return None


def period_from_dates(values: list[Any] | tuple[Any, ...]) -> Period | None:
    """The newest period in the crawler's ``Document.dates`` (ISO strings, or dicts holding one).

    Month periods ("2026-08") are preferred over full dates ("2026-10-05"), which in a document are
    often the date it was printed or signed rather than the period it reports.
    """
    months: list[Period] = []
    found: list[Period] = []
    for value in values or ():
        text: str | None = None
        if isinstance(value, str):
            text = value
        elif isinstance(value, dict):
            for key in ("period", "value", "date", "text", "iso"):
                if isinstance(value.get(key), str):
                    text = value[key]
                    break
        if not text:
            continue
        iso = re.fullmatch(r"\s*(20\d\d)(?:-(\d\d))?(-\d\d)?.*", text)
        if iso:
            year, month = int(iso.group(1)), iso.group(2)
            if month and 1 <= int(month) <= 12:
                # "2026-08" names a period; "2026-10-05" may be a print or signature date
                (found if iso.group(3) else months).append(Period(year, int(month), int(month), "month"))
            else:
                found.append(Period(year, 12, 1, "year"))
            continue
        p = best_period([text])
        if p:
            found.append(p)
    if months:
        return max(months)
    return max(found) if found else None


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def extract_periods(text: str, *, limit: int = 50000, with_years: bool = True) -> list[str]:
    """Every date or period named in ``text`` as ISO strings, de-duplicated and sorted.

    A date is "2026-08-15", a month "2026-08", a quarter or a run of months its last month ("enero a
    marzo de 2026" → "2026-03"), a year "2026" (left out when ``with_years`` is false). The crawler
    stores these in ``Document.dates``; :func:`period_from_dates` reads them back.
    """
    if not text:
        return []
    found: set[str] = set()
    for p in find_periods(text[:limit]):
        if p.year is None:
            continue
        if p.kind == "year" or p.last is None:
            if with_years:
                found.add(f"{p.year:04d}")
        elif p.day is not None:
            found.add(f"{p.year:04d}-{p.last:02d}-{p.day:02d}")
        else:
            found.add(f"{p.year:04d}-{p.last:02d}")
    return sorted(found)
