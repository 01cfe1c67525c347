"""Renders kept for JavaScript pages whose inputs did not change (crawler/render_memo.py, issue 17): an
unchanged night reuses the render, a changed data request renders again, an input that cannot be
revalidated is never kept, and the revalidation goes through the crawler's proxy and its address rules."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import crawler_helpers as helpers  # tests/fixtures/crawler, on the path from conftest.py
import pytest
from sqlalchemy import select

from crawler.api import crawl_municipalities
from crawler.browser_proxy import BrowserProxy
from crawler.render_memo import RenderMemo, input_record, unchanged
from vigia.registry import Municipality
from vigia.store import open_store
from vigia.store.models import CrawlRun, Page, PortalCrawl

FAST = {"VIGIA_RETRY_BACKOFF": 0.01, "DOWNLOAD_TIMEOUT": 5, "AUTOTHROTTLE_START_DELAY": 0.0}
HTML = "text/html; charset=utf-8"
SCRIPT = (
    "fetch('/api/contenido.json').then(r => r.json())"
    ".then(d => { document.getElementById('app').innerHTML = '<h1>Portal de Transparencia</h1>' + d.html; });"
)


def _api(month: str) -> tuple[str, bytes]:
    html = (
        "<h2>Numeral 8: Ejecución presupuestaria</h2>"
        f"<a href='/docs/ejecucion-{month}-2026.pdf'>Ejecución {month} 2026</a>"
    )
    return ("application/json", json.dumps({"html": html}).encode())


def _site() -> helpers.Site:
    return helpers.Site(
        files={
            "/": (
                HTML,
                b"<!DOCTYPE html><html><head><title>Portal</title><script src='/app.js' defer></script></head>"
                b"<body><div id='app'>Cargando...</div></body></html>",
            ),
            "/app.js": ("application/javascript; charset=utf-8", SCRIPT.encode()),
            "/api/contenido.json": _api("agosto"),
            "/docs/ejecucion-agosto-2026.pdf": ("application/pdf", helpers.make_pdf(["Agosto 2026"])),
            "/docs/ejecucion-septiembre-2026.pdf": ("application/pdf", helpers.make_pdf(["Septiembre 2026"])),
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = open_store(f"sqlite:///{tmp_path / 'vigia.db'}", tmp_path / "data")
    yield s
    s.close()


def _night(store: Any, site: helpers.Site) -> tuple[dict[str, Any], dict[str, tuple[Any, ...]]]:
    row = Municipality(
        ine_code="0402",
        department="Guatemala",
        municipality="Prueba",
        portal_url=site.base + "/",
        platform="javascript",
        render="browser",
    )
    summary = crawl_municipalities(store, [row], allow_private=True, settings=FAST)
    with store.session() as s:
        done = dict((s.get(CrawlRun, summary.run_id).settings or {})["last_child"])
        pages = s.scalars(select(Page).join(PortalCrawl).where(PortalCrawl.run_id == summary.run_id)).all()
        return done, {p.url: (p.rendered, p.sha256, p.text, p.blocks) for p in pages}


@pytest.mark.browser
def test_an_unchanged_javascript_page_is_not_rendered_again(store: Any) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's Chromium is not installed")
    site = _site()
    with helpers.SiteServer([site]):
        done1, pages1 = _night(store, site)
        done2, pages2 = _night(store, site)
        site.files["/api/contenido.json"] = _api("septiembre")  # the data changes; the shell does not
        done3, pages3 = _night(store, site)
    assert any(rendered for rendered, *_ in pages1.values())
    assert "Ejecución agosto 2026" in " ".join(str(p[2]) for p in pages1.values())
    assert done1["renders_reused"] == 0
    assert done2["renders_reused"] >= 1 and pages2 == pages1
    assert done3["renders_reused"] == 0
    assert "Ejecución septiembre 2026" in " ".join(str(p[2]) for p in pages3.values())


def test_inputs_that_cannot_be_revalidated_are_not_kept() -> None:
    ok = {"etag": '"a"'}
    assert input_record("http://x/app.js", "GET", "script", 200, ok, b"x") is not None
    assert input_record("http://x/app.js", "GET", "script", 200, {}, b"x") is None  # no validator
    assert input_record("http://x/api", "POST", "xhr", 200, ok, b"x") is None
    assert input_record("http://x/api", "GET", "xhr", 404, ok, b"x") is None


def test_a_record_is_used_only_while_young(tmp_path: Path) -> None:
    job = {"url": "http://127.0.0.1/", "init_scripts": ["s"], "page_methods": []}
    inputs = [input_record("http://127.0.0.1/", "GET", "document", 200, {"etag": '"a"'}, b"<html>")]
    answer = {"ok": True, "url": job["url"], "status": 200, "headers": {}, "text": "<html>", "redirects": []}
    memo = RenderMemo(tmp_path, 3600)
    memo.save(job, [i for i in inputs if i], answer)
    assert memo.load(job) is not None
    assert memo.load({**job, "init_scripts": ["otro"]}) is None  # other options: another render
    assert RenderMemo(tmp_path, 0).load(job) is None
    path = next(tmp_path.rglob("*.json"))
    record = json.loads(path.read_text())
    record["at"] = time.time() - 7200
    path.write_text(json.dumps(record))
    assert memo.load(job) is None
    path.write_text("{roto")
    assert memo.load(job) is None
    memo.save(job, None, answer)  # an input that could not be revalidated: nothing kept
    assert memo.load(job) is None


def test_revalidation_goes_through_the_proxy_and_sees_changes() -> None:
    site = helpers.Site(files={"/api.json": ("application/json", b'{"a": 1}')})
    with helpers.SiteServer([site]):
        url = site.base + "/api.json"
        proxy = BrowserProxy(allow_private=True)
        proxy.start()
        strict = BrowserProxy(allow_private=False)
        strict.start()
        try:
            import hashlib

            etag = '"' + hashlib.sha1(b'{"a": 1}').hexdigest()[:16] + '"'
            item = input_record(url, "GET", "fetch", 200, {"etag": etag}, b'{"a": 1}')
            record = {"inputs": [item]}
            never = lambda kind, u: False  # noqa: E731

            def check(proxy_url: str, refused: Any = never) -> bool:
                return asyncio.run(unchanged(record, proxy_url, "Vigia", refused, 5.0))

            assert check(proxy.url)
            assert site.statuses[-1] == 304
            assert not check(proxy.url, lambda kind, u: True)  # no longer allowed: render again
            assert not check(strict.url)  # loopback refused by the proxy's address rule
            site.files["/api.json"] = ("application/json", b'{"a": 2}')
            assert not check(proxy.url)
        finally:
            proxy.stop()
            strict.stop()
