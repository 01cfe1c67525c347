"""Artículo 10 de la LAIP, numeral 22: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

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
    guidance="Publique cada mes el listado de compras directas realizadas por las dependencias.",
    verification="resumen de memoria",
)
