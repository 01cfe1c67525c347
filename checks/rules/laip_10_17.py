"""LAIP-10.17 — artículo 10, numeral 17: Empresas precalificadas.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Listados de empresas precalificadas para obras, venta de bienes y servicios: razón social, capital autorizado, renglón».
Estado de verificación del texto: resumen de memoria.

Periodicidad: cuando ocurra (sin periodo).

- Cumple (present): Listado de empresas precalificadas publicado.
- Desactualizado (outdated): No aplica: se publica cuando ocurre.
- No publicado (absent): Nada publicado bajo el numeral 17 ni declaración de que no aplica.
"""

from checks.rules.base import WHEN_OCCURS, NumeralRule

RULE = NumeralRule(
    numeral=17,
    title="Empresas precalificadas",
    legal_text="Listados de empresas precalificadas para obras, venta de bienes y servicios: razón social, capital autorizado, renglón",
    legal_text_is_summary=True,
    periodicity=WHEN_OCCURS,
    vocabulary=(
        r"precalific\w*",
        r"empresas precalificadas",
        r"(?:empresas|proveedores|contratistas) precalificad\w*",
    ),
    present="Listado de empresas precalificadas publicado.",
    outdated="No aplica: se publica cuando ocurre.",
    absent="Nada publicado bajo el numeral 17 ni declaración de que no aplica.",
    report_noun="listado",
    doc=__doc__ or "",
)
