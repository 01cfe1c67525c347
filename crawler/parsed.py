"""Pages that did not change are not parsed again: the previous night's :class:`ParsedPage`, by body hash.

On a night where a page comes back ``304 Not Modified`` the HTTP cache (crawler/cache.py, Scrapy's
``RFC2616Policy``) hands the spider the cached body again. Cutting it into sections, text and links with
lxml (crawler/htmlparse.py) would give exactly what it gave the night before, so the parsed page is kept
next to the evidence store, one small file per URL:

``<data dir>/parsed/<parser version>/<key[:2]>/<key>`` with ``key = sha256(URL)``, holding the body's
sha256, the text encoding and the parsed page (pickle, written by this module only, in the crawl's own
data dir, like the HTTP cache's entries).

A stored page is used only when the body's sha256 and the encoding are the same; any other body of that URL
is parsed and replaces it, so the folder holds one entry per URL however many nights there are. The parser
version is a digest of the parsing code's source (crawler/htmlparse.py and the folding it uses,
vigia/spanish.py): changing the parser starts a new folder, never a misread of an old entry. Several crawl
processes may write the same URL: each writes its own temporary file and moves it into place.

A page is looked up only when it came from the HTTP cache (``"cached"`` in the response's flags): a page
fetched in full is new or changed, and is parsed.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from scrapy.http import TextResponse

from crawler import htmlparse
from crawler.htmlparse import ParsedPage, parse_html
from vigia import spanish
from vigia.store.blobs import sha256_hex


def _parser_version() -> str:
    digest = hashlib.sha256()
    for module in (htmlparse, spanish):
        with open(module.__file__ or "", "rb") as fh:
            digest.update(fh.read())
    return digest.hexdigest()[:16]


PARSER_VERSION = _parser_version()


class ParsedPages:
    """The parsed pages of earlier crawls in ``root`` (``None``: nothing kept, every page parsed)."""

    def __init__(self, root: Path | str | None) -> None:
        self.root = os.path.join(os.fspath(root), PARSER_VERSION) if root is not None else None
        self._folders: set[str] = set()
        self.reused = 0
        self.parsed = 0

    @classmethod
    def for_store(cls, store: Any) -> ParsedPages:
        """Next to the store's blobs (``<data dir>/blobs`` → ``<data dir>/parsed``)."""
        blobs = getattr(store, "blobs", None)
        if blobs is None:
            return cls(None)
        return cls(Path(blobs.root).parent / "parsed")

    def _path(self, url: str) -> tuple[str, str]:
        assert self.root is not None
        key = sha256_hex(url.encode("utf-8", "surrogatepass"))
        folder = os.path.join(self.root, key[:2])
        return folder, os.path.join(folder, key)

    def parse_response(self, response: TextResponse, rendered: bool, digest: str) -> ParsedPage:
        """The parsed page of an HTML answer whose body hashes to ``digest`` (the spider hashes it once, for
        this and for the archive); only one from the HTTP cache (not rendered) is looked up."""
        cached = "cached" in response.flags and not rendered
        return self.parse(response.body, response.text, response.encoding, response.url, cached, digest)

    def parse(
        self, body: bytes, text: str, encoding: str, url: str, cached: bool, digest: str | None = None
    ) -> ParsedPage:
        """``parse_html(text, url)``, or the same page parsed by an earlier crawl when ``body`` is unchanged."""
        if self.root is None:
            self.parsed += 1
            return parse_html(text, url)
        digest = digest or sha256_hex(body)
        folder, path = self._path(url)
        if cached:
            page = self._load(path, digest, encoding)
            if page is not None:
                self.reused += 1
                return page
        page = parse_html(text, url)
        self.parsed += 1
        self._save(folder, path, (digest, encoding, page))
        return page

    @staticmethod
    def _load(path: str, digest: str, encoding: str) -> ParsedPage | None:
        try:
            with open(path, "rb") as fh:
                entry = pickle.load(fh)  # noqa: S301 - written by this class, in the crawl's own data dir
            stored_digest, stored_encoding, page = entry
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
            return None  # not kept, or unreadable: parsed again
        if stored_digest != digest or stored_encoding != encoding or not isinstance(page, ParsedPage):
            return None
        return page

    def _save(self, folder: str, path: str, entry: tuple[str, str, ParsedPage]) -> None:
        try:
            if folder not in self._folders:
                os.makedirs(folder, exist_ok=True)
                self._folders.add(folder)
            tmp = f"{path}.{os.getpid()}"
            with open(tmp, "wb") as fh:
                pickle.dump(entry, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except (OSError, pickle.PicklingError, RecursionError):
            pass  # not kept (a full disk): the page is parsed again next time, nothing else changes
