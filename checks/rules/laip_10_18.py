"""Artículo 10 de la LAIP, numeral 18: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=18,
    title="Listado de obras",
    legal_text="Listado de obras en ejecución o ejecutadas con fondos públicos o préstamos: ubicación exacta, costo total, fuente de financiamiento, tiempo de ejecución, beneficiarios, ejecutor, funcionario responsable, contrato",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"obras?",
        r"obras? publicas",
        r"obras? en ejecucion",
        r"obras? ejecutadas",
        r"listado de obras",
        r"proyectos? (?:municipales|de infraestructura|de inversion|en ejecucion|ejecutados)",
        r"avance fisico",
    ),
    present="Listado de obras en ejecución o ejecutadas (ubicación, costo, financiamiento, ejecutor) del mes exigible o posterior.",
    outdated="El listado de obras más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 18 ni listado de obras.",
    report_noun="listado de obras",
    guidance="Publique cada mes el listado de obras en ejecución o ejecutadas: ubicación, costo, fuente de financiamiento, plazo, beneficiarios y ejecutor.",
    verification="resumen de memoria",
)
