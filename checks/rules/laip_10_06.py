"""Artículo 10 de la LAIP, numeral 6: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import STANDING, NumeralRule

RULE = NumeralRule(
    numeral=6,
    title="Manuales de procedimientos",
    legal_text="Manuales de procedimientos administrativos y operativos",
    legal_text_is_summary=True,
    periodicity=STANDING,
    vocabulary=(
        r"manual(?:es)?",
        r"manual(?:es)? de procedimientos?",
        r"manual de organizacion y funciones",
        r"manual de (?:organizacion|funciones|puestos)",
        r"procedimientos administrativos",
        r"procedimientos operativos",
        r"mof",
    ),
    present="Manuales de procedimientos administrativos u operativos publicados.",
    outdated="No aplica: información vigente sin periodo.",
    absent="Nada publicado bajo el numeral 6 ni manual de procedimientos.",
    accepts_norms=True,
    report_noun="manual",
    guidance="Publique los manuales de procedimientos administrativos y operativos vigentes.",
    verification="resumen de memoria",
)
