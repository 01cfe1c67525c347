"""Artículo 10 de la LAIP, numeral 9: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

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
    guidance="Publique cada mes la información de los depósitos constituidos con fondos públicos.",
    verification="resumen de memoria",
)
