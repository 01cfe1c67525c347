"""Scrapy's HTTP cache, keeping each body once: in the evidence store.

Scrapy's ``FilesystemCacheStorage`` writes a directory per request with seven files, and the body again
(gzip) next to the copy the spider keeps as evidence in the content-addressed blob store
(``vigia.store.blobs``). :class:`EvidenceCacheStorage` writes one small file per request instead — the
metadata, headers and the body's sha256 — and puts the body in the blob store, where the spider finds it
already written. A cached response whose blob is missing (or an entry that cannot be read) is a cache miss:
the page is simply fetched again in full.

Without a blob store (a spider that keeps no evidence), the body is kept in the entry itself.
"""

from __future__ import annotations

import os
import pickle
import weakref
from time import time
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response
from scrapy.utils.response import response_from_dict
from w3lib.http import headers_dict_to_raw, headers_raw_to_dict

#: gzip level of compressible bodies written by the crawl (pages; PDFs and ZIP containers are stored raw).
COMPRESS_LEVEL = 1
#: Version of the entry layout: a new layout gets a new folder, so old entries are never misread.
_LAYOUT = "v2"
#: Responses the cache built from a body it read from the blob store → that body's sha256 (its blob's
#: name; a gzip blob is checked against its CRC as it is read). A 304 stores the same response again and the
#: spider keys its parsed copy by it: neither hashes the body nor looks for its blob again.
_READ_DIGESTS: weakref.WeakKeyDictionary[Response, str] = weakref.WeakKeyDictionary()


def cached_digest(response: Response) -> str | None:
    """The sha256 of ``response``'s body when the HTTP cache read it from the blob store, else ``None``."""
    return _READ_DIGESTS.get(response)


class EvidenceCacheStorage:
    """``HTTPCACHE_STORAGE`` for ``RFC2616Policy``: ``<HTTPCACHE_DIR>/<spider>/v2/<key[:2]>/<key>``."""

    def __init__(self, settings: Any) -> None:
        from scrapy.utils.project import data_path

        self.cachedir: str = data_path(settings["HTTPCACHE_DIR"])
        self.expiration_secs: int = settings.getint("HTTPCACHE_EXPIRATION_SECS")
        self._folders: set[str] = set()

    def open_spider(self, spider: Any) -> None:
        self._fingerprinter = spider.crawler.request_fingerprinter
        self._root = os.path.join(self.cachedir, spider.name, _LAYOUT)

    def close_spider(self, spider: Any) -> None:
        pass

    def _path(self, request: Request) -> tuple[str, str]:
        key = self._fingerprinter.fingerprint(request).hex()
        folder = os.path.join(self._root, key[:2])
        return folder, os.path.join(folder, key)

    def retrieve_response(self, spider: Any, request: Request) -> Response | None:
        _, path = self._path(request)
        try:
            if 0 < self.expiration_secs < time() - os.stat(path).st_mtime:
                return None  # expired
            with open(path, "rb") as fh:
                entry = pickle.load(fh)  # noqa: S301 - written by this class, in the crawl's own data dir
            body = entry.get("body")
            digest = None
            if body is None:
                blobs = _blob_store(spider)
                if blobs is None:
                    return None
                digest = entry["sha256"]
                body = blobs.get(digest)
        except (OSError, EOFError, KeyError, pickle.UnpicklingError, ValueError, TypeError):
            return None  # not cached, or unreadable: fetched again in full
        request.meta["cache_timestamp"] = entry.pop("timestamp")
        entry.pop("sha256", None)
        entry["body"] = body
        entry["headers"] = headers_raw_to_dict(entry["headers"])
        response = response_from_dict(entry)
        if digest is not None:
            _READ_DIGESTS[response] = digest
            spider.blobs_written.add(digest)  # in the blob store: the pipelines need not look for it
        return response

    def retrieve_head(self, spider: Any, request: Request) -> tuple[Response, str, int] | None:
        """The cached answer to ``request`` without its body: a ``Response`` with the status, headers and URL
        the entry keeps, the body's sha256 and its length read from the blob store without reading the
        body. ``None`` when there is no entry, the body is not in the blob store, or the entry is unreadable
        (the request then goes through the HTTP cache as usual)."""
        _, path = self._path(request)
        blobs = _blob_store(spider)
        if blobs is None:
            return None
        try:
            if 0 < self.expiration_secs < time() - os.stat(path).st_mtime:
                return None
            with open(path, "rb") as fh:
                entry = pickle.load(fh)  # noqa: S301 - written by this class, in the crawl's own data dir
            digest = entry["sha256"]
            size = blobs.size(digest)
            if size is None:
                return None
            request.meta["cache_timestamp"] = entry["timestamp"]
            head = Response(
                url=entry["url"],
                status=int(entry["status"]),
                headers=headers_raw_to_dict(entry["headers"]),
                flags=[*entry.get("flags", ()), "cached"],  # a cut download keeps "download_stopped"
                request=request,
            )
        except (OSError, EOFError, KeyError, pickle.UnpicklingError, ValueError, TypeError):
            return None
        return head, digest, size

    def store_response(self, spider: Any, request: Request, response: Response) -> None:
        folder, path = self._path(request)
        entry = response.to_dict()  # Scrapy's own description of a response (class, flags, protocol, …)
        body = entry.pop("body")
        entry["headers"] = headers_dict_to_raw(response.headers)
        entry["timestamp"] = time()
        blobs = _blob_store(spider)
        known = _READ_DIGESTS.get(response)
        if blobs is None:
            entry["body"] = body
        elif known is not None:
            entry["sha256"] = known  # a 304: the body the cache read from the blob store a moment ago
        else:
            try:
                entry["sha256"] = put_blob(blobs, body, spider.blobs_written)
            except OSError:
                return  # not cached (a full disk): the archive pipeline records the write error
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        # two crawl processes may store the same URL (a document host shared by their portals): each
        # writes its own file and moves it into place, so a reader sees one whole entry or none
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "wb") as fh:
            pickle.dump(entry, fh, protocol=4)
        os.replace(tmp, path)


def _blob_store(spider: Any) -> Any:
    store = getattr(spider, "store", None)
    if store is None or not hasattr(spider, "blobs_written"):
        return None
    return store.blobs


def put_blob(blobs: Any, data: bytes, written: set[str], digest: str | None = None) -> str:
    """``vigia.store.blobs.BlobStore.put`` at gzip level 1 (same layout and formats, so ``get`` reads it),
    hashing the body once (``digest``: already hashed by the caller, from these very bytes) and skipping the
    disk check for a body this process already stored."""
    from vigia.store.blobs import sha256_hex

    digest = digest or sha256_hex(data)
    if digest in written:
        return digest
    blobs.put(data, COMPRESS_LEVEL, digest=digest)
    written.add(digest)
    return digest


class FreshDocuments:
    """Documents the HTTP cache would answer by itself, answered before any request is made (issue 17).

    Scrapy's ``HttpCacheMiddleware`` serves a document whose cached copy is still fresh (RFC 2616 rules:
    ``Cache-Control: max-age``, ``Expires``, or a tenth of the time since ``Last-Modified``) without asking
    the server; but the request still goes through the scheduler, the downloader's middlewares, the
    spider's middlewares and its callback, and its body is read back from the blob store and hashed. On
    an unchanged night that is 20 000 round trips through Scrapy for nothing. Here the spider asks the
    same policy (:class:`scrapy.extensions.httpcache.RFC2616Policy`, with the crawl's settings) about the
    same entry before making the request, and a fresh, successful, non-HTML copy becomes the document's
    answer directly: its status, headers and URL from the entry, its digest and length from the blob store,
    its text from the extraction already made for that digest (crawler/pipelines.py). The rules the
    downloader applies first still hold: the address guard and the portal's hosts
    (:func:`crawler.middlewares.guard_refusal`) and robots.txt, once the host's robots.txt has been read
    this run (``robots_parsed`` signal; before that the request goes the usual way)."""

    def __init__(self, settings: Any, spider: Any) -> None:
        from scrapy.extensions.httpcache import RFC2616Policy

        self.enabled = settings.getbool("HTTPCACHE_ENABLED") and settings.getbool(
            "VIGIA_FRESH_DOCUMENTS", True
        )
        self.policy = RFC2616Policy(settings)
        self.storage = EvidenceCacheStorage(settings)
        self.spider = spider
        self.robots: dict[str, Any] = {}
        self.robots_agent: str = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT") or ""
        self.obey_robots = settings.getbool("ROBOTSTXT_OBEY")
        self.answered = 0
        self._opened = False

    def on_robots_parsed(self, robotparser: Any, request: Request, **kwargs: Any) -> None:
        self.robots[urlsplit(request.url).netloc] = robotparser

    def answer(self, request: Request) -> tuple[Response, str, int] | None:
        """``(head, sha256, size)`` of a fresh cached copy the spider may use as the answer, else ``None``."""
        if not self.enabled or _blob_store(self.spider) is None:
            return None
        if not self._opened:
            self.storage.open_spider(self.spider)
            self._opened = True
        if self.obey_robots:
            parser = self.robots.get(urlsplit(request.url).netloc)
            if parser is None or not parser.allowed(request.url, self.robots_agent):
                return None
        if not self.policy.should_cache_request(request):
            return None
        found = self.storage.retrieve_head(self.spider, request)
        if found is None:
            return None
        head, digest, size = found
        ctype = (head.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if head.status != 200 or "html" in ctype:
            return None  # redirects and landing pages (read by the spider) take the usual way
        if not self.policy.is_cached_response_fresh(head, request):
            request.headers.pop(b"If-Modified-Since", None)  # the cache middleware sets them again itself
            request.headers.pop(b"If-None-Match", None)
            return None
        self.answered += 1
        return head, digest, size
