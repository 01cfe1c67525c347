"""Document types and document hosts, defined once for the crawler, the checks and the reports.

A document's type (``Document.doc_type`` in the store) is one of :data:`DOC_TYPES`. It comes from the
response's content type when there is one, else from the URL's extension; a link to a known document
host (procurement, file sharing, state platforms) is a document even without an extension.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit

#: The values of ``Document.doc_type``.
DOC_TYPES: tuple[str, ...] = (
    "pdf",
    "xlsx",
    "xls",
    "docx",
    "doc",
    "ods",
    "odt",
    "csv",
    "pptx",
    "ppt",
    "zip",
    "image",
    "other",
)
#: File extension → document type.
EXTENSIONS: dict[str, str] = {
    "pdf": "pdf",
    "xlsx": "xlsx",
    "xlsm": "xlsx",
    "xls": "xls",
    "docx": "docx",
    "doc": "doc",
    "ods": "ods",
    "odt": "odt",
    "csv": "csv",
    "pptx": "pptx",
    "ppt": "ppt",
    "zip": "zip",
    "rar": "zip",
    "7z": "zip",
    "jpg": "image",
    "jpeg": "image",
    "png": "image",
    "gif": "image",
    "tif": "image",
    "tiff": "image",
    "txt": "other",
    "rtf": "other",
    "json": "other",
}
#: Media type → document type.
CONTENT_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.ms-powerpoint": "ppt",
    "text/csv": "csv",
    "application/zip": "zip",
    "application/x-rar-compressed": "zip",
}
#: Office and data formats: what counts as a published document (not an image or an archive).
DOCUMENT_FORMATS: tuple[str, ...] = ("pdf", "xlsx", "xls", "docx", "doc", "ods", "odt", "csv", "pptx", "ppt")
#: Open, reusable data formats (the portal rule on open formats).
OPEN_FORMATS: tuple[str, ...] = ("csv", "xlsx", "xls", "ods")

#: Hosts whose links are documents even without a file extension (a host or any of its subdomains).
DOCUMENT_HOSTS: tuple[str, ...] = (
    "guatecompras.gt",
    "drive.google.com",
    "docs.google.com",
    "dropbox.com",
    "onedrive.live.com",
    "1drv.ms",
    "sharepoint.com",
    "mega.nz",
    "issuu.com",
    "scribd.com",
    "box.com",
    "minfin.gob.gt",
    "contraloria.gob.gt",
    "transparencia.gob.gt",
)
#: Host-and-path prefixes of document repositories on municipal hosts ("muni.gob.gt/laip/…").
DOCUMENT_PATHS: tuple[str, ...] = ("gob.gt/laip",)
#: Social networks and maps: never documents, never the portal's own content.
SOCIAL_HOSTS: tuple[str, ...] = (
    "facebook.com",
    "fb.com",
    "twitter.com",
    "x.com",
    "instagram.com",
    "youtube.com",
    "youtu.be",
    "whatsapp.com",
    "wa.me",
    "tiktok.com",
    "linkedin.com",
    "flickr.com",
    "t.me",
    "maps.google.com",
    "goo.gl",
)


def _suffix_pattern(hosts: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?:^|\.)(?:" + "|".join(re.escape(h) for h in hosts) + r")$")


_DOCUMENT_HOST = _suffix_pattern(DOCUMENT_HOSTS)
_SOCIAL_HOST = _suffix_pattern(SOCIAL_HOSTS)


def is_document_host(host: str) -> bool:
    return bool(_DOCUMENT_HOST.search(host.lower()))


def is_social_host(host: str) -> bool:
    return bool(_SOCIAL_HOST.search(host.lower()))


def doc_type_from_url(url: str) -> str | None:
    """The document type named by the URL's extension, or ``None`` for a page-looking URL."""
    try:
        path = unquote(urlsplit(url).path).lower()
    except ValueError:
        return None
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    return EXTENSIONS.get(name.rsplit(".", 1)[-1])


def doc_type_from_content_type(content_type: str) -> str | None:
    ct = content_type.split(";", 1)[0].strip().lower()
    if ct in CONTENT_TYPES:
        return CONTENT_TYPES[ct]
    if ct.startswith("image/"):
        return "image"
    return None


@lru_cache(maxsize=65536)
def looks_like_document(url: str) -> str | None:
    """The document type of a link that is not an HTML page: by extension, else by document host
    or repository path (``"other"``); ``None`` for a page."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    path = parts.path.lower()
    if "." in path.rsplit("/", 1)[-1]:
        ext = path.rsplit(".", 1)[-1]
        if ext in EXTENSIONS:
            return EXTENSIONS[ext]
    host = (parts.hostname or "").lower()
    if is_document_host(host) or any(p in host + path for p in DOCUMENT_PATHS):
        return "other"
    return None


#: how the errors of a document that broke a reading limit begin or read (crawler/extraction.py words the
#: worker's time-out and death)
_LIMIT_ERRORS = ("PartTooLarge:", "ContentTooLarge:", "MemoryError")
_LIMIT_WORDS = ("(límite de", "el proceso de extracción no respondió")


def broke_a_limit(error: str | None) -> bool:
    """Whether a document's extraction error is a reading limit (an Office part or PDF content that
    inflates past its cap, a worker out of memory or time), not a damaged file: the document may hold
    anything, so its portal's crawl is ``partial`` and the numerals it stands under are "No verificable"."""
    return bool(error) and (
        str(error).startswith(_LIMIT_ERRORS) or any(word in str(error) for word in _LIMIT_WORDS)
    )
