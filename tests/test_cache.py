"""The HTTP cache keeps each body once, in the evidence store, and treats anything it cannot read as a miss."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.http import HtmlResponse, Request, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.cache import EvidenceCacheStorage
from vigia.store.blobs import BlobStore, sha256_hex

PDF = b"%PDF-1.4\n" + os.urandom(4000)
HTML = "<html><body><h1>Información pública</h1></body></html>".encode()


class _Store:
    def __init__(self, root: Path) -> None:
        self.blobs = BlobStore(root)


def _spider(tmp_path: Path, with_store: bool = True) -> Any:
    crawler = get_crawler(settings_dict={"HTTPCACHE_DIR": str(tmp_path / "httpcache")})
    spider = Spider.from_crawler(crawler, name="portal")
    if with_store:
        spider.store = _Store(tmp_path / "blobs")
        spider.blobs_written = set()
    return spider


def _storage(tmp_path: Path, spider: Any) -> EvidenceCacheStorage:
    storage = EvidenceCacheStorage(Settings({"HTTPCACHE_DIR": str(tmp_path / "httpcache")}))
    storage.open_spider(spider)
    return storage


def _entries(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "httpcache").rglob("*") if p.is_file()]


def test_the_body_is_kept_once_in_the_blob_store(tmp_path: Path) -> None:
    spider = _spider(tmp_path)
    storage = _storage(tmp_path, spider)
    request = Request("http://127.0.0.1:9/docs/ejecucion.pdf")
    response = Response(
        request.url,
        status=200,
        headers={"Content-Type": "application/pdf", "ETag": '"abc"'},
        body=PDF,
        request=request,
    )
    storage.store_response(spider, request, response)

    digest = sha256_hex(PDF)
    assert spider.store.blobs.get(digest) == PDF
    assert digest in spider.blobs_written  # the spider's own put of the same body is a set lookup
    (entry,) = _entries(tmp_path)
    assert entry.stat().st_size < 1000  # headers and the digest, not the body

    again = Request(request.url)
    cached = storage.retrieve_response(spider, again)
    assert cached is not None
    assert cached.body == PDF and cached.status == 200 and cached.url == request.url
    assert cached.headers.get("ETag") == b'"abc"'
    assert "cache_timestamp" in again.meta


def test_a_page_comes_back_as_html(tmp_path: Path) -> None:
    spider = _spider(tmp_path)
    storage = _storage(tmp_path, spider)
    request = Request("http://127.0.0.1:9/transparencia/")
    response = HtmlResponse(
        request.url, headers={"Content-Type": "text/html; charset=utf-8"}, body=HTML, request=request
    )
    storage.store_response(spider, request, response)
    cached = storage.retrieve_response(spider, Request(request.url))
    assert isinstance(cached, HtmlResponse)
    assert cached.css("h1::text").get() == "Información pública"


def test_a_missing_blob_or_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    spider = _spider(tmp_path)
    storage = _storage(tmp_path, spider)
    for name, body in (("a.pdf", PDF), ("b.html", HTML)):
        request = Request(f"http://127.0.0.1:9/{name}")
        storage.store_response(spider, request, Response(request.url, body=body, request=request))
    # the PDF's blob disappears (a store copied without its blobs); the page's entry is cut short
    os.remove(spider.store.blobs.raw_path_for(sha256_hex(PDF)))
    entry_b = next(p for p in _entries(tmp_path) if p.read_bytes().find(b"b.html") >= 0)
    entry_b.write_bytes(entry_b.read_bytes()[:20])
    assert storage.retrieve_response(spider, Request("http://127.0.0.1:9/a.pdf")) is None
    assert storage.retrieve_response(spider, Request("http://127.0.0.1:9/b.html")) is None
    assert storage.retrieve_response(spider, Request("http://127.0.0.1:9/never")) is None


@pytest.mark.parametrize("expiration", [0, 1])
def test_without_an_evidence_store_the_body_stays_in_the_entry(tmp_path: Path, expiration: int) -> None:
    spider = _spider(tmp_path, with_store=False)
    storage = EvidenceCacheStorage(
        Settings({"HTTPCACHE_DIR": str(tmp_path / "httpcache"), "HTTPCACHE_EXPIRATION_SECS": expiration})
    )
    storage.open_spider(spider)
    request = Request("http://127.0.0.1:9/")
    storage.store_response(spider, request, Response(request.url, body=HTML, request=request))
    if expiration:
        (entry,) = _entries(tmp_path)
        os.utime(entry, (0, 0))  # written long ago: expired
        assert storage.retrieve_response(spider, Request(request.url)) is None
    else:
        cached = storage.retrieve_response(spider, Request(request.url))
        assert cached is not None and cached.body == HTML


def test_a_304_keeps_the_entry_of_the_body_read_without_hashing_or_storing_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scrapy's HttpCacheMiddleware stores the cached response again after a 304 (its headers freshened):
    the entry keeps the digest of the blob the cache just read, and neither the body nor its blob is
    hashed or written again."""
    from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware

    from crawler import cache

    settings = {
        "HTTPCACHE_ENABLED": True,
        "HTTPCACHE_DIR": str(tmp_path / "httpcache"),
        "HTTPCACHE_STORAGE": "crawler.cache.EvidenceCacheStorage",
        "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
    }
    crawler = get_crawler(Spider, settings)
    crawler.spider = spider = Spider.from_crawler(crawler, name="portal")
    spider.store = _Store(tmp_path / "blobs")
    spider.blobs_written = set()
    mw = HttpCacheMiddleware.from_crawler(crawler)
    mw.spider_opened(spider)
    url = "http://127.0.0.1:9/transparencia/"
    first = Request(url)
    assert mw.process_request(first) is None
    page = HtmlResponse(
        url,
        headers={"Content-Type": "text/html", "Cache-Control": "max-age=0", "ETag": '"n1"'},
        body=HTML,
        request=first,
    )
    assert mw.process_response(first, page) is page
    digest = sha256_hex(HTML)
    assert cache.cached_digest(page) is None  # a body from the network has no known digest

    spider.blobs_written.clear()  # a new night, a new process
    hashed: list[bytes] = []
    real_put = cache.put_blob
    monkeypatch.setattr(cache, "put_blob", lambda *a, **k: hashed.append(a[1]) or real_put(*a, **k))
    second = Request(url)
    assert mw.process_request(second) is None  # stale: asked again, conditionally
    assert second.headers.get("If-None-Match") == b'"n1"'
    cached = second.meta["cached_response"]
    assert cache.cached_digest(cached) == digest and digest in spider.blobs_written
    not_modified = Response(url, status=304, headers={"ETag": '"n2"'}, request=second)
    answer = mw.process_response(second, not_modified)
    assert answer is cached and answer.body == HTML
    assert hashed == []  # stored again with the digest it had: nothing hashed, no blob looked for
    third = _storage(tmp_path, spider).retrieve_response(spider, Request(url))
    assert third is not None and third.body == HTML
    assert third.headers.get("ETag") == b'"n2"'  # the freshened headers were stored
