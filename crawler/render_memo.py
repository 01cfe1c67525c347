"""Renders kept for JavaScript pages whose inputs did not change (issue 17: an unchanged night costs what
changed).

A rendered page is a function of what the browser loaded to build it: the page's HTML, its scripts and
the data its scripts fetched. When the browser service renders a page, it records each of those inputs
(URL, resource type, validators, sha256 of the body) next to what the render returned. The next time the
same page is asked for with the same options, the service first revalidates every input with a
conditional GET through the crawler's proxy (the same address rules as the browser's own requests):
when each answers ``304 Not Modified`` or the same bytes, Chromium would build the same page from the same
inputs, and the recorded answer is returned instead of rendering again (Chromium is not even started on a
night where no JavaScript page changed). Anything else renders, and records again:

- an input that changed, failed, redirected, was not a GET, or had no validator (no ``ETag`` nor
  ``Last-Modified``: nothing to ask the server with);
- an input that is no longer allowed (the portal's hosts changed, a forbidden address);
- a record older than ``VIGIA_RENDER_REUSE_DAYS`` days (default 7): a page whose scripts read the clock
  (today's date, a countdown) is rendered afresh at least that often.

Records live in ``<data dir>/renders/<layout>/<key[:2]>/<key>.json``; an unreadable one is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

#: a new layout gets a new folder: old records are never misread
LAYOUT = "r1"
#: the resource types whose bodies make the page (images, fonts and media are aborted by the service)
INPUT_TYPES = {"document", "script", "xhr", "fetch", "stylesheet"}
#: answer keys kept from a render (the page as the crawl receives it)
ANSWER_KEYS = ("url", "status", "headers", "text", "redirects", "ip")


def job_key(job: dict[str, Any]) -> str:
    """The render's identity: the URL and everything that changes what the browser does with it."""
    ident = {k: job.get(k) for k in ("url", "init_scripts", "page_methods")}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()


class RenderMemo:
    def __init__(self, folder: str | os.PathLike[str] | None, max_age_s: float) -> None:
        self.root = Path(folder) / LAYOUT if folder else None
        self.max_age_s = max_age_s
        self.reused = 0
        self.recorded = 0

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.json"

    def load(self, job: dict[str, Any]) -> dict[str, Any] | None:
        """The record of an earlier render of this job, if there is a young enough one."""
        if self.root is None or self.max_age_s <= 0:
            return None
        try:
            with open(self._path(job_key(job)), encoding="utf-8") as fh:
                record = json.load(fh)
            if not isinstance(record, dict) or time.time() - float(record["at"]) > self.max_age_s:
                return None
            if not record["inputs"] or not isinstance(record["answer"], dict):
                return None
            return record
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, job: dict[str, Any], inputs: list[dict[str, Any]] | None, answer: dict[str, Any]) -> None:
        """Record a render; nothing when one of its inputs cannot be revalidated (``inputs`` is ``None``)."""
        if self.root is None or not inputs or not answer.get("ok") or "text" not in answer:
            return
        record = {"at": time.time(), "inputs": inputs, "answer": {k: answer.get(k) for k in ANSWER_KEYS}}
        path = self._path(job_key(job))
        tmp = path.with_name(f"{path.name}.{os.getpid()}")
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
            self.recorded += 1


def input_record(
    url: str, method: str, resource_type: str, status: int, headers: dict[str, str], body: bytes
) -> dict[str, Any] | None:
    """One input of a render, or ``None`` when it cannot be revalidated later."""
    etag, modified = headers.get("etag"), headers.get("last-modified")
    if method != "GET" or not 200 <= status < 300 or not (etag or modified):
        return None
    return {
        "url": url,
        "type": resource_type,
        "etag": etag,
        "last_modified": modified,
        "sha256": hashlib.sha256(body).hexdigest(),
    }


async def unchanged(
    record: dict[str, Any], proxy_url: str, user_agent: str, refused: Any, timeout_s: float
) -> bool:
    """Whether every input of ``record`` is as it was: each asked again with its validators through the
    crawler's proxy; ``refused(resource_type, url)`` says whether the browser may no longer load it."""
    import aiohttp

    client_timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=client_timeout, auto_decompress=True) as session:
        for item in record["inputs"]:
            url = str(item["url"])
            if refused(str(item.get("type") or "document"), url):
                return False
            headers = {"User-Agent": user_agent} if user_agent else {}
            if item.get("etag"):
                headers["If-None-Match"] = str(item["etag"])
            if item.get("last_modified"):
                headers["If-Modified-Since"] = str(item["last_modified"])
            try:
                async with session.get(url, headers=headers, proxy=proxy_url, allow_redirects=False) as r:
                    if r.status == 304:
                        continue
                    if r.status == 200 and hashlib.sha256(await r.read()).hexdigest() == item["sha256"]:
                        continue
                    return False
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
                return False
    return True
