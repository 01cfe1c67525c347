"""Artículo 10 de la LAIP, numeral 15: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=15,
    title="Subsidios, becas y transferencias",
    legal_text="Montos asignados, criterios de acceso y padrones de beneficiarios de programas de subsidios, becas o transferencias con fondos públicos",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"subsidios?",
        r"becas?",
        r"becarios",
        r"padron(?:es)? de beneficiarios",
        r"transferencias? (?:monetarias|condicionadas|a beneficiarios|con fondos publicos)",
        r"montos asignados",
    ),
    present="Montos, criterios de acceso y padrones de beneficiarios de subsidios, becas o transferencias del mes exigible o posterior.",
    outdated="La publicación más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 15 ni declaración de que no aplica.",
    report_noun="informe mensual",
    notes=("Muchas municipalidades declaran «no aplica» con su motivo: se acepta como No aplica.",),
    guidance="Publique cada mes los montos, criterios de acceso y padrones de beneficiarios de subsidios, becas o transferencias; si no tiene programas, indíquelo en este numeral con el motivo.",
    verification="texto literal verificado en la fuente; aquí se cita un resumen, no la redacción literal",
)
