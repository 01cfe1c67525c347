"""LAIP-10.13 — artículo 10, numeral 13: Inventario de bienes.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Inventario de bienes muebles e inmuebles».
Estado de verificación del texto: resumen de memoria.

Periodicidad: anual (año anterior o posterior).

- Cumple (present): Inventario de bienes muebles e inmuebles del año anterior a la fecha de referencia, o posterior.
- Desactualizado (outdated): El inventario más reciente es de un año anterior al exigible.
- No publicado (absent): Nada publicado bajo el numeral 13 ni inventario.
"""

from checks.rules.base import ANNUAL_PREVIOUS, NumeralRule

RULE = NumeralRule(
    numeral=13,
    title="Inventario de bienes",
    legal_text="Inventario de bienes muebles e inmuebles",
    legal_text_is_summary=True,
    periodicity=ANNUAL_PREVIOUS,
    vocabulary=(
        r"inventarios?",
        r"bienes muebles(?: e inmuebles)?",
        r"bienes inmuebles",
        r"activos fijos",
        r"libro de inventario",
    ),
    present="Inventario de bienes muebles e inmuebles del año anterior a la fecha de referencia, o posterior.",
    outdated="El inventario más reciente es de un año anterior al exigible.",
    absent="Nada publicado bajo el numeral 13 ni inventario.",
    report_noun="inventario",
    doc=__doc__ or "",
)
