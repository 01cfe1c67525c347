"""LAIP-10.03 — artículo 10, numeral 3: Directorio de empleados.

Texto legal (resumen (vigia/data/laip_art10.csv)): «Directorio de empleados y servidores públicos, con teléfonos y correos oficiales (no privados); exentos quienes por seguridad lo requieran».
Estado de verificación del texto: resumen de memoria; exención por seguridad no verificada.

Periodicidad: mensual.

- Cumple (present): Directorio de empleados y servidores públicos con teléfono y correo oficiales, del mes exigible o posterior.
- Desactualizado (outdated): El directorio más reciente es de un mes anterior al exigible (fin de mes + 30 días antes de la fecha de referencia).
- No publicado (absent): Nada publicado bajo el numeral 3 ni directorio de empleados.

Nota: La exención por seguridad (empleados cuya integridad se pondría en riesgo) no se verifica automáticamente.
"""

from checks.rules.base import MONTHLY, NumeralRule

RULE = NumeralRule(
    numeral=3,
    title="Directorio de empleados",
    legal_text="Directorio de empleados y servidores públicos, con teléfonos y correos oficiales (no privados); exentos quienes por seguridad lo requieran",
    legal_text_is_summary=True,
    periodicity=MONTHLY,
    vocabulary=(
        r"directorio de (?:empleados|servidores publicos|funcionarios|personal|trabajadores|colaboradores)",
        r"directorio del personal",
        r"directorio (?:de )?emplead\w*",
        r"correos? (?:electronicos? )?(?:oficiales|institucionales)",
    ),
    present="Directorio de empleados y servidores públicos con teléfono y correo oficiales, del mes exigible o posterior.",
    outdated="El directorio más reciente es de un mes anterior al exigible (fin de mes + 30 días antes de la fecha de referencia).",
    absent="Nada publicado bajo el numeral 3 ni directorio de empleados.",
    report_noun="directorio mensual",
    notes=(
        "La exención por seguridad (empleados cuya integridad se pondría en riesgo) no se verifica automáticamente.",
    ),
    doc=__doc__ or "",
)
