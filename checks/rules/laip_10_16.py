"""LAIP-10.16 — artículo 10, numeral 16: Usufructo y concesiones.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Contratos, licencias o concesiones para el usufructo o explotación de bienes del Estado».
Estado de verificación del texto: resumen de memoria.

Periodicidad: cuando ocurra (sin periodo).

- Cumple (present): Contratos, licencias o concesiones de usufructo o explotación de bienes del Estado publicados.
- Desactualizado (outdated): No aplica: se publica cuando ocurre.
- No publicado (absent): Nada publicado bajo el numeral 16 ni declaración de que no aplica.
"""

from checks.rules.base import WHEN_OCCURS, NumeralRule

RULE = NumeralRule(
    numeral=16,
    title="Usufructo y concesiones",
    legal_text="Contratos, licencias o concesiones para el usufructo o explotación de bienes del Estado",
    legal_text_is_summary=True,
    periodicity=WHEN_OCCURS,
    vocabulary=(
        r"usufructo",
        r"concesion(?:es)?",
        r"licencias? (?:de|para) (?:usufructo|explotacion)",
        r"explotacion de bienes",
    ),
    present="Contratos, licencias o concesiones de usufructo o explotación de bienes del Estado publicados.",
    outdated="No aplica: se publica cuando ocurre.",
    absent="Nada publicado bajo el numeral 16 ni declaración de que no aplica.",
    report_noun="documento",
    doc=__doc__ or "",
)
