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
    """``vigia.store.blobs.BlobStore.put`` at gzip level 1 (same file name and format, so ``get`` reads it),
    hashing the body once and skipping the disk check for a body this process already stored."""
    import hashlib
    import os
    import tempfile

    digest = hashlib.sha256(data).hexdigest()
    if digest in written:
        return digest
    path = blobs.path_for(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with (
                os.fdopen(fd, "wb") as raw,
                gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=COMPRESS_LEVEL, mtime=0) as gz,
            ):
                gz.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    written.add(digest)
    return digest
