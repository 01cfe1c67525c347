"""Artículo 10 de la LAIP, numeral 19: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=19,
    title="Contratos de arrendamiento",
    legal_text="Contratos de arrendamiento de inmuebles, equipo, maquinaria u otros: características, motivos, arrendatario, monto, plazo",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"arrendamientos?",
        r"contratos? de arrendamiento",
        r"arrendamiento de (?:inmuebles|equipo|maquinaria|vehiculos)",
        r"alquiler(?:es)?",
    ),
    present="Contratos de arrendamiento de inmuebles, equipo o maquinaria del mes exigible o posterior.",
    outdated="La publicación más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 19 ni contratos de arrendamiento.",
    report_noun="informe mensual",
    guidance="Publique cada mes los contratos de arrendamiento: características, motivo, arrendatario, monto y plazo.",
    verification="resumen de memoria",
)
