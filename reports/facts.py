"""Facts only the reports need: PDH scores, status marks, outcome labels, the department grid.

The rules' facts (numeral titles, legal texts, guidance, periodicities, status labels, bands, failed
outcomes) come from ``checks.facts`` and are re-exported here; nothing is copied. The PDH's published
scores are read from ``vigia/data/pdh_scores.csv`` inside the installed package.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from checks.facts import (
    ABSENT,
    ACCEPTABLE,
    BAND_NAMES,
    DEFICIENT,
    FAILED_OUTCOMES,
    LOW,
    NOT_APPLICABLE,
    NUMERALS,
    OUTDATED,
    PORTAL_RULES_BY_CODE,
    PRESENT,
    STATUS_LABELS,
    STATUSES,
    UNVERIFIED,
    NumeralRule,
    PortalRule,
    band_for,
    band_range,
)

__all__ = [
    "ACCEPTABLE",
    "BAND_NAMES",
    "BAND_RANGES",
    "DEFICIENT",
    "DEPARTMENT_ABBREVIATIONS",
    "DEPARTMENT_TILES",
    "FAILED_OUTCOMES",
    "LOW",
    "NO_SCORE",
    "NUMERALS",
    "NumeralRule",
    "OUTCOME_LABELS",
    "PORTAL_RULES_BY_CODE",
    "PdhScore",
    "PortalRule",
    "STATUSES",
    "STATUS_LABELS",
    "STATUS_MARKS",
    "band_for",
    "pdh_scores",
]

#: One-letter marks for the matrix and for readers who cannot tell the colours apart.
STATUS_MARKS: dict[str, str] = {
    PRESENT: "C",
    OUTDATED: "D",
    ABSENT: "N",
    NOT_APPLICABLE: "—",
    UNVERIFIED: "?",
}

OUTCOME_LABELS: dict[str, str] = {
    "complete": "Completo",
    "partial": "Parcial",
    "unreachable": "Inaccesible",
    "blocked": "Bloqueado",
    "disallowed": "Prohibido por robots.txt",
}

NO_SCORE = "Sin puntaje"
BAND_RANGES: dict[str, str] = {name: band_range(name) for name in BAND_NAMES}


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
