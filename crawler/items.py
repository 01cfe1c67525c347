"""The spider's typed items (Scrapy items as dataclasses): what a callback hands to the item pipelines.

- :class:`PageItem`: a page read as HTML; its record is already in the portal's state (the spider needs
  it to follow links), the pipeline archives the raw body and completes the record with its digest.
- :class:`DocumentItem`: a fetched document's body; the pipelines archive it and extract its text and
  dates in a worker process (crawler/extraction.py), then complete the document's record.
- :class:`IncidentItem`: something that went wrong while reading a response (a page or document that
  could not be processed); the incident pipeline records it on the portal's state, so it is stored with the
  portal and shown in its checklist. Incidents found by the link policy while deciding what to follow
  (a trap avoided, a budget reached) are recorded on the state directly: they happen outside callbacks.
- :class:`PortalItem`: a finished portal; the store pipeline writes its evidence in one transaction.

Every item carries its portal's key. A page or document item counts as pending work of its portal until
the pipelines are done with it, so a portal is written only after its last document is extracted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageItem:
    portal: str
    url: str
    body: bytes = field(repr=False)
    content_type: str | None = None
    home: bool = False
    sha256: str | None = None


@dataclass
class DocumentItem:
    portal: str
    url: str
    body: bytes = field(repr=False)
    content_type: str = ""
    #: the text of an HTML landing page on a document host (already parsed by the spider), if any
    landing_text: str | None = None
    sha256: str | None = None
    #: the body's length when it is already in the blob store and not carried (``body`` is then empty):
    #: a fresh copy of the HTTP cache answered without a request (crawler/cache.py ``FreshDocuments``)
    stored_size: int | None = None


@dataclass
class IncidentItem:
    portal: str
    kind: str  # one of crawler.state.INCIDENT_KINDS
    url: str | None
    message: str


@dataclass
class PortalItem:
    portal: str
    state: Any = field(repr=False)
