"""Content-addressed store of raw bodies (pages and documents).

A body is kept once however many pages or nights point at it: its name is its sha256, so any finding
can be shown later exactly as it was seen, and a re-run never duplicates what is already stored.

On disk a body lives at ``<root>/<sha[:2]>/<sha[2:4]>/`` in one of two forms:

* ``<sha>`` — the body itself, for formats that are already compressed and would not shrink (PDF, ZIP
  containers such as XLSX/DOCX/ODS, PNG, JPEG, GIF, …; recognised by their first bytes);
* ``<sha>.gz`` — gzip, for everything else (HTML, CSV, JSON, old binary Office files, …).

Readers accept both, so stores written before raw bodies existed (all ``.gz``) keep working.

Blobs are immutable: each is written to a temporary file in its folder and moved into place with
``os.replace``, and is never modified in place afterwards. That is what makes :meth:`BlobStore.materialize`
safe to hard-link a raw blob into a report folder: the site's copy and the store then share one inode,
and nothing ever writes through either name (deleting the site only removes its links).
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import os
import shutil
from pathlib import Path

#: gzip level of :meth:`BlobStore.put` unless the caller asks for another one.
DEFAULT_LEVEL = 5
#: Permission bits of stored blobs (and so of hard-linked copies in a site): readable by a web server.
_MODE = 0o644
_TMP_NUMBERS = itertools.count()


def _new_temporary(folder: str) -> tuple[int, str]:
    """A new file in ``folder`` for this process to write (``tempfile.mkstemp`` without its random names:
    the process id and a counter; a name left by a crashed process of the same id is skipped)."""
    while True:
        tmp = f"{folder}/.tmp-{os.getpid()}-{next(_TMP_NUMBERS)}"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _MODE), tmp
        except FileExistsError:
            continue


def _make_folder(folder: str) -> None:
    """``os.makedirs(folder, exist_ok=True)`` in one system call when the parent exists (the usual case)."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)


#: Leading bytes of formats that are compressed already: such bodies are stored as they are.
_INCOMPRESSIBLE_MAGIC: tuple[bytes, ...] = (
    b"%PDF",  # PDF (its streams are deflated)
    b"PK\x03\x04",  # ZIP and ZIP containers: XLSX, DOCX, PPTX, ODS, ODT, EPUB, JAR
    b"PK\x05\x06",  # empty ZIP
    b"\x89PNG\r\n\x1a\n",  # PNG
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",  # GIF
    b"GIF89a",
    b"\x1f\x8b",  # gzip
    b"BZh",  # bzip2
    b"\xfd7zXZ\x00",  # xz
    b"(\xb5/\xfd",  # zstd
    b"7z\xbc\xaf\x27\x1c",  # 7-Zip
    b"Rar!\x1a\x07",  # RAR
)
_WEBP = (b"RIFF", b"WEBP")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_incompressible(data: bytes) -> bool:
    """Whether ``data`` starts like an already-compressed format (stored raw, not gzip)."""
    head = data[:16]
    if head.startswith(_INCOMPRESSIBLE_MAGIC):
        return True
    return head[:4] == _WEBP[0] and head[8:12] == _WEBP[1]


class BlobStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._root = os.fspath(self.root)
        self._folders: set[str] = set()  # folders this instance has made (or found) already

    def _base(self, digest: str) -> str:
        return f"{self._root}/{digest[:2]}/{digest[2:4]}/{digest}"

    def path_for(self, digest: str) -> Path:
        """Where the gzip form of ``digest`` lives (the form of every store written before raw blobs)."""
        return Path(self._base(digest) + ".gz")

    def raw_path_for(self, digest: str) -> Path:
        """Where the raw (uncompressed) form of ``digest`` lives."""
        return Path(self._base(digest))

    def locate(self, digest: str) -> tuple[str, bool] | None:
        """``(path, is_raw)`` of the stored file for ``digest``, or ``None`` when it is not stored."""
        base = self._base(digest)
        if os.path.exists(base):
            return base, True
        gz = base + ".gz"
        if os.path.exists(gz):
            return gz, False
        return None

    def put(self, data: bytes, level: int | None = None, *, digest: str | None = None) -> str:
        """Store ``data`` (idempotent) and return its sha256.

        ``level`` is the gzip level for compressible bodies (default :data:`DEFAULT_LEVEL`); ``digest``
        may be passed when the caller has just computed ``sha256_hex(data)`` itself.
        """
        digest = digest or sha256_hex(data)
        if self.locate(digest) is not None:
            return digest
        raw = is_incompressible(data)
        base = self._base(digest)
        path = base if raw else base + ".gz"
        folder = os.path.dirname(path)
        if folder not in self._folders:
            _make_folder(folder)
            self._folders.add(folder)
        # a name of its own (process and counter) in the blob's folder, then moved into place: a reader sees
        # the whole blob or none, and two processes writing the same body each move a whole copy
        fd, tmp = _new_temporary(folder)
        try:
            os.fchmod(fd, _MODE)
            with os.fdopen(fd, "wb") as out:
                if raw:
                    out.write(data)
                else:
                    with gzip.GzipFile(
                        fileobj=out,
                        mode="wb",
                        compresslevel=DEFAULT_LEVEL if level is None else level,
                        mtime=0,
                    ) as gz:
                        gz.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def has(self, digest: str) -> bool:
        return self.locate(digest) is not None

    def size(self, digest: str) -> int | None:
        """The body's length without reading it (a raw blob's file size; a gzip blob's ISIZE trailer, the
        length modulo 2**32: exact for bodies under 4 GiB, far above any size cap of the crawl), or
        ``None`` when the blob is not there."""
        found = self.locate(digest)
        if found is None:
            return None
        path, raw = found
        try:
            if raw:
                return os.stat(path).st_size
            with open(path, "rb") as fh:
                fh.seek(-4, os.SEEK_END)
                return int.from_bytes(fh.read(4), "little")
        except OSError:
            return None

    def get(self, digest: str) -> bytes:
        found = self.locate(digest)
        if found is None:
            raise FileNotFoundError(f"blob {digest} not in {self.root}")
        path, raw = found
        if raw:
            with open(path, "rb") as fh:
                return fh.read()
        with gzip.open(path, "rb") as fh:
            return fh.read()

    def materialize(self, digest: str, target: Path | str) -> str:
        """Put the body of ``digest`` at ``target`` (which must not exist yet); returns how: ``"link"``,
        ``"copy"`` or ``"gunzip"``.

        A raw blob is hard-linked (no data written; safe because blobs are immutable) or, when linking
        fails (another file system, no hard links), copied. A gzip blob is decompressed. A copy or
        decompression goes through a temporary file, so ``target`` never holds a partial body.
        Raises ``FileNotFoundError`` for an unknown digest and ``OSError``/``EOFError`` on damage.
        """
        found = self.locate(digest)
        if found is None:
            raise FileNotFoundError(f"blob {digest} not in {self.root}")
        path, raw = found
        dest = os.fspath(target)
        if raw:
            try:
                os.link(path, dest)
                return "link"
            except FileExistsError:
                raise
            except OSError:
                pass
        tmp = dest + ".tmp"
        try:
            if raw:
                shutil.copyfile(path, tmp)
            else:
                _gunzip(path, tmp)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return "copy" if raw else "gunzip"


def _gunzip(source: str, dest: str) -> None:
    """Decompress the gzip file ``source`` into ``dest`` in one read (blobs are at most a few MB)."""
    with open(source, "rb") as fh:
        body = gzip.decompress(fh.read())
    with open(dest, "wb") as out:
        out.write(body)
