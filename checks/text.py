"""Text helpers for the checks: normalisation and explicit numeral labels.

Everything here works on *normalised* text: accents removed (``unidecode``), lower case, degree and
ordinal signs turned into ``o``. Numeral labels are matched on the normalised text with punctuation
kept, so that ``"8."``, ``"8)"`` and ``"08 -"`` can be told apart from dates and amounts.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from vigia.spanish import norm

__all__ = [
    "EMAIL",
    "GUATECOMPRAS",
    "MONEY",
    "NOG",
    "NOT_APPLICABLE",
    "PHONE",
    "explicit_numerals",
    "explicit_numerals_in_name",
    "file_name",
    "norm",
    "strip_furniture",
    "url_host",
    "url_path",
    "words",
]

_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


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
    leading = _LEADING.match(t)
    if leading:
        found.append((leading.start(), int(leading.group(1))))
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


def strip_leading_number(text: str) -> str:
    """``text`` (normalised) without a leading "8. " / "08 - " row number."""
    return _LEADING_ROW_NUMBER.sub(" ", norm(text))


_LEADING_ROW_NUMBER = re.compile(r"^\s*(?:\(\s*)?\d{1,2}\s*(?:\.\s*-|\.|\)|-|–|—|:)\s*(?=[a-z(\"'])")


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


# --------------------------------------------------------------------------- site furniture in a text

_A = "[aá]"
_E = "[eé]"
_I = "[ií]"
_O = "[oó]"
_U = "[uú]"
_FURNITURE_TEXT = re.compile(
    "|".join(
        (
            # credits of the theme, the CMS or the agency that built the site
            r"(?:sitio(?:[ \t]+web)?[ \t]+)?(?:dise[ñn]ad[oa]|desarrollad[oa]|dise[ñn]o[ \t]+web|desarrollo[ \t]+web"
            r"|hosting)[ \t]+(?:por|by|con)[ \t]+[^|\n.·©]{1,60}",
            r"(?:proudly[ \t]+)?powered[ \t]+by[ \t]+[^|\n.·©]{1,40}",
            r"funciona[ \t]+gracias[ \t]+a[ \t]+[^|\n.·©]{1,40}",
            rf"con[ \t]+la[ \t]+tecnolog{_I}a[ \t]+de[ \t]+[^|\n.·©]{{1,40}}",
            r"(?<![\w])(?:wordpress|joomla!?|elementor|elegant[ \t]+themes|divi|wpastra|astra|generatepress|oceanwp"
            r"|avada|colorlib|themeisle|drupal)(?![\w])",
            r"tema[ \t]*:[ \t]*[a-z0-9][\w\-]{1,30}",
            r"(?:copyright[ \t]*)?(?:©|\(c\))[^|\n·]{0,100}?(?:derechos[ \t]+reservados\.?|(?=[|\n·])|$)",
            r"copyright[ \t]+\d{4}",
            r"(?:todos[ \t]+los[ \t]+)?derechos[ \t]+reservados\.?",
            # view and hit counters (Joomla's "Visto 1234 veces", "Visitas: 56", "Accesos")
            rf"(?:visto|vistas?|le{_I}do|visitas?(?:[ \t]+(?:hoy|totales|de[ \t]+hoy|del[ \t]+mes|en[ \t]+l{_I}nea))?"
            rf"|accesos|hits|lecturas|visitantes(?:[ \t]+en[ \t]+l{_I}nea)?|contador[ \t]+de[ \t]+visitas)"
            rf"[ \t]*:?[ \t]*\d[\d.,]*(?:[ \t]+veces)?",
            r"\d[\d.,]*[ \t]+(?:visitas|vistas|veces[ \t]+le[ií]do)",
            # "Ir arriba", cookie bars, social links, breadcrumbs, Joomla's article details
            r"(?:ir|volver|subir)[ \t]+(?:arriba|al[ \t]+inicio)|back[ \t]+to[ \t]+top|scroll[ \t]+to[ \t]+top",
            r"(?:este[ \t]+sitio|esta[ \t]+web|este[ \t]+portal|utilizamos|usamos)[^.\n]{0,80}cookies[^.\n]*\.?",
            rf"(?:aceptar|rechazar|configurar)(?:[ \t]+todas)?(?:[ \t]+las)?[ \t]+cookies|pol{_I}tica[ \t]+de[ \t]+cookies",
            rf"s{_I}guenos(?:[ \t]+en)?|comp{_A}rte(?:lo)?(?:[ \t]+en)?|compartir[ \t]+en",
            r"(?<![\w/.])(?:facebook|twitter|instagram|youtube|tiktok|whatsapp|linkedin)(?![\w.])",
            rf"(?:usted[ \t]+est{_A}[ \t]+aqu{_I}|est{_A}s[ \t]+aqu{_I})[ \t]*:?",
            r"(?:inicio|home)[ \t]*[»>][ \t]*(?:[^»>\n]{1,60}?[ \t]*[»>][ \t]*)*[^»>\s]+(?:[ \t]+\d{1,2}(?!\d))?",
            r"detalles(?=[ \t]+(?:categor|escrito|publicado|creado))",
            rf"(?:categor{_I}a|escrito[ \t]+por|publicado|creado)[ \t]*:[ \t]*(?:\d{{1,2}}[ \t]+\w+[ \t]+\d{{4}}(?:[ \t]+\d\d:\d\d)?"
            rf"|[^\n:]{{1,40}}?(?=[ \t]+(?:publicado|visto|escrito|creado|categor)|$))",
        )
    ),
    re.I,
)


# what marks a line as the page's footer: copyright and the credits of the theme, the CMS or the agency
_FOOTER_MARK = re.compile(
    r"©|copyright|derechos[ \t]+reservados|powered[ \t]+by|funciona[ \t]+gracias[ \t]+a"
    r"|(?:dise[ñn]ad[oa]|desarrollad[oa]|dise[ñn]o[ \t]+web|desarrollo[ \t]+web)[ \t]+(?:por|by)",
    re.I,
)
# the footer's contact details: the municipality's name, address, phones, e-mail and schedule
_CONTACT = re.compile(
    r"(?<!\d)(?:\+?502[\s\-]?)?\d{4}[\s\-]?\d{4}(?!\d)|@|(?<![\w])(?:tel[eé]fonos?|tel\.|pbx|fax|correo|horarios?"
    r"|zona[ \t]+\d+|calle|avenida|km\.?|direcci[oó]n|municipalidad[ \t]+de|lunes|viernes)(?![\w])",
    re.I,
)
_SENTENCES = re.compile(r"(?<=[.|·])[ \t]+|[ \t]+[|·][ \t]+|[ \t]+/[ \t]+")


def _strip_footer(line: str) -> str:
    """A line that holds the footer's mark (copyright, credits) loses the contact details next to it: the
    footer's name, address, phones, e-mail and schedule are furniture too (a page's own table of offices
    stands in its own rows)."""
    parts = _SENTENCES.split(line)
    marks = [i for i, part in enumerate(parts) if _FOOTER_MARK.search(part)]
    if not marks:
        return line
    drop = set(marks)
    for i in marks:
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(parts) and (_CONTACT.search(parts[j]) or len(parts[j].split()) <= 3):
                drop.add(j)
                j += step
    return " ".join(part for i, part in enumerate(parts) if i not in drop)


def strip_furniture(text: str) -> str:
    """``text`` (raw, one line per table row or list item) without the site's furniture: theme and CMS
    credits ("Diseñado por Elegant Themes | Desarrollado por WordPress", "Powered by Joomla!"), copyright,
    view counters ("Visto 1234 veces", "Visitas: 56"), "Ir arriba", cookie bars, social links, breadcrumbs
    and Joomla's article details. None of it is publication, nor the reason of a "No aplica"."""
    if not text:
        return text
    return "\n".join(_strip_line(line) for line in text.split("\n"))


# words at least one of which every piece of furniture holds: lines with none are left as they are, fast
_FURNITURE_HINTS = (
    "por",
    "by",
    "gracias",
    "tecnolog",
    "wordpress",
    "joomla",
    "elementor",
    "themes",
    "divi",
    "astra",
    "generatepress",
    "oceanwp",
    "avada",
    "colorlib",
    "themeisle",
    "drupal",
    "tema",
    "©",
    "(c)",
    "copyright",
    "derechos",
    "vist",
    "leíd",
    "leid",
    "visit",
    "acceso",
    "hits",
    "lectura",
    "contador",
    "arriba",
    "inicio",
    "top",
    "cookie",
    "guenos",
    "compart",
    "facebook",
    "twitter",
    "instagram",
    "youtube",
    "tiktok",
    "whatsapp",
    "linkedin",
    "aqu",
    "detalles",
    "categor",
    "escrito",
    "publicado",
    "creado",
    "hosting",
    "home",
    "web",
)


def _strip_line(line: str) -> str:
    low = line.lower()
    if not any(hint in low for hint in _FURNITURE_HINTS):
        return line
    return _FURNITURE_TEXT.sub(" ", _strip_footer(line))
