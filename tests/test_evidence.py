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
