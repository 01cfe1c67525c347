"""LAIP-10.22 — artículo 10, numeral 22: Compras directas.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Listado de compras directas realizadas por las dependencias».
Estado de verificación del texto: resumen de memoria.

Periodicidad: mensual.

- Cumple (present): Listado de compras directas del mes exigible o posterior.
- Desactualizado (outdated): El listado de compras directas más reciente es de un mes anterior al exigible.
- No publicado (absent): Nada publicado bajo el numeral 22 ni listado de compras directas.
"""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=22,
    title="Compras directas",
    legal_text="Listado de compras directas realizadas por las dependencias",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"compras? directas?",
        r"adquisicion(?:es)? directas?",
        r"(?:compras? de )?baja cuantia",
        r"compra directa con oferta electronica",
    ),
    present="Listado de compras directas del mes exigible o posterior.",
    outdated="El listado de compras directas más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 22 ni listado de compras directas.",
    report_noun="listado de compras directas",
    doc=__doc__ or "",
)
