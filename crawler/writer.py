"""Writing one portal's evidence to the store, in one transaction, when the portal finishes.

A portal whose crawl failed (``unreachable``, ``blocked``, ``disallowed``) gets its ``PortalCrawl`` row and
its incidents only: no page or document is stored as if the crawl had succeeded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from crawler.state import PortalState, utcnow
from vigia.store import Store
from vigia.store.models import Blob, Document, Incident, Page, PortalCrawl

FAILED_OUTCOMES = {"unreachable", "blocked", "disallowed"}


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
            outcome_reason=reason,
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
        if not failed:
            s.add_all(Page(portal_crawl_id=pc.id, **page) for page in st.pages.values())
            s.add_all(Document(portal_crawl_id=pc.id, **_doc_columns(doc)) for doc in st.documents.values())
        s.add_all(Incident(portal_crawl_id=pc.id, **inc) for inc in st.incidents)
        if st.blobs:
            known = set(s.scalars(select(Blob.sha256).where(Blob.sha256.in_(list(st.blobs)))).all())
            s.add_all(
                Blob(sha256=sha, size=size, content_type=(ctype or "")[:128] or None)
                for sha, (size, ctype) in st.blobs.items()
                if sha not in known
            )
        pc_id = pc.id
    return pc_id, outcome


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
