"""Measure the crawler against a simulated fleet (issue 4's "done when"); reusable by the benchmarks.

    vigia fleet generate --portals 340 --out F
    vigia fleet serve --fleet F --ready-file F/ready &
    python -m crawler.measure --fleet F --work W [--nights 2] [--plain] [--json OUT]

Night 1 crawls every portal of ``F/registry.csv`` into a fresh store under ``W``; it is compared with
``F/truth.json``: planted reachable documents found with the right page trail, requests outside each
portal's allowed hosts, each failure-mode portal's outcome and incidents against the declared ones, and
no evidence stored for failed portals. Night 2 (nothing changed) measures the bytes ratio. ``--plain``
then fetches the same pages with plain Scrapy (no processing, same concurrency) in the same run, for
pages/s and CPU ms/page next to the full pipeline. Also: ``python -m crawler.measure --plain-urls FILE``
(internal: the baseline child process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from vigia.spanish import fold

ROOT = Path(__file__).resolve().parent.parent


def _subsequence(wanted: list[str], trail: list[str]) -> bool:
    """``wanted`` (consecutive repeats collapsed) appears in order within ``trail`` (case/accents folded)."""
    collapsed: list[str] = []
    for w in wanted:
        fw = fold(w).strip()
        if not collapsed or collapsed[-1] != fw:
            collapsed.append(fw)
    it = iter([fold(t).strip() for t in trail])
    return all(any(w == t for t in it) for w in collapsed)


def compare(store: Any, run_id: int, truth: dict[str, Any]) -> dict[str, Any]:
    from vigia.store.models import FAILED_OUTCOMES, Document, Incident, Page, PortalCrawl

    portals = {p["ine_code"]: p for p in truth["portals"]}
    report: dict[str, Any] = {
        "documents_reachable": 0,
        "documents_found": 0,
        "documents_found_right_trail": 0,
        "missing_examples": [],
        "wrong_trail_examples": [],
        "outcome_mismatches": [],
        "incident_mismatches": [],
        "failed_with_evidence": [],
        "requests_outside_allowed_hosts": 0,
        "outcomes": Counter(),
        "by_platform": {},
    }
    by_platform: dict[str, Counter[str]] = {}
    with store.session() as s:
        crawls = {
            pc.portal_key: pc for pc in s.scalars(select(PortalCrawl).where(PortalCrawl.run_id == run_id))
        }
        for code, t in portals.items():
            pc = crawls.get(code)
            if pc is None:
                report["outcome_mismatches"].append(
                    {"portal": code, "expected": t["expected_outcome"], "got": None}
                )
                continue
            report["outcomes"][pc.outcome] += 1
            if pc.outcome != t["expected_outcome"]:
                report["outcome_mismatches"].append(
                    {
                        "portal": code,
                        "expected": t["expected_outcome"],
                        "got": pc.outcome,
                        "reason": pc.outcome_reason,
                    }
                )
            kinds = set(s.scalars(select(Incident.kind).where(Incident.portal_crawl_id == pc.id)).all())
            missing_kinds = set(t["expected_incidents"]) - kinds
            if missing_kinds:
                report["incident_mismatches"].append(
                    {"portal": code, "missing": sorted(missing_kinds), "got": sorted(kinds)}
                )
            if t["expected_outcome"] in FAILED_OUTCOMES:
                has_pages = s.scalar(select(Page.id).where(Page.portal_crawl_id == pc.id).limit(1))
                has_docs = s.scalar(select(Document.id).where(Document.portal_crawl_id == pc.id).limit(1))
                if has_pages or has_docs or pc.outcome == "complete":
                    report["failed_with_evidence"].append(code)
            allowed = {t["url"].split("//", 1)[1].split("/", 1)[0]} | {
                f"{h}:{t['url'].rsplit(':', 1)[1].split('/', 1)[0]}" for h in t["document_hosts"]
            }
            for host, n in (pc.stats or {}).get("hosts_requested", {}).items():
                if host not in allowed:
                    report["requests_outside_allowed_hosts"] += n
            docs = {d.url: d for d in s.scalars(select(Document).where(Document.portal_crawl_id == pc.id))}
            counter = by_platform.setdefault(t["platform"], Counter())
            for d in t["documents"]:
                if not d["reachable"]:
                    continue
                report["documents_reachable"] += 1
                counter["reachable"] += 1
                doc = docs.get(d["url"])
                if doc is None:
                    if len(report["missing_examples"]) < 15:
                        report["missing_examples"].append(
                            {"portal": code, "url": d["url"], "trail": d["trail"]}
                        )
                    continue
                report["documents_found"] += 1
                counter["found"] += 1
                wanted = d["trail"][:-1]
                trails = [doc.trail] + [m.get("trail", []) for m in doc.mentions or []]
                label_ok = fold(d["label"]).strip() in fold(doc.label) or any(
                    fold(d["label"]).strip() in fold(m.get("label", "")) for m in doc.mentions or []
                )
                if label_ok and any(_subsequence(wanted, tr) for tr in trails):
                    report["documents_found_right_trail"] += 1
                    counter["right_trail"] += 1
                elif len(report["wrong_trail_examples"]) < 15:
                    report["wrong_trail_examples"].append(
                        {
                            "portal": code,
                            "url": d["url"],
                            "want": d["trail"],
                            "got": doc.trail,
                            "label": doc.label,
                        }
                    )
    report["by_platform"] = {k: dict(v) for k, v in by_platform.items()}
    report["outcomes"] = dict(report["outcomes"])
    reach = report["documents_reachable"] or 1
    report["found_pct"] = round(100 * report["documents_found"] / reach, 2)
    report["right_trail_pct"] = round(100 * report["documents_found_right_trail"] / reach, 2)
    return report


def link_graph(
    pages: list[tuple[str, str, str | None]], documents: list[tuple[str, str | None]]
) -> dict[str, Any]:
    """The links a pipeline crawl followed, for plain Scrapy to follow the same way.

    ``pages`` are ``(url, final_url, referer)``, ``documents`` ``(url, page_url)``. A fetched URL's parent
    is the page it was found on (a referer may be a page's URL after redirects); a URL whose parent was
    not fetched (a home page) is a root. A page the pipeline read through the browser is fetched as
    plain HTML by plain Scrapy, and its links follow it the same way. Every fetched URL appears once per
    fetch: the graph holds the same work.
    """
    alias: dict[str, str] = {}
    fetched: set[str] = set()
    for url, final_url, _referer in pages:
        alias.setdefault(url, url)
        alias.setdefault(final_url, url)
        fetched.add(url)

    def resolve(parent: str | None) -> str | None:
        if parent is None:
            return None
        node = alias.get(parent, parent)
        return node if node in fetched else None

    roots: list[str] = []
    children: dict[str, list[str]] = {}

    def attach(url: str, parent: str | None) -> None:
        node = resolve(parent)
        if node is None or node == url:
            roots.append(url)
        else:
            children.setdefault(node, []).append(url)

    for url, _final, referer in pages:
        attach(url, referer)
    for url, page_url in documents:
        attach(url, page_url)
    # a cycle of referers (not expected) would leave URLs that no root leads to: they start as roots
    while True:
        reached: set[str] = set()
        stack = list(roots)
        while stack:
            node = stack.pop()
            if node not in reached:
                reached.add(node)
                stack.extend(children.get(node, []))
        stranded = next((node for node in children if node not in reached), None)
        if stranded is None:
            break
        roots.extend(children.pop(stranded))
    return {"roots": roots, "children": children}


def plain_baseline(urls: list[str], work: Path) -> dict[str, Any]:
    path = work / "plain-urls.json"
    path.write_text(json.dumps(urls), encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "crawler.measure", "--plain-urls", str(path)],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        check=False,
    )
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = (
        json.loads(out.stdout.strip().splitlines()[-1])
        if out.stdout.strip()
        else {"error": out.stderr[-500:]}
    )
    result["wall_seconds_with_startup"] = round(seconds, 2)
    result["child_cpu_seconds"] = round(
        (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
    )
    return result


def _run_plain(urls_file: str, overrides: dict[str, Any] | None = None) -> None:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler import settings as defaults
    from crawler.spiders.plain import PlainSpider

    work = json.loads(Path(urls_file).read_text(encoding="utf-8"))
    settings = Settings()
    settings.setmodule(defaults, priority="project")
    for key in ("DOWNLOADER_MIDDLEWARES", "DOWNLOAD_HANDLERS"):
        settings.set(key, {}, priority="cmdline")
    settings.set("HTTPCACHE_ENABLED", False, priority="cmdline")
    settings.set("ROBOTSTXT_OBEY", False, priority="cmdline")
    settings.set("TWISTED_DNS_RESOLVER", "scrapy.resolver.CachingThreadedResolver", priority="cmdline")
    # plain Scrapy's own stats collector (the pipeline's works around its attribute hook: crawler/compat.py)
    settings.set("STATS_CLASS", "scrapy.statscollectors.MemoryStatsCollector", priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    process = CrawlerProcess(settings, install_root_handler=False)
    crawler = process.create_crawler(PlainSpider)
    if isinstance(work, dict):  # a recorded link graph: follow the same links
        process.crawl(crawler, graph=work)
    else:  # a flat list, everything requested from the start
        process.crawl(crawler, urls=work)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    process.start()
    seconds = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    spider = crawler.spider
    fetched = spider.fetched if spider else 0
    print(
        json.dumps(
            {
                "pages": fetched,
                "failed": spider.failed_count if spider else 0,
                "seconds": round(seconds, 2),
                "pages_per_second": round(fetched / seconds, 1) if seconds else None,
                "cpu_seconds": round(cpu, 2),
                "cpu_ms_per_page": round(1000 * cpu / fetched, 2) if fetched else None,
            }
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(description="Mide el rastreador contra una flota simulada.")
    ap.add_argument("--fleet", type=Path)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--nights", type=int, default=2)
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--only", default=None, help="códigos INE separados por comas")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--plain-urls", default=None)
    ap.add_argument("--set", action="append", default=[], help="ajuste de Scrapy CLAVE=VALOR")
    args = ap.parse_args()
    overrides: dict[str, Any] = {}
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            overrides[key] = json.loads(value)
        except ValueError:
            overrides[key] = value
    if args.plain_urls:
        _run_plain(args.plain_urls, overrides)
        return 0
    if not args.fleet or not args.work:
        ap.error("--fleet y --work son obligatorios")
    from crawler.api import crawl_municipalities
    from vigia.registry import load_registry
    from vigia.registry import select as select_rows
    from vigia.store import open_store
    from vigia.store.models import Page

    rows = load_registry(args.fleet / "registry.csv")
    if args.only:
        rows = select_rows(rows, only=args.only.split(","))
    truth = json.loads((args.fleet / "truth.json").read_text(encoding="utf-8"))
    if args.only:
        wanted = set(args.only.split(","))
        truth["portals"] = [p for p in truth["portals"] if p["ine_code"] in wanted]
    args.work.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{args.work / 'vigia.db'}", args.work / "data")
    result: dict[str, Any] = {"portals": len(rows)}
    nights = []
    for night in range(1, args.nights + 1):
        summary = crawl_municipalities(store, rows, allow_private=True, kind="crawl", settings=overrides)
        nights.append(
            {
                "night": night,
                "run_id": summary.run_id,
                "seconds": round(summary.seconds, 1),
                "pages": summary.pages,
                "documents": summary.documents,
                "requests": summary.requests,
                "bytes": summary.bytes,
                "not_modified": summary.not_modified,
                "cpu_seconds": round(summary.cpu_seconds, 1),
                "pages_per_second": round(summary.pages / summary.seconds, 1) if summary.seconds else None,
                "cpu_ms_per_page": round(1000 * summary.cpu_seconds / summary.pages, 2)
                if summary.pages
                else None,
                "outcomes": dict(summary.outcomes),
            }
        )
        print(json.dumps(nights[-1], ensure_ascii=False), flush=True)
        if night == 1:
            result["comparison"] = compare(store, summary.run_id, truth)
            print(
                json.dumps(
                    {k: v for k, v in result["comparison"].items() if "examples" not in k}, ensure_ascii=False
                ),
                flush=True,
            )
    result["nights"] = nights
    if len(nights) >= 2 and nights[0]["bytes"]:
        result["second_night_bytes_ratio"] = round(nights[1]["bytes"] / nights[0]["bytes"], 4)
    if args.plain:
        with store.session() as s:
            urls = list(
                s.scalars(
                    select(Page.final_url)
                    .join(Page.portal)
                    .where(Page.portal.has(run_id=nights[0]["run_id"]), Page.rendered.is_(False))
                )
            )
        result["plain_scrapy"] = plain_baseline(urls, args.work)
    text = json.dumps(result, ensure_ascii=False, indent=2, default=str)
    if args.json:
        args.json.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    sys.exit(main())
