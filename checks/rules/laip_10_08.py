"""Artículo 10 de la LAIP, numeral 8: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

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
    guidance="Publique cada mes el informe de ejecución presupuestaria de todos los renglones y unidades.",
    verification="frase 'informes mensuales' de memoria; patrón mensual observado",
)
