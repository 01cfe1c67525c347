"""Artículo 10 de la LAIP, numeral 20: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=20,
    title="Contrataciones por cotización y licitación",
    legal_text="Todas las contrataciones por cotización y licitación y sus contratos: número de operación en el sistema electrónico (NOG Guatecompras), fecha de adjudicación, proveedor, monto, plazo, fecha de aprobación",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"cotizaci\w*",
        r"licitaci\w*",
        r"cotizacion(?:es)? y licitacion(?:es)?",
        r"contratacion\w* (?:por|de|mediante) (?:cotizacion|licitacion)\w*",
        r"nog",
        r"guatecompras",
        r"numero de operacion",
    ),
    present="Contrataciones por cotización y licitación con su número de operación en Guatecompras (NOG), del mes exigible o posterior.",
    outdated="La publicación más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 20, o documentos sin número de operación (NOG) ni enlace a Guatecompras.",
    report_noun="informe mensual",
    requires=r"(?<![a-z])(?:nog|npg)(?![a-z])(?:\s+\S+){0,40}?\s+\d{6,9}(?!\d)|guatecompras|numero de operacion",
    requires_es="el número de operación de Guatecompras (NOG) o enlace a Guatecompras",
    requirement_inside_documents=True,
    notes=(
        "El numeral exige el número de operación del sistema electrónico (NOG): sin NOG ni enlace a Guatecompras no se da por cumplido.",
    ),
    guidance="Publique cada mes las contrataciones por cotización y licitación con el número de operación (NOG) de Guatecompras, la fecha de adjudicación y el contrato.",
    verification="texto literal verificado en la fuente; aquí se cita un resumen, no la redacción literal",
)
