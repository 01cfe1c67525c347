"""Artículo 10 de la LAIP, numeral 3: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

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
    guidance="Publique el directorio de empleados y servidores públicos con teléfonos y correos oficiales, actualizado cada mes.",
    verification="resumen de memoria; exención por seguridad no verificada",
)
