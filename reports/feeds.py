"""Atom feeds of the site: the country's, one per department, one per municipality.

Each entry is one change between two consecutive nights (the reading of
:func:`reports.views.portal_changes`, the same as the report's "changes since the previous night"): a
numeral whose status changed, a band change, a portal that went down or came back. Entries link to the
municipality's checklist at the numeral, where the evidence is listed; for the newest night an entry
about a numeral also links to the evidence itself (the archived copy in the site, else the live URL).

Feeds cover the last :data:`FEED_NIGHTS` nights. They are built with lxml (feedgen 1.0.0 drops the
``rel`` of an entry's links, so an entry could not carry both its checklist and its evidence)::

    atom/pais.xml               the whole country
    atom/departamento-NN.xml    one per department (all 22, empty ones too)
    atom/municipio-XXXX.xml     one per municipality evaluated in the run
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from reports import fmt, views
from reports.loader import PortalRow, RunData, load_run, previous_run_id
from vigia.registry import DEPARTMENTS
from vigia.store.db import Store

#: Nights of changes a feed carries (newest first); older nights are in the readers' own history.
FEED_NIGHTS = 7
#: Entries per feed at most (newest first): a night that changes everything does not make a huge file.
MAX_ENTRIES = 500
FOLDER = "atom"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str
    night: dt.date
    updated: dt.datetime
    department: str
    feed_key: str  # municipio-XXXX
    title: str
    summary: str
    link: str  # relative to the site's root
    evidence: str | None  # relative (archived copy) or absolute (live URL)
    sort_key: tuple[str, ...]


def nights(store: Store, current: RunData, previous: RunData | None, as_of: dt.date) -> list[RunData]:
    """The current run, the previous night, and older nights (without evidence), newest first."""
    result = [current]
    if previous is None:
        return result
    result.append(previous)
    while len(result) < FEED_NIGHTS + 1:
        older = previous_run_id(store, result[-1].run.id)
        if older is None:
            break
        result.append(load_run(store, older, as_of, with_details=False))
    return result


def _night(run: RunData) -> dt.date:
    dates = [p.evaluation.as_of for p in run.portals if p.evaluation]
    if dates:
        return max(set(dates), key=lambda d: (dates.count(d), d))
    local = fmt.local_time(run.run.started_at)
    return local.date() if local else dt.date.min


def _stamp(run: RunData) -> dt.datetime:
    started = run.run.started_at or dt.datetime(1970, 1, 1)
    return started.replace(tzinfo=dt.UTC) if started.tzinfo is None else started


def _evidence(portal: PortalRow, rule: str, archived: dict[str, str]) -> str | None:
    for f in portal.findings:
        if f.rule != rule:
            continue
        for e in f.evidence:
            if e.sha256 and e.sha256 in archived:
                return archived[e.sha256]
            href = fmt.safe_href(e.url)
            if href:
                return href
    return None


def entries(runs: Sequence[RunData], archived: dict[str, str]) -> list[FeedEntry]:
    """One entry per change between each pair of consecutive nights in ``runs`` (newest first)."""
    result: list[FeedEntry] = []
    for pair, (newer, older) in enumerate(zip(runs, runs[1:], strict=False)):
        night = _night(newer)
        stamp = _stamp(newer)
        before = {p.portal_key: p for p in older.portals}
        for p in newer.portals:
            prev = before.get(p.portal_key)
            if prev is None:
                continue
            href = views.checklist_file_name(p)
            key = href.removeprefix("municipio/").removesuffix(".html")
            changes = views.portal_changes(prev, p, href)
            name = f"{fmt.clean_text(p.municipality, 120)} ({p.department})"

            found: list[tuple[str, str, str, str, str | None]] = []  # what, title, summary, link, evidence
            if changes.went_down:
                c = changes.went_down
                found.append(
                    (
                        "portal",
                        f"{name}: el portal dejó de responder ({c.before} → {c.after})",
                        c.detail
                        or "El portal no respondió esta noche; sus numerales figuran como «No verificable».",
                        href,
                        None,
                    )
                )
            if changes.came_back:
                c = changes.came_back
                found.append(
                    (
                        "portal",
                        f"{name}: el portal vuelve a responder ({c.before} → {c.after})",
                        "",
                        href,
                        None,
                    )
                )
            if changes.band_change:
                c = changes.band_change
                found.append(("banda", f"{name}: banda del PDH {c.before} → {c.after}", "", href, None))
            reasons = {f.rule: f.reason for f in p.findings}
            items = [*changes.regressed, *changes.improved]
            if not (
                changes.went_down or changes.came_back
            ):  # else every numeral moved to/from No verificable
                items.extend(changes.other)
            for i in items:
                found.append(
                    (
                        i.rule,
                        f"{name}, numeral {int(i.rule[-2:])} ({i.item}): {i.before} → {i.after}",
                        fmt.clean_text(reasons.get(i.rule), 600),
                        i.href or href,
                        _evidence(p, i.rule, archived) if pair == 0 else None,
                    )
                )
            for what, title, summary, link, evidence in found:
                result.append(
                    FeedEntry(
                        id=f"urn:vigia:cambio:{night.isoformat()}:{p.portal_key}:{what}",
                        night=night,
                        updated=stamp,
                        department=p.department,
                        feed_key=f"municipio-{key}",
                        title=title,
                        summary=summary,
                        link=link,
                        evidence=evidence,
                        sort_key=(
                            night.isoformat(),
                            p.department,
                            p.municipality.casefold(),
                            p.portal_key,
                            "1" if what.startswith("LAIP") else "0",
                            what,
                        ),
                    )
                )
    result.sort(key=lambda e: e.sort_key)
    result.sort(key=lambda e: e.night, reverse=True)
    return result


ATOM = "http://www.w3.org/2005/Atom"
#: Characters XML 1.0 cannot carry at all (portal text may hold them): dropped, never an error.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _NOT_XML.sub("", v) for k, v in attrs.items()})
    if text is not None:
        node.text = _NOT_XML.sub("", text)
    return node


def _feed(
    feed_id: str, title: str, file_name: str, alternate: str, items: Sequence[FeedEntry], updated: dt.datetime
) -> bytes:
    """One Atom 1.0 document (RFC 4287), built with lxml: every text is escaped by the serializer."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "es")
    _el(root, "id", feed_id)
    _el(root, "title", title)
    _el(
        root,
        "subtitle",
        "Cambios noche a noche en la información pública de oficio (LAIP, art. 10) según Vigía",
    )
    _el(root, "updated", updated.isoformat())
    _el(_el(root, "author"), "name", "Vigía")
    _el(root, "link", href=file_name.removeprefix(f"{FOLDER}/"), rel="self", type="application/atom+xml")
    _el(root, "link", href=f"../{alternate}", rel="alternate", type="text/html")
    _el(root, "generator", "Vigía")
    for item in items[:MAX_ENTRIES]:
        entry = _el(root, "entry")
        _el(entry, "id", item.id)
        _el(entry, "title", item.title)
        _el(entry, "updated", item.updated.isoformat())
        _el(entry, "link", href=f"../{item.link}", rel="alternate", type="text/html")
        if item.evidence:
            href = item.evidence if "://" in item.evidence else f"../{item.evidence}"
            _el(entry, "link", href=href, rel="related", title="Evidencia")
        if item.summary:
            _el(entry, "summary", item.summary)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def write_feeds(out_dir: Path, runs: Sequence[RunData], archived: dict[str, str]) -> int:
    """Write every feed of the site; returns how many files were written."""
    folder = out_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    items = entries(runs, archived)
    updated = _stamp(runs[0])
    by_department: dict[str, list[FeedEntry]] = defaultdict(list)
    by_portal: dict[str, list[FeedEntry]] = defaultdict(list)
    for item in items:
        by_department[item.department].append(item)
        by_portal[item.feed_key].append(item)
    files: dict[str, bytes] = {
        f"{FOLDER}/pais.xml": _feed(
            "urn:vigia:feed:pais",
            "Vigía — cambios en los portales municipales de Guatemala",
            "pais.xml",
            "index.html",
            items,
            updated,
        )
    }
    for code, department in sorted(DEPARTMENTS.items()):
        name = f"{FOLDER}/departamento-{code}.xml"
        files[name] = _feed(
            f"urn:vigia:feed:departamento:{code}",
            f"Vigía — cambios en {department}",
            name,
            "index.html",
            by_department.get(department, []),
            updated,
        )
    for p in runs[0].portals:
        href = views.checklist_file_name(p)
        key = href.removeprefix("municipio/").removesuffix(".html")
        name = views.feed_file_name(p)
        title = f"Vigía — cambios en el portal de {fmt.clean_text(p.municipality, 120)} ({p.department})"
        files[name] = _feed(
            f"urn:vigia:feed:municipio:{p.portal_key}",
            title,
            name,
            href,
            by_portal.get(f"municipio-{key}", []),
            updated,
        )
    for name, body in files.items():
        (out_dir / name).write_bytes(body)
    return len(files)
