"""`vigia fleet generate|serve|truth|next-night`: the simulated fleet of municipal portals."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from vigia.errors import UserError
from vigia.registry import COLUMNS, Municipality, load_registry, parse_registry

console = Console()

fleet_app = typer.Typer(
    help="Flota simulada de portales municipales (pruebas, demo y mediciones): generar, servir, verdad.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

FleetDirOpt = Annotated[Path, typer.Option("--fleet", help="Carpeta de la flota (la de `generate --out`).")]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


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
        }
        writer.writerow([values[c] for c in COLUMNS])
    text = buf.getvalue()
    parse_registry(text, source="registry.csv")  # the fleet's registry must pass the same validation
    return text


def _load(fleet_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        spec = json.loads((fleet_dir / "spec.json").read_text(encoding="utf-8"))
        truth = json.loads((fleet_dir / "truth.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError(
            f"{fleet_dir} no contiene una flota ({Path(exc.filename).name} no existe): use `vigia fleet generate`"
        ) from None
    except ValueError as exc:
        raise UserError(f"{fleet_dir}: archivo de flota ilegible ({exc})") from None
    return spec, truth


@fleet_app.command("generate")
def generate_cmd(
    portals: Annotated[int, typer.Option("--portals", help="Número de portales (1 a 340).")] = 340,
    out: Annotated[Path, typer.Option("--out", help="Carpeta de salida.")] = Path("fleet-out"),
    seed: Annotated[int, typer.Option("--seed", help="Semilla (misma semilla, misma flota).")] = 2026,
    as_of: Annotated[str, typer.Option("--as-of", help="Fecha de referencia AAAA-MM-DD.")] = "2026-11-25",
    registry: Annotated[
        Path | None, typer.Option("--registry", help="Registro de municipalidades (municipalities.csv).")
    ] = None,
    base_port: Annotated[int, typer.Option("--base-port", help="Puerto de todos los portales.")] = 8377,
    failures: Annotated[
        str,
        typer.Option(
            "--failures",
            help="mix (proporciones realistas), all (al menos uno de cada modo de falla) o none.",
        ),
    ] = "mix",
) -> None:
    """Genera la flota: spec.json, truth.json y registry.csv en --out."""
    from fleet.generate import generate_fleet
    from fleet.truth import build_truth

    started = time.perf_counter()
    try:
        as_of_date = dt.date.fromisoformat(as_of)
    except ValueError:
        raise UserError(f"fecha --as-of inválida {as_of!r}: use AAAA-MM-DD") from None
    if failures not in ("mix", "all", "none"):
        raise UserError(f"--failures debe ser mix, all o none, no {failures!r}")
    if not 1 <= base_port <= 65535:
        raise UserError(f"--base-port inválido {base_port}")
    rows = [m for m in load_registry(registry) if m.active]
    if not 1 <= portals <= len(rows):
        raise UserError(f"--portals debe estar entre 1 y {len(rows)} (municipalidades activas del registro)")
    spec = generate_fleet(rows, portals, seed=seed, as_of=as_of_date, base_port=base_port, failures=failures)
    truth = build_truth(spec)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _write_atomic(out / "spec.json", json.dumps(spec, ensure_ascii=False, separators=(",", ":")))
        _write_atomic(out / "truth.json", _dump(truth))
        _write_atomic(out / "registry.csv", registry_csv(spec, {m.ine_code: m for m in rows}))
        for old in out.glob("truth-night*.json"):
            old.unlink()
    except OSError as exc:
        raise UserError(f"no se puede escribir en {out}: {exc.strerror}") from None
    seconds = time.perf_counter() - started
    docs = sum(len(p["documents"]) for p in truth["portals"])
    pages = sum(len(p["pages"]) for p in truth["portals"])
    console.print(
        f"Flota generada en {out}: {portals} portales, {pages} páginas en alcance, {docs} documentos "
        f"(semilla {seed}, fecha de referencia {as_of_date}) en {seconds:.1f} s",
        markup=False,
        highlight=False,
    )


@fleet_app.command("serve")
def serve_cmd(
    fleet: FleetDirOpt,
    ready_file: Annotated[
        Path | None, typer.Option("--ready-file", help="Archivo que se escribe cuando el servidor escucha.")
    ] = None,
    latency_ms: Annotated[float, typer.Option("--latency-ms", help="Latencia por solicitud (ms).")] = 0.0,
    latency_jitter_ms: Annotated[
        float, typer.Option("--latency-jitter-ms", help="Variación de la latencia (ms).")
    ] = 0.0,
    bandwidth_kbps: Annotated[
        float, typer.Option("--bandwidth-kbps", help="Ancho de banda por respuesta (kbit/s; 0 = sin límite).")
    ] = 0.0,
) -> None:
    """Sirve la flota en loopback (un proceso; recarga spec.json al cambiar o con SIGHUP)."""
    from fleet.server import Shaping, serve

    if not (fleet / "spec.json").exists():
        raise UserError(
            f"{fleet}/spec.json no existe: genere la flota con `vigia fleet generate --out {fleet}`"
        )
    if latency_ms < 0 or latency_jitter_ms < 0 or bandwidth_kbps < 0:
        raise UserError("--latency-ms, --latency-jitter-ms y --bandwidth-kbps no pueden ser negativos")
    try:
        serve(fleet, Shaping(latency_ms, latency_jitter_ms, bandwidth_kbps), ready_file)
    except OSError as exc:
        raise UserError(f"no se pudo abrir el puerto de la flota: {exc.strerror or exc}") from None


def _share_table(title: str, counts: dict[str, int], total: int) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("valor")
    table.add_column("n", justify="right")
    table.add_column("%", justify="right")
    for key, value in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(key, str(value), f"{100 * value / total:.1f}" if total else "-")
    return table


@fleet_app.command("truth")
def truth_cmd(
    fleet: FleetDirOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Salida JSON para máquinas.")] = False,
) -> None:
    """Muestra la composición de la verdad: estados, plataformas, fallas, casos difíciles, documentos."""
    from fleet.truth import makeup

    _spec, truth = _load(fleet)
    data = makeup(truth)
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
        return
    n = data["portals"]
    console.print(
        f"Flota {fleet}: noche {data['night']}, fecha de referencia {data['as_of']}, {n} portales, "
        f"{data['pages']} páginas en alcance, {data['documents']} documentos ({data['documents_reachable']} alcanzables)",
        markup=False,
        highlight=False,
    )
    console.print(_share_table("Resultado esperado del rastreo", data["outcomes"], n))
    console.print(_share_table("Plataforma", data["platforms"], n))
    console.print(_share_table("Modo de falla", data["failures"], n))
    console.print(_share_table("Particularidades (portales completos)", data["quirks"], n))
    cells = sum(data["statuses"].values())
    console.print(_share_table("Estado esperado por numeral (29 por portal)", data["statuses"], cells))
    console.print(_share_table("Estado sembrado por numeral", data["planted_statuses"], cells))
    console.print(_share_table("Tipos de documento", data["document_types"], data["documents"]))
    console.print(_share_table("Casos difíciles sembrados (apariciones)", data["hard_cases"], cells))


@fleet_app.command("next-night")
def next_night_cmd(
    fleet: FleetDirOpt,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Semilla de los cambios (por defecto la de la flota).")
    ] = None,
) -> None:
    """Aplica la "noche siguiente": un subconjunto conocido cambia; reescribe spec.json y truth.json."""
    from fleet.night import next_night
    from fleet.truth import build_truth

    spec, truth = _load(fleet)
    new_spec, changes = next_night(spec, seed)
    new_truth = build_truth(new_spec)
    new_truth["changes"] = changes
    try:
        previous = fleet / f"truth-night{truth.get('night', 1)}.json"
        shutil.copyfile(fleet / "truth.json", previous)
        _write_atomic(fleet / "truth.json", _dump(new_truth))
        _write_atomic(fleet / "spec.json", json.dumps(new_spec, ensure_ascii=False, separators=(",", ":")))
        _write_atomic(fleet / "changes.json", _dump(changes))
    except OSError as exc:
        raise UserError(f"no se puede escribir en {fleet}: {exc.strerror}") from None
    kinds: dict[str, int] = {}
    for c in changes:
        kinds[c["change"]] = kinds.get(c["change"], 0) + 1
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) or "ningún cambio"
    console.print(
        f"Noche {new_spec['night']} (fecha de referencia {new_spec['as_of']}): {summary}. "
        f"Verdad anterior en {previous.name}; un servidor en marcha recarga spec.json solo.",
        markup=False,
        highlight=False,
    )
