"""The monitors who receive the nightly digest: a subscribers file (YAML or CSV), or the review
workspace's accounts where it exists (:mod:`reports.notify.review`).

YAML::

    - email: analista@pdh.example.gt
    - email: sociedad.civil@example.org
      departments: [Quiché, Sololá]      # optional: only these departments

CSV (header ``email,departments``; departments ``;``-separated, empty = the whole country).
A bad entry is named with its line (``línea N: problema``), like the registry.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import yaml

from vigia.errors import UserError
from vigia.registry import DEPARTMENTS, check_email


@dataclass(frozen=True, slots=True)
class Subscriber:
    email: str
    departments: tuple[str, ...] = ()  # () = the whole country


def _departments(value: object, where: str) -> tuple[tuple[str, ...], list[str]]:
    if value in (None, ""):
        return (), []
    items = value.split(";") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return (), [f"{where}: departments debe ser una lista"]
    known = {d.casefold(): d for d in DEPARTMENTS.values()}
    result: list[str] = []
    problems: list[str] = []
    for item in items:
        name = str(item).strip()
        if not name:
            continue
        if name.casefold() not in known:
            problems.append(f"{where}: departamento desconocido {name!r}")
        else:
            result.append(known[name.casefold()])
    return tuple(result), problems


def parse_subscribers(text: str, source: str) -> list[Subscriber]:
    """Subscribers from YAML or CSV text (CSV when ``source`` ends in ``.csv``)."""
    entries: list[tuple[str, object, object]] = []
    problems: list[str] = []
    if source.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        if "email" not in (reader.fieldnames or []):
            raise UserError(f"{source}: línea 1: falta la columna email")
        for row in reader:
            entries.append((f"línea {reader.line_num}", row.get("email"), row.get("departments")))
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"línea {mark.line + 1}" if mark else "YAML"
            raise UserError(f"{source}: {line}: YAML ilegible") from None
        if data is None:
            data = []
        if isinstance(data, dict):
            data = data.get("subscribers", data.get("suscriptores"))
        if not isinstance(data, list):
            raise UserError(f"{source}: se esperaba una lista de suscriptores (- email: …)")
        for i, item in enumerate(data, start=1):
            if isinstance(item, str):
                entries.append((f"entrada {i}", item, None))
            elif isinstance(item, dict):
                entries.append((f"entrada {i}", item.get("email"), item.get("departments")))
            else:
                problems.append(f"entrada {i}: se esperaba email: …")
    result: list[Subscriber] = []
    seen: set[str] = set()
    for where, email, departments in entries:
        address = str(email or "").strip()
        problem = check_email(address) if address else "falta el correo"
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        deps, dep_problems = _departments(departments, where)
        problems.extend(dep_problems)
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        result.append(Subscriber(address, deps))
    if problems:
        raise UserError(f"{source}: " + "; ".join(problems))
    return result


def load_subscribers(path: Path) -> list[Subscriber]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"no existe el archivo de suscriptores {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"no se puede leer el archivo de suscriptores {path}: {exc}") from None
    return parse_subscribers(text, str(path))
