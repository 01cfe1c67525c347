"""Ground truth derived from a fleet spec, and its make-up (shares of statuses, platforms, failures)."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

from checks.facts import FAILED_OUTCOMES
from checks.registry import NUMERAL_RULES
from fleet.model import (
    COMPRAS_HOST,
    DRIVE_HOST,
    FAILURES,
    PRIVATE_REDIRECT_TARGET,
    QUIRKS,
)

#: Numerals that ask for norms (1: "incluyendo su marco normativo", 6: manuals), as their rules declare.
NORM_NUMERALS = frozenset(r.numeral for r in NUMERAL_RULES if r.accepts_norms)


def doc_url(spec: dict[str, Any], portal: dict[str, Any], doc: dict[str, Any]) -> str:
    port = spec["base_port"]
    if doc["host"] == "compras":
        return f"http://{COMPRAS_HOST}:{port}{doc['url_path']}"
    if doc["host"] == "drive":
        return f"http://{DRIVE_HOST}:{port}{doc['url_path']}"
    return f"http://{portal['host']}:{port}{doc['url_path']}"


def page_url(portal: dict[str, Any], path: str) -> str:
    return f"http://{portal['host']}:{portal['port']}{quote(path, safe='/?=&-_.~%')}"


def portal_truth(spec: dict[str, Any], portal: dict[str, Any]) -> dict[str, Any]:
    failure = portal["failure"]
    outcome, incidents = FAILURES[failure] if failure else ("complete", ())
    kinds = set(incidents)
    reachable_crawl = outcome in ("complete", "partial")
    if reachable_crawl:
        for q in portal["quirks"]:
            kinds.update(QUIRKS[q])
    failing_pages = {pg["path"] for pg in portal["pages"] if pg.get("fail")}
    docs_by_id = {d["id"]: d for d in portal["documents"]}
    numerals: dict[str, Any] = {}
    documents: list[dict[str, Any]] = []
    for key, plan in portal["numerals"].items():
        planted = plan["status"]
        behind_failure = plan.get("page") in failing_pages
        unverified = outcome in FAILED_OUTCOMES or (
            outcome == "partial" and (behind_failure or planted == "absent")
        )
        status = "unverified" if unverified else planted
        hard = list(plan["hard_cases"])
        if behind_failure:
            hard.append("behind_failing_page")
        note = plan["note"]
        if status == "unverified" and outcome != "complete":
            note = f"No verificable (rastreo {outcome}). {note}".strip()
        numerals[key] = {
            "status": status,
            "planted_status": planted,
            "period": plan.get("period") if status in ("present", "outdated") else None,
            "hard_cases": sorted(set(hard)),
            "note": note,
            "evidence": plan["mode"],
        }
        for did in plan.get("doc_ids", []):
            d = docs_by_id[did]
            reachable = reachable_crawl and d["status"] == 200 and not behind_failure
            if d["status"] == 404 and reachable_crawl and not behind_failure:
                kinds.add("http_404")
            documents.append(
                {
                    "url": doc_url(spec, portal, d),
                    "numeral": int(key),
                    "page_url": page_url(portal, d["page"]) if d.get("page") else None,
                    "trail": [*d.get("trail", []), d["label"]],
                    "label": d["label"],
                    "type": d["type"],
                    "reachable": reachable,
                    "period": d["period"],
                    "http_status": d["status"],
                    "host": d["host"],
                    "nog": d["nog"],
                    "huge": bool(d.get("huge")),
                    # a regulation, law, form or guide is evidence only for the numerals that ask for norms
                    "evidence": d.get("text_kind") != "norm" or int(key) in NORM_NUMERALS,
                }
            )
    hosts = sorted(
        {
            COMPRAS_HOST if d["host"] == "compras" else DRIVE_HOST
            for d in portal["documents"]
            if d["host"] != "portal"
        }
    )
    pages = (
        [page_url(portal, pg["path"]) for pg in portal["pages"] if not pg.get("fail")]
        if reachable_crawl
        else []
    )
    return {
        "ine_code": portal["ine_code"],
        "municipality": portal["municipality"],
        "department": portal["department"],
        "url": portal["url"],
        "host": portal["host"],
        "platform": portal["platform"],
        "declared_platform": portal["declared_platform"],
        "render": portal["render"],
        "declared_render": portal["declared_render"],
        "failure": failure,
        "quirks": portal["quirks"],
        "expected_outcome": outcome,
        "expected_incidents": sorted(kinds),
        "document_hosts": hosts,
        "hard_cases": portal["hard_cases"],
        "families": portal.get("families", []),
        "section_depth": portal["section_depth"],
        "section_labels": portal["section_labels"],
        "numerals": numerals,
        "documents": documents,
        "pages": pages,
    }


def build_truth(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "seed": spec["seed"],
        "as_of": spec["as_of"],
        "night": spec["night"],
        "document_hosts": [h["url"] for h in spec["document_hosts"].values()],
        "private_redirect_targets": [PRIVATE_REDIRECT_TARGET],
        "portals": [portal_truth(spec, p) for p in spec["portals"]],
    }


def makeup(truth: dict[str, Any]) -> dict[str, Any]:
    """Counts and shares for `vigia fleet truth`."""
    portals = truth["portals"]
    statuses: Counter[str] = Counter()
    planted: Counter[str] = Counter()
    hard: Counter[str] = Counter()
    doc_types: Counter[str] = Counter()
    for p in portals:
        for entry in p["numerals"].values():
            statuses[entry["status"]] += 1
            planted[entry["planted_status"]] += 1
            hard.update(entry["hard_cases"])
        hard.update(p["hard_cases"])
        doc_types.update(d["type"] for d in p["documents"])
    quirks: Counter[str] = Counter(q for p in portals for q in p["quirks"])
    return {
        "night": truth["night"],
        "as_of": truth["as_of"],
        "portals": len(portals),
        "outcomes": dict(Counter(p["expected_outcome"] for p in portals)),
        "platforms": dict(Counter(p["platform"] for p in portals)),
        "failures": dict(Counter(p["failure"] or "none" for p in portals)),
        "quirks": dict(quirks),
        "statuses": dict(statuses),
        "planted_statuses": dict(planted),
        "hard_cases": dict(hard),
        "families": dict(Counter(f for p in portals for f in p.get("families", []))),
        "documents": sum(len(p["documents"]) for p in portals),
        "documents_reachable": sum(1 for p in portals for d in p["documents"] if d["reachable"]),
        "document_types": dict(doc_types),
        "pages": sum(len(p["pages"]) for p in portals),
    }
