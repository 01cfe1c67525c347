"""``make bench``: the nightly job's speed, cost and scale on the simulated fleet, against baselines
measured in the same run. Prints one table and writes it as JSON to ``bench/results/`` together with
the machine's description.

Every figure comes from real runs of the ``vigia`` command in subprocesses (CPU time and peak memory
from ``getrusage`` of the children), against one fleet server process on loopback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VIGIA = [sys.executable, "-m", "vigia.cli"]
AS_OF = "2026-11-25"
SAMPLE_SECONDS = 1.0
THROUGHPUT_SAMPLE_SECONDS = 5.0

# Every crawl here runs with the production settings (crawler/settings.py: AutoThrottle, per-host ceiling,
# retries, robots.txt); plain Scrapy's baseline runs with the same settings and no processing.
THROUGHPUT_SETTINGS: dict[str, Any] = {}


def politeness_limits() -> dict[str, int]:
    """Per-host and global concurrency of the production settings (global over all crawl processes)."""
    from crawler import settings as cs

    processes = int(getattr(cs, "VIGIA_CRAWL_PROCESSES", 1) or 1)
    processes = min(processes, os.cpu_count() or 1)
    return {
        "per_host": int(cs.CONCURRENT_REQUESTS_PER_DOMAIN),
        "global": int(cs.CONCURRENT_REQUESTS) * processes,
        "processes": processes,
    }


@dataclass
class Measure:
    wall_s: float
    cpu_s: float
    max_rss_mb: float
    stdout: str = ""


@dataclass
class Row:
    name: str
    value: float | str
    unit: str = ""
    baseline: float | str | None = None
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _tree_rss_mb(root: int) -> float:
    """Proportional resident memory (PSS) of a process and all its descendants, from /proc (MB).

    PSS splits shared pages between the processes that share them, so a browser's many processes are not
    counted several times over."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    tree, frontier = {root}, [root]
    while frontier:
        for pid in children.get(frontier.pop(), ()):
            if pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    total_kb = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    break
        except (OSError, ValueError):
            continue
    return total_kb / 1024


def run_rss(cmd: list[str], env: dict[str, str] | None = None, sample_s: float = SAMPLE_SECONDS) -> Measure:
    """Run one command in a child process: wall time, CPU time of it and its descendants (``os.wait4``),
    and the peak of the summed proportional memory (PSS) of its process tree, sampled every ``sample_s``
    seconds. Reading a browser's memory maps is not free (≈ 30 s of system CPU over a 150 s crawl at one
    sample a second, measured) and the sampler shares the cores with what it measures: the throughput run
    samples every 5 s."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(sample_s):
            peak[0] = max(peak[0], _tree_rss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stdout is not None
    out = proc.stdout.read()
    done.set()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench: la orden falló ({proc.returncode}): {' '.join(cmd)}\n{out[-3000:]}")
    return Measure(
        wall_s=wall,
        cpu_s=ru.ru_utime + ru.ru_stime,
        max_rss_mb=peak[0] or ru.ru_maxrss / 1024.0,
        stdout=out,
    )


class FleetServer:
    def __init__(self, fleet_dir: Path, latency_ms: float = 0, jitter_ms: float = 0) -> None:
        self.fleet_dir = fleet_dir
        self.latency_ms = latency_ms
        self.jitter_ms = jitter_ms
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> FleetServer:
        ready = self.fleet_dir / "ready"
        ready.unlink(missing_ok=True)
        cmd = [*VIGIA, "fleet", "serve", "--fleet", str(self.fleet_dir), "--ready-file", str(ready)]
        if self.latency_ms:
            cmd += ["--latency-ms", str(self.latency_ms), "--latency-jitter-ms", str(self.jitter_ms)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while not ready.exists():
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("bench: el servidor de la flota no arrancó")
            time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def store_figures(db: Path, run_id: int | None = None) -> dict[str, Any]:
    """Pages, documents, requests and bytes of one run (the newest by default), read from the SQLite store."""
    con = sqlite3.connect(db)
    try:
        if run_id is None:
            run_id = con.execute("SELECT max(id) FROM crawl_runs").fetchone()[0]
        row = con.execute(
            "SELECT count(*), coalesce(sum(pages_count),0), coalesce(sum(documents_count),0), "
            "coalesce(sum(requests_count),0), coalesce(sum(bytes_received),0), coalesce(sum(not_modified_count),0) "
            "FROM portal_crawls WHERE run_id=?",
            (run_id,),
        ).fetchone()
        fetched_docs = con.execute(
            "SELECT count(*) FROM documents d JOIN portal_crawls p ON p.id=d.portal_crawl_id "
            "WHERE p.run_id=? AND d.fetched",
            (run_id,),
        ).fetchone()[0]
        per_portal = [
            r[0]
            for r in con.execute(
                "SELECT requests_count FROM portal_crawls WHERE run_id=? ORDER BY requests_count", (run_id,)
            )
        ]
        outcomes = dict(
            con.execute(
                "SELECT outcome, count(*) FROM portal_crawls WHERE run_id=? GROUP BY outcome", (run_id,)
            ).fetchall()
        )
    finally:
        con.close()
    return {
        "run_id": run_id,
        "portals": row[0],
        "pages": row[1],
        "documents": row[2],
        "documents_fetched": fetched_docs,
        "requests": row[3],
        "bytes": row[4],
        "not_modified": row[5],
        "max_portal_requests": max(per_portal) if per_portal else 0,
        "outcomes": outcomes,
    }


def host_requests(db: Path, run_id: int) -> dict[str, int]:
    """Requests sent to each host during one run (every portal's ``hosts_requested``, summed)."""
    con = sqlite3.connect(db)
    try:
        totals: dict[str, int] = {}
        for (stats,) in con.execute("SELECT stats FROM portal_crawls WHERE run_id=?", (run_id,)):
            for host, n in (json.loads(stats or "{}").get("hosts_requested") or {}).items():
                totals[host] = totals.get(host, 0) + int(n)
    finally:
        con.close()
    return totals or {"": 0}


def fetched_graph(db: Path, run_id: int) -> dict[str, Any]:
    """The links night 1 followed (crawler.measure.link_graph): every page (read through the browser or
    not) and every document fetched under the size cap, each hanging from the page it was found on."""
    from crawler.measure import link_graph

    con = sqlite3.connect(db)
    try:
        pages = [
            (r[0], r[1], r[2])
            for r in con.execute(
                "SELECT pg.url, pg.final_url, pg.referer FROM pages pg "
                "JOIN portal_crawls p ON p.id=pg.portal_crawl_id WHERE p.run_id=?",
                (run_id,),
            )
        ]
        docs = [
            (r[0], r[1])
            for r in con.execute(
                "SELECT d.url, d.page_url FROM documents d JOIN portal_crawls p ON p.id=d.portal_crawl_id "
                "WHERE p.run_id=? AND d.fetched AND (d.size IS NULL OR d.size < 26214400)",
                (run_id,),
            )
        ]
    finally:
        con.close()
    return link_graph(pages, docs)


def graph_urls(graph: dict[str, Any]) -> list[str]:
    return list(graph["roots"]) + [url for kids in graph["children"].values() for url in kids]


def crawl_cmd(
    fleet: Path, db: Path, data: Path, settings: dict[str, Any] | None = None, only: str | None = None
) -> list[str]:
    cmd = [
        *VIGIA,
        "crawl",
        "--registry",
        str(fleet / "registry.csv"),
        "--db",
        f"sqlite:///{db}",
        "--data-dir",
        str(data),
    ]
    for key, value in (settings or {}).items():
        cmd += ["--set", f"{key}={json.dumps(value)}"]
    if only:
        cmd += ["--only", only]
    return cmd


def agreement_rows(rows: list[Row], figures: dict[str, Any], fleet: Path, db: Path, data: Path) -> None:
    """Findings of the newest evaluation vs the fleet's truth: overall and per family (``checks.agreement``).

    Targets (issue 19): agreement ≥ 99.5 %, precision of «Cumple» ≥ 99.5 %, every family ≥ 97 %."""
    cmd = [sys.executable, "-m", "checks.agreement", str(fleet / "truth.json"), "--db", f"sqlite:///{db}"]
    cmd += ["--as-of", AS_OF, "--json"]
    env = {**os.environ, "VIGIA_DATA_DIR": str(data)}
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        print(f"bench: checks.agreement falló: {done.stderr.strip()[-300:]}", flush=True)
        return
    res = json.loads(done.stdout)
    ok = res["agreement"] >= 0.995
    add(
        rows,
        Row(
            "concordancia con la verdad de la flota",
            round(100 * res["agreement"], 2),
            "%",
            target="≥ 99.5 %",
            ok=ok,
        ),
    )
    precision = res["present_precision"]
    add(
        rows,
        Row(
            "precisión de «Cumple»", round(100 * precision, 2), "%", target="≥ 99.5 %", ok=precision >= 0.995
        ),
    )
    add(rows, Row("exhaustividad de «Cumple»", round(100 * res["present_recall"], 2), "%"))
    for name, g in res.get("groups", {}).items():
        if not name.startswith("familia:"):
            continue
        add(
            rows,
            Row(
                f"concordancia, {name} ({g['pairs']} pares)",
                round(100 * g["agreement"], 2),
                "%",
                target="≥ 97 %",
                ok=g["agreement"] >= 0.97,
                extra={k: v for k, v in g.items() if k != "pairs"},
            ),
        )
    figures["agreement"] = {k: v for k, v in res.items() if k != "disagreements"}
    figures["agreement"]["disagreements_sample"] = res.get("disagreements", [])[:50]


def agreement_only(portals: int) -> None:
    """``--only-agreement``: a fleet of ``portals``, one crawl, the checks and their agreement per family."""
    work = Path(tempfile.mkdtemp(prefix="vigia-bench-agreement-"))
    fleet, db, data = work / "fleet", work / "vigia.db", work / "data"
    rows: list[Row] = []
    figures: dict[str, Any] = {}
    env = {"VIGIA_ALLOW_PRIVATE_ADDRESSES": "1"}
    try:
        run_rss(
            [*VIGIA, "fleet", "generate", "--portals", str(portals), "--out", str(fleet), "--as-of", AS_OF]
        )
        with FleetServer(fleet):
            crawl = run_rss(crawl_cmd(fleet, db, data), env)
        add(rows, Row(f"rastreo de {portals} portales", round(crawl.wall_s, 1), "s"))
        check = [*VIGIA, "check", "--db", f"sqlite:///{db}", "--data-dir", str(data), "--as-of", AS_OF]
        run_rss([*check, "--registry", str(fleet / "registry.csv")])
        agreement_rows(rows, figures, fleet, db, data)
        print_table(rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    import scrapy

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "scrapy": scrapy.__version__,
    }


def registry_codes(fleet: Path, n: int) -> str:
    import csv

    with open(fleet / "registry.csv", encoding="utf-8") as fh:
        return ",".join(r["ine_code"] for _, r in zip(range(n), csv.DictReader(fh), strict=False))


_PDF_LINE = re.compile(r"(\d+) PDF en ([\d.]+) s(?: con \w+)?(?: \((\d+) sin cambios\))?")


def nightly_cmd(fleet: Path, db: Path, data: Path, site: Path) -> list[str]:
    return [
        *VIGIA,
        "nightly",
        "--registry",
        str(fleet / "registry.csv"),
        "--db",
        f"sqlite:///{db}",
        "--data-dir",
        str(data),
        "--out",
        str(site),
        "--as-of",
        AS_OF,
    ]


def pdf_figures(stdout: str) -> dict[str, float]:
    """PDFs up to date, seconds and PDFs kept, from the report's summary line (``N PDF en S s (K sin cambios)``)."""
    found = list(_PDF_LINE.finditer(" ".join(stdout.split())))  # the console wraps long lines
    match = found[-1] if found else None
    if match is None:
        return {"pdfs": 0, "pdf_s": 0.0, "kept": 0, "rendered": 0}
    pdfs, kept = int(match.group(1)), int(match.group(3) or 0)
    return {"pdfs": pdfs, "pdf_s": float(match.group(2)), "kept": kept, "rendered": pdfs - kept}


def whole_nights(
    work: Path, portals: int, env: dict[str, str], rows: list[Row], figures: dict[str, Any]
) -> None:
    """The whole ``vigia nightly`` (crawl + check + report + PDFs) on a fleet of its own: night 1, the same
    night again with nothing changed, and a night after ``vigia fleet next-night``."""
    fleet = work / "fleet-nightly"
    run_rss([*VIGIA, "fleet", "generate", "--portals", str(portals), "--out", str(fleet), "--as-of", AS_OF])
    db, data, site = work / "nightly.db", work / "nightly-data", work / "nightly-site"
    nights: dict[str, dict[str, Any]] = {}
    with FleetServer(fleet):
        for name in ("night1", "night2"):
            m = run_rss(nightly_cmd(fleet, db, data, site), env)
            nights[name] = {
                "wall_s": m.wall_s,
                "cpu_s": m.cpu_s,
                **store_figures(db),
                **pdf_figures(m.stdout),
            }
    run_rss([*VIGIA, "fleet", "next-night", "--fleet", str(fleet)])
    with FleetServer(fleet):
        m = run_rss(nightly_cmd(fleet, db, data, site), env)
        nights["night_changes"] = {
            "wall_s": m.wall_s,
            "cpu_s": m.cpu_s,
            **store_figures(db),
            **pdf_figures(m.stdout),
        }
    figures["nightly"] = nights
    n1, n2, n3 = nights["night1"], nights["night2"], nights["night_changes"]
    labels = {
        "night1": "primera noche",
        "night2": "segunda noche sin cambios",
        "night_changes": "noche con cambios",
    }
    for key, night in nights.items():
        extra = {k: night[k] for k in ("cpu_s", "bytes", "requests", "pdfs", "rendered", "kept", "pdf_s")}
        add(
            rows,
            Row(
                f"vigia nightly completo, {labels[key]}: tiempo", round(night["wall_s"], 1), "s", extra=extra
            ),
        )
    wall_ratio = n2["wall_s"] / n1["wall_s"]
    cpu_ratio = n2["cpu_s"] / n1["cpu_s"]
    add(
        rows,
        Row(
            "noche sin cambios: tiempo total frente a la primera",
            round(n2["wall_s"], 1),
            "s",
            round(n1["wall_s"], 1),
            round(wall_ratio, 3),
            "≤ 0.25",
            wall_ratio <= 0.25,
        ),
    )
    add(
        rows,
        Row(
            "noche sin cambios: CPU frente a la primera",
            round(n2["cpu_s"], 1),
            "s",
            round(n1["cpu_s"], 1),
            round(cpu_ratio, 3),
            "≤ 0.20",
            cpu_ratio <= 0.20,
        ),
    )
    add(
        rows,
        Row(
            f"PDF en frío ({n1['rendered']} listas)",
            round(n1["pdf_s"], 1),
            "s",
            target="≤ 40 s",
            ok=n1["pdf_s"] <= 40,
        ),
    )
    add(
        rows,
        Row(
            "PDF generados de nuevo, noche sin cambios",
            n2["rendered"],
            "PDF",
            target="0",
            ok=n2["rendered"] == 0,
            extra={"kept": n2["kept"], "pdf_s": n2["pdf_s"]},
        ),
    )
    add(
        rows,
        Row(
            "PDF generados de nuevo, noche con cambios",
            n3["rendered"],
            "PDF",
            extra={"kept": n3["kept"], "pdf_s": n3["pdf_s"]},
        ),
    )


def discovery_figures(rows: list[Row], work: Path) -> dict[str, Any]:
    """Portal discovery on the planted portals and decoys (fleet/discovery.py): precision and recall of
    the proposals (any proposal, and those at or above the --apply threshold); a few seconds."""
    from fleet.discovery import run_scenario
    from vigia.discover import APPLY_THRESHOLD
    from vigia.registry import load_registry

    figures = run_scenario(work / "discovery", load_registry(ROOT / "municipalities.csv"), planted=12)
    applicable = figures["applicable"]
    label = f"{figures['planted']} portales plantados, {figures['decoys']} señuelos"
    add(rows, Row(f"descubrimiento: precisión ({label})", figures["precision"], "", target="1.0"))
    add(rows, Row(f"descubrimiento: exhaustividad ({label})", figures["recall"], "", target="1.0"))
    add(
        rows,
        Row(
            f"descubrimiento: precisión / exhaustividad con confianza ≥ {APPLY_THRESHOLD:g} (--apply)",
            f"{applicable['precision']} / {applicable['recall']}",
            "",
        ),
    )
    add(
        rows,
        Row("descubrimiento: duración", figures["seconds"], "s", extra={"requests": figures["requests"]}),
    )
    for wrong in figures["wrong"]:
        print(f"  propuesta equivocada: {wrong}", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmarks de Vigía sobre la flota simulada.")
    parser.add_argument("--portals", type=int, default=340)
    parser.add_argument(
        "--latency", default="200-800", help="latencia por solicitud para la cota de cortesía (ms)"
    )
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-serve", action="store_true", help="sin la medida del espacio de revisión")
    parser.add_argument(
        "--scale-generated",
        type=int,
        default=680,
        help="también un rastreo de una flota generada de N portales (más que el registro; 0 = no)",
    )
    parser.add_argument("--pdf", action="store_true", help="mide también los PDF de cada municipalidad")
    parser.add_argument("--keep", action="store_true", help="conserva la carpeta de trabajo")
    parser.add_argument(
        "--only-agreement",
        action="store_true",
        help="solo la concordancia con la verdad, por familia, sobre una flota de --portals portales",
    )
    parser.add_argument(
        "--skip-politeness",
        action="store_true",
        help="sin el rastreo con latencia (cota de cortesía); la memoria pico es la del rastreo sin latencia",
    )
    parser.add_argument(
        "--skip-nightly", action="store_true", help="sin las tres noches completas de vigia nightly (con PDF)"
    )
    parser.add_argument(
        "--only-nightly",
        action="store_true",
        help="solo las tres noches completas de vigia nightly (con PDF)",
    )
    parser.add_argument(
        "--only-discovery", action="store_true", help="solo la precisión y exhaustividad del descubrimiento"
    )
    args = parser.parse_args()
    if args.only_agreement:
        agreement_only(args.portals)
        return
    lo, hi = (int(x) for x in args.latency.split("-"))

    work = Path(tempfile.mkdtemp(prefix="vigia-bench-"))
    fleet = work / "fleet"
    rows: list[Row] = []
    figures: dict[str, Any] = {}
    env = {"VIGIA_ALLOW_PRIVATE_ADDRESSES": "1"}
    print(f"bench: carpeta de trabajo {work}", flush=True)
    try:
        figures["discovery"] = discovery_figures(rows, work)
        if args.only_discovery:
            return
        m = run_rss(
            [
                *VIGIA,
                "fleet",
                "generate",
                "--portals",
                str(args.portals),
                "--out",
                str(fleet),
                "--as-of",
                AS_OF,
            ]
        )
        add(rows, Row("flota: generación", round(m.wall_s, 2), "s", target="< 30 s", ok=m.wall_s < 30))
        if not args.skip_nightly:
            whole_nights(work, args.portals, env, rows, figures)
        if args.only_nightly:
            return finish(rows, figures, args.portals)

        # 1. Throughput: full pipeline vs plain Scrapy on the same URLs, no injected latency.
        db1, data1 = work / "night1.db", work / "data1"
        with FleetServer(fleet):
            night1 = run_rss(
                crawl_cmd(fleet, db1, data1, THROUGHPUT_SETTINGS), env, THROUGHPUT_SAMPLE_SECONDS
            )
            f1 = store_figures(db1)
            figures["night1"] = f1
            graph = fetched_graph(db1, f1["run_id"])
            urls = graph_urls(graph)
            # plain Scrapy (crawler/spiders/plain.py), same settings, no processing at all, in one process
            # with the pipeline's whole global concurrency. The ceiling follows the same links: the home
            # pages first, each page's recorded links once that page has been fetched. A second run asks
            # for the whole list from the start (no page to read before its links are known), for reference.
            limits = politeness_limits()

            def plain(shape: Any, name: str) -> tuple[Measure, dict[str, Any]]:
                path = work / name
                path.write_text(json.dumps(shape), encoding="utf-8")
                cmd = [sys.executable, "-m", "crawler.measure", "--plain-urls", str(path)]
                cmd += ["--set", f"CONCURRENT_REQUESTS={limits['global']}"]
                m = run_rss(cmd)
                return m, json.loads(m.stdout.strip().splitlines()[-1])

            base, b = plain(graph, "plain-graph.json")
            flat, fb = plain(urls, "plain-flat.json")
            pipe_rps = len(urls) / night1.wall_s
            base_rps = b["pages"] / base.wall_s
            flat_rps = fb["pages"] / flat.wall_s
            add(
                rows,
                Row(
                    "rastreo completo: respuestas/s (páginas + documentos)",
                    round(pipe_rps, 1),
                    "resp/s",
                    round(base_rps, 1),
                    round(pipe_rps / base_rps, 3),
                    "≥ 0.50 × Scrapy puro",
                    pipe_rps / base_rps >= 0.5,
                    {
                        "responses": len(urls),
                        "pipeline_wall_s": night1.wall_s,
                        "baseline": "plain Scrapy following night 1's links (crawler.measure.link_graph)",
                        "baseline_responses": b["pages"],
                        "baseline_failed": b.get("failed", 0),
                        "baseline_wall_s": base.wall_s,
                        "baseline_roots": len(graph["roots"]),
                    },
                ),
            )
            add(
                rows,
                Row(
                    "referencia: Scrapy puro con la lista completa desde el inicio",
                    round(flat_rps, 1),
                    "resp/s",
                    extra={
                        "responses": fb["pages"],
                        "failed": fb.get("failed", 0),
                        "wall_s": flat.wall_s,
                        "cpu_s": flat.cpu_s,
                        "ratio_pipeline_to_flat": round(pipe_rps / flat_rps, 3),
                    },
                ),
            )
            pipe_cpu = 1000 * night1.cpu_s / max(1, len(urls))
            base_cpu = 1000 * base.cpu_s / max(1, b["pages"])
            add(
                rows,
                Row(
                    "rastreo completo: CPU por respuesta",
                    round(pipe_cpu, 2),
                    "ms",
                    round(base_cpu, 2),
                    round(pipe_cpu / base_cpu, 2),
                ),
            )

            # 2. Second night, nothing changed (same store, same HTTP cache).
            night2 = run_rss(crawl_cmd(fleet, db1, data1, THROUGHPUT_SETTINGS), env)
            f2 = store_figures(db1)
            figures["night2"] = f2
            ratio = f2["bytes"] / max(1, f1["bytes"])
            add(
                rows,
                Row(
                    "segunda noche sin cambios: bytes",
                    f2["bytes"],
                    "B",
                    f1["bytes"],
                    round(ratio, 4),
                    "≤ 0.10 × primera noche",
                    ratio <= 0.10,
                    {
                        "requests": f2["requests"],
                        "requests_night1": f1["requests"],
                        "not_modified": f2["not_modified"],
                        "wall_s": night2.wall_s,
                        "cpu_s": night2.cpu_s,
                        "cpu_s_night1": night1.cpu_s,
                    },
                ),
            )

            # 3. Checks and reports for the whole fleet.
            check = run_rss(
                [
                    *VIGIA,
                    "check",
                    "--db",
                    f"sqlite:///{db1}",
                    "--data-dir",
                    str(data1),
                    "--as-of",
                    AS_OF,
                    "--registry",
                    str(fleet / "registry.csv"),
                ]
            )
            report = run_rss(
                [
                    *VIGIA,
                    "report",
                    "--db",
                    f"sqlite:///{db1}",
                    "--data-dir",
                    str(data1),
                    "--as-of",
                    AS_OF,
                    "--registry",
                    str(fleet / "registry.csv"),
                    "--out",
                    str(work / "site"),
                    "--no-pdf",
                ]
            )
            total = check.wall_s + report.wall_s
            add(rows, Row("evaluación (vigia check), flota", round(check.wall_s, 2), "s"))
            add(rows, Row("reportes HTML+exportaciones (vigia report)", round(report.wall_s, 2), "s"))
            add(rows, Row("evaluación + reportes", round(total, 2), "s", target="≤ 20 s", ok=total <= 20))
            agreement_rows(rows, figures, fleet, db1, data1)
            if args.pdf:
                report_pdf = run_rss(
                    [
                        *VIGIA,
                        "report",
                        "--db",
                        f"sqlite:///{db1}",
                        "--data-dir",
                        str(data1),
                        "--as-of",
                        AS_OF,
                        "--registry",
                        str(fleet / "registry.csv"),
                        "--out",
                        str(work / "site-pdf"),
                        "--pdf",
                    ]
                )
                add(rows, Row("reportes con PDF por municipalidad", round(report_pdf.wall_s, 2), "s"))

        # 4. Next night with the fleet's changes (a restarted server serves the changed spec).
        run_rss([*VIGIA, "fleet", "next-night", "--fleet", str(fleet)])
        with FleetServer(fleet):
            night3 = run_rss(crawl_cmd(fleet, db1, data1, THROUGHPUT_SETTINGS), env)
            f3 = store_figures(db1)
            figures["night_changes"] = f3
            r3 = f3["bytes"] / max(1, f1["bytes"])
            add(
                rows,
                Row(
                    "noche siguiente con cambios: bytes",
                    f3["bytes"],
                    "B",
                    f1["bytes"],
                    round(r3, 4),
                    extra={"requests": f3["requests"], "wall_s": night3.wall_s},
                ),
            )

        polite: Measure | None = None
        if not args.skip_politeness:
            # 5. Wall time against the politeness lower bound, with injected per-host latency.
            fleet_b = work / "fleet-polite"
            run_rss(
                [
                    *VIGIA,
                    "fleet",
                    "generate",
                    "--portals",
                    str(args.portals),
                    "--out",
                    str(fleet_b),
                    "--as-of",
                    AS_OF,
                ]
            )
            db2, data2 = work / "polite.db", work / "data2"
            # the server adds latency_ms ± jitter_ms (uniform) to every request: centre and half-width of LO-HI
            with FleetServer(fleet_b, latency_ms=(lo + hi) / 2, jitter_ms=(hi - lo) / 2):
                polite = run_rss(crawl_cmd(fleet_b, db2, data2), env)
            fp = store_figures(db2)
            figures["polite"] = fp
            mean_latency = (lo + hi) / 2000.0
            # per-host politeness binds per host: a document host shared by many portals (a Drive-like host)
            # can carry more requests than any one portal
            busiest_host, busiest_requests = max(
                host_requests(db2, fp["run_id"]).items(), key=lambda kv: kv[1]
            )
            bound_portal = fp["max_portal_requests"] * mean_latency / limits["per_host"]
            bound_host = busiest_requests * mean_latency / limits["per_host"]
            bound_global = fp["requests"] * mean_latency / limits["global"]
            bound = max(bound_portal, bound_host, bound_global)
            rp = polite.wall_s / bound
            add(
                rows,
                Row(
                    "rastreo cortés con latencia: tiempo total",
                    round(polite.wall_s, 1),
                    "s",
                    round(bound, 1),
                    round(rp, 3),
                    "≤ 1.25 × cota de cortesía",
                    rp <= 1.25,
                    {
                        "bound_slowest_portal_s": bound_portal,
                        "bound_busiest_host_s": bound_host,
                        "busiest_host": busiest_host,
                        "busiest_host_requests": busiest_requests,
                        "bound_global_s": bound_global,
                        "limits": limits,
                        "latency_ms": [lo, hi],
                        "requests": fp["requests"],
                    },
                ),
            )

        # Memory: the highest peak of the two first-night crawls of the whole fleet (the throughput run,
        # sampled every 5 s, and the politeness run, every second, where requests stay open longer)
        polite_mb = polite.max_rss_mb if polite is not None else 0.0
        peak = max(night1.max_rss_mb, polite_mb)
        add(
            rows,
            Row(
                "memoria pico, rastreo de la flota",
                round(peak, 1),
                "MB",
                target="≤ 1536 MB",
                ok=peak <= 1536,
                extra={"throughput_run_mb": night1.max_rss_mb, "politeness_run_mb": polite_mb},
            ),
        )

        # 6. Scale: cost against the number of portals.
        if not args.skip_scale:
            # the full size is night 1 (same generation, same settings); smaller sizes are fresh crawls of the
            # first N portals of an identical, unchanged fleet
            def point(n: int, m: Measure, figs: dict[str, Any], **more: Any) -> dict[str, Any]:
                return {
                    "portals": n,
                    "wall_s": m.wall_s,
                    "cpu_s": m.cpu_s,
                    "rss_mb": m.max_rss_mb,
                    "responses": figs["pages"] + figs["documents_fetched"],
                    **more,
                }

            scale = [point(args.portals, night1, f1)]
            with FleetServer(fleet_b):
                for n in sorted({max(1, args.portals // 4), max(1, args.portals // 2)} - {args.portals}):
                    dbn, datan = work / f"scale{n}.db", work / f"scale{n}"
                    mn = run_rss(
                        crawl_cmd(fleet, dbn, datan, THROUGHPUT_SETTINGS, registry_codes(fleet, n)), env
                    )
                    scale.append(point(n, mn, store_figures(dbn)))
            if args.scale_generated > args.portals:
                # beyond the registry: a generated fleet (the registry's municipalities and made-up ones,
                # fleet/files.py), crawled fresh with the same settings
                n = args.scale_generated
                fleet_x = work / f"fleet-{n}"
                run_rss(
                    [
                        *VIGIA,
                        "fleet",
                        "generate",
                        "--portals",
                        str(n),
                        "--out",
                        str(fleet_x),
                        "--as-of",
                        AS_OF,
                    ]
                )
                with FleetServer(fleet_x):
                    dbn, datan = work / f"scale{n}.db", work / f"scale{n}"
                    mn = run_rss(crawl_cmd(fleet_x, dbn, datan, THROUGHPUT_SETTINGS), env)
                scale.append(point(n, mn, store_figures(dbn), generated=True))
            scale.sort(key=lambda item: item["portals"])
            figures["scale"] = scale
            first, last = scale[0], scale[-1]
            # CPU per portal depends on which portals a size takes (the first N of the registry); CPU per
            # response (page or document fetched) normalises the mix: > 1 means cost grows faster than work
            growth = (last["cpu_s"] / first["cpu_s"]) / (last["portals"] / first["portals"])
            growth_work = (last["cpu_s"] / max(1, last["responses"])) / (
                first["cpu_s"] / max(1, first["responses"])
            )
            for s in scale:
                add(
                    rows,
                    Row(
                        f"escala: {s['portals']} portales" + (" (generados)" if s.get("generated") else ""),
                        round(s["wall_s"], 1),
                        "s",
                        extra={
                            "cpu_s": s["cpu_s"],
                            "rss_mb": s["rss_mb"],
                            "cpu_ms_per_portal": 1000 * s["cpu_s"] / s["portals"],
                            "cpu_ms_per_response": 1000 * s["cpu_s"] / max(1, s["responses"]),
                            "responses": s["responses"],
                        },
                    ),
                )
            add(
                rows,
                Row(
                    f"escala: CPU por portal, {last['portals']} frente a {first['portals']} (1 = lineal)",
                    round(growth, 3),
                    "",
                ),
            )
            add(
                rows,
                Row(
                    f"escala: CPU por respuesta, {last['portals']} frente a {first['portals']} (1 = lineal)",
                    round(growth_work, 3),
                    "",
                    target="≤ 1.1",
                    ok=growth_work <= 1.1,
                ),
            )
        # 7. The review workspace: checklists served to 50 concurrent readers, against a static file server.
        if not args.skip_serve:
            serve_rows(rows, figures, work / "serve")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    finish(rows, figures, args.portals)


def finish(rows: list[Row], figures: dict[str, Any], portals: int) -> None:
    """Print the table and write it, with the machine's description, under ``bench/results/``."""
    print_table(rows)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {
        "when": stamp,
        "machine": machine(),
        "portals": portals,
        "rows": [r.__dict__ for r in rows],
        "figures": figures,
    }
    path = out_dir / f"bench-{stamp}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"\nresultados: {path.relative_to(ROOT)}")


def serve_rows(rows: list[Row], figures: dict[str, Any], work: Path, readers: int = 50) -> None:
    """``vigia serve`` (waitress) against ``python -m http.server``, same checklists, same run (bench/serve.py)."""
    from bench.serve import measure

    work.mkdir(parents=True, exist_ok=True)
    served = measure(portals=340, readers=readers, seconds=15.0, work=work)
    figures["serve"] = served
    app, static = served["app"], served["static"]
    add(
        rows,
        Row(
            f"espacio de revisión: listas de verificación a {readers} lectores (vigia serve)",
            app["rps"],
            "sol./s",
            baseline=static["rps"],
            ratio=round(app["rps"] / static["rps"], 3) if static["rps"] else None,
            target="informativo (frente a http.server)",
            extra={"app": app, "static": static},
        ),
    )
    add(
        rows,
        Row(
            f"espacio de revisión: latencia p95 con {readers} lectores",
            app["p95_ms"],
            "ms",
            baseline=static["p95_ms"],
            ratio=round(app["p95_ms"] / static["p95_ms"], 3) if static["p95_ms"] else None,
            target="informativo (frente a http.server)",
        ),
    )


def add(rows: list[Row], row: Row) -> None:
    """Keep a figure and print it at once (a long benchmark shows its figures as it goes)."""
    rows.append(row)
    ratio = "" if row.ratio is None else f" (razón {row.ratio:.3f} frente a {row.baseline})"
    print(f"· {row.name}: {row.value} {row.unit}{ratio}", flush=True)


def print_table(rows: list[Row]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Vigía — benchmarks (misma corrida, misma máquina)")
    for col in ("medida", "valor", "unidad", "línea base", "razón", "meta", "ok"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.name,
            str(r.value),
            r.unit,
            "" if r.baseline is None else str(r.baseline),
            "" if r.ratio is None else f"{r.ratio:.3f}",
            r.target,
            "" if r.ok is None else ("sí" if r.ok else "NO"),
        )
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
