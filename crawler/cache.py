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
from time import time
from typing import Any

from scrapy.http import Request, Response
from scrapy.utils.response import response_from_dict
from w3lib.http import headers_dict_to_raw, headers_raw_to_dict

#: gzip level of compressible bodies written by the crawl (pages; PDFs and ZIP containers are stored raw).
COMPRESS_LEVEL = 1
#: Version of the entry layout: a new layout gets a new folder, so old entries are never misread.
_LAYOUT = "v2"


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
            if body is None:
                blobs = _blob_store(spider)
                if blobs is None:
                    return None
                body = blobs.get(entry["sha256"])
        except (OSError, EOFError, KeyError, pickle.UnpicklingError, ValueError, TypeError):
            return None  # not cached, or unreadable: fetched again in full
        request.meta["cache_timestamp"] = entry.pop("timestamp")
        entry.pop("sha256", None)
        entry["body"] = body
        entry["headers"] = headers_raw_to_dict(entry["headers"])
        return response_from_dict(entry)

    def store_response(self, spider: Any, request: Request, response: Response) -> None:
        folder, path = self._path(request)
        entry = response.to_dict()  # Scrapy's own description of a response (class, flags, protocol, …)
        body = entry.pop("body")
        entry["headers"] = headers_dict_to_raw(response.headers)
        entry["timestamp"] = time()
        blobs = _blob_store(spider)
        if blobs is None:
            entry["body"] = body
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
