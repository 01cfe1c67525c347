"""Scrapy's filesystem HTTP cache with fast compression.

``FilesystemCacheStorage`` with ``HTTPCACHE_GZIP`` writes at gzip level 9, which costs several times more
CPU than level 1 for bodies (PDFs, XLSX) that barely compress further. Entries stay ordinary gzip files,
so a cache written by either storage is read by both.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO, Any

from scrapy.extensions.httpcache import FilesystemCacheStorage

COMPRESS_LEVEL = 1


def _open_fast(path: str | Path, mode: str = "rb") -> IO[Any]:
    if "w" in mode:
        return gzip.open(path, mode, compresslevel=COMPRESS_LEVEL)  # type: ignore[return-value]
    return gzip.open(path, mode)  # type: ignore[return-value]


class FastFilesystemCacheStorage(FilesystemCacheStorage):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        if self.use_gzip:
            self._open = _open_fast  # type: ignore[assignment]


def put_blob(blobs: Any, data: bytes, written: set[str]) -> str:
    """``vigia.store.blobs.BlobStore.put`` at gzip level 1 (same layout and formats, so ``get`` reads it),
    hashing the body once and skipping the disk check for a body this process already stored."""
    from vigia.store.blobs import sha256_hex

    digest = sha256_hex(data)
    if digest in written:
        return digest
    blobs.put(data, COMPRESS_LEVEL, digest=digest)
    written.add(digest)
    return digest
