"""Text helpers for the checks: normalisation and explicit numeral labels.

Everything here works on *normalised* text: accents removed (``unidecode``), lower case, degree and
ordinal signs turned into ``o``. Numeral labels are matched on the normalised text with punctuation
kept, so that ``"8."``, ``"8)"`` and ``"08 -"`` can be told apart from dates and amounts.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from unidecode import unidecode

_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


_SPECIAL = (("°", "o"), ("º", "o"), ("ª", "a"), ("·", " "), ("–", "-"), ("—", "-"), ("\u00a0", " "))


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    """Lower case, no accents, single spaces; punctuation kept."""
    if not text:
        return ""
    if not text.isascii():
        for old, new in _SPECIAL:
            if old in text:
                text = text.replace(old, new)
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        # characters NFKD cannot fold (rare) go through unidecode
        text = folded if len(folded) >= 0.9 * len(text) else unidecode(text)
    # same as _SPACES.sub(" ", …).strip(): str.split() and re's \s agree on what whitespace is
    return " ".join(text.lower().split())


# norm() returns ASCII only: every character but a-z and 0-9 becomes a space
_NON_ALNUM_TO_SPACE = str.maketrans(
    {chr(c): " " for c in range(128) if not ("a" <= chr(c) <= "z" or "0" <= chr(c) <= "9")}
)


@lru_cache(maxsize=65536)
def words(text: str) -> str:
    """Normalised text with every run of non-alphanumerics turned into one space (for vocabulary)."""
    # same as _NON_ALNUM.sub(" ", norm(text)).strip() on norm's ASCII output
    t = norm(text)
    if not t.isascii():  # never, but then the regex decides
        return _NON_ALNUM.sub(" ", t).strip()
    return " ".join(t.translate(_NON_ALNUM_TO_SPACE).split())


_FAST_URL = re.compile(r"https?://([^/?#]*)([^?#]*)")


def url_path(url: str) -> str:
    """``urlsplit(url).path`` (raises ValueError like it), without its cost for plain http(s) URLs."""
    m = _FAST_URL.match(url)
    if m is not None and "\t" not in url and "\r" not in url and "\n" not in url:
        netloc = m.group(1)
        if netloc.isascii() and "[" not in netloc and "]" not in netloc:
            return m.group(2)
    return urlsplit(url).path


@lru_cache(maxsize=65536)
def file_name(url: str) -> str:
    """The last path segment of a URL, decoded, without its extension (``NUMERAL-2-FEBRERO``)."""
    try:
        path = url_path(url)
    except ValueError:
        return ""
    name = unquote(path.rstrip("/").rsplit("/", 1)[-1])
    if "." in name:
        stem, ext = name.rsplit(".", 1)
        if 1 <= len(ext) <= 5 and ext.isalnum():
            name = stem
    return name


@lru_cache(maxsize=65536)
def url_host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


# --------------------------------------------------------------------------- explicit numeral labels

_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50}


def _roman(value: str) -> int | None:
    total, prev = 0, 0
    for ch in reversed(value):
        n = _ROMAN.get(ch)
        if n is None:
            return None
        total = total - n if n < prev else total + n
        prev = max(prev, n)
    return total or None


# "numeral 8", "numeral8", "num. 8", "num8", "numeral no. 8", "numerales 8", "NUMERAL-2-FEBRERO",
# "Art. 10 num. 8", "Artículo 10, numeral 8" (the "num" part carries the number).
_NUM_WORD = re.compile(
    r"(?<![a-z])num(?:erales?|eral|er|\.)?\s*[.:#_\-]*\s*(?:no\.?\s*|n\.?o\.?\s*)?(\d{1,2})(?!\d)(?![.,]\d)"
    r"(?!\s*(?:al|a|hasta)\s+(?:numeral\s*)?\d)"  # "numerales 1 al 29" is an index, not a label
)
_NUM_ROMAN = re.compile(r"(?<![a-z])numeral\s*[.:#_\-]*\s*([ivxl]{1,6})(?![a-z])")
# "Art. 10 inciso 8" style ("inciso"/"literal" are used by some portals instead of "numeral").
_ART_INCISO = re.compile(r"(?<![a-z])art(?:iculo|\.)?\s*10\s*[,.]?\s*(?:inciso|literal)\s*(\d{1,2})(?!\d)")
# Leading "8. ", "8) ", "08 - ", "8.- ", "8: " at the start of a heading or label (not "8.5", "08-2026").
_LEADING = re.compile(r"^\s*(?:\(\s*)?(\d{1,2})\s*(?:\.\s*-|\.|\)|-|–|—|:)\s*(?=[a-z(\"'])")


@lru_cache(maxsize=65536)
def explicit_numerals(text: str) -> tuple[int, ...]:
    """Article-10 numerals named explicitly in ``text`` (in order of appearance, 1–29 only)."""
    if not text:
        return ()
    t = norm(text)
    found: list[tuple[int, int]] = []
    for rx in (_NUM_WORD, _ART_INCISO):
        for m in rx.finditer(t):
            found.append((m.start(), int(m.group(1))))
    for m in _NUM_ROMAN.finditer(t):
        value = _roman(m.group(1))
        if value:
            found.append((m.start(), value))
    m = _LEADING.match(t)
    if m:
        found.append((m.start(), int(m.group(1))))
    out: list[int] = []
    for _pos, n in sorted(found):
        if 1 <= n <= 29 and n not in out:
            out.append(n)
    return tuple(out)


def explicit_numerals_in_name(name: str) -> tuple[int, ...]:
    """Numerals named in a file name (``NUMERAL-2-FEBRERO``, ``num8_agosto``, ``08-ejecucion``)."""
    if not name:
        return ()
    spaced = name.replace("_", " ").replace("+", " ")
    return explicit_numerals(spaced)


# A date that says when a file was printed, published, signed or updated is not the period it covers
# ("Actualizado: 02/11/2026", "Fecha de publicación 5 de noviembre de 2026", "Impreso el 3/11/2026").
_MONTH_NAMES = (
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
)
_STAMP_DATE = (
    r"(?:\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}|\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}"
    r"|(?:\d{1,2}\s+(?:de\s+)?)?(?:" + _MONTH_NAMES + r")\.?(?:\s+(?:de(?:l)?\s+)?\d{4})?)"
)
_STAMPS = re.compile(
    r"(?<![a-z])(?:ultima actualizacion|actualizad[oa]s?|actualizacion|fecha de (?:publicacion|actualizacion|impresion"
    r"|elaboracion|emision|creacion|carga|firma)|impres[oa]|publicad[oa]|generad[oa]|elaborad[oa]|emitid[oa]|firmad[oa]"
    r"|subid[oa]|cargad[oa]|modificad[oa])(?:\s+(?:el|al|en|a|con fecha|por ultima vez))?\s*[:\-]?\s*(?:el\s+)?"
    + _STAMP_DATE
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
)
_LEADING_NUMBER = re.compile(r"^\s*(?:\(\s*)?\d{1,2}\s*(?:\.\s*-|\.|\)|-|–|—|:)\s*(?=[a-z(\"'])")


def strip_non_period_numbers(text: str) -> str:
    """Remove numeral labels, identifiers (decree, agreement, minutes numbers), NOG, money and the dates a
    file was printed, published or updated, so that none of them is read as the period covered."""
    t = norm(text)
    t = _LEADING_NUMBER.sub(" ", t)
    if any(
        c in t
        for c in (
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
    ):
        t = _STAMPS.sub(" ", t)
    return _STRIP_FOR_PERIODS.sub(" ", t)


def strip_leading_number(text: str) -> str:
    """``text`` (normalised) without a leading "8. " / "08 - " row number."""
    return _LEADING_NUMBER.sub(" ", norm(text))


# --------------------------------------------------------------------------- other signals

NOG = re.compile(
    r"(?<![a-z])(?:nog|numero de operacion guatecompras|no\. de operacion)\s*[.:#_\-]*\s*\d{5,9}"
)
GUATECOMPRAS = re.compile(r"guatecompras\.gt")
EMAIL = re.compile(r"[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}")
PHONE = re.compile(r"(?<!\d)(?:\+?502[\s\-]?)?\d{4}[\s\-]?\d{4}(?!\d)")
MONEY = re.compile(r"(?<![a-z])q\s*\.?\s*\d[\d.,]*")
NOT_APPLICABLE = re.compile(
    r"(?<![a-z])(?:no\s+(?:le\s+)?aplica|no\s+es\s+aplicable|no\s+aplicable|n/a(?![a-z]))"
)
