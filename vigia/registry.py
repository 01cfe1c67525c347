"""The registry of municipalities (``municipalities.csv``): loading and validation.

A bad row is rejected with one line that names the line number and the problem
(``line 12: duplicate ine_code 0101 (first seen on line 3)``); the loader collects every
problem of the file before raising, so a monitor fixes the file in one pass.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_REGISTRY = "municipalities.csv"

COLUMNS: tuple[str, ...] = (
    "ine_code",
    "department_code",
    "department",
    "municipality",
    "portal_url",
    "alt_urls",
    "platform",
    "render",
    "document_hosts",
    "priority",
    "active",
    "sicoin_code",
    "population_2020",
    "pdh_score_2023",
    "notes",
    "portal_source",
    "uip_email",
)
#: Columns a registry file may leave out (older files still validate).
OPTIONAL_COLUMNS: tuple[str, ...] = ("portal_source", "uip_email")
REQUIRED_COLUMNS: tuple[str, ...] = (
    "ine_code",
    "department",
    "municipality",
    "portal_url",
    "platform",
    "priority",
    "active",
)

#: The 22 departments of Guatemala with their INE codes (first two digits of a municipality's code).
DEPARTMENTS: dict[str, str] = {
    "01": "Guatemala",
    "02": "El Progreso",
    "03": "Sacatepéquez",
    "04": "Chimaltenango",
    "05": "Escuintla",
    "06": "Santa Rosa",
    "07": "Sololá",
    "08": "Totonicapán",
    "09": "Quetzaltenango",
    "10": "Suchitepéquez",
    "11": "Retalhuleu",
    "12": "San Marcos",
    "13": "Huehuetenango",
    "14": "Quiché",
    "15": "Baja Verapaz",
    "16": "Alta Verapaz",
    "17": "Petén",
    "18": "Izabal",
    "19": "Zacapa",
    "20": "Chiquimula",
    "21": "Jalapa",
    "22": "Jutiapa",
}
DEPARTMENT_CODES = {name: code for code, name in DEPARTMENTS.items()}

#: Vendor platforms the crawler knows how to enter (see ``crawler/spiders``).
PLATFORMS: tuple[str, ...] = ("unknown", "wordpress", "joomla", "laip_standard", "static", "javascript")
#: How pages are rendered: ``auto`` (static, falling back to the browser when the page is empty),
#: ``static`` (never the browser) or ``browser`` (always through Chromium).
RENDER_MODES: tuple[str, ...] = ("auto", "static", "browser")
#: Limits of a registry file: Guatemala has 340 municipalities; a generated fleet for the benchmarks a few
#: thousand. A file beyond them is refused at once, and a file full of bad rows reports at most
#: ``MAX_PROBLEMS`` lines and a count of the rest (a 1.5 M-row file used to print 3 M lines).
MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024
MAX_PROBLEMS = 50
#: control characters (C0, DEL, C1) and the Unicode bidirectional controls (a right-to-left override
#: in a name would reorder what a report shows); tab is refused too, it has no place in a cell
_FORBIDDEN_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_TRUE = {"yes", "si", "sí", "true", "1", "y", "s"}
_FALSE = {"no", "false", "0", "n", ""}


class RegistryError(Exception):
    """The registry file cannot be used; ``problems`` holds one ``line N: problem`` string each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class Municipality:
    ine_code: str
    department: str
    municipality: str
    portal_url: str | None
    platform: str = "unknown"
    priority: bool = False
    active: bool = True
    department_code: str = ""
    alt_urls: tuple[str, ...] = ()
    render: str = "auto"
    document_hosts: tuple[str, ...] = ()
    sicoin_code: str = ""
    population_2020: int | None = None
    pdh_score_2023: float | None = None
    notes: str = ""
    #: Provenance of ``portal_url``/``alt_urls``: source document or URL, confidence, date seen.
    portal_source: str = ""
    uip_email: str = ""  # the Unidad de Información Pública's address (optional): its checklist's messages
    line: int = field(default=0, compare=False)

    @property
    def name(self) -> str:
        return f"{self.municipality}, {self.department}"


def check_url(value: str) -> str | None:
    """Return a problem description for a malformed portal URL, or ``None`` if it is usable."""
    if any(ch.isspace() for ch in value):
        return f"URL mal formada {value!r} (contiene espacios)"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        return f"URL mal formada {value!r} (debe empezar con http:// o https://)"
    if not parts.hostname:
        return f"URL mal formada {value!r} (sin dominio)"
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return f"URL mal formada {value!r} (puerto inválido)"
    return None


def check_email(value: str) -> str | None:
    """Return a problem description for a malformed e-mail address, or ``None`` if it is usable.

    The syntax check is the ``email-validator`` library's (no DNS look-up: the registry is validated
    offline); a display name, several addresses or spaces are refused."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"correo mal formado {value!r} ({exc})"
    return None


def _bool(value: str) -> bool | None:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return None


def _split(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(";") if p.strip())


def parse_registry(text: str, source: str = DEFAULT_REGISTRY) -> list[Municipality]:
    """Parse and validate the registry's text; raise :class:`RegistryError` listing every bad row."""
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RegistryError([f"line 1: {source} está vacío (se esperaba una fila de encabezado)"]) from None
    except csv.Error as exc:
        raise RegistryError([f"line 1: encabezado CSV ilegible ({exc})"]) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise RegistryError([f"line 1: faltan columnas en el encabezado: {', '.join(missing)}"])
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise RegistryError([f"line 1: columnas desconocidas en el encabezado: {', '.join(unknown)}"])
    index = {name: i for i, name in enumerate(header)}
    seen: dict[str, int] = {}
    seen_urls: dict[str, int] = {}
    seen_bad: set[int] = set()
    result: list[Municipality] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"line {reader.line_num}: CSV ilegible ({exc})")
            break
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                f"line {line}: número de columnas incorrecto: {len(row)} campos, se esperaban {len(header)}"
            )
            continue

        if len(result) + len(seen_bad) >= MAX_ROWS:
            problems.append(
                f"line {line}: el registro tiene más de {MAX_ROWS} filas (Guatemala tiene 340 municipios); "
                "no se lee más"
            )
            break

        def get(name: str, row: list[str] = row) -> str:
            i = index.get(name)
            return row[i].strip() if i is not None else ""

        row_problems: list[str] = []
        for column, cell in zip(header, row, strict=False):
            bad = _FORBIDDEN_CHARS.search(cell)
            if bad:
                row_problems.append(
                    f"carácter de control U+{ord(bad.group()):04X} en la columna {column} (no se admite)"
                )
        code = get("ine_code")
        if not (len(code) == 4 and code.isdigit()):
            row_problems.append(
                f"ine_code mal formado {code!r} (se esperan 4 dígitos con ceros a la izquierda, p. ej. 0101)"
            )
        elif code in seen:
            row_problems.append(f"ine_code duplicado {code} (ya aparece en la línea {seen[code]})")
        department = get("department")
        dep_code = DEPARTMENT_CODES.get(department)
        if dep_code is None:
            row_problems.append(f"departamento desconocido {department!r}")
        elif len(code) == 4 and code.isdigit() and code[:2] != dep_code:
            row_problems.append(
                f"el ine_code {code} no pertenece al departamento {department} (código {dep_code})"
            )
        declared_dep_code = get("department_code")
        if declared_dep_code and dep_code and declared_dep_code != dep_code:
            row_problems.append(
                f"department_code {declared_dep_code} no corresponde al departamento {department}"
            )
        name = get("municipality")
        if not name:
            row_problems.append("nombre de municipio vacío")
        url = get("portal_url")
        if url:
            problem = check_url(url)
            if problem:
                row_problems.append(problem)
            elif url.lower() in seen_urls:
                row_problems.append(f"portal_url {url} ya usada en la línea {seen_urls[url.lower()]}")
        alt_urls = _split(get("alt_urls"))
        for alt in alt_urls:
            problem = check_url(alt)
            if problem:
                row_problems.append(f"alt_urls: {problem}")
        platform = get("platform") or "unknown"
        if platform not in PLATFORMS:
            row_problems.append(f"plataforma desconocida {platform!r} (una de {', '.join(PLATFORMS)})")
        render = get("render") or "auto"
        if render not in RENDER_MODES:
            row_problems.append(f"modo render desconocido {render!r} (uno de {', '.join(RENDER_MODES)})")
        priority = _bool(get("priority"))
        if priority is None:
            row_problems.append(f"priority debe ser yes o no, no {get('priority')!r}")
        active_raw = get("active")
        active = _bool(active_raw) if active_raw else True
        if active is None:
            row_problems.append(f"active debe ser yes o no, no {active_raw!r}")
        population: int | None = None
        if get("population_2020"):
            try:
                population = int(get("population_2020"))
            except ValueError:
                row_problems.append(f"population_2020 no es un número entero: {get('population_2020')!r}")
        score: float | None = None
        if get("pdh_score_2023"):
            try:
                score = float(get("pdh_score_2023"))
                if not 0 <= score <= 100:
                    raise ValueError
            except ValueError:
                row_problems.append(
                    f"pdh_score_2023 debe ser un número de 0 a 100: {get('pdh_score_2023')!r}"
                )
        uip_email = get("uip_email")
        if uip_email:
            problem = check_email(uip_email)
            if problem:
                row_problems.append(f"uip_email: {problem}")
        if row_problems:
            problems.extend(f"line {line}: {p}" for p in row_problems)
            seen_bad.add(line)
            continue
        seen[code] = line
        if url:
            seen_urls[url.lower()] = line
        result.append(
            Municipality(
                ine_code=code,
                department=department,
                municipality=name,
                portal_url=url or None,
                platform=platform,
                priority=bool(priority),
                active=bool(active),
                department_code=dep_code or "",
                alt_urls=alt_urls,
                render=render,
                document_hosts=_split(get("document_hosts")),
                sicoin_code=get("sicoin_code"),
                population_2020=population,
                pdh_score_2023=score,
                notes=get("notes"),
                portal_source=get("portal_source"),
                uip_email=uip_email,
                line=line,
            )
        )
    if problems:
        raise RegistryError(capped(problems))
    return result


def capped(problems: Sequence[str], limit: int = MAX_PROBLEMS) -> list[str]:
    """At most ``limit`` problem lines, then one line counting the rest."""
    if len(problems) <= limit:
        return list(problems)
    return [
        *problems[:limit],
        f"… y {len(problems) - limit} problemas más (se muestran los primeros {limit})",
    ]


def load_registry(path: str | os.PathLike[str] | None = None) -> list[Municipality]:
    """Load ``municipalities.csv`` (or ``path``); raise :class:`RegistryError` on any bad row."""
    p = Path(path or os.environ.get("VIGIA_REGISTRY") or DEFAULT_REGISTRY)
    try:
        size = p.stat().st_size if p.is_file() else 0
        if size > MAX_BYTES:
            raise RegistryError(
                [
                    f"line 0: el archivo de registro {p} pesa {size / 1_048_576:.0f} MB (máximo {MAX_BYTES // 1_048_576} MB)"
                ]
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise RegistryError([f"line 0: no existe el archivo de registro {p}"]) from None
    except OSError as exc:
        raise RegistryError(
            [f"line 0: no se puede leer el archivo de registro {p}: {exc.strerror}"]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RegistryError(
            [
                f"line {line}: codificación incorrecta (el archivo debe ser UTF-8; el byte 0x{raw[exc.start]:02x} no lo es)"
            ]
        ) from None
    return parse_registry(text, source=str(p))


def select(
    municipalities: Iterable[Municipality],
    only: Sequence[str] | None = None,
    priority: bool = False,
    include_inactive: bool = False,
) -> list[Municipality]:
    """The municipalities a command works on: active rows, narrowed by ``--only`` or ``--priority``."""
    rows = list(municipalities)
    if only:
        wanted = [c.strip() for c in only if c.strip()]
        by_code = {m.ine_code: m for m in rows}
        unknown = [c for c in wanted if c not in by_code]
        if unknown:
            raise RegistryError([f"código INE desconocido en --only: {', '.join(unknown)}"])
        return [by_code[c] for c in wanted]
    chosen = [m for m in rows if include_inactive or m.active]
    if priority:
        chosen = [m for m in chosen if m.priority]
    return chosen
