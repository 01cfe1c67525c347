"""LAIP-10.28 — artículo 10, numeral 28: Informe de pertenencia sociolingüística.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Informe actualizado sobre la pertenencia sociolingüística de los usuarios de sus servicios, para adecuar la prestación».
Estado de verificación del texto: contenido verificado; redacción literal de memoria.

Periodicidad: anual (año anterior o posterior).

- Cumple (present): Informe de pertenencia sociolingüística de los usuarios (guía PDH/SECAI 2020) del año anterior, o posterior.
- Desactualizado (outdated): El informe sociolingüístico más reciente es de un año anterior al exigible.
- No publicado (absent): Nada publicado bajo el numeral 28 ni informe de pertenencia sociolingüística.

Requisito adicional: la evidencia debe contener referencia a la pertenencia sociolingüística de los usuarios.

Nota: El numeral exige el informe de pertenencia sociolingüística (guía PDH/SECAI 2020).
"""

from checks.rules.base import ANNUAL_PREVIOUS, NumeralRule

RULE = NumeralRule(
    numeral=28,
    title="Informe de pertenencia sociolingüística",
    legal_text="Informe actualizado sobre la pertenencia sociolingüística de los usuarios de sus servicios, para adecuar la prestación",
    legal_text_is_summary=True,
    periodicity=ANNUAL_PREVIOUS,
    vocabulary=(
        r"socio ?linguistic\w*",
        r"pertenencia (?:socio ?)?linguistic\w*",
        r"pertenencia etnica",
        r"comunidad(?:es)? linguisticas?",
        r"pertenencia",
    ),
    present="Informe de pertenencia sociolingüística de los usuarios (guía PDH/SECAI 2020) del año anterior, o posterior.",
    outdated="El informe sociolingüístico más reciente es de un año anterior al exigible.",
    absent="Nada publicado bajo el numeral 28 ni informe de pertenencia sociolingüística.",
    report_noun="informe sociolingüístico",
    requires=r"socio ?linguistic|pertenencia|linguistic|etnic",
    requires_es="referencia a la pertenencia sociolingüística de los usuarios",
    notes=("El numeral exige el informe de pertenencia sociolingüística (guía PDH/SECAI 2020).",),
    doc=__doc__ or "",
)
