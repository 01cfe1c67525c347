"""Artículo 10 de la LAIP, numeral 24: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import NOT_MUNICIPAL, NumeralRule

RULE = NumeralRule(
    numeral=24,
    title="Entidades internacionales que manejan fondos públicos",
    legal_text="Entidades públicas o privadas internacionales que manejen fondos públicos publican lo anterior respecto de esos fondos",
    legal_text_is_summary=True,
    periodicity=NOT_MUNICIPAL,
    vocabulary=(r"entidades? (?:publicas o privadas )?internacionales",),
    present="No aplica a municipalidades.",
    outdated="No aplica a municipalidades.",
    absent="No aplica a municipalidades.",
    report_noun="documento",
    guidance="No aplica a las municipalidades (entidades internacionales que manejan fondos públicos).",
    verification="resumen de memoria",
)
