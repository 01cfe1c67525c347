"""LAIP-10.24 — artículo 10, numeral 24: Entidades internacionales que manejan fondos públicos.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Entidades públicas o privadas internacionales que manejen fondos públicos publican lo anterior respecto de esos fondos».
Estado de verificación del texto: resumen de memoria.

Periodicidad: no aplica a municipalidades.

- Cumple (present): No aplica a municipalidades.
- Desactualizado (outdated): No aplica a municipalidades.
- No publicado (absent): No aplica a municipalidades.
"""

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
    doc=__doc__ or "",
)
