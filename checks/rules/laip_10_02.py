"""Artículo 10 de la LAIP, numeral 2: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import STANDING, NumeralRule

RULE = NumeralRule(
    numeral=2,
    title="Dirección y teléfonos",
    legal_text="Dirección y teléfonos de la entidad y de todas las dependencias que la conforman",
    legal_text_is_summary=True,
    periodicity=STANDING,
    page_content=True,
    vocabulary=(
        r"direccion(?:es)? y telefonos?",
        r"directorio telefonico",
        r"directorio de (?:dependencias|oficinas|unidades|direcciones)",
        r"telefonos? (?:de|y) (?:las )?(?:dependencias|oficinas)",
        r"datos de contacto de (?:las )?dependencias",
        r"ubicacion y telefonos?",
    ),
    present="Dirección y teléfonos de la municipalidad y de sus dependencias (documento o contenido de la página con teléfonos/direcciones).",
    outdated="No aplica: información vigente sin periodo.",
    absent="Nada publicado bajo el numeral 2 ni directorio de dependencias.",
    report_noun="directorio",
    content_signals=(
        r"(?<![a-z])(?:\d{1,2}\s*a\.?\s+(?:calle|avenida|av\.?)|calle|avenida|zona \d{1,2}|km\.? \d+|kilometro \d+"
        r"|barrio|colonia|canton|aldea|palacio municipal|edificio municipal)(?![a-z])",
        r"(?<!\d)(?:\+?502[\s\-]?)?\d{4}[\s\-]?\d{4}(?!\d)|[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}",
    ),
    guidance="Publique la dirección y los teléfonos de la municipalidad y de cada una de sus dependencias.",
    verification="resumen (texto literal no visto)",
)
