"""Artículo 10 de la LAIP, numeral 21: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import WHEN_OCCURS, NumeralRule

RULE = NumeralRule(
    numeral=21,
    title="Fideicomisos",
    legal_text="Destino total de recursos de fideicomisos con fondos públicos, incluyendo cotizaciones/licitaciones y gastos administrativos y operativos",
    legal_text_is_summary=True,
    periodicity=WHEN_OCCURS,
    vocabulary=(r"fideicomisos?",),
    present="Información del destino de los recursos de fideicomisos con fondos públicos.",
    outdated="No aplica: se publica cuando existe un fideicomiso.",
    absent="Nada publicado bajo el numeral 21 ni declaración de que no aplica.",
    report_noun="documento",
    notes=(
        "La mayoría de municipalidades no administra fideicomisos y lo declara («no aplica») con su motivo.",
    ),
    guidance="Publique el destino de los recursos de fideicomisos con fondos públicos; si la municipalidad no administra fideicomisos, indíquelo en este numeral con el motivo.",
    verification="resumen de memoria",
)
