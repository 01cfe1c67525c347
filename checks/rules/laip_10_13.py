"""Artículo 10 de la LAIP, numeral 13: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

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
    guidance="Publique el inventario de bienes muebles e inmuebles, al menos el del año anterior.",
    verification="resumen de memoria",
)
