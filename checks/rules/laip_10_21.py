"""LAIP-10.21 — artículo 10, numeral 21: Fideicomisos.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Destino total de recursos de fideicomisos con fondos públicos, incluyendo cotizaciones/licitaciones y gastos administrativos y operativos».
Estado de verificación del texto: resumen de memoria.

Periodicidad: cuando ocurra (sin periodo).

- Cumple (present): Información del destino de los recursos de fideicomisos con fondos públicos.
- Desactualizado (outdated): No aplica: se publica cuando existe un fideicomiso.
- No publicado (absent): Nada publicado bajo el numeral 21 ni declaración de que no aplica.

Nota: La mayoría de municipalidades no administra fideicomisos y lo declara («no aplica») con su motivo.
"""

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
    doc=__doc__ or "",
)
