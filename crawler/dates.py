"""Dates and periods named in Spanish text, as ISO strings ("2026-08-15", "2026-08", "2026").

The crawler's name for ``vigia.periods.extract_periods``: one reader of Spanish periods for the
crawler, the checks and the reports (quarters and month ranges count as their last month, as
docs/legal-reading.md asks).
"""

from __future__ import annotations

from vigia.periods import extract_periods

__all__ = ["extract_periods"]
