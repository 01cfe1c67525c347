"""`vigia fleet generate|serve|truth|next-night`: the simulated fleet of municipal portals."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fleet.files import apply_next_night, load_fleet, write_fleet
from fleet.model import PLATFORMS
from vigia.errors import UserError
from vigia.registry import load_registry

console = Console()

fleet_app = typer.Typer(
    help="Flota simulada de portales municipales (pruebas, demo y mediciones): generar, servir, verdad.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

FleetDirOpt = Annotated[Path, typer.Option("--fleet", help="Carpeta de la flota (la de `generate --out`).")]


@fleet_app.command("generate")
def generate_cmd(
    portals: Annotated[
        int,
        typer.Option(
            "--portals",
            help="Número de portales: hasta 340 del registro, y más generados (hasta 1220) para medir la escala.",
        ),
    ] = 340,
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
    platforms: Annotated[
        str | None,
        typer.Option(
            "--platforms", help="Plataformas a repartir en orden (pruebas), p. ej. javascript,wordpress."
        ),
    ] = None,
) -> None:
    """Genera la flota: spec.json, truth.json y registry.csv en --out."""
    started = time.perf_counter()
    try:
        as_of_date = dt.date.fromisoformat(as_of)
    except ValueError:
        raise UserError(f"fecha --as-of inválida {as_of!r}: use AAAA-MM-DD") from None
    if failures not in ("mix", "all", "none"):
        raise UserError(f"--failures debe ser mix, all o none, no {failures!r}")
    if not 1 <= base_port <= 65535:
        raise UserError(f"--base-port inválido {base_port}")
    platform_list = [x.strip() for x in platforms.split(",") if x.strip()] if platforms else None
    unknown = [x for x in platform_list or [] if x not in PLATFORMS]
    if unknown:
        raise UserError(
            f"plataforma desconocida en --platforms: {', '.join(unknown)} (use {', '.join(PLATFORMS)})"
        )
    spec, truth = write_fleet(
        out,
        load_registry(registry),
        portals,
        seed=seed,
        as_of=as_of_date,
        base_port=base_port,
        failures=failures,
        platforms=platform_list,
    )
    seconds = time.perf_counter() - started
    docs = sum(len(p["documents"]) for p in truth["portals"])
    pages = sum(len(p["pages"]) for p in truth["portals"])
    console.print(
        f"Flota generada en {out}: {portals} portales, {pages} páginas en alcance, {docs} documentos "
        f"(semilla {seed}, fecha de referencia {as_of_date}) en {seconds:.1f} s",
        markup=False,
        highlight=False,
        soft_wrap=True,
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
    portals: Annotated[
        int | None,
        typer.Option(
            "--portals",
            help="Genera antes la flota en --fleet con N portales (semilla 2026, fecha 2026-11-25, puerto 8377).",
        ),
    ] = None,
) -> None:
    """Sirve la flota en loopback (un proceso; recarga spec.json al cambiar o con SIGHUP)."""
    try:
        from fleet.server import Shaping, serve
    except ImportError as exc:
        raise UserError(
            f"el servidor de la flota necesita {exc.name}: instale el extra `fleet` (`pip install -e '.[fleet]'`)"
        ) from None

    if portals is not None:
        write_fleet(fleet, load_registry(None), portals)
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
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(
            f"{fleet}/spec.json ilegible o de otra versión ({exc}); vuelva a generar la flota"
        ) from None


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

    _spec, truth = load_fleet(fleet)
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
        soft_wrap=True,
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
    console.print(
        _share_table("Familias de portales (issue 19; un portal puede tener varias)", data["families"], n)
    )


@fleet_app.command("next-night")
def next_night_cmd(
    fleet: FleetDirOpt,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Semilla de los cambios (por defecto la de la flota).")
    ] = None,
) -> None:
    """Aplica la "noche siguiente": un subconjunto conocido cambia; reescribe spec.json y truth.json."""
    new_spec, changes = apply_next_night(fleet, seed)
    previous = fleet / f"truth-night{int(new_spec['night']) - 1}.json"
    kinds: dict[str, int] = {}
    for c in changes:
        kinds[c["change"]] = kinds.get(c["change"], 0) + 1
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) or "ningún cambio"
    console.print(
        f"Noche {new_spec['night']} (fecha de referencia {new_spec['as_of']}): {summary}. "
        f"Verdad anterior en {previous.name}; un servidor en marcha recarga spec.json solo.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
