"""LAIP-10.08 — artículo 10, numeral 8: Ejecución presupuestaria.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Informes mensuales de ejecución presupuestaria de todos los renglones y de todas las unidades, operativas y administrativas».
Estado de verificación del texto: frase 'informes mensuales' de memoria; patrón mensual observado.

Periodicidad: mensual.

- Cumple (present): Informe mensual de ejecución presupuestaria del mes exigible o posterior.
- Desactualizado (outdated): El informe mensual más reciente es de un mes anterior al exigible.
- No publicado (absent): Nada publicado bajo el numeral 8 ni informe de ejecución presupuestaria.

Nota: La norma dice expresamente «informes mensuales».
"""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=8,
    title="Ejecución presupuestaria",
    legal_text="Informes mensuales de ejecución presupuestaria de todos los renglones y de todas las unidades, operativas y administrativas",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"ejecucion",
        r"ejecucion presup\w*",
        r"ejec\w* presup\w*",
        r"ejecucion (?:de|del) presupuesto",
        r"ejecucion de (?:ingresos|egresos|gastos)",
        r"ejecucion (?:financiera|fisica y financiera)",
        r"informes? mensual(?:es)? de ejecucion\w*",
        r"ejecucion mensual",
    ),
    present="Informe mensual de ejecución presupuestaria del mes exigible o posterior.",
    outdated="El informe mensual más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 8 ni informe de ejecución presupuestaria.",
    report_noun="informe mensual",
    notes=("La norma dice expresamente «informes mensuales».",),
    doc=__doc__ or "",
)
