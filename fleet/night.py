"""The "next night": a known subset of the fleet changes, and the truth follows.

Changes (each on about 3 % of the portals, at least one each when the fleet allows it):
- ``new_month``: an outdated monthly numeral publishes the required month (outdated -> present), and a
  present one publishes one more month (status unchanged, the page changes);
- ``item_removed``: a present numeral loses all its documents (its heading stays, empty: -> absent);
- ``portal_down``: a complete portal stops listening (-> unreachable, connection refused);
- ``portal_back``: an unreachable portal answers again (-> complete).
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Any

from fleet import catalog, families
from fleet.documents import publication_date
from fleet.generate import _doc_path, _filename, _period_month, doc_label, group_of, numeral_heading
from fleet.model import FAILURES


def _monthly_docs(portal: dict[str, Any], n: str) -> list[dict[str, Any]]:
    ids = portal["numerals"][n].get("doc_ids", [])
    by_id = {d["id"]: d for d in portal["documents"]}
    return [by_id[i] for i in ids if by_id[i]["period_kind"] == "month" and by_id[i]["status"] == 200]


def _publish_month(portal: dict[str, Any], n: str, year: int, month: int, as_of: dt.date) -> dict[str, Any]:
    plan = portal["numerals"][n]
    template = _monthly_docs(portal, n)[-1]
    period = _period_month(year, month)
    doc = dict(template)
    ext = template["filename"].rsplit(".", 1)[-1]
    doc.update(
        id=f"d{len(portal['documents']) + 2000}",
        period=period["period"],
        period_label=period["period_label"],
        year=year,
        month=month,
        filename=_filename(portal["naming"], int(n), period, ext, 0),
        label=doc_label(portal, portal["label_style"], int(n), period, template["title"]),
        status=200,
    )
    families.shift_doc(portal, doc)
    if doc["nog"]:
        rng = random.Random(f"nog:{portal['ine_code']}:{doc['id']}")
        doc["nog"] = [str(rng.randint(10_000_000, 29_999_999)) for _ in doc["nog"]]
        if doc["host"] == "compras":
            doc["label"] = f"NOG {doc['nog'][0]} - Concurso {period['period_label']}"
    doc.pop("published", None)
    doc["published"] = publication_date(doc, as_of).isoformat()
    doc["trail"] = [t for t in template.get("trail", []) if t != group_of(portal, template)]
    if group_of(portal, doc):
        doc["trail"].append(group_of(portal, doc))
    doc["url_path"] = _doc_path(portal, doc)
    portal["documents"].append(doc)
    plan["doc_ids"].append(doc["id"])
    plan["periods"].append(period)
    plan["period"] = period["period"]
    plan["status"] = "present"
    plan["note"] = f"Publicado hasta {period['period_label']} (publicado la segunda noche)."
    return doc


def next_night(spec: dict[str, Any], seed: int | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the next night's spec and the list of changes applied."""
    new = copy.deepcopy(spec)
    night = int(spec.get("night", 1)) + 1
    as_of = dt.date.fromisoformat(spec["as_of"]) + dt.timedelta(days=1)
    rng = random.Random(f"night:{spec['seed'] if seed is None else seed}:{night}")
    new["night"] = night
    new["as_of"] = as_of.isoformat()
    stamp = dt.datetime.combine(as_of, dt.time(1, 0)).strftime("%Y-%m-%dT%H:%M:%SZ")
    portals = new["portals"]
    count = max(1, round(0.03 * len(portals)))
    changes: list[dict[str, Any]] = []
    touched: set[str] = set()
    ry, rm = catalog.required_month(as_of)

    def pick(candidates: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
        free = [p for p in candidates if p["ine_code"] not in touched]
        chosen = rng.sample(free, k=min(k, len(free)))
        touched.update(p["ine_code"] for p in chosen)
        return chosen

    healthy = [p for p in portals if p["failure"] is None]
    # new month: outdated -> present
    stale = [
        p
        for p in healthy
        if any(
            pl["status"] == "outdated"
            and pl["mode"] == "docs"
            and _monthly_docs(p, n)
            and int(n) in catalog.MONTHLY
            for n, pl in p["numerals"].items()
        )
    ]
    for p in pick(stale, count):
        n = next(
            n
            for n, pl in p["numerals"].items()
            if pl["status"] == "outdated"
            and pl["mode"] == "docs"
            and _monthly_docs(p, n)
            and int(n) in catalog.MONTHLY
        )
        doc = _publish_month(p, n, ry, rm, as_of)
        changes.append(
            {
                "ine_code": p["ine_code"],
                "change": "new_month",
                "numeral": int(n),
                "period": doc["period"],
                "status": "outdated -> present",
            }
        )
        p["modified"] = stamp
    # new month on a current series: status unchanged, the page changes
    ny, nm = catalog.add_months(ry, rm, 1)
    if catalog.month_end(ny, nm) < as_of - dt.timedelta(days=3):
        current = [
            p
            for p in healthy
            if any(
                pl["status"] == "present"
                and pl.get("period") == catalog.month_key(ry, rm)
                and _monthly_docs(p, n)
                for n, pl in p["numerals"].items()
            )
        ]
        for p in pick(current, count):
            n = next(
                n
                for n, pl in p["numerals"].items()
                if pl["status"] == "present"
                and pl.get("period") == catalog.month_key(ry, rm)
                and _monthly_docs(p, n)
            )
            doc = _publish_month(p, n, ny, nm, as_of)
            changes.append(
                {
                    "ine_code": p["ine_code"],
                    "change": "new_month",
                    "numeral": int(n),
                    "period": doc["period"],
                    "status": "present -> present",
                }
            )
            p["modified"] = stamp
    # item removed: present -> absent (empty heading)
    with_docs = [
        p
        for p in healthy
        if any(pl["status"] == "present" and pl["mode"] == "docs" for pl in p["numerals"].values())
    ]
    for p in pick(with_docs, count):
        n = next(n for n, pl in p["numerals"].items() if pl["status"] == "present" and pl["mode"] == "docs")
        plan = p["numerals"][n]
        removed = set(plan["doc_ids"])
        p["documents"] = [d for d in p["documents"] if d["id"] not in removed]
        plan.update(status="absent", mode="empty", doc_ids=[], periods=[], period=None)
        plan["hard_cases"] = sorted({*plan["hard_cases"], "empty_accordion", "removed_next_night"})
        plan["note"] = f"La sección del numeral quedó vacía la segunda noche ({numeral_heading(p, int(n))})."
        changes.append(
            {
                "ine_code": p["ine_code"],
                "change": "item_removed",
                "numeral": int(n),
                "status": "present -> absent",
            }
        )
        p["modified"] = stamp
    # a portal goes down
    plain = [p for p in healthy if not p["quirks"] and p["ine_code"] not in touched]
    for p in pick(plain or healthy, count):
        p["failure"] = "connection_refused"
        changes.append(
            {"ine_code": p["ine_code"], "change": "portal_down", "outcome": "complete -> unreachable"}
        )
    # a portal comes back
    down = [p for p in portals if p["failure"] and FAILURES[p["failure"]][0] == "unreachable"]
    for p in pick(down, count):
        p["failure"] = None
        p["modified"] = stamp
        changes.append(
            {"ine_code": p["ine_code"], "change": "portal_back", "outcome": "unreachable -> complete"}
        )
    new["changes"] = changes
    return new, changes
