"""Artículo 10 de la LAIP, numeral 14: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=14,
    title="Contratos de mantenimiento",
    legal_text="Contratos de mantenimiento de equipo, vehículos, inmuebles, plantas e instalaciones: monto, plazo, proveedor",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"mantenimiento",
        r"contratos? de mantenimiento",
        r"mantenimiento de (?:equipo|vehiculos|inmuebles|instalaciones|maquinaria)",
    ),
    present="Contratos de mantenimiento de equipo, vehículos, inmuebles o instalaciones del mes exigible o posterior.",
    outdated="La publicación más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 14 ni contratos de mantenimiento.",
    report_noun="informe mensual",
    guidance="Publique cada mes los contratos de mantenimiento de equipo, vehículos, inmuebles e instalaciones, con monto, plazo y proveedor.",
    verification="resumen de memoria",
)
