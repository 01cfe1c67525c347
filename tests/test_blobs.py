"""The blob store: raw vs gzip on disk, old all-gzip stores, materialising into a site."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from pathlib import Path

import pytest

from crawler.cache import put_blob
from vigia.store.blobs import BlobStore, is_incompressible, sha256_hex

PDF = b"%PDF-1.7\n" + os.urandom(4096) + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(512)
JPEG = b"\xff\xd8\xff\xe0" + os.urandom(512)
GIF = b"GIF89a" + os.urandom(256)
HTML = b"<!doctype html><html><body>" + b"<p>Transparencia municipal</p>" * 200 + b"</body></html>"


def _xlsx_like() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def _files(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "body", [PDF, PNG, JPEG, GIF, _xlsx_like()], ids=["pdf", "png", "jpeg", "gif", "xlsx"]
)
def test_incompressible_bodies_are_stored_raw(tmp_path: Path, body: bytes) -> None:
    blobs = BlobStore(tmp_path)
    digest = blobs.put(body)
    assert digest == sha256_hex(body)
    raw = tmp_path / digest[:2] / digest[2:4] / digest
    assert raw.read_bytes() == body
    assert not blobs.path_for(digest).exists()
    assert _files(tmp_path) == [digest]
    assert blobs.has(digest) and blobs.get(digest) == body
    assert raw.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    "body", [HTML, b"a,b\n1,2\n" * 50, b"", b"%PD"], ids=["html", "csv", "empty", "short"]
)
def test_other_bodies_are_stored_gzip(tmp_path: Path, body: bytes) -> None:
    blobs = BlobStore(tmp_path)
    digest = blobs.put(body)
    gz = tmp_path / digest[:2] / digest[2:4] / f"{digest}.gz"
    assert blobs.path_for(digest) == gz
    assert gzip.decompress(gz.read_bytes()) == body
    assert _files(tmp_path) == [f"{digest}.gz"]
    assert blobs.get(digest) == body


def test_sniffing() -> None:
    assert is_incompressible(PDF) and is_incompressible(_xlsx_like())
    assert is_incompressible(b"RIFF\x00\x00\x00\x00WEBPVP8 ")
    assert not is_incompressible(HTML) and not is_incompressible(b"") and not is_incompressible(b"RIFF")


def test_put_is_idempotent_and_takes_a_level(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    a = blobs.put(HTML, 1)
    mtime = blobs.path_for(a).stat().st_mtime_ns
    assert blobs.put(HTML) == a and blobs.put(HTML, 9) == a
    assert blobs.path_for(a).stat().st_mtime_ns == mtime
    assert blobs.get(a) == HTML
    level9 = BlobStore(tmp_path / "nine")
    level9.put(HTML, 9)
    assert level9.path_for(a).stat().st_size <= blobs.path_for(a).stat().st_size
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_reads_an_old_all_gzip_store(tmp_path: Path) -> None:
    """Stores written before raw blobs keep every body, PDFs included, as ``<sha>.gz``."""
    blobs = BlobStore(tmp_path)
    for body in (PDF, HTML):
        digest = sha256_hex(body)
        path = tmp_path / digest[:2] / digest[2:4] / f"{digest}.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(body, mtime=0))
        assert blobs.has(digest) and blobs.get(digest) == body
        assert blobs.put(body) == digest  # already there: no second copy in the other form
    assert len(_files(tmp_path)) == 2
    assert not blobs.has("0" * 64)
    with pytest.raises(FileNotFoundError):
        blobs.get("0" * 64)


def test_crawler_put_blob_uses_the_store_format(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    written: set[str] = set()
    pdf, html = put_blob(blobs, PDF, written), put_blob(blobs, HTML, written)
    assert written == {pdf, html}
    assert (tmp_path / pdf[:2] / pdf[2:4] / pdf).read_bytes() == PDF
    assert gzip.decompress(blobs.path_for(html).read_bytes()) == HTML
    assert put_blob(blobs, PDF, written) == pdf
    assert blobs.get(pdf) == PDF and blobs.get(html) == HTML


def test_materialize_links_a_raw_blob(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    digest = blobs.put(PDF)
    target = tmp_path / "site" / f"{digest}.pdf"
    target.parent.mkdir()
    assert blobs.materialize(digest, target) == "link"
    assert target.read_bytes() == PDF
    assert os.path.samefile(target, blobs.raw_path_for(digest))
    assert target.stat().st_nlink == 2
    with pytest.raises(FileExistsError):
        blobs.materialize(digest, target)


def test_materialize_decompresses_a_gzip_blob(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    digest = blobs.put(HTML)
    target = tmp_path / "site" / f"{digest}.html.txt"
    target.parent.mkdir()
    assert blobs.materialize(digest, str(target)) == "gunzip"
    assert target.read_bytes() == HTML
    assert target.stat().st_nlink == 1
    assert _files(tmp_path / "site") == [target.name]


def test_materialize_copies_when_linking_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    digest = blobs.put(PDF)

    def cross_device(src: str, dst: str) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    target = tmp_path / "site" / f"{digest}.pdf"
    target.parent.mkdir()
    assert blobs.materialize(digest, target) == "copy"
    assert target.read_bytes() == PDF
    assert not os.path.samefile(target, blobs.raw_path_for(digest))
    assert _files(tmp_path / "site") == [target.name]


def test_materialize_of_a_damaged_or_missing_blob(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    digest = blobs.put(HTML)
    gz = blobs.path_for(digest)
    gz.write_bytes(gz.read_bytes()[:20])
    (tmp_path / "site").mkdir()
    with pytest.raises((OSError, EOFError)):
        blobs.materialize(digest, tmp_path / "site" / "x.html.txt")
    with pytest.raises(FileNotFoundError):
        blobs.materialize("f" * 64, tmp_path / "site" / "y.pdf")
    assert _files(tmp_path / "site") == []


def test_a_temporary_name_left_by_a_crashed_process_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itertools
    import os
    import stat

    from vigia.store import blobs as module

    digest = sha256_hex(HTML)
    folder = tmp_path / digest[:2] / digest[2:4]
    folder.mkdir(parents=True)
    stale = folder / f".tmp-{os.getpid()}-0"
    stale.write_bytes(b"half a body")  # a process of the same id died before moving it into place
    monkeypatch.setattr(module, "_TMP_NUMBERS", itertools.count())
    blobs = BlobStore(tmp_path)
    assert blobs.put(HTML) == digest and blobs.get(digest) == HTML
    assert stale.read_bytes() == b"half a body"  # not overwritten
    assert stat.S_IMODE(blobs.path_for(digest).stat().st_mode) == 0o644
    assert sorted(p.name for p in folder.iterdir()) == [stale.name, f"{digest}.gz"]
