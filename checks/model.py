"""The checks' typed, immutable boundary: statuses, evidence, findings and the portal snapshot.

A :class:`PortalSnapshot` is everything the rules may look at for one portal crawl: frozen
dataclasses and tuples built by the runner from the store (or, in tests, from a case file). Rules
never fetch and never touch the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checks.attribution import Analysis

from vigia.store.models import FAILED_OUTCOMES, STATUSES

PRESENT, OUTDATED, ABSENT, NOT_APPLICABLE, UNVERIFIED = STATUSES

STATUS_LABELS: dict[str, str] = {
    PRESENT: "Cumple",
    OUTDATED: "Desactualizado",
    ABSENT: "No publicado",
    NOT_APPLICABLE: "No aplica",
    UNVERIFIED: "No verificable",
}

__all__ = [
    "ABSENT",
    "FAILED_OUTCOMES",
    "NOT_APPLICABLE",
    "OUTDATED",
    "PRESENT",
    "STATUSES",
    "STATUS_LABELS",
    "UNVERIFIED",
    "Block",
    "DocumentSnap",
    "Evidence",
    "Finding",
    "IncidentSnap",
    "Link",
    "Mention",
    "PageSnap",
    "PortalSnapshot",
]


@dataclass(frozen=True)
class Evidence:
    """One thing that supports a finding: a document or a section of a page."""

    url: str
    label: str
    period: str | None = None
    page_url: str | None = None
    sha256: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "label": " ".join(self.label.split())[:300],
            "period": self.period,
            "page_url": self.page_url,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one portal."""

    rule: str
    numeral: int | None
    status: str
    reason: str
    evidence: tuple[Evidence, ...] = ()
    period: str | None = None
    details: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")


@dataclass(frozen=True)
class Link:
    url: str
    label: str


@dataclass(frozen=True)
class Block:
    """A section of a page: the heading trail above it, its visible text, its links."""

    headings: tuple[str, ...]
    text: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class PageSnap:
    url: str
    final_url: str
    status: int
    title: str
    trail: tuple[str, ...]
    blocks: tuple[Block, ...]
    text: str = ""


@dataclass(frozen=True)
class Mention:
    page_url: str
    label: str
    trail: tuple[str, ...]


@dataclass(frozen=True)
class DocumentSnap:
    url: str
    label: str
    page_url: str | None
    trail: tuple[str, ...] = ()
    mentions: tuple[Mention, ...] = ()
    host: str = ""
    external: bool = False
    doc_type: str = "other"
    fetched: bool = False
    status: int | None = None
    text: str = ""
    dates: tuple[Any, ...] = ()
    is_scanned: bool | None = None
    error: str | None = None
    sha256: str | None = None
    final_url: str | None = None

    @property
    def broken(self) -> bool:
        """The link does not lead to the document (404, 5xx, refused): not evidence."""
        return self.status is not None and self.status >= 400


@dataclass(frozen=True)
class IncidentSnap:
    kind: str
    url: str | None
    message: str


@dataclass(frozen=True)
class PortalSnapshot:
    """One portal's crawl, frozen."""

    portal_url: str
    outcome: str | None
    outcome_reason: str | None = None
    pages_count: int = 0
    documents_count: int = 0
    pages: tuple[PageSnap, ...] = ()
    documents: tuple[DocumentSnap, ...] = ()
    incidents: tuple[IncidentSnap, ...] = ()
    transparency_url: str | None = None
    ine_code: str | None = None
    extra: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def failed(self) -> bool:
        """The crawl did not reach the portal's content at all (never judged as absent)."""
        return self.outcome in FAILED_OUTCOMES or self.outcome is None

    @property
    def complete(self) -> bool:
        return self.outcome == "complete"

    @cached_property
    def analysis(self) -> Analysis:
        """Attribution of evidence to numerals, computed once per snapshot (pure and deterministic)."""
        from checks.attribution import analyse

        return analyse(self)
