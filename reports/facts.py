"""Facts the reports need that are not findings: numeral texts, PDH scores, labels, the department grid.

Everything is read from files inside the installed packages (``vigia/data`` and ``reports/data``), never
from ``../shared``: a user's clone carries its own copies.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: Spanish labels of the statuses (DESIGN.md §3); the same wording as ``checks.api.STATUS_LABELS``.
STATUS_LABELS: dict[str, str] = {
    "present": "Cumple",
    "outdated": "Desactualizado",
    "absent": "No publicado",
    "not_applicable": "No aplica",
    "unverified": "No verificable",
}
STATUS_ORDER: tuple[str, ...] = ("present", "outdated", "absent", "not_applicable", "unverified")
#: One-letter marks for the matrix and for readers who cannot tell the colours apart.
STATUS_MARKS: dict[str, str] = {
    "present": "C",
    "outdated": "D",
    "absent": "N",
    "not_applicable": "—",
    "unverified": "?",
}

OUTCOME_LABELS: dict[str, str] = {
    "complete": "Completo",
    "partial": "Parcial",
    "unreachable": "Inaccesible",
    "blocked": "Bloqueado",
    "disallowed": "Prohibido por robots.txt",
}
FAILED_OUTCOMES = frozenset({"unreachable", "blocked", "disallowed"})

BANDS: tuple[str, ...] = ("Aceptable", "Bajo", "Deficiente")
NO_SCORE = "Sin puntaje"
BAND_RANGES: dict[str, str] = {
    "Aceptable": "85 a 100",
    "Bajo": "60 a 84.99",
    "Deficiente": "0 a 59.99",
}

PERIODICITY_LABELS: dict[str, str] = {
    "monthly": "mensual",
    "annual_current": "anual (ejercicio en curso)",
    "annual_previous": "anual (año anterior o posterior)",
    "standing": "vigente (sin periodo)",
    "when_it_occurs": "cuando ocurra",
    "not_applicable": "no aplica a municipalidades",
}


#: A tile-grid cartogram of the 22 departments: (column, row), north at the top. Tiles keep each
#: department's neighbours roughly where they are; areas are equal on purpose (no geodata offline).
DEPARTMENT_TILES: dict[str, tuple[int, int]] = {
    "17": (3, 0),  # Petén
    "13": (1, 1),  # Huehuetenango
    "14": (2, 1),  # Quiché
    "16": (3, 1),  # Alta Verapaz
    "18": (4, 1),  # Izabal
    "12": (0, 2),  # San Marcos
    "08": (1, 2),  # Totonicapán
    "07": (2, 2),  # Sololá
    "15": (3, 2),  # Baja Verapaz
    "02": (4, 2),  # El Progreso
    "19": (5, 2),  # Zacapa
    "09": (1, 3),  # Quetzaltenango
    "04": (2, 3),  # Chimaltenango
    "03": (3, 3),  # Sacatepéquez
    "01": (4, 3),  # Guatemala
    "21": (5, 3),  # Jalapa
    "20": (6, 3),  # Chiquimula
    "11": (1, 4),  # Retalhuleu
    "10": (2, 4),  # Suchitepéquez
    "05": (3, 4),  # Escuintla
    "06": (4, 4),  # Santa Rosa
    "22": (5, 4),  # Jutiapa
}
#: Short names for the tiles.
DEPARTMENT_ABBREVIATIONS: dict[str, str] = {
    "01": "GUA",
    "02": "PRO",
    "03": "SAC",
    "04": "CHM",
    "05": "ESC",
    "06": "SRO",
    "07": "SOL",
    "08": "TOT",
    "09": "QUE",
    "10": "SUC",
    "11": "RET",
    "12": "SMA",
    "13": "HUE",
    "14": "QUI",
    "15": "BAV",
    "16": "ALV",
    "17": "PET",
    "18": "IZA",
    "19": "ZAC",
    "20": "CHQ",
    "21": "JAL",
    "22": "JUT",
}


@dataclass(frozen=True, slots=True)
class NumeralFact:
    numeral: int
    rule: str
    short_name: str
    legal_text: str
    wording_verified: bool  # True when the text is the law's literal wording, checked against a source
    applies: str
    periodicity: str
    guidance: str

    @property
    def periodicity_label(self) -> str:
        return PERIODICITY_LABELS.get(self.periodicity, self.periodicity)


@dataclass(frozen=True, slots=True)
class PortalRuleFact:
    code: str
    name: str
    guidance: str


@dataclass(frozen=True, slots=True)
class PdhScore:
    """The PDH's last published score for one municipality (0 in their tables = not evaluated)."""

    year: str | None
    score: float | None
    later_zero_years: tuple[str, ...]  # years after ``year`` where the PDH table holds 0
    average: float | None


PDH_COLUMNS: tuple[tuple[str, str], ...] = (
    ("aip2023", "2023"),
    ("aip2022", "2022"),
    ("aip2019", "2019"),
    ("aip2017", "2017"),
    ("aip2015insitu", "2015 (in situ)"),
    ("aip2015", "2015"),
)


def _read(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def rule_code(numeral: int) -> str:
    return f"LAIP-10.{numeral:02d}"


@cache
def numerals() -> dict[int, NumeralFact]:
    guidance = {
        int(r["numeral"]): r
        for r in csv.DictReader(io.StringIO(_read("reports.data", "numeral_guidance.csv")))
    }
    result: dict[int, NumeralFact] = {}
    for row in csv.DictReader(io.StringIO(_read("vigia.data", "laip_art10.csv"))):
        n = int(row["numeral"])
        g = guidance.get(n, {})
        state = row.get("estado_verificacion", "")
        result[n] = NumeralFact(
            numeral=n,
            rule=rule_code(n),
            short_name=row["nombre_corto"],
            legal_text=row["resumen_es"],
            wording_verified=state.startswith("texto literal verificado"),
            applies=row.get("aplica_municipalidad", ""),
            periodicity=g.get("periodicity", ""),
            guidance=g.get("guidance", ""),
        )
    return result


@cache
def portal_rules() -> dict[str, PortalRuleFact]:
    rows = csv.DictReader(io.StringIO(_read("reports.data", "portal_rules.csv")))
    return {r["code"]: PortalRuleFact(r["code"], r["name"], r["guidance"]) for r in rows}


def portal_rule(code: str) -> PortalRuleFact:
    """Facts of a portal-level rule; an unknown code (a rule added later) gets a readable default."""
    known = portal_rules().get(code)
    if known:
        return known
    name = code.removeprefix("PORTAL-").replace("-", " ").capitalize()
    return PortalRuleFact(code, name, "")


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@cache
def pdh_scores() -> dict[str, PdhScore]:
    result: dict[str, PdhScore] = {}
    for row in csv.DictReader(io.StringIO(_read("vigia.data", "pdh_scores.csv"))):
        zeros: list[str] = []
        found: tuple[str, float] | None = None
        for column, year in PDH_COLUMNS:
            value = _float(row.get(column))
            if value is None:
                continue
            if value > 0:
                found = (year, value)
                break
            zeros.append(year)
        average = _float(row.get("aip_average"))
        result[row["ine_code"]] = PdhScore(
            year=found[0] if found else None,
            score=found[1] if found else None,
            later_zero_years=tuple(reversed(zeros)) if found else (),
            average=average if average else None,
        )
    return result
