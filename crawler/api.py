"""The crawler's entry points used by ``vigia crawl``, ``vigia nightly`` and ``vigia audit``
(docs/CONTRACTS.md). Each crawl runs in a child process (``python -m crawler.run``) because Scrapy's
reactor cannot be restarted in one process; the child writes each portal's evidence to the store when
the portal finishes, so a run killed half-way keeps its finished portals and ``--resume N`` completes it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from crawler.leases import clear_process, create_table
from crawler.writer import clear_unfinished, finished_keys
from vigia import __version__
from vigia.errors import UserError
from vigia.registry import Municipality
from vigia.store import Store
from vigia.store.liveness import HEARTBEAT_SECONDS, beat, claim, mark_stale_runs
from vigia.store.models import CrawlRun, Incident, PortalCrawl, utcnow

ROOT = Path(__file__).resolve().parent.parent


def _die_with_parent() -> None:
    """In the crawl child, before it runs anything: be killed when the parent dies (Linux
    ``PR_SET_PDEATHSIG``), so a ``vigia crawl`` or ``nightly`` killed even with SIGKILL never leaves a crawl
    running behind it (issue 14). SIGKILL, not SIGTERM: Scrapy would take SIGTERM as a graceful stop and
    wait for its requests in flight (minutes for a browser page), writing to a run nobody watches; the
    finished portals are already stored and ``--resume`` completes the rest. Its own helpers follow it:
    the extraction workers' fork server leaves when its client is gone (and each worker dies with it), and
    Playwright's driver closes Chromium when its pipe from the crawl process closes. A parent that died
    before the call (the signal would never come) ends the child at once."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        return
    if os.getppid() != _PARENT_PID[0]:
        os._exit(1)


#: the pid the crawl children check their parent against (set before each ``Popen``)
_PARENT_PID = [os.getpid()]


@dataclass
class CrawlSummary:
    run_id: int
    portals: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    pages: int = 0
    documents: int = 0
    incidents: int = 0
    bytes: int = 0
    seconds: float = 0.0
    not_modified: int = 0
    requests: int = 0
    cpu_seconds: float = 0.0
    #: what went wrong with the crawl itself (a crawl process that died, evidence that could not be
    #: written): the run is "failed" and the command ends with an error after its other work
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(self.outcomes.items())) or "ninguno"
        return (
            f"Rastreo {self.run_id}: {self.portals} portales ({parts}); {self.pages} páginas, "
            f"{self.documents} documentos, {self.incidents} incidentes; {self.requests} solicitudes, "
            f"{self.bytes / 1_048_576:.1f} MB recibidos ({self.not_modified} respuestas 304) "
            f"en {self.seconds:.1f} s"
            + (f"; {len(self.problems)} problema(s) del rastreo" if self.problems else "")
        )


def municipality_spec(m: Municipality) -> dict[str, Any]:
    return {
        "key": m.ine_code,
        "start_url": m.portal_url,
        "alt_urls": list(m.alt_urls),
        "platform": m.platform,
        "render": m.render,
        "document_hosts": list(m.document_hosts),
        "municipality": {"ine_code": m.ine_code, "municipality": m.municipality, "department": m.department},
    }


def _store_location(store: Store) -> tuple[str, str]:
    url = store.engine.url.render_as_string(hide_password=False)
    if url in ("sqlite://", "sqlite:///:memory:"):
        raise UserError("el rastreo necesita una base de datos en archivo o servidor, no en memoria")
    return url, str(Path(store.blobs.root).parent)


def crawl_municipalities(
    store: Store,
    municipalities: list[Municipality],
    *,
    allow_private: bool,
    kind: str = "crawl",
    resume_run_id: int | None = None,
    registry_path: str | None = None,
    console: Console | None = None,
    settings: dict[str, Any] | None = None,
) -> CrawlSummary:
    """Crawl the municipalities' portals; return the run's summary (resume ``resume_run_id`` if given)."""
    from crawler.options import refuse_protected

    refuse_protected(settings)  # the address guard follows ``allow_private`` only (issue 14)
    started = time.monotonic()
    mark_stale_runs(store)  # a run whose process was killed is "interrupted", not "running" (issue 14)
    if resume_run_id is not None:
        with store.session() as s:
            run = s.get(CrawlRun, resume_run_id)
            if run is None:
                raise UserError(f"no existe la corrida {resume_run_id} para reanudar")
            run.status = "running"
            run.note = (run.note or "") + f" reanudada {utcnow():%Y-%m-%d %H:%M}"
            run.heartbeat_at = utcnow()  # claimed below; not stale meanwhile
            run_id = run.id
        clear_unfinished(store, run_id)
        done = finished_keys(store, run_id)
    else:
        with store.session() as s:
            run = CrawlRun(
                kind=kind,
                registry_path=registry_path,
                vigia_version=__version__,
                settings={"allow_private": allow_private, **(settings or {})},
            )
            s.add(run)
            s.flush()
            run_id = run.id
        done = set()
    claim(store, run_id)
    todo = [m for m in municipalities if m.ine_code not in done]
    without_portal = [m for m in todo if not m.portal_url]
    _record_without_portal(store, run_id, without_portal)
    specs = [municipality_spec(m) for m in todo if m.portal_url]
    status = "failed"
    previous = _terminate_as_interrupt()
    try:
        measured = _run_child(
            store, run_id, specs, allow_private, settings, console, len(municipalities), len(done)
        )
        status = "failed" if measured.get("problems") else "finished"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        _restore_terminate(previous)
        with store.session() as s:
            run = s.get(CrawlRun, run_id)
            if run is not None:
                run.status = status
                run.finished_at = utcnow()
    summary = summarize(store, run_id)
    summary.seconds = time.monotonic() - started
    summary.cpu_seconds = measured.get("cpu_seconds", 0.0)
    summary.problems = list(measured.get("problems") or [])
    return summary


def _terminate_as_interrupt() -> Any:
    """While a crawl runs, SIGTERM ends it as Ctrl-C does: the children are stopped and the run is marked
    "interrupted" (a plain SIGTERM would leave the run "running")."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def _restore_terminate(previous: Any) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def audit_portal(
    store: Store, url: str, *, platform: str = "unknown", allow_private: bool, console: Console | None = None
) -> int:
    """Crawl one portal now (no registry row needed); return its ``PortalCrawl.id``."""
    mark_stale_runs(store)
    with store.session() as s:
        run = CrawlRun(kind="audit", vigia_version=__version__, settings={"allow_private": allow_private})
        s.add(run)
        s.flush()
        run_id = run.id
    claim(store, run_id)
    spec = {
        "key": url,
        "start_url": url,
        "alt_urls": [],
        "platform": platform,
        "render": "auto",
        "document_hosts": [],
        "municipality": {},
    }
    status = "failed"
    try:
        measured = _run_child(store, run_id, [spec], allow_private, None, console, 1, 0)
        status = "failed" if measured.get("problems") else "finished"
    finally:
        with store.session() as s:
            run = s.get(CrawlRun, run_id)
            if run is not None:
                run.status = status
                run.finished_at = utcnow()
    with store.session() as s:
        pc_id = s.scalar(select(PortalCrawl.id).where(PortalCrawl.run_id == run_id))
    if pc_id is None:
        raise UserError(f"el rastreo de {url} no terminó (revise el registro en la carpeta de datos)")
    return pc_id


def summarize(store: Store, run_id: int) -> CrawlSummary:
    summary = CrawlSummary(run_id=run_id)
    with store.session() as s:
        rows = s.execute(
            select(
                PortalCrawl.outcome,
                PortalCrawl.pages_count,
                PortalCrawl.documents_count,
                PortalCrawl.bytes_received,
                PortalCrawl.not_modified_count,
                PortalCrawl.requests_count,
            ).where(PortalCrawl.run_id == run_id)
        ).all()
        summary.incidents = (
            s.scalar(
                select(func.count(Incident.id))
                .join(PortalCrawl, Incident.portal_crawl_id == PortalCrawl.id)
                .where(PortalCrawl.run_id == run_id)
            )
            or 0
        )
    for outcome, pages, docs, nbytes, nm, nreq in rows:
        summary.portals += 1
        summary.outcomes[outcome or "sin terminar"] += 1
        summary.pages += pages or 0
        summary.documents += docs or 0
        summary.bytes += nbytes or 0
        summary.not_modified += nm or 0
        summary.requests += nreq or 0
    return summary


def _record_without_portal(store: Store, run_id: int, rows: list[Municipality]) -> None:
    if not rows:
        return
    with store.session() as s:
        for m in rows:
            s.add(
                PortalCrawl(
                    run_id=run_id,
                    portal_key=m.ine_code,
                    ine_code=m.ine_code,
                    municipality=m.municipality,
                    department=m.department,
                    portal_url="",
                    platform_declared=m.platform,
                    outcome="unreachable",
                    outcome_reason="sin portal conocido en el registro (portal_url vacío)",
                    finished_at=utcnow(),
                    stats={"no_portal": True},
                )
            )


def crawl_processes(portals: int, settings: dict[str, Any] | None = None) -> int:
    """How many child crawl processes share the portals: ``VIGIA_CRAWL_PROCESSES`` (default: the number
    of cores), never more than the cores, and at most 2 for a small run (< 40 portals) or one per portal."""
    from crawler import settings as defaults

    wanted = (settings or {}).get("VIGIA_CRAWL_PROCESSES", defaults.VIGIA_CRAWL_PROCESSES)
    try:
        n = int(wanted or 0)
    except (TypeError, ValueError):
        n = 0
    cores = os.cpu_count() or 1
    if n <= 0:
        n = cores
    n = min(n, cores, max(1, portals))
    if portals < 40:
        n = min(n, 2)
    return max(1, n)


def _declared_browser(spec: dict[str, Any]) -> bool:
    return spec.get("render") == "browser" or (
        spec.get("platform") == "javascript" and spec.get("render") != "static"
    )


def _doc_hosts(spec: dict[str, Any]) -> set[str]:
    return {str(h).strip().lower() for h in spec.get("document_hosts") or [] if str(h).strip()}


def _shared_document_hosts(specs: list[dict[str, Any]]) -> set[str]:
    """Document hosts the registry declares for more than one portal of the run."""
    seen: Counter[str] = Counter()
    for spec in specs:
        seen.update(_doc_hosts(spec))
    return {host for host, n in seen.items() if n > 1}


def _newest_finished_crawls(s: Any, keys: list[str], run_id: int | None) -> dict[str, int]:
    """The id of each portal's newest finished crawl outside run ``run_id``, by portal key."""
    newest: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        rows = s.execute(
            select(PortalCrawl.portal_key, func.max(PortalCrawl.id))
            .where(
                PortalCrawl.portal_key.in_(keys[start : start + 500]),
                PortalCrawl.finished_at.is_not(None),
                PortalCrawl.run_id != (run_id if run_id is not None else -1),
            )
            .group_by(PortalCrawl.portal_key)
        )
        newest.update({key: pc_id for key, pc_id in rows})
    return newest


def previous_durations(store: Store, keys: list[str], run_id: int | None = None) -> dict[str, float]:
    """Seconds each portal's newest finished crawl (outside run ``run_id``) took, by portal key."""
    out: dict[str, float] = {}
    with store.session() as s:
        ids = list(_newest_finished_crawls(s, keys, run_id).values())
        for start in range(0, len(ids), 500):
            rows = s.execute(
                select(PortalCrawl.portal_key, PortalCrawl.started_at, PortalCrawl.finished_at).where(
                    PortalCrawl.id.in_(ids[start : start + 500])
                )
            )
            for key, started, finished in rows:
                out[key] = max(0.0, (finished - started).total_seconds())
    return out


def previous_timeouts(store: Store, keys: list[str], run_id: int | None = None) -> dict[str, list[str]]:
    """The URLs that timed out (incidents ``timeout``) in each portal's newest finished crawl outside run
    ``run_id``, by portal key; portals whose last crawl had none are left out."""
    out: dict[str, list[str]] = {}
    with store.session() as s:
        by_crawl = {pc_id: key for key, pc_id in _newest_finished_crawls(s, keys, run_id).items()}
        ids = list(by_crawl)
        for start in range(0, len(ids), 500):
            rows = s.execute(
                select(Incident.portal_crawl_id, Incident.url).where(
                    Incident.portal_crawl_id.in_(ids[start : start + 500]),
                    Incident.kind == "timeout",
                    Incident.url.is_not(None),
                )
            )
            for pc_id, url in rows:
                urls = out.setdefault(by_crawl[pc_id], [])
                if url not in urls:
                    urls.append(url)
    return out


def shard_specs(
    specs: list[dict[str, Any]], n: int, cost: dict[str, float] | None = None
) -> list[list[dict[str, Any]]]:
    """Share the portals among ``n`` processes and order each share.

    Portals declared to need the browser all go to the first process (so usually only one Chromium
    runs). Without ``cost`` (a first night) the others are dealt to the smallest share in registry order
    (platforms and failure modes mixed evenly), after the browser portals (the slowest kind), portals
    with documents on a host declared for several portals first. With ``cost`` (seconds each portal took
    last time), the
    slowest portals start first and each goes to the share with the least expected work (longest
    processing time first), so a slow or dead portal does not start last and hold the night open."""
    order = {id(spec): i for i, spec in enumerate(specs)}
    shared = _shared_document_hosts(specs)
    known = [v for v in (cost or {}).values()]
    default = sorted(known)[len(known) // 2] if known else 0.0

    def expected(spec: dict[str, Any]) -> float:
        return (cost or {}).get(spec.get("key", ""), default)

    if known:
        ranked = sorted(specs, key=lambda spec: (-expected(spec), order[id(spec)]))
    else:
        # a first night: portals that need the browser are the slowest kind, they open the night; then
        # the portals whose documents live on a host shared with other portals (under the per-host
        # ceiling, that host is the night's bottleneck: it must be busy from the start)
        ranked = sorted(
            specs,
            key=lambda spec: (not _declared_browser(spec), not (_doc_hosts(spec) & shared), order[id(spec)]),
        )
    if n <= 1:
        return [ranked]
    shards: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    loads = [0.0] * n
    for spec in ranked:
        if _declared_browser(spec):
            shards[0].append(spec)
            loads[0] += expected(spec)
    for spec in ranked:
        if not _declared_browser(spec):
            k = min(range(n), key=lambda i: (loads[i], len(shards[i]), i) if known else (len(shards[i]), i))
            shards[k].append(spec)
            loads[k] += expected(spec)
    rank = {id(spec): i for i, spec in enumerate(ranked)}
    return [sorted(shard, key=lambda spec: rank[id(spec)]) for shard in shards if shard]


def _shard_settings(
    settings: dict[str, Any] | None, n: int, k: int, leases: Path | None = None
) -> dict[str, Any]:
    """Per-process overrides: the run's table of per-host leases (a document host shared by portals of
    several processes keeps one ceiling over the whole run); processes after the first open fewer
    browser pages."""
    from crawler import settings as defaults

    out = dict(settings or {})
    if n <= 1:
        return out
    if leases is not None:
        out.setdefault("VIGIA_HOST_LEASES", {"path": str(leases), "index": k, "processes": n})
    if k > 0:  # the first process has the portals declared to need the browser; the others rarely do
        pages = int(out.get("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", defaults.PLAYWRIGHT_MAX_PAGES_PER_CONTEXT))
        out["PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"] = max(1, pages // n)
    return out


def _start_browser_service(settings: dict[str, Any] | None, allow_private: bool, data_dir: str) -> Any:
    """The run's browser service (crawler/browser_service.py): one Chromium for every crawl process,
    driven from a process of its own; started before them, ended after them. Chromium itself starts on
    the first page to render. ``None`` when the run does not use the browser."""
    from scrapy.settings import Settings

    from crawler import settings as defaults
    from crawler.browser_service import ServiceProcess, service_config

    merged = Settings()
    merged.setmodule(defaults, priority="project")
    for key, value in (settings or {}).items():
        merged.set(key, value, priority="cmdline")
    if not merged.getbool("VIGIA_BROWSER_ENABLED", True):
        return None
    if not merged.get("VIGIA_RENDER_MEMO_DIR"):  # renders kept next to the rest of the run's evidence
        merged.set("VIGIA_RENDER_MEMO_DIR", str(Path(data_dir) / "renders"), priority="cmdline")
    service = ServiceProcess(service_config(merged, allow_private))
    service.start()
    return service


def _run_child(
    store: Store,
    run_id: int,
    specs: list[dict[str, Any]],
    allow_private: bool,
    settings: dict[str, Any] | None,
    console: Console | None,
    total: int,
    already: int,
) -> dict[str, Any]:
    """Run the crawl in child processes (``crawl_processes``), each with its share of the portals, all
    writing to the same store; one progress bar for all; return the children's summed figures."""
    if not specs:
        return {}
    db_url, data_dir = _store_location(store)
    logs = Path(data_dir) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cost = previous_durations(store, [spec["key"] for spec in specs], run_id)
    timed_out = previous_timeouts(store, [spec["key"] for spec in specs], run_id)
    # what timed out last time gets one attempt tonight (crawler/middlewares.py WireMiddleware); a portal
    # never crawled before has nothing in the HTTP cache to answer its documents (FreshDocumentsMiddleware)
    specs = [
        {
            **spec,
            "crawled_before": spec["key"] in cost,
            **({"timed_out_before": timed_out[spec["key"]]} if spec["key"] in timed_out else {}),
        }
        for spec in specs
    ]
    shards = shard_specs(specs, crawl_processes(len(specs), settings), cost)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    events: queue.Queue[tuple[int, dict[str, Any] | None]] = queue.Queue()
    procs: list[subprocess.Popen[str]] = []
    job_paths: list[str] = []
    stderrs: list[list[str]] = []
    threads: list[threading.Thread] = []

    ended: set[int] = set()
    ended_lock = threading.Lock()

    def pump(k: int, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                events.put((k, event))
        with ended_lock:
            if k not in ended:
                ended.add(k)
                events.put((k, None))

    def reap(k: int, proc: subprocess.Popen[str]) -> None:
        """A child that exited ends its stream at most 10 s later, even if a helper process it left
        behind still holds the pipe open."""
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and k not in ended:
            time.sleep(0.1)
        with ended_lock:
            if k not in ended:
                ended.add(k)
                events.put((k, None))

    def drain(k: int, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            stderrs[k].append(line)
            del stderrs[k][:-50]

    done_events: list[dict[str, Any]] = []
    pages = errors = 0
    progress = None
    task = None
    leases = logs / f"crawl-{run_id}.leases" if len(shards) > 1 else None
    if leases is not None:
        create_table(leases, len(shards))
    browser = None
    try:
        browser = _start_browser_service(settings, allow_private, data_dir)
        for k, shard in enumerate(shards):
            name = f"crawl-{run_id}.log" if len(shards) == 1 else f"crawl-{run_id}-{k + 1}.log"
            job = {
                "run_id": run_id,
                "db_url": db_url,
                "data_dir": data_dir,
                "allow_private": allow_private,
                "portals": shard,
                "settings": {
                    **_shard_settings(settings, len(shards), k, leases),
                    **({"VIGIA_BROWSER_SERVICE": browser.socket_path} if browser is not None else {}),
                },
                "log_file": str(logs / name),
            }
            fd, job_path = tempfile.mkstemp(prefix=f"vigia-crawl-{run_id}-{k + 1}-", suffix=".json")
            job_paths.append(job_path)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(job, fh)
            _PARENT_PID[0] = os.getpid()
            proc = subprocess.Popen(
                [sys.executable, "-m", "crawler.run", job_path],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=str(ROOT),
                preexec_fn=_die_with_parent,
            )
            procs.append(proc)
            stderrs.append([])
            for target in (pump, drain, reap):
                t = threading.Thread(target=target, args=(k, proc), daemon=True)
                t.start()
                threads.append(t)
        if console is not None:
            progress = Progress(
                TextColumn("[bold]Rastreo {task.fields[run]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("portales · {task.fields[pages]} páginas · {task.fields[errors]} con problemas"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )
            progress.start()
            task = progress.add_task(
                "crawl", total=total, completed=total - len(specs), run=run_id, pages=0, errors=0
            )
        open_streams = len(procs)
        last_beat = time.monotonic()
        while open_streams:
            if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                beat(store, run_id)  # the run is alive: ``mark_stale_runs`` leaves it alone
                last_beat = time.monotonic()
            try:
                k, event = events.get(timeout=HEARTBEAT_SECONDS)
            except queue.Empty:
                continue
            if event is None:  # the child is ending: whatever it still held is free for the others
                open_streams -= 1
                if leases is not None:
                    clear_process(leases, len(shards), k)
                continue
            if event.get("event") == "portal":
                pages += int(event.get("pages") or 0)
                if event.get("outcome") != "complete":
                    errors += 1
                if progress is not None and task is not None:
                    progress.update(task, advance=1, pages=pages, errors=errors)
            elif event.get("event") == "done":
                done_events.append(event)
        for proc in procs:
            proc.wait()
        for t in threads:
            t.join(timeout=5)
    except BaseException:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        raise
    finally:
        if browser is not None:
            browser.stop()  # closes Chromium; after the crawl processes, which no longer use it
        if progress is not None:
            progress.stop()
        for job_path in job_paths:
            Path(job_path).unlink(missing_ok=True)
        if leases is not None:
            leases.unlink(missing_ok=True)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    problems: list[str] = []
    died: list[str] = []
    for k, proc in enumerate(procs):
        if proc.returncode != 0:
            last = "".join(stderrs[k]).strip().splitlines()[-1:] or ["sin detalle"]
            what = f"el proceso de rastreo {k + 1} terminó con código {proc.returncode}: {last[0][:300]}"
            died.append(what)
            problems.append(what)
    for event in done_events:
        for failure in event.get("write_failures") or []:
            problems.append(f"portal {failure.get('key')}: {failure.get('error')}"[:500])
    lost = _record_lost(store, run_id, specs, "; ".join(died) or "el proceso de rastreo no lo terminó")
    if lost:
        problems.append(
            f"{len(lost)} portal(es) sin terminar por una falla del rastreo: {', '.join(lost[:20])}"
        )
    done_event = _merge_done(done_events) if done_events else {"event": "done"}
    done_event["problems"] = problems
    done_event["processes"] = len(procs)
    done_event["child_cpu_seconds"] = (cpu_after.ru_utime - cpu_before.ru_utime) + (
        cpu_after.ru_stime - cpu_before.ru_stime
    )
    with store.session() as s:
        run = s.get(CrawlRun, run_id)
        if run is not None:
            run.settings = {
                **(run.settings or {}),
                "last_child": done_event,
                "at": dt.datetime.now(dt.UTC).isoformat(),
            }
    return done_event


def _record_lost(store: Store, run_id: int, specs: list[dict[str, Any]], why: str) -> list[str]:
    """The portals the run asked for and no crawl process finished (it died, or could not write them):
    each gets its ``PortalCrawl`` row, ``partial`` with no evidence and the reason, so the checks give its
    numerals "No verificable" and every other portal is checked and reported as usual."""
    finished = finished_keys(store, run_id)
    lost = [spec for spec in specs if spec["key"] not in finished]
    if not lost:
        return []
    clear_unfinished(store, run_id)
    with store.session() as s:
        for spec in lost:
            muni = spec.get("municipality") or {}
            s.add(
                PortalCrawl(
                    run_id=run_id,
                    portal_key=spec["key"],
                    ine_code=muni.get("ine_code"),
                    municipality=muni.get("municipality"),
                    department=muni.get("department"),
                    portal_url=spec.get("start_url") or "",
                    platform_declared=spec.get("platform") or "unknown",
                    outcome="partial",
                    outcome_reason=f"rastreo incompleto por una falla del rastreador: {why}"[:1000],
                    finished_at=utcnow(),
                    stats={"crawl_failed": True},
                )
            )
    return [spec["key"] for spec in lost]


def _merge_done(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The children's ``done`` lines as one: counts and CPU summed, wall time the longest."""
    if len(events) == 1:
        return dict(events[0])
    merged: dict[str, Any] = {"event": "done"}
    for key in (
        "cpu_seconds",
        "extraction_cpu_seconds",
        "wire_requests",
        "wire_bytes",
        "pages",
        "finished",
        "extractions",
        "extractions_reused",
        "extraction_failures",
        "pages_parsed",
        "pages_parse_reused",
        "documents_answered_from_cache",
        "renders_reused",
    ):
        merged[key] = round(sum(float(e.get(key) or 0) for e in events), 3)
        if not key.endswith("cpu_seconds"):
            merged[key] = int(merged[key])
    merged["seconds"] = max((float(e.get("seconds") or 0) for e in events), default=0.0)
    merged["write_failures"] = [f for e in events for f in e.get("write_failures") or []]
    merged["shards"] = events
    return merged
