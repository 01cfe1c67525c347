"""Artículo 10 de la LAIP, numeral 27: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import WHEN_OCCURS, NumeralRule

RULE = NumeralRule(
    numeral=27,
    title="Índice de información clasificada",
    legal_text="Índice de la información debidamente clasificada (reservada/confidencial) conforme a la ley",
    legal_text_is_summary=True,
    periodicity=WHEN_OCCURS,
    vocabulary=(
        r"informacion (?:clasificada|reservada|confidencial)",
        r"indice de (?:la )?informacion",
        r"clasificacion de (?:la )?informacion",
        r"reservad\w*",
    ),
    present="Índice de la información clasificada como reservada o confidencial (aunque declare que no hay información reservada).",
    outdated="No aplica: se publica cuando existe una clasificación.",
    absent="Nada publicado bajo el numeral 27.",
    report_noun="índice",
    guidance="Publique el índice de la información clasificada como reservada o confidencial, o indique que no hay información clasificada.",
    verification="título verificado",
)
