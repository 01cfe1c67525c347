"""Artículo 10 de la LAIP, numeral 1: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import STANDING, NumeralRule

RULE = NumeralRule(
    numeral=1,
    title="Estructura orgánica",
    legal_text="Estructura orgánica y funciones de cada una de las dependencias y departamentos, incluyendo su marco normativo",
    legal_text_is_summary=False,
    periodicity=STANDING,
    page_content=True,
    vocabulary=(
        r"estructura organica",
        r"organigrama\w*",
        r"organizacion (?:interna|municipal|institucional)",
        r"funciones de (?:cada una de )?(?:las )?(?:dependencias|direcciones|unidades)",
        r"marco normativo",
        r"marco legal",
        r"base legal",
        r"estructura (?:administrativa|organizacional)",
    ),
    present="Organigrama o descripción de la estructura y funciones de las dependencias (documento o contenido sustantivo de la página), con su marco normativo.",
    outdated="No aplica: es información vigente sin periodo; se considera presente mientras exista.",
    absent="Nada publicado bajo el numeral 1 ni documento cuyo nombre o contexto sea la estructura orgánica u organigrama.",
    accepts_norms=True,
    report_noun="documento",
    guidance="Publique el organigrama vigente y las funciones de cada dependencia, con su marco normativo (acuerdos, reglamentos).",
    verification="texto literal verificado",
)
