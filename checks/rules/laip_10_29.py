"""LAIP-10.29 — artículo 10, numeral 29: Otra información de utilidad.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Cualquier otra información que sea de utilidad o relevancia (cláusula abierta)».
Estado de verificación del texto: redacción literal NO verificada.

Periodicidad: cuando ocurra (sin periodo).

- Cumple (present): Cualquier otra información útil publicada bajo el numeral 29.
- Desactualizado (outdated): No aplica: cláusula abierta sin periodo.
- No publicado (absent): Nada publicado bajo el numeral 29.

Nota: La redacción literal de este numeral no se ha verificado.
"""

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
    doc=__doc__ or "",
)
