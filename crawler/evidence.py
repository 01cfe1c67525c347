"""Evidence read from an answer: a page's record, a document's metadata, and the answers that are not
evidence at all (an HTTP error, a body over the size cap, an empty body, a browser error page or a page
that ended outside the portal), recorded as the crawler failures they are (crawler/outcomes.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from scrapy.http import Request, Response, TextResponse

from crawler.documents import doc_type_from_content_type
from crawler.htmlparse import ParsedPage, parse_html
from crawler.items import DocumentItem
from crawler.middlewares import netloc_of
from crawler.outcomes import record_failure, status_problem
from crawler.state import PortalState, canonical_url, utcnow

PAGE_TEXT_LIMIT = 50_000


def answer_problem(
    st: PortalState, response: Response, kind: str, root: bool, in_section: bool, asked: str, maxsize: int
) -> bool:
    """Record an answer that cannot be a page of the portal; ``True`` if it was one."""
    if "download_stopped" in response.flags:
        message = f"página mayor que {maxsize} bytes: no se procesó"
        record_failure(st, kind, root, "size_cap", asked, message, in_section or root)
        return True
    if status_problem(st, response, kind, root, in_section):
        return True
    final = canonical_url(response.url)[0]
    if not final.startswith(("http://", "https://")) or not st.in_scope(netloc_of(final)):
        # a browser error page (chrome-error://) or a page the browser was redirected to off the portal:
        # never evidence of the portal
        message = f"la página terminó en {response.url[:200]}: no se guarda como evidencia"
        record_failure(st, kind, root, "connection_refused", asked, message, in_section)
        return True
    return False


def empty_answer(
    st: PortalState, response: Response, kind: str, root: bool, in_section: bool, asked: str
) -> bool:
    """An HTML answer with an empty body is no evidence: the crawl is incomplete (``True`` if empty)."""
    if response.body.strip():
        return False
    record_failure(st, kind, root, "parse_error", asked, "la página llegó vacía (HTTP 200 sin contenido)")
    st.failures += in_section or root
    return True


def blocked_page(st: PortalState, parsed: ParsedPage, kind: str, root: bool, asked: str) -> bool:
    """A login form or a captcha instead of content (``True``: recorded as the block it is); a page the
    parser cut short is kept, as a failure of the crawl (``partial``)."""
    if parsed.has_captcha and len(parsed.links) < 15:
        record_failure(st, kind, root, "captcha", asked, "la página pide resolver un captcha")
        return True
    if parsed.has_password and (len(parsed.links) < 15 or len(parsed.text) < 1500):
        record_failure(st, kind, root, "login_wall", asked, "la página pide usuario y contraseña")
        return True
    if parsed.truncated:
        message = "la página anida más de 255 elementos: el analizador descartó lo que sigue"
        st.incident("parse_error", asked, message)
        st.failures += 1
    return False


def page_record(
    response: Response,
    asked: str,
    parsed: ParsedPage,
    ctype: str,
    depth: int,
    trail: list[str],
    rendered: bool,
) -> dict[str, Any]:
    """The ``Page`` row of an answer (its ``sha256`` is set by the archive pipeline)."""
    return {
        "url": asked,
        "final_url": response.url,
        "status": response.status,
        "fetched_at": utcnow(),
        "sha256": None,
        "content_type": ctype[:128] or None,
        "size": len(response.body),
        "title": parsed.title or None,
        "depth": depth,
        "referer": response.meta.get("vigia_referer"),
        "trail": trail,
        "blocks": parsed.blocks,
        "text": parsed.text[:PAGE_TEXT_LIMIT],
        "rendered": rendered,
        "from_cache": "cached" in response.flags,
        "last_modified": header(response, b"Last-Modified"),
    }


def header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1")[:64] if value else None


def content_length(response: Response) -> int | None:
    value = response.headers.get(b"Content-Length")
    try:
        return int(value) if value else None
    except ValueError:
        return None


def document_answer(
    st: PortalState, doc: dict[str, Any], response: Response, maxsize: int, size: int | None = None
) -> bool:
    """Fill a document's record from its answer; ``True`` if its body is there to archive and read.
    ``size``: the body's length when the answer comes without its body (a fresh copy in the HTTP cache,
    crawler/cache.py ``FreshDocuments``)."""
    status = response.status
    doc["status"] = status
    doc["final_url"] = response.url
    doc["fetched_at"] = utcnow()
    ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
    doc["content_type"] = ctype[:128] or None
    doc["last_modified"] = header(response, b"Last-Modified")
    if status >= 400:
        doc["error"] = f"HTTP {status}"
        if status == 404 or status == 410:
            st.incident("http_404", doc["url"], f"documento no encontrado (HTTP {status})")
        elif status >= 500 or status == 429:
            st.incident("http_5xx", doc["url"], f"HTTP {status} tras reintentos")
            st.failures += 1
        else:
            st.incident("login_wall" if status in (401, 403) else "http_404", doc["url"], f"HTTP {status}")
        return False
    declared = content_length(response)
    if "download_stopped" in response.flags:
        doc["size"] = declared
        doc["fetched"] = False
        doc["error"] = "size_cap"
        st.incident(
            "size_cap",
            doc["url"],
            f"documento de {declared or '?'} bytes, mayor que el máximo de {maxsize}: solo metadatos",
        )
        return False
    doc["fetched"] = True
    doc["size"] = len(response.body) if size is None else size
    return True


def cached_copy_received(request: Request) -> dt.datetime | None:
    """When the HTTP cache's copy that answers ``request`` without asking the server was received or last
    revalidated (its entry's timestamp, UTC): the document's ``fetched_at``, and so the archive's
    ``WARC-Date``, since no request was made tonight. ``None`` without a timestamp."""
    stamp = request.meta.get("cache_timestamp")
    if not isinstance(stamp, int | float):
        return None
    return dt.datetime.fromtimestamp(stamp, dt.UTC).replace(tzinfo=None)


def document_item(
    st: PortalState,
    doc: dict[str, Any],
    response: Response,
    maxsize: int,
    stored: tuple[str, int] | None = None,
) -> DocumentItem | None:
    """The item of a fetched document for the pipelines (archive, extraction), or ``None`` when its
    answer has no body to read (an HTTP error, over the size cap). ``stored``: ``(sha256, size)`` of a
    body already in the blob store, for an answer that comes without it (a fresh cached copy: its
    ``fetched_at`` is then when that copy was received, :func:`cached_copy_received`)."""
    answered = document_answer(st, doc, response, maxsize, stored[1] if stored else None)
    if stored is not None and response.request is not None:
        doc["fetched_at"] = cached_copy_received(response.request) or doc["fetched_at"]  # nothing asked
    if not answered:
        return None
    ctype = (doc.get("content_type") or "").lower()
    if doc["doc_type"] == "other":
        doc["doc_type"] = doc_type_from_content_type(ctype) or "other"
    landing = None
    if "html" in ctype and doc["doc_type"] not in ("other", "image"):
        doc["error"] = f"se esperaba {doc['doc_type']} y llegó HTML"
    elif "html" in ctype and isinstance(response, TextResponse):
        # a landing page on a document host (e.g. a procurement record with its NOG): keep its text
        landing = parse_html(response.text, response.url).text[:PAGE_TEXT_LIMIT]
    if stored is not None:
        return DocumentItem(st.key, doc["url"], b"", ctype, landing, sha256=stored[0], stored_size=stored[1])
    return DocumentItem(st.key, doc["url"], response.body, ctype, landing)
