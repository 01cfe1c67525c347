"""Build a :class:`PortalSnapshot` from a plain dict (rule case files, tests, fixtures).

Links in page blocks that point to documents get a ``Document`` automatically (status 200, type
from the extension) unless ``documents`` describes them, as the crawler would record them.
"""

from __future__ import annotations

from typing import Any

from checks.model import Block, DocumentSnap, IncidentSnap, Link, Mention, PageSnap, PortalSnapshot
from checks.text import url_host
from vigia.doctypes import looks_like_document


def _page(d: dict[str, Any]) -> PageSnap:
    blocks = tuple(
        Block(
            headings=tuple(b.get("headings") or ()),
            text=b.get("text") or "",
            links=tuple(Link(url=li["url"], label=li.get("label") or "") for li in b.get("links") or ()),
        )
        for b in d.get("blocks") or ()
    )
    return PageSnap(
        url=d["url"],
        final_url=d.get("final_url") or d["url"],
        status=int(d.get("status", 200)),
        title=d.get("title") or "",
        trail=tuple(d.get("trail") or ()),
        blocks=blocks,
        text=d.get("text") or " ".join(b.text for b in blocks),
    )


def _document(d: dict[str, Any], page_url: str | None = None) -> DocumentSnap:
    url = d["url"]
    return DocumentSnap(
        url=url,
        label=d.get("label") or "",
        page_url=d.get("page_url") or page_url,
        trail=tuple(d.get("trail") or ()),
        mentions=tuple(
            Mention(m.get("page_url") or "", m.get("label") or "", tuple(m.get("trail") or ()))
            for m in d.get("mentions") or ()
        ),
        host=d.get("host") or url_host(url),
        external=bool(d.get("external", False)),
        doc_type=d.get("doc_type") or looks_like_document(url) or "other",
        fetched=bool(d.get("fetched", True)),
        status=d.get("status", 200),
        text=d.get("text") or "",
        dates=tuple(d.get("dates") or ()),
        is_scanned=d.get("is_scanned"),
        error=d.get("error"),
        sha256=d.get("sha256"),
        final_url=d.get("final_url"),
    )


def snapshot_from_dict(data: dict[str, Any]) -> PortalSnapshot:
    pages = tuple(_page(p) for p in data.get("pages") or ())
    documents: dict[str, DocumentSnap] = {}
    for d in data.get("documents") or ():
        documents[d["url"]] = _document(d)
    for page in pages:
        for block in page.blocks:
            for link in block.links:
                if link.url not in documents and looks_like_document(link.url):
                    documents[link.url] = _document(
                        {
                            "url": link.url,
                            "label": link.label,
                            "trail": [*page.trail, *block.headings],
                            "external": url_host(link.url) != url_host(page.url),
                        },
                        page.url,
                    )
    portal_url = data.get("portal_url") or (pages[0].url if pages else "https://muni.example.gob.gt/")
    return PortalSnapshot(
        portal_url=portal_url,
        outcome=data.get("outcome", "complete"),
        outcome_reason=data.get("outcome_reason"),
        pages_count=int(data.get("pages_count", len(pages))),
        documents_count=int(data.get("documents_count", len(documents))),
        pages=pages,
        documents=tuple(documents.values()),
        incidents=tuple(
            IncidentSnap(i.get("kind", ""), i.get("url"), i.get("message", ""))
            for i in data.get("incidents") or ()
        ),
        ine_code=data.get("ine_code"),
    )
