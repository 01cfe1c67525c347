"""Render ``docs/rules.md`` from the rule modules' metadata and docstrings.

``python -m checks.docs > docs/rules.md``; a test keeps the file in step with the code.
"""

from __future__ import annotations

import inspect

from checks import RULES_VERSION, attribution
from checks.engine import BANDS, OUTDATED_CREDIT
from checks.model import ABSENT, OUTDATED, PRESENT, STATUS_LABELS
from checks.registry import NUMERAL_RULES
from checks.rules import base
from checks.rules.base import PERIODICITY_ES, NumeralRule
from checks.rules.portal import PORTAL_RULES


def render() -> str:
    out = [
        "# Reglas de Vigía (LAIP, Decreto 57-2008, artículo 10)",
        "",
        f"Versión de las reglas: `{RULES_VERSION}`. Este archivo se genera con `python -m checks.docs > docs/rules.md`",
        "a partir de los módulos `checks/rules/*.py`; no lo edite a mano.",
        "",
        "## Uso",
        "",
        "- `vigia check [--run N] [--as-of AAAA-MM-DD] [--only 0101,0108]`: evalúa cada portal de la corrida (la última",
        "  por omisión) y guarda una evaluación con sus hallazgos; volver a ejecutarlo con la misma fecha y versión de",
        "  reglas reemplaza la evaluación y reproduce exactamente los mismos hallazgos. Las reglas son funciones puras",
        "  de la instantánea del portal y de la fecha: cada evaluación guarda la clave de lo que juzgó (huella del",
        "  código de las reglas, fecha de referencia y contenido completo de la instantánea, `checks/runner.py`), y un",
        "  portal cuya instantánea ya fue juzgada con esa clave (una noche sin cambios) recibe una copia de esos",
        "  hallazgos en lugar de analizarse otra vez; cualquier cambio de evidencia, de fecha o de código juzga de nuevo.",
        "- `vigia audit URL --json [--as-of AAAA-MM-DD]`: rastrea un portal y muestra su lista de verificación.",
        "- `python -m checks.agreement truth.json [--db URL] [--run N] [--json]`: concordancia con la verdad de la",
        "  flota simulada (matriz de confusión, precisión de «Cumple», lista de desacuerdos).",
        "- Casos de cada regla: `checks/cases/LAIP-10.NN.yml` (presente, ausente, desactualizado, negativos difíciles,",
        "  no verificable), ejecutados por `tests/test_checks_cases.py`.",
        "",
        "## Estados",
        "",
        "| código | etiqueta |",
        "|---|---|",
        *(f"| `{code}` | {label} |" for code, label in STATUS_LABELS.items()),
        "",
        "## Puntaje y banda",
        "",
        f"Puntaje = 100 × (Cumple + {OUTDATED_CREDIT} × Desactualizado) / numerales aplicables (los que no son «No aplica»).",
        "Bandas PDH: "
        + ", ".join(f"{name} ≥ {floor:g}" for floor, name in BANDS[:-1])
        + f", {BANDS[-1][1]} en otro caso.",
        "Sin puntaje cuando el rastreo no se completó (parcial, sin respuesta, bloqueado o prohibido por robots.txt).",
        "",
        "## Lectura de la periodicidad (LAIP art. 7)",
        "",
        "```text",
        inspect.getdoc(base) or "",
        "```",
        "",
        "## Atribución de la evidencia a cada numeral",
        "",
        "```text",
        inspect.getdoc(attribution) or "",
        "```",
        "",
        "## Numerales del artículo 10",
        "",
        "| regla | numeral | título | periodicidad | texto legal |",
        "|---|---|---|---|---|",
    ]
    for rule in NUMERAL_RULES:
        kind = "resumen" if rule.legal_text_is_summary else "literal"
        out.append(
            f"| `{rule.code}` | {rule.numeral} | {rule.title} | {PERIODICITY_ES[rule.periodicity]} | {kind} |"
        )
    for rule in NUMERAL_RULES:
        out += ["", f"### {rule.code} — {rule.title}", "", *_numeral_facts(rule), ""]
        out.append("Vocabulario (expresiones regulares sobre texto sin tildes, en minúsculas):")
        out.append("")
        out += [f"- `{v}`" for v in rule.vocabulary]
        if rule.requires:
            out += ["", f"Requisito (expresión regular sobre el contexto de la evidencia): `{rule.requires}`"]
    out += [
        "",
        "## Reglas del portal (numeral nulo)",
        "",
        "| regla | título | qué verifica |",
        "|---|---|---|",
    ]
    out += [f"| `{r.code}` | {r.title} | {r.description} |" for r in PORTAL_RULES]
    out += ["", "Qué debe hacer la municipalidad:", ""]
    out += [f"- `{r.code}`: {r.guidance}" for r in PORTAL_RULES]
    return "\n".join(out) + "\n"


def _numeral_facts(rule: NumeralRule) -> list[str]:
    """A numeral's section, written from the rule's own fields (nothing here restates them)."""
    kind = "resumen" if rule.legal_text_is_summary else "literal"
    lines = [
        f"Artículo 10, numeral {rule.numeral}. Texto legal ({kind}): «{rule.legal_text}».",
        f"Verificación del texto: {rule.verification}.",
        "",
        f"Periodicidad: {rule.periodicity_es}."
        + ("" if rule.applies_to_municipalities else " No aplica a las municipalidades."),
        "",
        f"- {STATUS_LABELS[PRESENT]} (`{PRESENT}`): {rule.present}",
        f"- {STATUS_LABELS[OUTDATED]} (`{OUTDATED}`): {rule.outdated}",
        f"- {STATUS_LABELS[ABSENT]} (`{ABSENT}`): {rule.absent}",
        "",
        f"Qué debe hacer la municipalidad: {rule.guidance}",
    ]
    lines += [f"\nNota: {note}" for note in rule.notes]
    return lines


if __name__ == "__main__":
    print(render(), end="")
