"""An unchanged night costs what changed (issue 17): a document whose cached copy is still fresh is answered
before it is scheduled (crawler/cache.py ``FreshDocuments``), with the same evidence as the HTTP cache would
give; what the downloader refuses first (robots.txt, a size cap) is still refused; a stale copy is asked
again (conditional request); AutoThrottle lets 304 answers lower a host's delay (crawler/extensions.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import crawler_helpers as helpers  # tests/fixtures/crawler, on the path from conftest.py
import pytest
from aiohttp import web
from scrapy.http import Response
from sqlalchemy import select

from crawler.api import crawl_municipalities
from crawler.extensions import RevalidationThrottle
from vigia.registry import Municipality
from vigia.store import open_store
from vigia.store.blobs import BlobStore
from vigia.store.models import CrawlRun, Document, PortalCrawl

FAST = {"VIGIA_RETRY_BACKOFF": 0.01, "DOWNLOAD_TIMEOUT": 3, "AUTOTHROTTLE_START_DELAY": 0.0}
HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
FIELDS = ("status", "final_url", "sha256", "size", "content_type", "fetched", "error", "text", "dates")


def _page(body: str) -> bytes:
    return f"<!DOCTYPE html><html><head><title>T</title></head><body>{body}</body></html>".encode()


def _revalidated(body: bytes) -> Any:
    """A document that must be revalidated every time (``Cache-Control: no-cache``) and answers 304."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'

    def handler(request: web.Request) -> web.Response:
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type=PDF, headers=headers)

    return handler


def _site() -> helpers.Site:
    site = helpers.Site()
    links = "".join(
        f"<li><a href='/docs/{name}'>{label}</a></li>"
        for name, label in (
            ("ejecucion-octubre-2026.pdf", "Ejecución octubre 2026"),
            ("planilla-octubre-2026.pdf", "Planilla octubre 2026"),
            ("revalidado-octubre-2026.pdf", "Compras octubre 2026"),
            ("grande-2026.pdf", "Inventario 2026"),
        )
    )
    site.files["/"] = (HTML, _page("<a href='/transparencia/'>Información Pública de Oficio</a>"))
    site.files["/robots.txt"] = ("text/plain", b"User-agent: *\nDisallow: /privado/\n")
    site.files["/transparencia/"] = (
        HTML,
        _page(f"<h1>Información Pública de Oficio</h1><h2>Numeral 8</h2><ul>{links}</ul>"),
    )
    site.files["/docs/ejecucion-octubre-2026.pdf"] = (
        PDF,
        helpers.make_pdf(["Ejecucion presupuestaria", "Mes de octubre de 2026"]),
    )
    site.files["/docs/planilla-octubre-2026.pdf"] = (PDF, helpers.make_pdf(["Planilla octubre 2026"]))
    site.handlers["/docs/revalidado-octubre-2026.pdf"] = _revalidated(helpers.make_pdf(["Compras 2026"]))
    site.files["/docs/grande-2026.pdf"] = (PDF, b"%PDF-1.4\n" + b"0" * 40_000)
    return site


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = open_store(f"sqlite:///{tmp_path / 'vigia.db'}", tmp_path / "data")
    yield s
    s.close()


def _documents(store: Any, run_id: int) -> dict[str, tuple[Any, ...]]:
    with store.session() as s:
        rows = s.scalars(select(Document).join(PortalCrawl).where(PortalCrawl.run_id == run_id)).all()
        return {d.url.rsplit("/", 1)[-1]: tuple(getattr(d, f) for f in FIELDS) for d in rows}


def _fetched_at(store: Any, run_id: int) -> dict[str, Any]:
    with store.session() as s:
        rows = s.scalars(select(Document).join(PortalCrawl).where(PortalCrawl.run_id == run_id)).all()
        return {d.url.rsplit("/", 1)[-1]: d.fetched_at for d in rows}


def _started(store: Any, run_id: int) -> Any:
    with store.session() as s:
        return s.get(CrawlRun, run_id).started_at


def _done(store: Any, run_id: int) -> dict[str, Any]:
    with store.session() as s:
        return dict((s.get(CrawlRun, run_id).settings or {})["last_child"])


def test_fresh_documents_are_answered_from_the_cache_with_the_same_evidence(store: Any) -> None:
    site = _site()
    # a document over the size cap: night 1 keeps only its metadata, and so must night 2
    settings = {**FAST, "VIGIA_DOCUMENT_MAXSIZE": 30_000}
    with helpers.SiteServer([site]):
        rows = [
            Municipality(
                ine_code="0101", department="Guatemala", municipality="Prueba", portal_url=site.base + "/"
            )
        ]
        night1 = crawl_municipalities(store, rows, allow_private=True, settings=settings)
        hits1 = list(site.hits)
        night2 = crawl_municipalities(store, rows, allow_private=True, settings=settings)
        hits2 = site.hits[len(hits1) :]
        # robots.txt now forbids one document that is still fresh in the cache
        site.files["/robots.txt"] = ("text/plain", b"User-agent: *\nDisallow: /docs/planilla\n")
        night3 = crawl_municipalities(store, rows, allow_private=True, settings=settings)
        hits3 = site.hits[len(hits1) + len(hits2) :]

    docs1, docs2, docs3 = (_documents(store, n.run_id) for n in (night1, night2, night3))
    assert docs1["ejecucion-octubre-2026.pdf"][5] and "2026-10" in docs1["ejecucion-octubre-2026.pdf"][8]
    assert docs1["grande-2026.pdf"][6] == "size_cap"
    # night 2: the same evidence for every document, fresh ones never asked for
    assert docs2 == docs1
    assert "/docs/ejecucion-octubre-2026.pdf" not in hits2
    assert "/docs/planilla-octubre-2026.pdf" not in hits2
    assert "/docs/revalidado-octubre-2026.pdf" in hits2  # no-cache: asked again, answered 304
    done1, done2 = _done(store, night1.run_id), _done(store, night2.run_id)
    assert done1["documents_answered_from_cache"] == 0
    assert done2["documents_answered_from_cache"] == 3  # the capped one too: its copy says it was cut
    # night 3: the forbidden document is not served from the cache behind robots.txt's back
    assert "/docs/planilla-octubre-2026.pdf" not in hits3
    assert _done(store, night3.run_id)["documents_answered_from_cache"] == 2
    assert not docs3["planilla-octubre-2026.pdf"][5]  # not fetched
    assert docs3["ejecucion-octubre-2026.pdf"] == docs1["ejecucion-octubre-2026.pdf"]
    # a copy answered without asking the server keeps the time it was received: the evidence (and the
    # archive's WARC-Date) does not claim a fetch that did not happen; a 304 was asked tonight
    at1, at2 = _fetched_at(store, night1.run_id), _fetched_at(store, night2.run_id)
    started2 = _started(store, night2.run_id)
    for name in ("ejecucion-octubre-2026.pdf", "planilla-octubre-2026.pdf", "grande-2026.pdf"):
        assert at2[name] < started2 and abs((at2[name] - at1[name]).total_seconds()) < 5
    assert at2["revalidado-octubre-2026.pdf"] >= started2


def test_a_fresh_copy_whose_body_is_gone_is_fetched_again(store: Any) -> None:
    site = _site()
    with helpers.SiteServer([site]):
        rows = [
            Municipality(
                ine_code="0101", department="Guatemala", municipality="Prueba", portal_url=site.base + "/"
            )
        ]
        night1 = crawl_municipalities(store, rows, allow_private=True, settings=FAST)
        docs1 = _documents(store, night1.run_id)
        sha = docs1["ejecucion-octubre-2026.pdf"][2]
        for path in (store.blobs.raw_path_for(sha), store.blobs.path_for(sha)):
            path.unlink(missing_ok=True)
        hits1 = len(site.hits)
        night2 = crawl_municipalities(store, rows, allow_private=True, settings=FAST)
    assert "/docs/ejecucion-octubre-2026.pdf" in site.hits[hits1:]
    assert (
        _documents(store, night2.run_id)["ejecucion-octubre-2026.pdf"] == docs1["ejecucion-octubre-2026.pdf"]
    )
    assert store.blobs.get(sha).startswith(b"%PDF")


def test_blob_size_without_reading_the_body(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    text, pdf = "página " * 1000, b"%PDF-1.4\n" + bytes(range(256)) * 10
    for body in (text.encode(), pdf):
        assert blobs.size(blobs.put(body)) == len(body)
    assert blobs.size("0" * 64) is None


class _Slot:
    delay = 1.0


def _throttle() -> RevalidationThrottle:
    throttle = RevalidationThrottle.__new__(RevalidationThrottle)
    throttle.target_concurrency, throttle.mindelay, throttle.maxdelay = 3.0, 0.0, 10.0
    return throttle


@pytest.mark.parametrize(("status", "lowers"), [(200, True), (304, True), (404, False), (302, False)])
def test_a_304_lowers_a_hosts_delay_like_a_200(status: int, lowers: bool) -> None:
    slot = _Slot()
    _throttle()._adjust_delay(slot, 0.03, Response("http://127.0.0.1/x", status=status))
    assert (slot.delay < 1.0) is lowers
