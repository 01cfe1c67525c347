"""Exports for the CGC: CSV, XLSX and JSON of findings, one row per (municipality, numeral).

The schema is documented in docs/reports.md; ``SCHEMA_VERSION`` changes when a column is renamed,
removed or changes meaning (adding a column at the end is a minor version).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports import fmt
from reports.facts import NUMERALS, STATUS_LABELS, pdh_scores
from reports.loader import EvidenceItem, RunData
from reports.xlsx import write_workbook

SCHEMA_VERSION = "1.0"

#: (column, type, description) — the order is the CSV's and the XLSX's.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("schema_version", "texto", "Versión de este esquema (p. ej. 1.0)."),
    ("run_id", "entero", "Número de la corrida de Vigía."),
    ("as_of", "fecha AAAA-MM-DD", "Fecha de referencia de la evaluación."),
    ("rules_version", "texto", "Versión de las reglas que produjeron el hallazgo."),
    ("ine_code", "texto (4 dígitos)", "Código INE de la municipalidad."),
    ("department", "texto", "Departamento."),
    ("municipality", "texto", "Municipio."),
    ("portal_url", "URL", "Portal rastreado."),
    ("crawl_outcome", "texto", "Resultado del rastreo: complete, partial, unreachable, blocked, disallowed."),
    ("crawl_started_at", "fecha y hora UTC (ISO 8601)", "Inicio del rastreo del portal."),
    ("score", "número o vacío", "Puntaje Vigía del portal (0 a 100); vacío si el rastreo no se completó."),
    ("band", "texto o vacío", "Banda del PDH: Aceptable, Bajo o Deficiente."),
    ("numeral", "entero 1–29", "Numeral del artículo 10 de la LAIP."),
    ("rule", "texto", "Código de la regla (LAIP-10.01 … LAIP-10.29)."),
    ("item", "texto", "Nombre corto del numeral."),
    ("status", "texto", "present, outdated, absent, not_applicable o unverified."),
    ("status_label", "texto", "Cumple, Desactualizado, No publicado, No aplica o No verificable."),
    ("compliant", "sí/no", "«no» cuando el estado es Desactualizado o No publicado (seguimiento de la CGC)."),
    ("period", "texto o vacío", "Periodo más reciente encontrado (AAAA-MM, AAAA, AAAA-Q3…)."),
    ("reason", "texto", "Motivo del hallazgo, en una oración."),
    ("evidence_count", "entero", "Cantidad de evidencias citadas."),
    ("evidence_urls", "URLs separadas por « | »", "Enlaces en vivo de la evidencia."),
    (
        "evidence_page_urls",
        "URLs separadas por « | »",
        "Páginas del portal donde se encontró cada evidencia.",
    ),
    (
        "archived_copies",
        "rutas separadas por « | »",
        "Copias archivadas dentro del sitio de reportes (evidencia/<sha256>.<ext>).",
    ),
    ("pdh_last_score", "número o vacío", "Último puntaje publicado por el PDH (0 en sus tablas = sin dato)."),
    ("pdh_last_year", "texto o vacío", "Año de ese puntaje del PDH."),
    ("checklist", "ruta", "Lista de verificación de la municipalidad dentro del sitio."),
)
FIELDS = tuple(c[0] for c in COLUMNS)
NON_COMPLIANT = ("outdated", "absent")


@dataclass(frozen=True, slots=True)
class ExportResult:
    files: tuple[Path, ...]
    rows: int


def _iso(value: dt.datetime | None) -> str:
    return value.replace(microsecond=0).isoformat() if value else ""


def _archived(e: EvidenceItem, archived: dict[str, str]) -> str:
    return archived.get(e.sha256 or "", "")


def _rows(data: RunData, archived: dict[str, str], file_names: dict[int, str]) -> list[dict[str, Any]]:
    facts = NUMERALS
    pdh = pdh_scores()
    rows: list[dict[str, Any]] = []
    for p in sorted(data.portals, key=lambda p: (p.ine_code or "~", p.portal_key)):
        ev = p.evaluation
        if ev is None:
            continue
        record = pdh.get(p.ine_code or "")
        for f in p.findings:
            if f.numeral is None:
                continue
            fact = facts.get(f.numeral)
            rows.append(
                {
                    "schema_version": SCHEMA_VERSION,
                    "run_id": data.run.id,
                    "as_of": ev.as_of.isoformat(),
                    "rules_version": ev.rules_version,
                    "ine_code": p.ine_code or "",
                    "department": p.department,
                    "municipality": p.municipality,
                    "portal_url": p.portal_url,
                    "crawl_outcome": p.outcome or "",
                    "crawl_started_at": _iso(p.started_at),
                    "score": None if ev.score is None else round(ev.score, 2),
                    "band": ev.band or "",
                    "numeral": f.numeral,
                    "rule": f.rule,
                    "item": fact.title if fact else "",
                    "status": f.status,
                    "status_label": STATUS_LABELS.get(f.status, f.status),
                    "compliant": "no" if f.status in NON_COMPLIANT else "sí",
                    "period": f.period or "",
                    "reason": f.reason,
                    "evidence": [
                        {
                            "url": e.url,
                            "label": e.label,
                            "period": e.period,
                            "page_url": e.page_url,
                            "sha256": e.sha256,
                            "archived_copy": _archived(e, archived) or None,
                        }
                        for e in f.evidence
                    ],
                    "pdh_last_score": record.score if record else None,
                    "pdh_last_year": (record.year or "") if record else "",
                    "checklist": file_names.get(p.crawl_id, ""),
                }
            )
    return rows


def _flat(row: dict[str, Any]) -> list[Any]:
    evidence = row["evidence"]
    flat = dict(row)
    flat["evidence_count"] = len(evidence)
    flat["evidence_urls"] = " | ".join(e["url"] for e in evidence)
    flat["evidence_page_urls"] = " | ".join(e["page_url"] or "" for e in evidence)
    flat["archived_copies"] = " | ".join(e["archived_copy"] or "" for e in evidence)
    return [flat[name] for name in FIELDS]


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return fmt.spreadsheet_cell(fmt.clean_text(value) if "\n" in value or "\r" in value else value)
    return value


def _portal_rule_rows(data: RunData) -> list[dict[str, Any]]:
    rows = []
    for p in sorted(data.portals, key=lambda p: (p.ine_code or "~", p.portal_key)):
        for f in p.findings:
            if f.numeral is not None:
                continue
            rows.append(
                {
                    "ine_code": p.ine_code or "",
                    "municipality": p.municipality,
                    "rule": f.rule,
                    "status": f.status,
                    "status_label": STATUS_LABELS.get(f.status, f.status),
                    "reason": f.reason,
                    "evidence_urls": [e.url for e in f.evidence],
                }
            )
    return rows


def _portal_rows(data: RunData, file_names: dict[int, str]) -> list[dict[str, Any]]:
    result = []
    for p in sorted(data.portals, key=lambda p: (p.ine_code or "~", p.portal_key)):
        ev: Any = p.evaluation
        result.append(
            {
                "ine_code": p.ine_code or "",
                "department": p.department,
                "municipality": p.municipality,
                "portal_url": p.portal_url,
                "crawl_outcome": p.outcome or "",
                "outcome_reason": p.outcome_reason or "",
                "crawl_started_at": _iso(p.started_at),
                "pages": p.pages,
                "documents": p.documents,
                "score": None if ev is None or ev.score is None else round(ev.score, 2),
                "band": (ev.band or "") if ev else "",
                "no_score_reason": (ev.no_score_reason or "") if ev else "sin evaluación",
                "checklist": file_names.get(p.crawl_id, ""),
            }
        )
    return result


@dataclass(frozen=True, slots=True)
class ExportTables:
    """The rows of every export, built once and written as CSV, JSON and XLSX."""

    run_id: int
    findings: list[dict[str, Any]]
    portal_rules: list[dict[str, Any]]
    portals: list[dict[str, Any]]

    @property
    def as_of(self) -> str | None:
        return self.findings[0]["as_of"] if self.findings else None


def prepare(data: RunData, archived: dict[str, str], file_names: dict[int, str]) -> ExportTables:
    return ExportTables(
        run_id=data.run.id,
        findings=_rows(data, archived, file_names),
        portal_rules=_portal_rule_rows(data),
        portals=_portal_rows(data, file_names),
    )


#: ``json.dumps(value, ensure_ascii=False)``, without building an encoder for every record.
_JSON_RECORD = json.JSONEncoder(ensure_ascii=False).encode


def _json_text(document: dict[str, Any]) -> str:
    """Valid JSON with one record per line: diffable, and written by the C encoder (no ``indent``)."""
    items = list(document.items())
    lines = ["{"]
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        name = json.dumps(key)
        if isinstance(value, list) and value:
            lines.append(f" {name}: [")
            lines.append(",\n".join(["  " + _JSON_RECORD(v) for v in value]))
            lines.append(f" ]{comma}")
        else:
            lines.append(f" {name}: {_JSON_RECORD(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_csv_json(tables: ExportTables, out_dir: Path, vigia_version: str) -> tuple[Path, Path]:
    folder = out_dir / "datos"
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELDS)
    cell = _cell
    writer.writerows(["" if v is None else cell(v) for v in _flat(row)] for row in tables.findings)
    csv_path = folder / "hallazgos.csv"
    csv_path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8", newline="")

    document = {
        "schema_version": SCHEMA_VERSION,
        "generator": f"vigia {vigia_version}",
        "run_id": tables.run_id,
        "as_of": tables.as_of,
        "columns": [{"name": n, "type": t, "description": d} for n, t, d in COLUMNS],
        "findings": tables.findings,
        "portal_rules": tables.portal_rules,
        "portals": tables.portals,
    }
    json_path = folder / "hallazgos.json"
    json_path.write_text(_json_text(document), encoding="utf-8")
    return csv_path, json_path


def write_xlsx(tables: ExportTables, out_dir: Path) -> Path:
    folder = out_dir / "datos"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hallazgos.xlsx"
    tmp = path.with_name(path.name + ".tmp")
    _write_xlsx(tmp, tables.findings, tables.portal_rules, tables.portals, tables.as_of)
    tmp.replace(path)
    return path


def write_exports(
    data: RunData, out_dir: Path, archived: dict[str, str], file_names: dict[int, str], vigia_version: str
) -> ExportResult:
    """All three exports, in this process."""
    tables = prepare(data, archived, file_names)
    csv_path, json_path = write_csv_json(tables, out_dir, vigia_version)
    xlsx_path = write_xlsx(tables, out_dir)
    return ExportResult(files=(csv_path, xlsx_path, json_path), rows=len(tables.findings))


def _write_xlsx(
    path: Path,
    rows: list[dict[str, Any]],
    portal_rules: list[dict[str, Any]],
    portals: list[dict[str, Any]],
    as_of: str | None,
) -> None:
    stamp = dt.datetime.fromisoformat(as_of) if as_of else dt.datetime(2000, 1, 1)
    rule_names = ["ine_code", "municipality", "rule", "status", "status_label", "reason", "evidence_urls"]
    portal_names = list(portals[0].keys()) if portals else ["ine_code"]
    sheets: list[tuple[str, list[list[Any]]]] = [
        ("Hallazgos", [list(FIELDS), *([_xlsx(v) for v in _flat(row)] for row in rows)]),
        (
            "Reglas del portal",
            [
                rule_names,
                *(
                    [_xlsx(" | ".join(r[n]) if n == "evidence_urls" else r[n]) for n in rule_names]
                    for r in portal_rules
                ),
            ],
        ),
        ("Portales", [portal_names, *([_xlsx(r[n]) for n in portal_names] for r in portals)]),
        (
            "Esquema",
            [["columna", "tipo", "descripción"], ["schema_version", "", SCHEMA_VERSION], *map(list, COLUMNS)],
        ),
    ]
    write_workbook(path, sheets, "Hallazgos LAIP artículo 10", stamp)


def _xlsx(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        # no control characters, and a leading "=" must never become a formula
        return fmt.spreadsheet_cell(fmt.clean_text(value)) if value else value
    return value


def xlsx_dump(path: Path) -> str:
    """The cell values of an XLSX export as text (for golden files: the zip's bytes carry timestamps)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    lines: list[str] = []
    for ws in wb.worksheets:
        lines.append(f"## {ws.title}")
        for row in ws.iter_rows(values_only=True):
            lines.append("\t".join("" if v is None else str(v) for v in row))
    wb.close()
    return "\n".join(lines) + "\n"
