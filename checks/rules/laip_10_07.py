"""Artículo 10 de la LAIP, numeral 7: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import ANNUAL_CURRENT, NumeralRule

RULE = NumeralRule(
    numeral=7,
    title="Presupuesto de ingresos y egresos",
    legal_text="Presupuesto de ingresos y egresos asignado para cada ejercicio fiscal, programas a su cargo y todas sus modificaciones y transferencias internas y externas",
    legal_text_is_summary=True,
    periodicity=ANNUAL_CURRENT,
    vocabulary=(
        r"presup\w*",
        r"presupuesto(?:s)? de ingresos(?: y egresos)?",
        r"presupuesto de egresos",
        r"presupuesto (?:municipal|aprobado|vigente|anual)",
        r"modificacion(?:es)? presupuestari\w*",
        r"transferencias? presupuestari\w*",
        r"ampliacion(?:es)? presupuestari\w*",
        r"transferencias internas y externas",
    ),
    present="Presupuesto de ingresos y egresos del ejercicio fiscal vigente (o sus modificaciones y transferencias de ese ejercicio).",
    outdated="El presupuesto más reciente publicado es de un ejercicio anterior al vigente.",
    absent="Nada publicado bajo el numeral 7 ni presupuesto.",
    report_noun="presupuesto",
    notes=(
        "Las modificaciones mensuales del presupuesto del ejercicio vigente también cuentan como publicación del ejercicio.",
    ),
    guidance="Publique el presupuesto de ingresos y egresos del ejercicio fiscal en curso, con sus programas, modificaciones y transferencias.",
    verification="resumen de memoria; uso mensual observado",
)
