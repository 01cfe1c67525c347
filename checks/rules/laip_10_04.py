"""Artículo 10 de la LAIP, numeral 4: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=4,
    title="Remuneraciones",
    legal_text="Número y nombre de funcionarios, servidores públicos, empleados y asesores, con salario de cada cargo, honorarios, dietas, bonos, viáticos u otra remuneración",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"remuneracion\w*",
        r"salarios?",
        r"sueldos?",
        r"dietas?",
        r"honorarios",
        r"nominas?",
        r"planillas? (?:de )?(?:sueldos|salarios|pago|personal|empleados)",
        r"planillas?",
        r"numero y nombre de (?:los )?(?:funcionarios|empleados|servidores)",
        r"puestos y salarios",
        r"bonificacion\w*",
    ),
    present="Número y nombre de funcionarios, empleados y asesores con su salario, honorarios, dietas u otras remuneraciones, del mes exigible o posterior.",
    outdated="La nómina más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 4 ni nómina o listado de remuneraciones.",
    report_noun="informe mensual de remuneraciones",
    guidance="Publique cada mes el listado de funcionarios, empleados y asesores con el salario, honorarios, dietas, bonos y viáticos de cada cargo.",
    verification="título verificado; detalle de memoria",
)
