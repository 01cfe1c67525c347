"""LAIP-10.14 — artículo 10, numeral 14: Contratos de mantenimiento.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Contratos de mantenimiento de equipo, vehículos, inmuebles, plantas e instalaciones: monto, plazo, proveedor».
Estado de verificación del texto: resumen de memoria.

Periodicidad: mensual.

- Cumple (present): Contratos de mantenimiento de equipo, vehículos, inmuebles o instalaciones del mes exigible o posterior.
- Desactualizado (outdated): La publicación más reciente es de un mes anterior al exigible.
- No publicado (absent): Nada publicado bajo el numeral 14 ni contratos de mantenimiento.
"""

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
    doc=__doc__ or "",
)
