"""Artículo 10 de la LAIP, numeral 17: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

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
    guidance="Publique el listado de empresas precalificadas; si no existe, indíquelo en este numeral con el motivo.",
    verification="resumen de memoria",
)
