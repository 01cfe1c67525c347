"""Artículo 10 de la LAIP, numeral 10: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=10,
    title="Cotizaciones y licitaciones para programas",
    legal_text="Procesos de cotización y licitación para adquirir bienes para programas de educación, salud, seguridad, desarrollo rural y entregas a beneficiarios: cantidades, precios unitarios, montos, renglones, proveedores, adjudicación, contratos",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"(?:compras?|adquisicion(?:es)?|bienes|insumos) (?:para|de) (?:los )?programas",
        r"programas de (?:educacion|salud|seguridad|desarrollo rural)",
        r"entregas? a (?:los )?beneficiarios",
        r"cotizaci\w* y licitaci\w* (?:de|para) (?:bienes para )?programas",
        r"bienes (?:entregados|para entrega) a (?:la )?poblacion",
    ),
    present="Procesos de cotización y licitación de bienes para programas (educación, salud, seguridad, desarrollo rural) del mes exigible o posterior.",
    outdated="La publicación más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 10.",
    report_noun="informe mensual",
    guidance="Publique cada mes los procesos de cotización y licitación para programas de educación, salud, seguridad, desarrollo rural y entregas a beneficiarios.",
    verification="resumen de memoria",
)
