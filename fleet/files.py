"""Writing and reading a fleet directory: spec.json, truth.json, registry.csv (and the night files)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

from vigia.errors import UserError
from vigia.registry import COLUMNS, DEPARTMENTS, Municipality, parse_registry

#: generated municipalities beyond the registry (scale benchmarks): codes 60–99 of each department
GENERATED_CODES = range(60, 100)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a watching server never reads half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def fleet_uip_email(ine_code: str) -> str:
    """The simulated municipality's information unit's address (never a real mailbox)."""
    return f"uip.{ine_code}@municipalidades.example.gt"


def registry_csv(spec: dict[str, Any], rows: dict[str, Municipality]) -> str:
    """The fleet's registry: same columns as municipalities.csv, portal_url pointing at the fleet."""
    from fleet.truth import portal_truth

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for p in spec["portals"]:
        m = rows[p["ine_code"]]
        hosts = portal_truth(spec, p)["document_hosts"]
        values = {
            "ine_code": m.ine_code,
            "department_code": m.department_code,
            "department": m.department,
            "municipality": m.municipality,
            "portal_url": p["url"],
            "alt_urls": "",
            "platform": p["declared_platform"],
            "render": p["declared_render"],
            "document_hosts": ";".join(hosts),
            "priority": "yes" if m.priority else "no",
            "active": "yes",
            "sicoin_code": m.sicoin_code,
            "population_2020": "" if m.population_2020 is None else str(m.population_2020),
            "pdh_score_2023": "" if m.pdh_score_2023 is None else f"{m.pdh_score_2023:g}",
            "notes": "portal simulado (flota de pruebas de Vigía)",
            "portal_source": "",
            # a made-up address on a reserved domain (RFC 2606 style), so notifications have a recipient
            "uip_email": fleet_uip_email(m.ine_code),
        }
        writer.writerow([values[c] for c in COLUMNS])
    text = buf.getvalue()
    parse_registry(text, source="registry.csv")  # the fleet's registry passes the same validation
    return text


def generated_municipalities(registry: list[Municipality], n: int) -> list[Municipality]:
    """``n`` made-up municipalities after the registry's, for fleets larger than the country (the scale
    benchmarks: "and later every municipality of a region"): dealt over the departments in turn, with
    codes 60–99 that no real municipality of Guatemala has, and names that say they are simulated."""
    if n <= 0:
        return []
    taken = {m.ine_code for m in registry}
    out: list[Municipality] = []
    for number in GENERATED_CODES:
        for dep_code, department in sorted(DEPARTMENTS.items()):
            code = f"{dep_code}{number:02d}"
            if code in taken:
                continue
            out.append(
                Municipality(
                    ine_code=code,
                    department=department,
                    municipality=f"Municipio simulado {code}",
                    portal_url=None,
                    department_code=dep_code,
                    notes="municipio generado para mediciones de escala; no existe",
                )
            )
            if len(out) == n:
                return out
    raise UserError(f"no hay códigos libres para {n} municipios generados")


def write_fleet(
    out: Path,
    registry: list[Municipality],
    portals: int,
    *,
    seed: int = 2026,
    as_of: dt.date = dt.date(2026, 11, 25),
    base_port: int = 8377,
    failures: str = "mix",
    platforms: list[str] | None = None,
    hostile: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Generate a fleet and write its files into ``out``; return (spec, truth). ``hostile`` plants the
    hostile families of fleet/hostile.py (PDF and XLSX bombs, a browser redirect to 0.0.0.0)."""
    from fleet import hostile as hostile_families
    from fleet.generate import generate_fleet
    from fleet.truth import build_truth

    rows = [m for m in registry if m.active]
    most = len(rows) + len(GENERATED_CODES) * len(DEPARTMENTS)
    if not 1 <= portals <= most:
        raise UserError(
            f"--portals debe estar entre 1 y {most} ({len(rows)} municipalidades activas del registro y "
            "hasta 40 municipios generados por departamento)"
        )
    rows += generated_municipalities(rows, portals - len(rows))
    spec = generate_fleet(
        rows, portals, seed=seed, as_of=as_of, base_port=base_port, failures=failures, platforms=platforms
    )
    if hostile:
        hostile_families.plant(spec)
        spec["hostile_dir"] = str((out / "hostile").resolve())
    truth = build_truth(spec)
    if hostile:
        hostile_families.apply_truth(spec, truth)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if hostile:
            hostile_families.write_bombs(out / "hostile")
        write_atomic(out / "spec.json", json.dumps(spec, ensure_ascii=False, separators=(",", ":")))
        write_atomic(out / "truth.json", dump(truth))
        write_atomic(out / "registry.csv", registry_csv(spec, {m.ine_code: m for m in rows}))
        for old in [*out.glob("truth-night*.json"), out / "changes.json"]:
            if old.exists():
                old.unlink()
    except OSError as exc:
        raise UserError(f"no se puede escribir en {out}: {exc.strerror}") from None
    return spec, truth


def load_fleet(fleet_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        spec = json.loads((fleet_dir / "spec.json").read_text(encoding="utf-8"))
        truth = json.loads((fleet_dir / "truth.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        name = Path(exc.filename or "spec.json").name
        raise UserError(
            f"{fleet_dir} no contiene una flota ({name} no existe): use `vigia fleet generate`"
        ) from None
    except ValueError as exc:
        raise UserError(f"{fleet_dir}: archivo de flota ilegible ({exc})") from None
    return spec, truth


def apply_next_night(fleet_dir: Path, seed: int | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Apply the next night to a fleet directory; the previous truth is kept as truth-nightN.json."""
    from fleet.night import next_night
    from fleet.truth import build_truth

    spec, truth = load_fleet(fleet_dir)
    new_spec, changes = next_night(spec, seed)
    new_truth = build_truth(new_spec)
    new_truth["changes"] = changes
    try:
        shutil.copyfile(fleet_dir / "truth.json", fleet_dir / f"truth-night{truth.get('night', 1)}.json")
        write_atomic(fleet_dir / "truth.json", dump(new_truth))
        write_atomic(fleet_dir / "changes.json", dump(changes))
        write_atomic(fleet_dir / "spec.json", json.dumps(new_spec, ensure_ascii=False, separators=(",", ":")))
    except OSError as exc:
        raise UserError(f"no se puede escribir en {fleet_dir}: {exc.strerror}") from None
    return new_spec, changes
