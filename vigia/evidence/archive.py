"""WACZ archives of a run's evidence, the run's manifest, and their verification (docs/evidence.md).

For each portal of a run whose findings cite evidence, one WACZ (``<data dir>/archivo/run-<N>/<key>.wacz``)
holds a WARC request record and a WARC response record for every cited page and document (and the page
each document was linked from): the raw body kept by the crawl (``store.blobs``), the response's status
and headers (the headers Scrapy received, from the crawl's HTTP-cache entry when it still describes that
body; otherwise the ones the store kept: ``Content-Type``, ``Content-Length``, ``Last-Modified``) and the
fetch time. Inside: ``archive/data.warc.gz`` (warcio), ``indexes/index.cdx`` (CDXJ, cdxj-indexer),
``pages/pages.jsonl``, ``datapackage.json`` (sha256 of each resource) and ``datapackage-digest.json``,
the layout replay tools (ReplayWeb.page, pywb) open.

The run's ``manifest.json`` lists each archive's sha256 and size, and each WARC record's id, type, URI,
date, WARC block digest and the sha256 of its body. It names the previous archived run's manifest hash;
the store keeps each manifest's hash and its predecessor's (``EvidenceArchive``). ``verify_archives``
recomputes everything: one altered byte in a past WACZ changes its sha256; an altered manifest changes
its hash and breaks the link from the next night; a deleted night leaves the next manifest pointing at
nothing. The newest manifest is also copied into the published site, which anchors the chain outside
the machine that keeps the evidence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import multiprocessing
import os
import pickle
import re
import tempfile
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from vigia import __version__
from vigia.errors import UserError
from vigia.store import Store
from vigia.store.blobs import BlobStore
from vigia.store.models import (
    CrawlRun,
    Document,
    Evaluation,
    EvidenceArchive,
    Finding,
    Page,
    PortalCrawl,
    utcnow,
)

#: folder under the data directory that keeps the archives, one sub-folder per run
ARCHIVE_DIR = "archivo"
MANIFEST = "manifest.json"
#: /2 adds ``revisit`` records (and ``payload_digest``/``payload_bytes`` of responses); /1 is still read
MANIFEST_FORMAT = "vigia-manifiesto-evidencia/2"
#: WARC 1.1's profile for a body byte-identical to one archived before (only the HTTP headers are written)
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
WARC_NAME = "data.warc.gz"
#: from this many portals up, their WACZ are written by worker processes (one per core)
PARALLEL_ARCHIVES = 8
_HTTP_REASONS = {200: "OK", 203: "Non-Authoritative Information", 206: "Partial Content", 304: "Not Modified"}
_MAX_PROBLEMS_SHOWN = 50


@dataclass
class ArchiveSummary:
    run_id: int
    archives: int = 0
    records: int = 0
    bytes: int = 0
    manifest_sha256: str = ""
    previous_run_id: int | None = None
    missing_bodies: int = 0
    seconds: float = 0.0
    existed: bool = False
    revisits: int = 0

    def describe(self) -> str:
        chain = (
            f"encadenado a la corrida {self.previous_run_id}"
            if self.previous_run_id is not None
            else "primer eslabón de la cadena"
        )
        already = " (ya existía)" if self.existed else ""
        missing = f", {self.missing_bodies} cuerpos faltantes" if self.missing_bodies else ""
        revisits = (
            f" ({self.revisits} revisitas de cuerpos ya archivados)"
            if self.revisits and not self.existed
            else ""
        )
        return (
            f"Archivo de evidencia de la corrida {self.run_id}{already}: {self.archives} WACZ, "
            f"{self.records} registros WARC{revisits}, {self.bytes / 1_048_576:.1f} MB{missing}; manifiesto "
            f"{self.manifest_sha256[:16]}… {chain}; {self.seconds:.1f} s"
        )


@dataclass
class VerifySummary:
    runs: list[int] = field(default_factory=list)
    archives: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        runs = ", ".join(str(r) for r in self.runs) or "ninguna"
        if self.ok:
            return (
                f"Evidencia íntegra: corridas {runs}; {self.archives} WACZ y {self.records} registros "
                "coinciden con sus manifiestos, y la cadena de manifiestos está completa"
            )
        return (
            f"Evidencia ALTERADA o incompleta: {len(self.problems)} problema(s) en las corridas {runs} "
            f"({self.archives} WACZ, {self.records} registros revisados)"
        )

    def problem_lines(self) -> list[str]:
        shown = self.problems[:_MAX_PROBLEMS_SHOWN]
        rest = len(self.problems) - len(shown)
        return shown + ([f"… y {rest} problemas más"] if rest > 0 else [])


@dataclass(frozen=True)
class _Original:
    """A response record of an earlier run's WACZ that holds a body (what a revisit record refers to)."""

    run_id: int
    file: str
    record_id: str
    uri: str
    date: str
    payload_digest: str
    payload_bytes: int

    def reference(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "file": self.file,
            "record_id": self.record_id,
            "uri": self.uri,
            "date": self.date,
        }


@dataclass(frozen=True)
class _Item:
    url: str
    status: int
    content_type: str | None
    last_modified: str | None
    fetched_at: dt.datetime | None
    sha256: str
    title: str


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _data_dir(blobs: BlobStore) -> Path:
    """The crawl's data folder (blobs, HTTP cache, archives) that holds the blob store."""
    return Path(blobs.root).parent


def _slug(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")[:80] or "portal"


def _resolve_run(store: Store, run_id: int | None) -> int:
    with store.session() as s:
        if run_id is not None:
            if s.get(CrawlRun, run_id) is None:
                raise UserError(f"no existe la corrida {run_id} en la base de datos")
            return run_id
        newest = s.scalar(
            select(PortalCrawl.run_id)
            .join(Evaluation, Evaluation.portal_crawl_id == PortalCrawl.id)
            .join(CrawlRun, CrawlRun.id == PortalCrawl.run_id)
            .where(CrawlRun.kind != "audit")
            .order_by(PortalCrawl.run_id.desc())
            .limit(1)
        )
    if newest is None:
        raise UserError("no hay corridas evaluadas: ejecute primero vigia check")
    return int(newest)


# --------------------------------------------------------------------------- what goes in


def _cited_items(store: Store, run_id: int) -> dict[str, list[_Item]]:
    """Portal key → the pages and documents its findings cite (and the pages documents came from)."""
    out: dict[str, list[_Item]] = {}
    with store.session() as s:
        crawls = s.execute(
            select(PortalCrawl.id, PortalCrawl.portal_key).where(PortalCrawl.run_id == run_id)
        ).all()
        key_of = {pc_id: key for pc_id, key in crawls}
        urls: dict[int, set[str]] = defaultdict(set)
        shas: dict[int, set[str]] = defaultdict(set)
        rows = s.execute(
            select(Evaluation.portal_crawl_id, Finding.evidence)
            .join(Finding, Finding.evaluation_id == Evaluation.id)
            .where(Evaluation.portal_crawl_id.in_(list(key_of)))
        )
        for pc_id, evidence in rows:
            for item in evidence or []:
                if not isinstance(item, dict):
                    continue
                for name in ("url", "page_url"):
                    if item.get(name):
                        urls[pc_id].add(str(item[name]))
                if item.get("sha256"):
                    shas[pc_id].add(str(item["sha256"]))
        for pc_id in sorted(set(urls) | set(shas)):
            wanted_urls, wanted_shas = urls[pc_id], shas[pc_id]
            items: dict[tuple[str, str], _Item] = {}
            pages = s.execute(
                select(
                    Page.url,
                    Page.final_url,
                    Page.status,
                    Page.content_type,
                    Page.last_modified,
                    Page.fetched_at,
                    Page.sha256,
                    Page.title,
                ).where(Page.portal_crawl_id == pc_id, Page.sha256.is_not(None))
            )
            for url, final, status, ctype, lm, at, sha, title in pages:
                if url in wanted_urls or final in wanted_urls or sha in wanted_shas:
                    target = final or url
                    items[(target, sha)] = _Item(target, status or 200, ctype, lm, at, sha, title or "")
            docs = s.execute(
                select(
                    Document.url,
                    Document.final_url,
                    Document.status,
                    Document.content_type,
                    Document.last_modified,
                    Document.fetched_at,
                    Document.sha256,
                    Document.label,
                ).where(Document.portal_crawl_id == pc_id, Document.sha256.is_not(None))
            )
            for url, final, status, ctype, lm, at, sha, label in docs:
                if url in wanted_urls or (final and final in wanted_urls) or sha in wanted_shas:
                    target = final or url
                    items[(target, sha)] = _Item(target, status or 200, ctype, lm, at, sha, label or "")
            if items:
                out[key_of[pc_id]] = sorted(items.values(), key=lambda i: (i.url, i.sha256))
    return out


def _cached_headers(data_dir: Path, url: str, sha256: str) -> tuple[int, list[tuple[str, str]]] | None:
    """The status and headers Scrapy received for ``url``, from the crawl's HTTP-cache entry, when that
    entry still describes the body ``sha256`` (crawler/cache.py); ``None`` otherwise."""
    try:
        from scrapy import Request
        from scrapy.utils.request import fingerprint
        from w3lib.http import headers_raw_to_dict

        key = fingerprint(Request(url)).hex()
    except Exception:  # noqa: BLE001 - a URL Scrapy cannot build a request for: no cached headers
        return None
    path = data_dir / "httpcache" / "portal" / "v2" / key[:2] / key
    try:
        with open(path, "rb") as fh:
            entry = pickle.load(fh)  # noqa: S301 - written by the crawl itself, in the same data directory
        if entry.get("sha256") != sha256:
            return None
        headers = headers_raw_to_dict(entry["headers"])
        pairs = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in headers.items()
            for v in values
            if k.lower() not in (b"content-encoding", b"transfer-encoding")
        ]
        return int(entry.get("status") or 200), pairs
    except (OSError, EOFError, KeyError, TypeError, ValueError, AttributeError, pickle.UnpicklingError):
        return None


def _response_headers(item: _Item, length: int, data_dir: Path) -> tuple[int, list[tuple[str, str]]]:
    cached = _cached_headers(data_dir, item.url, item.sha256)
    if cached is not None:
        status, pairs = cached
        pairs = [(k, v) for k, v in pairs if k.lower() != "content-length"]
    else:
        status = item.status
        pairs = []
        if item.content_type:
            pairs.append(("Content-Type", item.content_type))
        if item.last_modified:
            pairs.append(("Last-Modified", item.last_modified))
        pairs.append(("X-Vigia-Headers", "reconstruidos del almacén de evidencia"))
    pairs.append(("Content-Length", str(length)))
    return status, pairs


def _iso(at: dt.datetime | None) -> str:
    when = at or utcnow()
    return when.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- writing


def _archived_bodies(data_dir: Path, previous: EvidenceArchive | None) -> dict[str, list[_Original]]:
    """Body sha256 → the response records of earlier runs that hold it, read from the previous run's
    manifest alone: its responses, and the originals its revisit records refer to (so a chain of
    unchanged nights always points at the record that has the bytes). Empty when the previous manifest
    is missing, altered (its hash is not the stored one) or of format /1 (no payload digests)."""
    if previous is None:
        return {}
    folder = data_dir / previous.folder
    try:
        raw = (folder / MANIFEST).read_bytes()
    except OSError:
        return {}
    if hashlib.sha256(raw).hexdigest() != previous.manifest_sha256:
        return {}
    try:
        manifest = json.loads(raw)
    except ValueError:
        return {}
    out: dict[str, list[_Original]] = defaultdict(list)
    present: dict[tuple[int, str], bool] = {}
    folders: dict[int, Path] = {previous.run_id: folder}
    for archive in manifest.get("archives") or []:
        for rec in archive.get("records") or []:
            sha, digest, size = rec.get("payload_sha256"), rec.get("payload_digest"), rec.get("payload_bytes")
            if not (sha and digest and isinstance(size, int)):
                continue
            ref = rec.get("refers_to") if rec.get("type") == "revisit" else None
            if rec.get("type") == "response":
                original = _Original(
                    previous.run_id, str(archive.get("file")), str(rec["id"]), str(rec["uri"]),
                    str(rec["date"]), str(digest), size,
                )  # fmt: skip
            elif isinstance(ref, dict) and isinstance(ref.get("run_id"), int):
                original = _Original(
                    int(ref["run_id"]), str(ref.get("file")), str(ref.get("record_id")), str(ref.get("uri")),
                    str(ref.get("date")), str(digest), size,
                )  # fmt: skip
            else:
                continue
            # the referenced WACZ must still be there (a stat per file); otherwise the body is written again
            where = (original.run_id, original.file)
            if where not in present:
                base = folders.get(original.run_id)
                if base is None:
                    base = folders[original.run_id] = folder.parent / f"run-{original.run_id}"
                present[where] = (base / original.file).is_file()
            if present[where] and original not in out[str(sha)]:
                out[str(sha)].append(original)
    return dict(out)


@dataclass(frozen=True)
class _RecordSpan:
    """Where a record just written lies in the WARC, as cdxj-indexer asks its record iterator."""

    offset: int
    length: int

    def get_record_offset(self) -> int:
        return self.offset

    def get_record_length(self) -> int:
        return self.length


def _write_wacz(
    target: Path,
    key: str,
    items: list[_Item],
    blobs: BlobStore,
    run_id: int,
    archived: dict[str, list[_Original]] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Write ``target`` (a WACZ) and return its records for the manifest and the missing bodies count.

    A body in ``archived`` (already in an earlier run's WACZ, same sha256) is written as a WARC 1.1
    ``revisit`` record (identical-payload-digest profile: the HTTP headers, no payload) that refers to
    that record, without reading the body from the blob store."""
    from cdxj_indexer.main import CDXJIndexer, SortingWriter
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    data_dir = _data_dir(blobs)
    archived = archived or {}
    # the CDXJ index is cdxj-indexer's own line for each record, made as the record is written (the
    # offset and length are known then) instead of reading the whole WARC back (issue 17)
    indexer = CDXJIndexer(io.StringIO(), [], filename=WARC_NAME, sort=True)
    indexer.curr_filename = WARC_NAME
    index = io.StringIO()
    index_lines = SortingWriter(index)
    records: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    missing = 0
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".wacz-") as tmp:
        warc_path = Path(tmp) / WARC_NAME
        with open(warc_path, "wb") as fh:
            writer = WARCWriter(fh, gzip=True, warc_version="1.1")
            info = writer.create_warcinfo_record(
                WARC_NAME,
                {"software": f"Vigía {__version__}", "format": "WARC File Format 1.1", "run": str(run_id)},
            )
            writer.write_record(info)
            for item in items:
                date = _iso(item.fetched_at)
                candidates = archived.get(item.sha256) or []
                original = next((o for o in candidates if o.uri == item.url), None) or next(
                    iter(candidates), None
                )
                if original is not None:
                    status, pairs = _response_headers(item, original.payload_bytes, data_dir)
                    reason = _HTTP_REASONS.get(status, "")
                    http = StatusAndHeaders(f"{status} {reason}".strip(), pairs, protocol="HTTP/1.1")
                    response = writer.create_revisit_record(
                        item.url,
                        original.payload_digest,
                        original.uri,
                        original.date,
                        http_headers=http,
                        warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": original.record_id},
                    )
                    kind, payload_bytes = "revisit", original.payload_bytes
                else:
                    try:
                        body = blobs.get(item.sha256)
                    except (OSError, EOFError):
                        missing += 1
                        continue
                    status, pairs = _response_headers(item, len(body), data_dir)
                    reason = _HTTP_REASONS.get(status, "")
                    http = StatusAndHeaders(f"{status} {reason}".strip(), pairs, protocol="HTTP/1.1")
                    response = writer.create_warc_record(
                        item.url,
                        "response",
                        payload=io.BytesIO(body),
                        length=None,
                        http_headers=http,
                        warc_headers_dict={"WARC-Date": date},
                    )
                    kind, payload_bytes = "response", len(body)
                offset = fh.tell()
                writer.write_record(response)
                indexer.process_index_entry(
                    _RecordSpan(offset, fh.tell() - offset), response, WARC_NAME, index_lines
                )
                parts = urlsplit(item.url)
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                request = writer.create_warc_record(
                    item.url,
                    "request",
                    payload=io.BytesIO(b""),
                    http_headers=StatusAndHeaders(
                        f"GET {path} HTTP/1.1",
                        [("Host", parts.netloc), ("User-Agent", _user_agent())],
                        is_http_request=True,
                    ),
                    warc_headers_dict={
                        "WARC-Date": date,
                        "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
                    },
                )
                writer.write_record(request)
                entry: dict[str, Any] = {
                    "id": response.rec_headers.get_header("WARC-Record-ID"),
                    "type": kind,
                    "uri": item.url,
                    "date": date,
                    "block_digest": response.rec_headers.get_header("WARC-Block-Digest"),
                    "payload_sha256": item.sha256,
                    "payload_digest": response.rec_headers.get_header("WARC-Payload-Digest"),
                    "payload_bytes": payload_bytes,
                }
                if original is not None:
                    entry["refers_to"] = original.reference()
                records.append(entry)
                records.append(
                    {
                        "id": request.rec_headers.get_header("WARC-Record-ID"),
                        "type": "request",
                        "uri": item.url,
                        "date": date,
                        "block_digest": request.rec_headers.get_header("WARC-Block-Digest"),
                        "payload_sha256": None,
                    }
                )
                pages.append({"url": item.url, "ts": date, "title": item.title[:300] or item.url})
        index_lines.flush()
        index_bytes = index.getvalue().encode("utf-8")
        pages_bytes = (
            json.dumps({"format": "json-pages-1.0", "id": "pages", "title": f"Evidencia {key}"}) + "\n"
        ).encode() + b"".join((json.dumps(p, ensure_ascii=False) + "\n").encode() for p in pages)
        resources = [
            (f"archive/{WARC_NAME}", warc_path.read_bytes()),
            ("indexes/index.cdx", index_bytes),
            ("pages/pages.jsonl", pages_bytes),
        ]
        created = _iso(utcnow())
        package = {
            "profile": "data-package",
            "wacz_version": "1.1.1",
            "title": f"Vigía — evidencia de {key}, corrida {run_id}",
            "created": created,
            "software": f"Vigía {__version__}",
            "mainPageURL": items[0].url if items else None,
            "resources": [
                {
                    "name": Path(name).name,
                    "path": name,
                    "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
                    "bytes": len(data),
                }
                for name, data in resources
            ],
        }
        package_bytes = json.dumps(package, indent=1, ensure_ascii=False).encode("utf-8")
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        partial = Path(tmp) / "out.wacz"
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as zf:
            for name, data in resources:
                zf.writestr(name, data)
            zf.writestr("datapackage.json", package_bytes)
            zf.writestr("datapackage-digest.json", json.dumps(digest).encode())
        os.replace(partial, target)
    return records, missing


def _write_one(
    job: tuple[Path, str, list[_Item], str, int, dict[str, list[_Original]]],
) -> tuple[list[dict[str, Any]], int]:
    target, key, items, blobs_root, run_id, archived = job
    return _write_wacz(target, key, items, BlobStore(blobs_root), run_id, archived)


def _write_all(
    folder: Path,
    cited: dict[str, list[_Item]],
    blobs: BlobStore,
    run_id: int,
    archived: dict[str, list[_Original]],
) -> Iterator[tuple[str, Path, list[dict[str, Any]], int]]:
    """Each portal's WACZ written (key, file, its records, bodies missing), in key order. The portals'
    archives are independent: with more than one core and enough of them, worker processes (fork, as
    the checks' workers) write them side by side — 17 s on one core for the 314 archives of an unchanged
    night of the 340-portal fleet."""
    keys = sorted(cited)
    jobs = [
        (
            folder / f"{_slug(key)}.wacz",
            key,
            cited[key],
            str(blobs.root),
            run_id,
            {i.sha256: archived[i.sha256] for i in cited[key] if i.sha256 in archived},
        )
        for key in keys
    ]
    cpus = os.cpu_count() or 1
    if cpus < 2 or len(jobs) < PARALLEL_ARCHIVES or "fork" not in multiprocessing.get_all_start_methods():
        for target, key, items, _, _, earlier in jobs:
            yield key, target, *_write_wacz(target, key, items, blobs, run_id, earlier)
        return
    with ProcessPoolExecutor(max_workers=cpus, mp_context=multiprocessing.get_context("fork")) as pool:
        for job, (records, lost) in zip(jobs, pool.map(_write_one, jobs, chunksize=4), strict=True):
            yield job[1], job[0], records, lost


def _user_agent() -> str:
    from vigia.config import USER_AGENT

    return USER_AGENT


def build_run_archive(store: Store, run_id: int | None = None) -> ArchiveSummary:
    """Write the run's WACZ archives and chained manifest (once: an archived run is never rewritten,
    since that would break the chain of the nights after it)."""
    started = time.monotonic()
    rid = _resolve_run(store, run_id)
    data_dir = _data_dir(store.blobs)
    with store.session() as s:
        existing = s.scalar(select(EvidenceArchive).where(EvidenceArchive.run_id == rid))
        if existing is not None:
            return ArchiveSummary(
                run_id=rid,
                archives=existing.archives_count,
                records=existing.records_count,
                bytes=existing.bytes,
                manifest_sha256=existing.manifest_sha256,
                previous_run_id=existing.previous_run_id,
                existed=True,
            )
        previous = s.scalar(
            select(EvidenceArchive)
            .where(EvidenceArchive.run_id < rid)
            .order_by(EvidenceArchive.run_id.desc())
            .limit(1)
        )
        prev_run, prev_hash = (previous.run_id, previous.manifest_sha256) if previous else (None, None)
        archived = _archived_bodies(data_dir, previous)
    folder_rel = f"{ARCHIVE_DIR}/run-{rid}"
    folder = data_dir / folder_rel
    folder.mkdir(parents=True, exist_ok=True)
    cited = _cited_items(store, rid)
    archives: list[dict[str, Any]] = []
    total_records = total_bytes = missing = revisits = 0
    for key, target, records, lost in _write_all(folder, cited, store.blobs, rid, archived):
        missing += lost
        revisits += sum(1 for r in records if r["type"] == "revisit")
        size = target.stat().st_size
        archives.append(
            {
                "key": key,
                "file": target.name,
                "sha256": _sha256_file(target),
                "bytes": size,
                "records": records,
            }
        )
        total_records += len(records)
        total_bytes += size
    manifest = {
        "format": MANIFEST_FORMAT,
        "run_id": rid,
        "created": _iso(utcnow()),
        "software": f"Vigía {__version__}",
        "previous": {"run_id": prev_run, "manifest_sha256": prev_hash} if prev_run is not None else None,
        "archives": archives,
    }
    manifest_bytes = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_bytes(manifest_bytes)
    os.replace(tmp, folder / MANIFEST)
    manifest_hash = hashlib.sha256(manifest_bytes).hexdigest()
    with store.session() as s:
        s.add(
            EvidenceArchive(
                run_id=rid,
                folder=folder_rel,
                manifest_sha256=manifest_hash,
                previous_run_id=prev_run,
                previous_manifest_sha256=prev_hash,
                archives_count=len(archives),
                records_count=total_records,
                bytes=total_bytes,
            )
        )
    return ArchiveSummary(
        run_id=rid,
        archives=len(archives),
        records=total_records,
        bytes=total_bytes,
        manifest_sha256=manifest_hash,
        previous_run_id=prev_run,
        missing_bodies=missing,
        seconds=time.monotonic() - started,
        revisits=revisits,
    )


def site_archives(store: Store, run_id: int) -> tuple[dict[str, Path], Path | None]:
    """For the reports: portal key → the run's WACZ file, and the run's manifest (empty/None when the
    run has no archive)."""
    with store.session() as s:
        row = s.scalar(select(EvidenceArchive).where(EvidenceArchive.run_id == run_id))
        if row is None:
            return {}, None
        folder = _data_dir(store.blobs) / row.folder
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, None
    out = {}
    for archive in manifest.get("archives") or []:
        path = folder / str(archive.get("file", ""))
        if path.is_file():
            out[str(archive.get("key"))] = path
    return out, manifest_path


def referenced_archives(store: Store, run_id: int) -> list[tuple[int, Path, Path]]:
    """For the reports: the earlier runs' WACZ files that the run's revisit records refer to (they hold
    the bodies), as (run id, WACZ, that run's manifest), so a published night can be replayed and
    verified with what it points at."""
    _, manifest_path = site_archives(store, run_id)
    if manifest_path is None:
        return []
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    wanted: set[tuple[int, str]] = set()
    for archive in manifest.get("archives") or []:
        for rec in archive.get("records") or []:
            ref = rec.get("refers_to") if rec.get("type") == "revisit" else None
            if isinstance(ref, dict) and isinstance(ref.get("run_id"), int) and ref.get("file"):
                wanted.add((int(ref["run_id"]), str(ref["file"])))
    if not wanted:
        return []
    with store.session() as s:
        folders = {
            row.run_id: _data_dir(store.blobs) / row.folder
            for row in s.scalars(
                select(EvidenceArchive).where(EvidenceArchive.run_id.in_({r for r, _ in wanted}))
            )
        }
    out = []
    for ref_run, name in sorted(wanted):
        folder = folders.get(ref_run)
        if folder is not None and (folder / name).is_file():
            out.append((ref_run, folder / name, folder / MANIFEST))
    return out


# --------------------------------------------------------------------------- verifying


#: (run id, WACZ file name, record id) → (body sha256, WARC-Payload-Digest) of each response record that
#: verification found intact, for the revisit records of later runs
_Intact = dict[tuple[int, str, str], tuple[str, str]]


def _verify_revisit(
    record: Any, want: dict[str, Any], run_id: int, intact: _Intact, where: str, problems: list[str]
) -> None:
    """A revisit record must carry what the manifest says, and its target must be a record of an earlier
    run's WACZ that was verified intact, with the same payload."""
    headers = record.rec_headers
    ref = want.get("refers_to") if isinstance(want.get("refers_to"), dict) else {}
    uri = want.get("uri")
    expected = {
        "WARC-Profile": REVISIT_PROFILE,
        "WARC-Payload-Digest": want.get("payload_digest"),
        "WARC-Refers-To": ref.get("record_id"),
        "WARC-Refers-To-Target-URI": ref.get("uri"),
        "WARC-Refers-To-Date": ref.get("date"),
    }
    for name, value in expected.items():
        if value is None or headers.get_header(name) != value:
            problems.append(f"{where}: la revisita de {uri} no coincide con el manifiesto ({name})")
            return
    ref_run, ref_file = ref.get("run_id"), str(ref.get("file"))
    if not isinstance(ref_run, int) or ref_run >= run_id:
        problems.append(f"{where}: la revisita de {uri} remite a una corrida no anterior ({ref_run})")
        return
    target = intact.get((ref_run, ref_file, str(ref.get("record_id"))))
    if target is None:
        problems.append(
            f"{where}: la revisita de {uri} remite al registro {ref.get('record_id')} de {ref_file} "
            f"(corrida {ref_run}), que falta o fue alterado"
        )
    elif target != (want.get("payload_sha256"), want.get("payload_digest")):
        problems.append(
            f"{where}: la revisita de {uri} no tiene el mismo cuerpo que {ref_file} (corrida {ref_run})"
        )


def _verify_wacz(
    path: Path,
    entry: dict[str, Any],
    label: str,
    problems: list[str],
    run_id: int = 0,
    earlier: _Intact | None = None,
    found: _Intact | None = None,
) -> int:
    """Check one WACZ against its manifest entry; return the WARC records read. Its revisit records are
    checked against ``earlier`` (the earlier runs' intact responses); its intact responses go in ``found``."""
    from warcio.archiveiterator import ArchiveIterator

    earlier = {} if earlier is None else earlier
    found = {} if found is None else found
    if not path.is_file():
        problems.append(f"{label}: falta el archivo {path.name}")
        return 0
    actual = _sha256_file(path)
    whole = actual == entry.get("sha256")
    if not whole:
        problems.append(
            f"{label}: {path.name} fue alterado (sha256 {actual[:16]}…, el manifiesto dice "
            f"{str(entry.get('sha256'))[:16]}…)"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            package = json.loads(zf.read("datapackage.json"))
            digest = json.loads(zf.read("datapackage-digest.json"))
            if digest.get("hash") != "sha256:" + hashlib.sha256(zf.read("datapackage.json")).hexdigest():
                problems.append(f"{label}: {path.name}: datapackage.json no coincide con su resumen")
            for resource in package.get("resources") or []:
                data = zf.read(resource["path"])
                if resource.get("hash") != "sha256:" + hashlib.sha256(data).hexdigest():
                    problems.append(
                        f"{label}: {path.name}: {resource['path']} no coincide con datapackage.json"
                    )
            warc = zf.read(f"archive/{WARC_NAME}")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        problems.append(f"{label}: {path.name} no es un WACZ legible ({type(exc).__name__}: {exc})")
        return 0
    expected = {r["id"]: r for r in entry.get("records") or []}
    seen = 0
    try:
        for record in ArchiveIterator(io.BytesIO(warc), check_digests=True):
            if record.rec_type not in ("response", "request", "revisit"):
                continue
            rid = record.rec_headers.get_header("WARC-Record-ID")
            body = record.content_stream().read()
            seen += 1
            want = expected.pop(rid, None)
            if want is None:
                problems.append(f"{label}: {path.name}: registro {rid} no figura en el manifiesto")
                continue
            before = len(problems)
            if want.get("type", record.rec_type) != record.rec_type:
                problems.append(
                    f"{label}: {path.name}: el registro {rid} ya no es de tipo {want.get('type')}"
                )
            if record.digest_checker.problems:
                problems.append(f"{label}: {path.name}: {record.digest_checker.problems[0]}")
            if want.get("block_digest") != record.rec_headers.get_header("WARC-Block-Digest"):
                problems.append(f"{label}: {path.name}: el resumen del registro {rid} cambió")
            sha = want.get("payload_sha256")
            if record.rec_type == "revisit":
                _verify_revisit(record, want, run_id, earlier, f"{label}: {path.name}", problems)
            elif sha and hashlib.sha256(body).hexdigest() != sha:
                problems.append(f"{label}: {path.name}: el cuerpo de {want.get('uri')} fue alterado")
            elif (
                record.rec_type == "response"
                and sha
                and whole
                and len(problems) == before
                and record.rec_headers.get_header("WARC-Payload-Digest") == want.get("payload_digest")
            ):
                found[(run_id, path.name, str(rid))] = (str(sha), str(want.get("payload_digest")))
    except Exception as exc:  # noqa: BLE001 - a damaged archive is a finding of the verification
        problems.append(f"{label}: {path.name}: WARC ilegible ({type(exc).__name__}: {exc})")
    for rid, want in expected.items():
        problems.append(f"{label}: {path.name}: falta el registro {rid} ({want.get('uri')})")
    return seen


def verify_archives(store: Store, run_id: int | None = None) -> VerifySummary:
    """Check every archived run (or ``run_id`` and the chain behind it): archives, records, manifests
    and the links between consecutive manifests."""
    summary = VerifySummary()
    data_dir = _data_dir(store.blobs)
    with store.session() as s:
        rows = list(s.scalars(select(EvidenceArchive).order_by(EvidenceArchive.run_id)))
        known_runs = set(s.scalars(select(CrawlRun.id)))
    if run_id is not None:
        if not any(r.run_id == run_id for r in rows):
            raise UserError(
                f"la corrida {run_id} no tiene archivo de evidencia (vigia evidence build --run {run_id})"
            )
        rows = [r for r in rows if r.run_id <= run_id]
    if not rows:
        raise UserError("no hay archivos de evidencia que verificar (vigia nightly los escribe)")
    by_run = {r.run_id: r for r in rows}
    problems = summary.problems
    intact: _Intact = {}  # response records found intact so far, for the later runs' revisit records
    for index, row in enumerate(rows):
        label = f"corrida {row.run_id}"
        summary.runs.append(row.run_id)
        folder = data_dir / row.folder
        manifest_path = folder / MANIFEST
        try:
            manifest_bytes = manifest_path.read_bytes()
        except OSError:
            problems.append(f"{label}: falta el manifiesto {manifest_path}")
            continue
        trusted = hashlib.sha256(manifest_bytes).hexdigest() == row.manifest_sha256
        if not trusted:
            problems.append(f"{label}: el manifiesto fue alterado (su sha256 no es el registrado)")
        try:
            manifest = json.loads(manifest_bytes)
        except ValueError:
            problems.append(f"{label}: el manifiesto no es JSON legible")
            continue
        if manifest.get("run_id") != row.run_id:
            problems.append(f"{label}: el manifiesto es de la corrida {manifest.get('run_id')}")
        # the chain: this manifest names the previous archived run's manifest hash
        named = manifest.get("previous") or {}
        before = rows[index - 1] if index > 0 else None
        if (
            named.get("run_id") != row.previous_run_id
            or named.get("manifest_sha256") != row.previous_manifest_sha256
        ):
            problems.append(f"{label}: el eslabón anterior del manifiesto no coincide con el registrado")
        if row.previous_run_id is not None:
            prev = by_run.get(row.previous_run_id)
            if prev is None:
                gone = "" if row.previous_run_id in known_runs else " (la corrida ya no existe)"
                problems.append(
                    f"{label}: falta el archivo de la corrida anterior {row.previous_run_id}{gone}: cadena rota"
                )
            elif prev.manifest_sha256 != row.previous_manifest_sha256:
                problems.append(
                    f"{label}: el manifiesto de la corrida {prev.run_id} cambió desde que esta noche lo encadenó"
                )
            elif before is not None and before.run_id != prev.run_id:
                problems.append(f"{label}: la corrida {before.run_id} no está en la cadena")
        elif before is not None:
            problems.append(f"{label}: no encadena con la corrida anterior {before.run_id}")
        found: _Intact = {}
        for entry in manifest.get("archives") or []:
            summary.archives += 1
            summary.records += _verify_wacz(
                folder / str(entry.get("file", "")), entry, label, problems, row.run_id, intact, found
            )
        if trusted:  # records of an altered manifest cannot vouch for a later night's revisits
            intact.update(found)
        listed = {str(e.get("file")) for e in manifest.get("archives") or []}
        for extra in sorted(p.name for p in folder.glob("*.wacz") if p.name not in listed):
            problems.append(f"{label}: {extra} no figura en el manifiesto")
    return summary
