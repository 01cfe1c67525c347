"""Writing one portal's evidence to the store, in one transaction, when the portal finishes.

A portal whose crawl failed (``unreachable``, ``blocked``, ``disallowed``) gets its ``PortalCrawl`` row and
its incidents only: no page or document is stored as if the crawl had succeeded.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, insert, select

from crawler.state import PortalState, utcnow
from vigia.store import Store
from vigia.store.models import FAILED_OUTCOMES, Blob, Document, Incident, Page, PortalCrawl

#: NUL and the other C0 control characters (tab, newline and carriage return kept) and DEL: PostgreSQL
#: refuses NUL in text, and none of them is evidence a reader can see
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: Any) -> Any:
    """``value`` with control characters stripped from every string in it (dicts and lists walked).
    A regular expression finds them (``str.translate`` cost 10 times more on a page's text)."""
    if isinstance(value, str):
        return _CONTROL.sub("", value) if _CONTROL.search(value) else value
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def clear_unfinished(store: Store, run_id: int) -> int:
    """Delete the run's portal crawls that never finished (resume: they are crawled again)."""
    with store.session() as s:
        rows = s.scalars(
            select(PortalCrawl).where(PortalCrawl.run_id == run_id, PortalCrawl.outcome.is_(None))
        ).all()
        for row in rows:
            s.delete(row)
        return len(rows)


def finished_keys(store: Store, run_id: int) -> set[str]:
    with store.session() as s:
        return set(
            s.scalars(
                select(PortalCrawl.portal_key).where(
                    PortalCrawl.run_id == run_id, PortalCrawl.outcome.is_not(None)
                )
            ).all()
        )


def write_portal(store: Store, run_id: int, st: PortalState) -> tuple[int, str]:
    """Store the portal's crawl; return (PortalCrawl.id, outcome)."""
    outcome, reason = st.outcome()
    failed = outcome in FAILED_OUTCOMES
    muni = st.municipality
    with store.session() as s:
        s.execute(delete(PortalCrawl).where(PortalCrawl.run_id == run_id, PortalCrawl.portal_key == st.key))
        pc = PortalCrawl(
            run_id=run_id,
            portal_key=st.key,
            ine_code=muni.get("ine_code"),
            municipality=muni.get("municipality"),
            department=muni.get("department"),
            portal_url=st.start_url,
            platform_declared=st.platform_declared,
            platform_observed=st.platform_observed,
            rendered_with_browser=st.rendered_with_browser,
            transparency_url=None if failed else st.transparency_url,
            outcome=outcome,
            outcome_reason=clean(reason),
            started_at=st.started_at,
            finished_at=utcnow(),
            pages_count=0 if failed else len(st.pages),
            documents_count=0 if failed else len(st.documents),
            requests_count=st.requests,
            bytes_received=st.bytes,
            not_modified_count=st.not_modified,
            stats=st.stats(),
        )
        s.add(pc)
        s.flush()
        # Core INSERTs, one executemany per table and set of columns: the unit of work's per-object
        # bookkeeping cost more than the rows themselves on a night of 26 000 rows, and the ORM's bulk
        # path still walked every row through the mapper (14 % of an unchanged night's crawl processes,
        # with the blobs' multi-row VALUES below, compiled again for every portal)
        if not failed and st.pages:
            _insert_rows(s, Page, [{"portal_crawl_id": pc.id, **clean(page)} for page in st.pages.values()])
        if not failed and st.documents:
            _insert_rows(
                s,
                Document,
                [{"portal_crawl_id": pc.id, **clean(_doc_columns(doc))} for doc in st.documents.values()],
            )
        if st.incidents:
            _insert_rows(s, Incident, [{"portal_crawl_id": pc.id, **clean(inc)} for inc in st.incidents])
        if st.blobs:
            _add_blobs(s, st.blobs)
        pc_id = pc.id
    return pc_id, outcome


def _insert_rows(s: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` into ``model``'s table: one executemany of one cached statement per set of keys
    (an executemany takes its columns from its first row)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    table = model.__table__
    for group in groups.values():
        s.execute(insert(table), group)


def _add_blobs(s: Any, blobs: dict[str, tuple[int, str | None]]) -> None:
    """Index rows of the portal's blobs; another crawl process may add the same blob at the same time,
    so an existing row is skipped by the database itself where it can (SQLite, PostgreSQL)."""
    rows = [
        {"sha256": sha, "size": size, "content_type": (ctype or "")[:128] or None, "first_seen": utcnow()}
        for sha, (size, ctype) in blobs.items()
    ]
    dialect = s.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as upsert
        else:
            from sqlalchemy.dialects.postgresql import insert as upsert
        # one statement, compiled once and cached, run as an executemany (a multi-row VALUES of up to 500
        # rows was compiled again for every portal)
        s.execute(upsert(Blob.__table__).on_conflict_do_nothing(index_elements=["sha256"]), rows)
        return
    known = set(s.scalars(select(Blob.sha256).where(Blob.sha256.in_(list(blobs)))).all())
    s.add_all(Blob(**row) for row in rows if row["sha256"] not in known)


_DOC_COLUMNS = {
    "url",
    "final_url",
    "label",
    "page_url",
    "trail",
    "mentions",
    "host",
    "external",
    "doc_type",
    "fetched",
    "status",
    "content_type",
    "size",
    "last_modified",
    "sha256",
    "text",
    "dates",
    "page_count",
    "is_scanned",
    "error",
    "fetched_at",
}


def _doc_columns(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k in _DOC_COLUMNS}
