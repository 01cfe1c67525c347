"""Artículo 10 de la LAIP, numeral 28: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

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
    guidance="Publique el informe actualizado sobre la pertenencia sociolingüística de los usuarios de sus servicios, al menos el del año anterior.",
    verification="contenido verificado; redacción literal de memoria",
)
