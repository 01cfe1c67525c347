"""LAIP-10.25 — artículo 10, numeral 25: ONG y entidades privadas con fondos públicos.

Texto legal (resumen (vigia/data/laip_art10.csv)): «ONG, fundaciones, asociaciones y entidades privadas que administren fondos públicos publican lo anterior respecto de esos fondos».
Estado de verificación del texto: resumen de memoria.

Periodicidad: no aplica a municipalidades.

- Cumple (present): No aplica a municipalidades.
- Desactualizado (outdated): No aplica a municipalidades.
- No publicado (absent): No aplica a municipalidades.
"""

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
    doc=__doc__ or "",
)
