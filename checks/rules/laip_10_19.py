"""LAIP-10.19 — artículo 10, numeral 19: Contratos de arrendamiento.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Contratos de arrendamiento de inmuebles, equipo, maquinaria u otros: características, motivos, arrendatario, monto, plazo».
Estado de verificación del texto: resumen de memoria.

Periodicidad: mensual.

- Cumple (present): Contratos de arrendamiento de inmuebles, equipo o maquinaria del mes exigible o posterior.
- Desactualizado (outdated): La publicación más reciente es de un mes anterior al exigible.
- No publicado (absent): Nada publicado bajo el numeral 19 ni contratos de arrendamiento.
"""

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
    doc=__doc__ or "",
)
