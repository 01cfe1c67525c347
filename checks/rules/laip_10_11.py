"""Artículo 10 de la LAIP, numeral 11: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=11,
    title="Contrataciones de bienes y servicios",
    legal_text="Contrataciones de todos los bienes y servicios utilizados: montos, precios unitarios, costos, renglones, proveedores, adjudicación, contratos",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"contratacion(?:es)? de (?:todos los )?bienes y servicios",
        r"contrat\w* de bienes y servicios",
        r"bienes y servicios",
        r"adquisicion(?:es)? de bienes(?: y servicios)?",
        r"compras? de bienes(?: y servicios)?",
        r"compras y contrataciones",
        r"contrataciones?",
        r"contratos?",
    ),
    present="Contrataciones de bienes y servicios (montos, proveedores, contratos) del mes exigible o posterior.",
    outdated="La publicación más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 11 ni listado de contrataciones de bienes y servicios.",
    report_noun="informe mensual de contrataciones",
    guidance="Publique cada mes las contrataciones de bienes y servicios: montos, precios unitarios, renglones, proveedores y contratos.",
    verification="resumen de memoria",
)
