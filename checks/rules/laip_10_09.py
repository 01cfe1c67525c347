"""LAIP-10.09 — artículo 10, numeral 9: Depósitos con fondos públicos.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Información detallada de depósitos constituidos con fondos públicos (ingresos ordinarios, extraordinarios, impuestos, fondos privativos, empréstitos, donaciones)».
Estado de verificación del texto: resumen de memoria.

Periodicidad: mensual.

- Cumple (present): Información de depósitos constituidos con fondos públicos del mes exigible o posterior.
- Desactualizado (outdated): El informe de depósitos más reciente es de un mes anterior al exigible.
- No publicado (absent): Nada publicado bajo el numeral 9 ni informe de depósitos.
"""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=9,
    title="Depósitos con fondos públicos",
    legal_text="Información detallada de depósitos constituidos con fondos públicos (ingresos ordinarios, extraordinarios, impuestos, fondos privativos, empréstitos, donaciones)",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"depositos?",
        r"depositos? (?:constituidos|bancarios|monetarios) con fondos publicos",
        r"depositos? con fondos publicos",
        r"cuentas? (?:monetarias|bancarias)",
        r"fondos depositados",
    ),
    present="Información de depósitos constituidos con fondos públicos del mes exigible o posterior.",
    outdated="El informe de depósitos más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 9 ni informe de depósitos.",
    report_noun="informe de depósitos",
    doc=__doc__ or "",
)
