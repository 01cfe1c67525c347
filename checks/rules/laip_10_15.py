"""LAIP-10.15 — artículo 10, numeral 15: Subsidios, becas y transferencias.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Montos asignados, criterios de acceso y padrones de beneficiarios de programas de subsidios, becas o transferencias con fondos públicos».
Estado de verificación del texto: texto literal verificado.

Periodicidad: mensual.

- Cumple (present): Montos, criterios de acceso y padrones de beneficiarios de subsidios, becas o transferencias del mes exigible o posterior.
- Desactualizado (outdated): La publicación más reciente es de un mes anterior al exigible.
- No publicado (absent): Nada publicado bajo el numeral 15 ni declaración de que no aplica.

Nota: Muchas municipalidades declaran «no aplica» con su motivo: se acepta como No aplica.
"""

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
    doc=__doc__ or "",
)
