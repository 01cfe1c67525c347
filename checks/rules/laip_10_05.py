"""Artículo 10 de la LAIP, numeral 5: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import ANNUAL_CURRENT, NumeralRule

RULE = NumeralRule(
    numeral=5,
    title="Misión, objetivos y plan operativo anual",
    legal_text="Misión y objetivos de la institución, su plan operativo anual y resultados obtenidos",
    legal_text_is_summary=True,
    periodicity=ANNUAL_CURRENT,
    vocabulary=(
        r"mision",
        r"vision",
        r"mision y vision",
        r"objetivos (?:institucionales|estrategicos|de la (?:institucion|municipalidad))",
        r"plan operativo anual",
        r"poa",
        r"plan operativo",
        r"plan operativo multianual",
        r"pom",
        r"plan estrategico institucional",
        r"pei",
        r"resultados obtenidos",
        r"memoria de labores",
    ),
    present="Misión y objetivos, y el plan operativo anual (POA) del ejercicio fiscal vigente o sus resultados.",
    outdated="El POA o documento más reciente es de un ejercicio anterior al vigente.",
    absent="Nada publicado bajo el numeral 5 ni misión/visión o POA.",
    report_noun="plan operativo anual",
    notes=("Hasta el 31 de enero se acepta el POA del ejercicio anterior.",),
    guidance="Publique la misión, los objetivos y el plan operativo anual (POA) del ejercicio en curso, con los resultados obtenidos.",
    verification="resumen de memoria",
)
