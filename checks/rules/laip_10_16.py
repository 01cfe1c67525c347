"""Artículo 10 de la LAIP, numeral 16: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

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
    guidance="Publique los contratos, licencias o concesiones de usufructo o explotación de bienes públicos; si no existen, indíquelo en este numeral con el motivo.",
    verification="resumen de memoria",
)
