"""Artículo 10 de la LAIP, numeral 25: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import NOT_MUNICIPAL, NumeralRule

RULE = NumeralRule(
    numeral=25,
    title="ONG y entidades privadas con fondos públicos",
    legal_text="ONG, fundaciones, asociaciones y entidades privadas que administren fondos públicos publican lo anterior respecto de esos fondos",
    legal_text_is_summary=True,
    periodicity=NOT_MUNICIPAL,
    vocabulary=(
        r"organizacion(?:es)? no gubernamental(?:es)?",
        r"ong",
        r"fundacion(?:es)?",
        r"entidades privadas",
    ),
    present="No aplica a municipalidades.",
    outdated="No aplica a municipalidades.",
    absent="No aplica a municipalidades.",
    report_noun="documento",
    guidance="No aplica a las municipalidades (ONG, fundaciones y asociaciones que administran fondos públicos).",
    verification="resumen de memoria",
)
