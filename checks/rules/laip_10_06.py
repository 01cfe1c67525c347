"""LAIP-10.06 — artículo 10, numeral 6: Manuales de procedimientos.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Manuales de procedimientos administrativos y operativos».
Estado de verificación del texto: resumen de memoria.

Periodicidad: vigente (sin periodo).

- Cumple (present): Manuales de procedimientos administrativos u operativos publicados.
- Desactualizado (outdated): No aplica: información vigente sin periodo.
- No publicado (absent): Nada publicado bajo el numeral 6 ni manual de procedimientos.
"""

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
    doc=__doc__ or "",
)
