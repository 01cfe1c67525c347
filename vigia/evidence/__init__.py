"""Evidence that proves itself: WACZ archives of each night's cited pages and documents, and a manifest
per night chained to the previous night's (docs/evidence.md)."""

from vigia.evidence.archive import (
    ArchiveSummary,
    VerifySummary,
    build_run_archive,
    referenced_archives,
    site_archives,
    verify_archives,
)

__all__ = [
    "ArchiveSummary",
    "VerifySummary",
    "build_run_archive",
    "referenced_archives",
    "site_archives",
    "verify_archives",
]
