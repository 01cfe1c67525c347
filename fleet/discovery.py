"""The discovery test ground: planted portals and decoys for ``vigia municipalities discover``.

A scenario takes municipalities of the registry that have no portal and

* **plants** a simulated portal (a fleet portal generated for that municipality) under a host name that
  follows one of the registry's naming patterns;
* **decoys** other candidate names: a **parked** domain, a **news** site that mentions the municipality,
  the **homonym** municipality of another department (a municipal site, LAIP vocabulary and all), and a
  **dead** host (the name resolves, nothing answers).

Host names are made up and resolved by a table (:class:`vigia.discover.MappingResolver`) to loopback: the
planted ones to the fleet's addresses, the decoys to one small server that answers by ``Host`` header.
:func:`score` compares the proposals with what was planted (precision and recall); the tests and
``make bench`` use it. Nothing here touches the internet.
"""

from __future__ import annotations

import asyncio
import html
import json
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from fleet.server import serve_subprocess
from vigia.discover import DiscoveryResult, Pattern, name_forms
from vigia.registry import Municipality

ROOT = Path(__file__).resolve().parent.parent

#: How the planted portals are named (each one of the registry's own patterns; docs/registry.md).
PLANT_PATTERNS: tuple[Pattern, ...] = (
    Pattern("muni", "full", "gob.gt"),
    Pattern("municipalidadde", "full", "gob.gt"),
    Pattern("muni", "full", "laip.gt"),
    Pattern("muni", "full+dept", "gob.gt"),
    Pattern("municipalidad", "full", "gob.gt"),
    Pattern("muni", "full", "com"),
)
#: The decoys of every scenario: (kind, pattern of the decoy's host name).
DECOY_PATTERNS: tuple[tuple[str, Pattern], ...] = (
    ("parked", Pattern("muni", "full", "com.gt")),
    ("news", Pattern("muni", "full", "com")),
    ("homonym", Pattern("muni", "full", "gob.gt")),
    ("dead", Pattern("muni", "full", "gob.gt")),
)
DECOY_KINDS: tuple[str, ...] = ("parked", "news", "homonym", "dead")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Scenario:
    fleet_dir: Path
    fleet_port: int
    decoy_port: int
    #: municipality searched → (planted host or "", decoy kind or "")
    planted: dict[str, str] = field(default_factory=dict)  # ine_code → planted host
    decoyed: dict[str, str] = field(default_factory=dict)  # ine_code → decoy kind (no real portal)
    mapping: dict[str, str] = field(default_factory=dict)  # host → "ip:port"
    decoy_pages: dict[str, dict[str, str]] = field(default_factory=dict)  # host → page description

    @property
    def codes(self) -> list[str]:
        return sorted({*self.planted, *self.decoyed})


def _homonyms(registry: Sequence[Municipality]) -> dict[str, list[Municipality]]:
    by_name: dict[str, list[Municipality]] = {}
    for m in registry:
        by_name.setdefault(name_forms(m)["full"], []).append(m)
    return {k: v for k, v in by_name.items() if len(v) > 1}


def build_scenario(
    out: Path,
    registry: Sequence[Municipality],
    planted: int = 6,
    seed: int = 2026,
    fleet_port: int | None = None,
    decoy_port: int | None = None,
) -> Scenario:
    """Choose the municipalities, generate their portals (``out``) and the decoys' table."""
    from fleet.files import write_fleet

    homonyms = _homonyms(registry)
    homonym_names = set(homonyms)
    free = [
        m for m in registry if m.active and not m.portal_url and name_forms(m)["full"] not in homonym_names
    ]
    if len(free) < planted + 3:
        raise ValueError("el registro no tiene bastantes municipalidades sin portal para el escenario")
    # the homonym decoy: a municipality without portal that shares its name with one of another department
    pair = next(
        (
            (a, b)
            for group in homonyms.values()
            for a in group
            for b in group
            if a.department != b.department and not a.portal_url
        ),
        None,
    )
    if pair is None:
        raise ValueError("el registro no tiene municipios homónimos sin portal para el señuelo")
    plant_rows = free[:planted]
    parked_row, news_row, dead_row = free[planted : planted + 3]
    fleet_port = fleet_port or free_port()
    decoy_port = decoy_port or free_port()
    spec, _ = write_fleet(
        out,
        list(plant_rows),
        len(plant_rows),
        seed=seed,
        base_port=fleet_port,
        failures="none",
        platforms=["wordpress", "laip_standard", "joomla", "static"],
    )
    sc = Scenario(out, fleet_port, decoy_port)
    for i, (m, p) in enumerate(zip(plant_rows, spec["portals"], strict=True)):
        host = PLANT_PATTERNS[i % len(PLANT_PATTERNS)].host(name_forms(m))
        assert host is not None
        sc.planted[m.ine_code] = host
        sc.mapping[host] = f"{p['host']}:{fleet_port}"
    # a planted portal also has a parked namesake: discovery must pick the portal, not the parking page
    first = plant_rows[0]
    parked_twin = Pattern("muni", "full", "com.gt").host(name_forms(first))
    assert parked_twin is not None
    if parked_twin not in sc.mapping:
        sc.mapping[parked_twin] = f"127.0.0.1:{decoy_port}"
        sc.decoy_pages[parked_twin] = {"kind": "parked", "host": parked_twin}
    homonym, other = pair
    for kind, m in (("parked", parked_row), ("news", news_row), ("homonym", homonym), ("dead", dead_row)):
        pattern = dict(DECOY_PATTERNS)[kind]
        host = pattern.host(name_forms(m))
        assert host is not None
        sc.decoyed[m.ine_code] = kind
        if kind == "dead":
            sc.mapping[host] = f"127.0.0.1:{free_port()}"  # nothing listens there
            continue
        sc.mapping[host] = f"127.0.0.1:{decoy_port}"
        page = {"kind": kind, "host": host, "municipality": m.municipality, "department": m.department}
        if kind == "homonym":
            page["department"] = other.department
        sc.decoy_pages[host] = page
    (out / "discovery.json").write_text(
        json.dumps(
            {
                "planted": sc.planted,
                "decoyed": sc.decoyed,
                "mapping": sc.mapping,
                "decoy_pages": sc.decoy_pages,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    return sc


# --------------------------------------------------------------------------- the decoys' pages


def decoy_page(page: dict[str, str]) -> str:
    """The HTML of one decoy (all text escaped)."""
    e = html.escape
    host = e(page.get("host", ""))
    muni = e(page.get("municipality", ""))
    dept = e(page.get("department", ""))
    kind = page["kind"]
    if kind == "parked":
        return (
            f'<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>{host}</title></head><body>'
            f"<h1>{host}</h1><p>Este dominio está en venta. ¿Le interesa? Compre este dominio hoy.</p>"
            "<h2>Búsquedas relacionadas</h2><ul><li><a href='/r?q=1'>Hoteles</a></li>"
            "<li><a href='/r?q=2'>Municipalidad</a></li><li><a href='/r?q=3'>Préstamos</a></li></ul>"
            "</body></html>"
        )
    if kind == "news":
        return (
            '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">'
            '<meta property="og:type" content="article">'
            '<meta property="og:site_name" content="Diario Regional">'
            "<title>Noticias de Guatemala | Diario Regional</title></head><body>"
            "<nav><a href='/'>Portada</a> <a href='/deportes'>Deportes</a> <a href='/opinion'>Opinión</a></nav>"
            f"<article><h1>La Municipalidad de {muni} presenta su informe de transparencia</h1>"
            f"<p>Por Redacción. La Municipalidad de {muni}, {dept}, presentó el informe anual de la "
            "Unidad de Información Pública conforme a la Ley de Acceso a la Información Pública.</p></article>"
            "<aside>Suscríbete a nuestro boletín · Última hora</aside></body></html>"
        )
    if kind == "homonym":
        return (
            '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">'
            f"<title>Inicio | Municipalidad de {muni}</title></head><body>"
            f"<header><span>Municipalidad de {muni}</span><span>{dept}, Guatemala</span></header>"
            f"<h1>Bienvenidos a la Municipalidad de {muni}</h1>"
            f"<p>Gobierno municipal de {muni}, {dept}.</p>"
            "<nav><a href='/transparencia'>Transparencia</a> <a href='/laip'>Información pública de oficio</a></nav>"
            "<p>Ley de Acceso a la Información Pública, Decreto 57-2008, artículo 10.</p>"
            f"<footer>Municipalidad de {muni}, {dept}</footer></body></html>"
        )
    raise ValueError(f"señuelo desconocido {kind!r}")


@contextmanager
def decoy_server(scenario: Scenario) -> Iterator[int]:
    """Serve the decoys on 127.0.0.1:``decoy_port`` (by ``Host`` header) in a thread until the block ends."""
    pages = scenario.decoy_pages

    async def handle(request: web.Request) -> web.Response:
        host = (request.host or "").split(":", 1)[0].lower()
        page = pages.get(host)
        if page is None:
            return web.Response(status=404, text="no existe")
        if request.path == "/robots.txt":
            return web.Response(text="User-agent: *\nAllow: /\n", content_type="text/plain")
        return web.Response(text=decoy_page(page), content_type="text/html", charset="utf-8")

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: asyncio.Event | None = None
    errors: list[BaseException] = []

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", scenario.decoy_port)
        try:
            await site.start()
        except OSError as exc:
            errors.append(exc)
            ready.set()
            await runner.cleanup()
            return
        ready.set()
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    ready.wait(10)
    if errors:
        raise RuntimeError(f"no se pudo abrir el servidor de señuelos: {errors[0]}")
    try:
        yield scenario.decoy_port
    finally:
        if stop is not None:
            loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


# --------------------------------------------------------------------------- scoring


def score(scenario: Scenario, result: DiscoveryResult, threshold: float = 0.0) -> dict[str, Any]:
    """Precision and recall of the proposals (at or above ``threshold``) against what was planted.
    A true positive is a proposal on the planted host; any other proposal is a false positive; a planted
    portal without its proposal is a false negative. Also: how each decoy kind was judged."""
    from urllib.parse import urlsplit

    tp = fp = fn = 0
    wrong: list[str] = []
    for r in result.results:
        best = r.best
        proposed = best is not None and best.confidence >= threshold
        host = (urlsplit(best.url).hostname or "") if best and proposed else ""
        expected = scenario.planted.get(r.ine_code)
        if expected:
            if host == expected:
                tp += 1
            else:
                fn += 1
                if host:
                    fp += 1
                    wrong.append(f"{r.ine_code}: {host} en vez de {expected}")
        elif host:
            fp += 1
            wrong.append(f"{r.ine_code}: {host} ({scenario.decoyed.get(r.ine_code, 'sin portal plantado')})")
    decoys: dict[str, str] = {}
    for r in result.results:
        kind = scenario.decoyed.get(r.ine_code)
        if kind:
            judged = [c for c in r.candidates if c.status not in ("no_dns",)]
            decoys[kind] = ", ".join(f"{c.kind}: {c.reason}" for c in judged) or "sin candidatos"
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "planted": len(scenario.planted),
        "decoys": len(scenario.decoy_pages) + sum(1 for k in scenario.decoyed.values() if k == "dead"),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "wrong": wrong,
        "decoy_judgements": decoys,
    }


def run_scenario(work: Path, registry: Sequence[Municipality], planted: int = 6) -> dict[str, Any]:
    """Build a scenario in ``work``, serve it, run discovery over it, return the score (and timing)."""
    from vigia.discover import MappingResolver, choose_targets, discover

    sc = build_scenario(work, registry, planted=planted)
    by_code = {m.ine_code: m for m in registry}
    targets = choose_targets([by_code[c] for c in sc.codes], sc.codes, {})
    with serve_subprocess(work), decoy_server(sc):
        result = discover(
            targets,
            registry,
            resolver=MappingResolver(sc.mapping),
            allow_private=True,
            schemes=("http",),
            timeout=10.0,
        )
    figures = score(sc, result)
    figures["applicable"] = score(sc, result, threshold=0.8)
    figures["seconds"] = round(result.seconds, 2)
    figures["requests"] = result.requests
    figures["describe"] = result.describe()
    return figures
