"""Artículo 10 de la LAIP, numeral 12: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=12,
    title="Viajes con fondos públicos",
    legal_text="Listado de viajes nacionales e internacionales autorizados y financiados con fondos públicos: objetivos, personal, destino, costo de boletos y viáticos",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"viajes?",
        r"viajes? nacionales(?: e internacionales)?",
        r"viajes? internacionales",
        r"viaticos?",
        r"comision(?:es)? oficial(?:es)?",
    ),
    present="Listado de viajes nacionales e internacionales pagados con fondos públicos del mes exigible o posterior (o constancia fechada de que no hubo viajes).",
    outdated="El listado de viajes más reciente es de un mes anterior al exigible.",
    absent="Nada publicado bajo el numeral 12 ni listado de viajes.",
    report_noun="listado de viajes",
    guidance="Publique cada mes el listado de viajes financiados con fondos públicos: objetivo, personal, destino, boletos y viáticos.",
    verification="resumen de memoria",
)
