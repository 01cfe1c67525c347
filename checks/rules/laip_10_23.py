"""Artículo 10 de la LAIP, numeral 23: sus hechos (título, texto legal, periodicidad, qué hacer) están en ``RULE``."""

from checks.rules.base import ANNUAL_PREVIOUS, NumeralRule

RULE = NumeralRule(
    numeral=23,
    title="Informes de auditoría",
    legal_text="Informes finales de auditorías gubernamentales o privadas, según períodos auditados",
    legal_text_is_summary=True,
    periodicity=ANNUAL_PREVIOUS,
    vocabulary=(
        r"auditorias?",
        r"informes? (?:final(?:es)? )?de auditoria",
        r"auditoria (?:gubernamental|financiera|externa|interna)",
        r"auditor\w*",
    ),
    present="Informe final de auditoría (Contraloría General de Cuentas o privada) del año anterior a la fecha de referencia, o posterior.",
    outdated="El informe de auditoría más reciente es de un año anterior al exigible.",
    absent="Nada publicado bajo el numeral 23 ni informe de auditoría.",
    report_noun="informe de auditoría",
    guidance="Publique los informes finales de auditorías gubernamentales o privadas, al menos los del año anterior.",
    verification="resumen de memoria",
)
