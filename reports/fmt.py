"""Formatting for Spanish-language reports, and the one gate every outgoing link passes through."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from vigia.spanish import MONTHS_ES

#: Guatemala keeps Central Standard Time all year (UTC−6, no daylight saving).
GUATEMALA = dt.timezone(dt.timedelta(hours=-6), "hora de Guatemala")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: Unicode bidirectional controls: portal text carrying one (a right-to-left override in a label) would
#: reorder what the report shows around it, so they never reach a report (issue 14)
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_CELL_START = ("=", "+", "-", "@", "\t", "\r")
#: An http(s) URL of printable ASCII with a plain host (and port): no control character, no space, no
#: bracket or userinfo in the host. ``urlsplit`` accepts such a URL as is, so :func:`safe_href` returns it
#: unchanged without the general path (most evidence links look like this).
_PLAIN_HTTP_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:[/?#][\x21-\x7e]*)?")
_MONTH_PERIOD = re.compile(r"(\d{4})-(\d{2})")
_QUARTER_PERIOD = re.compile(r"(\d{4})-[QqTt]([1-4])")


def safe_href(url: str | None) -> str | None:
    """An http(s) URL fit for an ``href``, or ``None``: ``javascript:``, ``data:`` and the rest never pass.

    Browsers drop tabs and newlines inside URLs and strip leading control characters, so the check is
    made on the URL as a browser would read it.
    """
    if not url:
        return None
    if _PLAIN_HTTP_URL.fullmatch(url):
        return url
    cleaned = _CONTROL.sub("", url).strip()
    if not cleaned:
        return None
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return cleaned.replace(" ", "%20")


def clean_text(value: str | None, limit: int | None = None) -> str:
    """Text from crawled pages, without control characters, optionally shortened."""
    text = value or ""
    # printable text (no control character, no whitespace but " ") with single inner spaces is already clean
    if not (text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "):
        text = " ".join(_CONTROL.sub(" ", text).split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def strip_bidi(value: Any) -> Any:
    """``value`` without bidirectional controls when it is text (markup stays markup); Jinja2's
    ``finalize`` for every report, so no portal text reaches a page with one."""
    if isinstance(value, str) and _BIDI.search(value):
        cleaned = _BIDI.sub("", value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def spreadsheet_cell(value: str) -> str:
    """Neutralise formula injection for CSV/XLSX readers (OWASP): a leading ' before = + - @; no
    bidirectional controls."""
    if value and _BIDI.search(value):
        value = _BIDI.sub("", value)
    if value and value.startswith(_UNSAFE_CELL_START):
        return "'" + value
    return value


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def date_es(value: dt.date | None) -> str:
    if value is None:
        return "—"
    return f"{value.day} de {MONTHS_ES[value.month - 1]} de {value.year}"


def local_time(value: dt.datetime | None) -> dt.datetime | None:
    """A stored naive-UTC timestamp in Guatemala's time."""
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(GUATEMALA)


def datetime_es(value: dt.datetime | None) -> str:
    local = local_time(value)
    if local is None:
        return "—"
    return f"{date_es(local.date())}, {local:%H:%M} (hora de Guatemala)"


def short_datetime(value: dt.datetime | None) -> str:
    local = local_time(value)
    return "—" if local is None else f"{local:%d/%m/%Y %H:%M}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def size(n: int | None) -> str:
    if not n:
        return "0 B"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def integer(n: int) -> str:
    return f"{n:,}"


def period(value: str | None) -> str:
    """A period code (``2026-08``, ``2026``, ``2026-Q3``) in words; anything else is shown as is."""
    if not value:
        return "—"
    m = _MONTH_PERIOD.fullmatch(value)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{MONTHS_ES[int(m.group(2)) - 1]} {m.group(1)}"
    m = _QUARTER_PERIOD.fullmatch(value)
    if m:
        return f"{m.group(2)}.º trimestre {m.group(1)}"
    return clean_text(value, 60)
