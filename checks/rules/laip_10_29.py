"""Artículo 10 de la LAIP, numeral 29: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import WHEN_OCCURS, NumeralRule

RULE = NumeralRule(
    numeral=29,
    title="Otra información de utilidad",
    legal_text="Cualquier otra información que sea de utilidad o relevancia (cláusula abierta)",
    legal_text_is_summary=True,
    periodicity=WHEN_OCCURS,
    vocabulary=(
        r"otra informacion(?: de utilidad| util| relevante| publica)?",
        r"informacion (?:adicional|de utilidad|util|relevante)",
        r"informacion de interes",
    ),
    present="Cualquier otra información útil publicada bajo el numeral 29.",
    outdated="No aplica: cláusula abierta sin periodo.",
    absent="Nada publicado bajo el numeral 29.",
    report_noun="documento",
    notes=("La redacción literal de este numeral no se ha verificado.",),
    guidance="Publique cualquier otra información útil o relevante para la población (cláusula abierta).",
    verification="redacción literal NO verificada",
)
