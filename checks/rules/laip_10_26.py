"""Artículo 10 de la LAIP, numeral 26: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import ANNUAL_PREVIOUS, NumeralRule

RULE = NumeralRule(
    numeral=26,
    title="Informe anual de archivo",
    legal_text="Responsables de archivos publican al menos una vez al año, en el Diario de Centro América, informe sobre funcionamiento y finalidad del archivo, sistemas de registro, categorías de información, procedimientos y facilidades de acceso",
    legal_text_is_summary=True,
    periodicity=ANNUAL_PREVIOUS,
    vocabulary=(
        r"informe (?:anual )?(?:de|del|sobre el|sobre) (?:funcionamiento (?:y finalidad )?del )?archivo\w*",
        r"diario de centro ?america",
        r"archivo (?:municipal|general|institucional|central)",
        r"funcionamiento y finalidad del archivo",
        r"sistemas? de registro",
    ),
    present="Informe anual sobre el funcionamiento y finalidad del archivo (publicado en el Diario de Centro América) del año anterior, o posterior.",
    outdated="El informe de archivo más reciente es de un año anterior al exigible.",
    absent="Nada publicado bajo el numeral 26 ni informe anual de archivo.",
    report_noun="informe de archivo",
    requires=r"archiv\w*|diario de centro ?america",
    requires_es="referencia al informe de archivo ni a su publicación en el Diario de Centro América",
    notes=(
        "El numeral exige el informe anual de archivo: un documento sin mención del archivo ni del Diario de Centro América no basta.",
    ),
    guidance="Publique el informe anual de funcionamiento y finalidad del archivo (sistemas de registro y categorías de información), al menos el del año anterior.",
    verification="texto literal verificado en la fuente; aquí se cita un resumen, no la redacción literal",
)
