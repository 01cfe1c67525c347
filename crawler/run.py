"""Run one crawl in this process: ``python -m crawler.run JOB.json``.

Scrapy's Twisted reactor cannot be restarted inside one process, so :mod:`crawler.api` runs every crawl
in a child process through this module. The job file names the store, the run and the portals; the
child writes each portal's evidence to the store as soon as the portal finishes and prints one JSON
line per finished portal on stdout (the parent shows progress with Rich).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any


def build_settings(job: dict[str, Any]) -> Any:
    from scrapy.settings import Settings

    from crawler import settings as defaults

    settings = Settings()
    settings.setmodule(defaults, priority="project")
    data_dir = Path(job["data_dir"])
    settings.set("HTTPCACHE_DIR", str(data_dir / "httpcache"), priority="project")
    for key, value in (job.get("settings") or {}).items():
        settings.set(key, value, priority="cmdline")
    # the guard follows the job's allow_private only, whatever the overrides say (issue 14)
    settings.set("VIGIA_ALLOW_PRIVATE", bool(job.get("allow_private")), priority="cmdline")
    log_file = job.get("log_file")
    if log_file:
        settings.set("LOG_FILE", log_file, priority="cmdline")
    return settings


def emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.portal import PortalSpider
    from vigia.store import open_store

    store = open_store(job["db_url"], job["data_dir"], migrate_schema=False)
    settings = build_settings(job)
    process = CrawlerProcess(settings, install_root_handler=bool(job.get("log_file")))
    started = time.monotonic()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    crawler = process.create_crawler(PortalSpider)
    process.crawl(crawler, portals=job["portals"], run_id=job["run_id"], store=store, progress=emit)
    if os.environ.get("VIGIA_CPROFILE"):
        import cProfile

        cProfile.runctx(
            "process.start()",
            globals(),
            {"process": process},
            f"{os.environ['VIGIA_CPROFILE']}/{os.getpid()}.prof",
        )
    else:
        process.start()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    spider = crawler.spider
    if spider is None:
        raise RuntimeError("Scrapy no pudo iniciar la araña (vea el registro del rastreo)")
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    extraction_cpu = float(stats.get("vigia/extraction_cpu_seconds") or 0.0)
    summary = {
        "event": "done",
        "seconds": round(time.monotonic() - started, 3),
        # the crawl process and its extraction workers (their CPU is reported by the workers themselves)
        "cpu_seconds": round(
            (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime) + extraction_cpu, 3
        ),
        "extraction_cpu_seconds": extraction_cpu,
        "extractions": int(stats.get("vigia/extractions") or 0),
        "extractions_reused": int(stats.get("vigia/extractions_reused") or 0),
        "pages_parsed": int(stats.get("vigia/pages_parsed") or 0),
        "pages_parse_reused": int(stats.get("vigia/pages_parse_reused") or 0),
        "documents_answered_from_cache": int(stats.get("vigia/documents_answered_from_cache") or 0),
        "renders_reused": int(stats.get("vigia/renders_reused") or 0),
        "extraction_failures": int(stats.get("vigia/extraction_failures") or 0),
        "wire_requests": getattr(spider, "wire_requests", 0),
        "wire_bytes": getattr(spider, "wire_bytes", 0),
        "pages": getattr(spider, "pages_total", 0),
        "finished": getattr(spider, "finished_total", 0),
        "asked": len(job["portals"]),
        "write_failures": getattr(spider, "write_failures", []),
    }
    store.close()
    return summary


def _private_event_channel() -> None:
    """The parent reads this process's events until its stdout closes. Helper processes (the extraction
    workers' fork server, multiprocessing's resource tracker) inherit file descriptors 0–2 and may outlive
    this process by a moment, or longer if something goes wrong: the events go to a private,
    non-inheritable copy of stdout, and file descriptor 1 to /dev/null."""
    sys.stdout.flush()
    events = os.dup(1)  # os.dup's copy is not inheritable
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = os.fdopen(events, "w", buffering=1, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        sys.stderr.write("uso: python -m crawler.run TRABAJO.json\n")
        return 2
    try:
        job = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"error: no se puede leer el trabajo {args[0]}: {exc}\n")
        return 2
    _private_event_channel()
    try:
        summary = run_job(job)
    except Exception as exc:  # noqa: BLE001 - one line for the parent process
        sys.stderr.write(f"error: {type(exc).__name__}: {exc}\n")
        return 1
    emit(summary)
    if summary["write_failures"]:
        first = summary["write_failures"][0]
        sys.stderr.write(f"error: no se pudo guardar la evidencia de {first['key']}: {first['error']}\n")
        return 3
    if summary["finished"] < summary["asked"]:
        sys.stderr.write(f"error: {summary['finished']} de {summary['asked']} portales terminados\n")
        return 3
    return 0


if __name__ == "__main__":
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    sys.exit(main())
