"""LAIP-10.27 — artículo 10, numeral 27: Índice de información clasificada.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Índice de la información debidamente clasificada (reservada/confidencial) conforme a la ley».
Estado de verificación del texto: título verificado.

Periodicidad: cuando ocurra (sin periodo).

- Cumple (present): Índice de la información clasificada como reservada o confidencial (aunque declare que no hay información reservada).
- Desactualizado (outdated): No aplica: se publica cuando existe una clasificación.
- No publicado (absent): Nada publicado bajo el numeral 27.
"""

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
    doc=__doc__ or "",
)
