"""WACZ evidence archives, the chained manifests and `vigia evidence verify` (issue 14)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from vigia.errors import UserError
from vigia.evidence import build_run_archive, site_archives, verify_archives
from vigia.store import open_store
from vigia.store.models import CrawlRun, Document, Evaluation, Finding, Page, PortalCrawl

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n% Ejecucion presupuestaria agosto 2026\n%%EOF\n"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = open_store(f"sqlite:///{tmp_path / 'vigia.db'}", tmp_path / "datos")
    yield s
    s.close()


def night(store: Any, n: int, extra: bytes = b"") -> int:
    """One evaluated night: two portals, each with a cited page and document, one uncited page."""
    with store.session() as s:
        run = CrawlRun(kind="nightly", status="finished")
        s.add(run)
        s.flush()
        for code in ("0101", "0102"):
            base = f"http://{code}.muni.example"
            page_body = f"<html><title>Transparencia {code}</title><body>Numeral 8 noche {n}</body></html>"
            page_sha = store.blobs.put(page_body.encode() + extra)
            doc_sha = store.blobs.put(PDF + code.encode())
            other_sha = store.blobs.put(f"<html>no citada {code} {n}</html>".encode())
            pc = PortalCrawl(
                run_id=run.id, portal_key=code, ine_code=code, portal_url=base + "/", outcome="complete"
            )
            s.add(pc)
            s.flush()
            s.add_all(
                [
                    Page(
                        portal_crawl_id=pc.id,
                        url=base + "/transparencia",
                        final_url=base + "/transparencia/",
                        status=200,
                        sha256=page_sha,
                        content_type="text/html; charset=utf-8",
                        title=f"Transparencia {code}",
                        fetched_at=dt.datetime(2026, 11, 25, 1, 30),
                    ),
                    Page(
                        portal_crawl_id=pc.id,
                        url=base + "/noticias",
                        final_url=base + "/noticias",
                        status=200,
                        sha256=other_sha,
                    ),
                    Document(
                        portal_crawl_id=pc.id,
                        url=base + "/docs/ejecucion-agosto-2026.pdf",
                        label="Ejecución agosto 2026",
                        fetched=True,
                        status=200,
                        sha256=doc_sha,
                        content_type="application/pdf",
                        last_modified="Mon, 01 Sep 2026 10:00:00 GMT",
                        fetched_at=dt.datetime(2026, 11, 25, 1, 31),
                    ),
                ]
            )
            ev = Evaluation(portal_crawl_id=pc.id, as_of=dt.date(2026, 11, 25), rules_version="t")
            s.add(ev)
            s.flush()
            s.add(
                Finding(
                    evaluation_id=ev.id,
                    rule="LAIP-10.08",
                    numeral=8,
                    status="present",
                    evidence=[
                        {
                            "url": base + "/docs/ejecucion-agosto-2026.pdf",
                            "label": "Ejecución agosto 2026",
                            "period": "2026-08",
                            "page_url": base + "/transparencia/",
                            "sha256": doc_sha,
                        }
                    ],
                )
            )
        return run.id


def test_a_night_gets_one_wacz_per_portal_with_request_and_response_records(store: Any) -> None:
    rid = night(store, 1)
    summary = build_run_archive(store, rid)
    assert (summary.archives, summary.records, summary.previous_run_id) == (2, 8, None)
    archives, manifest_path = site_archives(store, rid)
    assert sorted(archives) == ["0101", "0102"] and manifest_path is not None
    with zipfile.ZipFile(archives["0101"]) as zf:
        names = set(zf.namelist())
        assert {
            "archive/data.warc.gz",
            "indexes/index.cdx",
            "pages/pages.jsonl",
            "datapackage.json",
            "datapackage-digest.json",
        } <= names
        package = json.loads(zf.read("datapackage.json"))
        assert {r["path"] for r in package["resources"]} == {
            "archive/data.warc.gz",
            "indexes/index.cdx",
            "pages/pages.jsonl",
        }
        warc = zf.read("archive/data.warc.gz")
        index = zf.read("indexes/index.cdx").decode().splitlines()
        pages = zf.read("pages/pages.jsonl").decode().splitlines()
    records = [
        (r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(io.BytesIO(warc))
    ]
    assert ("response", "http://0101.muni.example/docs/ejecucion-agosto-2026.pdf") in records
    assert ("request", "http://0101.muni.example/docs/ejecucion-agosto-2026.pdf") in records
    assert ("response", "http://0101.muni.example/transparencia/") in records  # the page it came from
    assert not any("noticias" in (uri or "") for _kind, uri in records)  # uncited evidence is not archived
    # the CDXJ index points at the right record (what a replay tool does to find it)
    for line in index:
        _key, _ts, data = line.split(" ", 2)
        entry = json.loads(data)
        record = next(ArchiveIterator(io.BytesIO(warc[int(entry["offset"]) :])))
        assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
    doc = next(
        r
        for r in ArchiveIterator(io.BytesIO(warc))
        if r.rec_type == "response" and r.rec_headers.get_header("WARC-Target-URI").endswith(".pdf")
    )
    assert doc.http_headers.get_header("Content-Type") == "application/pdf"
    assert doc.http_headers.get_header("Last-Modified") == "Mon, 01 Sep 2026 10:00:00 GMT"
    assert doc.rec_headers.get_header("WARC-Date") == "2026-11-25T01:31:00Z"
    assert doc.content_stream().read() == PDF + b"0101"
    assert index == _cdxj_indexer(warc)
    assert json.loads(pages[0])["format"] == "json-pages-1.0" and len(pages) == 3
    assert verify_archives(store).ok


def test_nights_chain_and_one_altered_byte_in_a_past_wacz_is_detected(store: Any, tmp_path: Path) -> None:
    first, second, third = night(store, 1), night(store, 2), night(store, 3)
    summaries = [build_run_archive(store, rid) for rid in (first, second, third)]
    assert [s.previous_run_id for s in summaries] == [None, first, second]
    assert build_run_archive(store, second).existed  # an archived night is never rewritten
    clean = verify_archives(store)
    assert clean.ok and clean.runs == [first, second, third] and clean.archives == 6 and clean.records == 24

    archives, _ = site_archives(store, first)
    path = archives["0102"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one byte, in the middle of the stored WARC
    path.write_bytes(bytes(data))
    result = verify_archives(store)
    assert not result.ok
    assert any(f"corrida {first}" in p and "0102.wacz fue alterado" in p for p in result.problems)
    # the command says so too, with exit code 1 and one line per problem
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "vigia.cli", "evidence", "verify", "--db", str(tmp_path / "vigia.db"),
         "--data-dir", str(tmp_path / "datos"), "--run", str(third)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "0102.wacz fue alterado" in done.stderr and "ALTERADA" in done.stdout


def test_an_altered_or_deleted_past_manifest_breaks_the_chain(store: Any) -> None:
    first, second = night(store, 1), night(store, 2)
    build_run_archive(store, first)
    build_run_archive(store, second)
    _, manifest = site_archives(store, first)
    assert manifest is not None
    original = manifest.read_bytes()
    # rewrite the past manifest to match an altered archive: its own hash no longer matches
    forged = json.loads(original)
    forged["archives"][0]["sha256"] = "0" * 64
    manifest.write_text(json.dumps(forged), encoding="utf-8")
    problems = verify_archives(store).problems
    assert any("el manifiesto fue alterado" in p for p in problems)
    # deleting the past night's folder altogether is detected too
    manifest.write_bytes(original)
    assert verify_archives(store).ok
    for p in manifest.parent.iterdir():
        p.unlink()
    manifest.parent.rmdir()
    problems = verify_archives(store).problems
    assert any("falta el manifiesto" in p for p in problems)
    # and so is the deletion of its row: the next night points at a link that is gone
    from sqlalchemy import delete

    from vigia.store.models import EvidenceArchive

    with store.session() as s:
        s.execute(delete(EvidenceArchive).where(EvidenceArchive.run_id == first))
    problems = verify_archives(store).problems
    assert any("cadena rota" in p for p in problems)


def test_verify_without_archives_is_one_line(store: Any) -> None:
    with pytest.raises(UserError, match="no hay archivos de evidencia"):
        verify_archives(store)
    rid = night(store, 1)
    with pytest.raises(UserError, match="no tiene archivo de evidencia"):
        verify_archives(store, rid)


def _cdxj_indexer(warc: bytes) -> list[str]:
    """The CDXJ index cdxj-indexer makes by reading the whole WARC."""
    from cdxj_indexer.main import CDXJIndexer

    out = io.StringIO()
    CDXJIndexer(out, [io.BytesIO(warc)], filename="data.warc.gz", sort=True).process_all()
    return out.getvalue().splitlines()


def _records(path: Path) -> tuple[bytes, list[str]]:
    with zipfile.ZipFile(path) as zf:
        return zf.read("archive/data.warc.gz"), zf.read("indexes/index.cdx").decode().splitlines()


def test_an_unchanged_body_is_a_revisit_of_the_earlier_record_and_a_changed_one_a_full_response(
    store: Any,
) -> None:
    """Issue 17: a body already archived by an earlier night is a WARC 1.1 revisit record (headers, no
    payload) referring to the record that holds it, written without reading the blob store."""
    first, second, third = night(store, 1), night(store, 2), night(store, 3)
    one = build_run_archive(store, first)
    assert one.revisits == 0
    doc_sha = {}
    with store.session() as s:
        for code in ("0101", "0102"):
            doc_sha[code] = next(
                d.sha256 for d in s.query(Document).join(PortalCrawl).where(PortalCrawl.run_id == second)
                if d.url.startswith(f"http://{code}.")
            )  # fmt: skip
    # the unchanged documents' bodies are gone from the blob store: night 2 must not need them
    for sha in doc_sha.values():
        for path in (store.blobs.path_for(sha), store.blobs.raw_path_for(sha)):
            path.unlink(missing_ok=True)
    two = build_run_archive(store, second)
    assert (two.records, two.revisits, two.missing_bodies) == (8, 2, 0)
    assert "2 revisitas" in two.describe()
    three = build_run_archive(store, third)
    assert three.revisits == 2

    first_wacz, _ = site_archives(store, first)
    warc1, _ = _records(first_wacz["0101"])
    original = next(
        r for r in ArchiveIterator(io.BytesIO(warc1))
        if r.rec_type == "response" and r.rec_headers.get_header("WARC-Target-URI").endswith(".pdf")
    )  # fmt: skip
    original_id = original.rec_headers.get_header("WARC-Record-ID")
    original_digest = original.rec_headers.get_header("WARC-Payload-Digest")
    pdf_url = "http://0101.muni.example/docs/ejecucion-agosto-2026.pdf"
    for rid in (second, third):
        archives, manifest_path = site_archives(store, rid)
        assert manifest_path is not None
        warc, index = _records(archives["0101"])
        bodies = {
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI")): r.content_stream().read()
            for r in ArchiveIterator(io.BytesIO(warc))
        }
        revisit = next(r for r in ArchiveIterator(io.BytesIO(warc)) if r.rec_type == "revisit")
        assert revisit.rec_headers.protocol == "WARC/1.1"
        assert revisit.rec_headers.get_header("WARC-Target-URI") == pdf_url
        assert revisit.rec_headers.get_header("WARC-Profile") == (
            "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
        )
        # every night refers to the record that has the bytes (night 1), not to a revisit
        assert revisit.rec_headers.get_header("WARC-Refers-To") == original_id
        assert revisit.rec_headers.get_header("WARC-Refers-To-Target-URI") == pdf_url
        assert revisit.rec_headers.get_header("WARC-Refers-To-Date") == "2026-11-25T01:31:00Z"
        assert revisit.rec_headers.get_header("WARC-Payload-Digest") == original_digest
        assert revisit.http_headers.get_header("Content-Type") == "application/pdf"
        assert revisit.http_headers.get_header("Content-Length") == str(len(PDF + b"0101"))
        assert revisit.content_stream().read() == b""
        # the page changed every night: a full response record with this night's body
        assert [k for k in bodies if k[0] == "response"] == [
            ("response", "http://0101.muni.example/transparencia/")
        ]
        assert (
            f"noche {rid - first + 1}".encode()
            in bodies[("response", "http://0101.muni.example/transparencia/")]
        )
        # the CDXJ index lists the revisit (as replay tools expect) and its offset points at it
        kinds = {}
        for line in index:
            _key, _ts, data = line.split(" ", 2)
            entry = json.loads(data)
            record = next(ArchiveIterator(io.BytesIO(warc[int(entry["offset"]) :])))
            assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
            kinds[record.rec_type] = entry
        assert kinds["revisit"]["mime"] == "warc/revisit" and kinds["revisit"]["url"] == pdf_url
        assert index == _cdxj_indexer(warc)  # the lines made while writing are cdxj-indexer's, byte for byte
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        assert manifest["format"] == "vigia-manifiesto-evidencia/2"
        listed = next(a for a in manifest["archives"] if a["key"] == "0101")
        revisits = [r for r in listed["records"] if r["type"] == "revisit"]
        assert len(revisits) == 1 and revisits[0]["payload_sha256"] == doc_sha["0101"]
        assert revisits[0]["refers_to"] == {
            "run_id": first,
            "file": "0101.wacz",
            "record_id": original_id,
            "uri": pdf_url,
            "date": "2026-11-25T01:31:00Z",
        }
    clean = verify_archives(store)
    assert clean.ok, clean.problems
    assert clean.records == 24


def test_an_altered_or_deleted_earlier_archive_is_reported_for_the_night_that_revisits_it(
    store: Any,
) -> None:
    first, second = night(store, 1), night(store, 2)
    build_run_archive(store, first)
    assert build_run_archive(store, second).revisits == 2
    assert verify_archives(store, second).ok
    archives, manifest = site_archives(store, first)
    assert manifest is not None
    # one altered byte in night 1's WACZ: night 2's revisit points at a record that no longer proves itself
    path = archives["0101"]
    original = path.read_bytes()
    data = bytearray(original)
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    problems = verify_archives(store, second).problems
    assert any(f"corrida {first}" in p and "0101.wacz fue alterado" in p for p in problems)
    assert any(
        p.startswith(f"corrida {second}: 0101.wacz: la revisita de http://0101.muni.example/docs/")
        and "que falta o fue alterado" in p
        for p in problems
    ), problems
    assert not any(p.startswith(f"corrida {second}: 0102.wacz") for p in problems)
    path.write_bytes(original)
    assert verify_archives(store, second).ok
    # a deleted earlier WACZ
    archives["0102"].unlink()
    problems = verify_archives(store, second).problems
    assert any(p.startswith(f"corrida {second}: 0102.wacz: la revisita") for p in problems), problems


def test_the_site_publishes_the_earlier_wacz_that_a_night_revisits(store: Any, tmp_path: Path) -> None:
    from reports.api import _publish_wacz

    first, second = night(store, 1), night(store, 2)
    build_run_archive(store, first)
    build_run_archive(store, second)
    site = tmp_path / "sitio"
    assert _publish_wacz(store, first, site) == {"0101": "archivo/0101.wacz", "0102": "archivo/0102.wacz"}
    assert not list((site / "archivo").glob("corrida-*"))  # night 1 holds every body itself
    published = _publish_wacz(store, second, site)
    assert published == {"0101": "archivo/0101.wacz", "0102": "archivo/0102.wacz"}
    archives, _ = site_archives(store, first)
    for code in ("0101", "0102"):
        copy = site / "archivo" / f"corrida-{first}" / f"{code}.wacz"
        assert copy.read_bytes() == archives[code].read_bytes()
    for rid in (first, second):
        assert (site / "archivo" / f"manifiesto-corrida-{rid}.json").is_file()


def test_archives_written_by_worker_processes_are_the_same_as_written_in_place(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From ``PARALLEL_ARCHIVES`` portals up (here: from one) the WACZ are written by worker processes:
    same files, same records and revisits as in place, and the chain verifies."""
    from vigia.evidence import archive

    first, second = night(store, 1), night(store, 2)
    monkeypatch.setattr(archive, "PARALLEL_ARCHIVES", 1)
    monkeypatch.setattr(archive.os, "cpu_count", lambda: 2)
    pools: list[int] = []

    class Pool(archive.ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(kwargs["max_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(archive, "ProcessPoolExecutor", Pool)
    one, two = build_run_archive(store, first), build_run_archive(store, second)
    assert pools == [2, 2]
    assert (one.archives, one.records, one.revisits) == (2, 8, 0)
    assert (two.archives, two.records, two.revisits, two.missing_bodies) == (2, 8, 2, 0)
    sources, _ = site_archives(store, second)
    assert sorted(sources) == ["0101", "0102"]
    for path in sources.values():
        with zipfile.ZipFile(path) as zf:
            assert {"archive/data.warc.gz", "indexes/index.cdx", "datapackage.json"} <= set(zf.namelist())
    assert verify_archives(store).ok
