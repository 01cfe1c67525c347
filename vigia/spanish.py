"""Spanish-language facts shared by the parts that read and write Spanish periods."""

from __future__ import annotations

#: Month names in Spanish, January first (``MONTHS_ES[month - 1]``).
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
