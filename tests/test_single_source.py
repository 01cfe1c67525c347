"""Each fact is defined once: the rules' facts live in checks/, nothing else spells them out."""

from __future__ import annotations

import ast
from pathlib import Path

from checks.facts import BAND_NAMES, FAILED_OUTCOMES, NUMERALS, PORTAL_RULES, STATUS_LABELS

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ("vigia", "crawler", "reports", "fleet", "bench")
#: How the simulated portals word their own headings and file titles: portal text, not the rule's facts
#: (real portals title their sections freely; some happen to use the rule's words).
PORTAL_WORDING = {"fleet/generate.py": {"NUMERAL_TOPIC_TITLES", "STANDING_TITLES"}}


def _string_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = PORTAL_WORDING.get(path.relative_to(ROOT).as_posix(), set())
    ignored: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in skipped for t in targets):
                ignored.update(id(n) for n in ast.walk(node))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in ignored
    ]


def test_rule_facts_are_not_copied_outside_checks() -> None:
    facts = set(STATUS_LABELS.values()) | set(BAND_NAMES)
    facts |= {r.title for r in NUMERALS.values()} | {r.legal_text for r in NUMERALS.values()}
    facts |= {r.guidance for r in NUMERALS.values()} | {r.title for r in PORTAL_RULES}
    facts |= {r.guidance for r in PORTAL_RULES}
    copies = []
    for package in PRODUCTION:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, value in _string_constants(path):
                if value in facts:
                    copies.append(f"{path.relative_to(ROOT)}:{line}: {value!r}")
    assert not copies, "copies of the rules' facts (import them from checks.facts):\n" + "\n".join(copies)


def test_failed_outcomes_are_not_listed_again() -> None:
    copies = []
    for package in PRODUCTION + ("checks",):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Tuple | ast.Set | ast.List):
                    values = {e.value for e in node.elts if isinstance(e, ast.Constant)}
                    if set(FAILED_OUTCOMES) <= values and "complete" not in values:
                        copies.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not copies, f"lists of the failed outcomes (import FAILED_OUTCOMES): {copies}"
    from vigia.store import models

    assert FAILED_OUTCOMES is models.FAILED_OUTCOMES and set(FAILED_OUTCOMES) < set(models.OUTCOMES)


def test_no_data_files_duplicate_the_rules() -> None:
    assert not (ROOT / "reports" / "data").exists()
    assert not (ROOT / "vigia" / "data" / "laip_art10.csv").exists()


def test_one_month_table() -> None:
    """Month names are listed once (vigia/spanish.py); periods are read once (vigia/periods.py)."""
    tables = []
    for package in PRODUCTION + ("checks",):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                elements = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
                if isinstance(node, ast.Dict | ast.Tuple | ast.List | ast.Set) and elements:
                    values = {e.value for e in elements if isinstance(e, ast.Constant)}
                    if {"enero", "febrero"} <= values or {"ene", "feb"} <= values:
                        tables.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert [t.split(":")[0] for t in tables] == ["vigia/periods.py", "vigia/spanish.py"], tables


def test_one_list_of_document_types_and_hosts() -> None:
    copies = []
    for package in PRODUCTION + ("checks",):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.relative_to(ROOT).as_posix() == "vigia/doctypes.py":
                continue
            for line, value in _string_constants(path):
                if value in ("drive.google.com", "guatecompras.gt", "application/msword", "xlsm"):
                    copies.append(f"{path.relative_to(ROOT)}:{line}: {value!r}")
    assert not copies, "document types and hosts are listed in vigia/doctypes.py only:\n" + "\n".join(copies)


def test_platforms_are_the_registrys() -> None:
    from crawler.spiders.platforms import STRATEGIES
    from fleet.model import PLATFORMS as FLEET_PLATFORMS
    from vigia.registry import PLATFORMS

    assert set(STRATEGIES) == set(PLATFORMS), "one crawler strategy per registry platform"
    assert set(FLEET_PLATFORMS) == set(PLATFORMS) - {"unknown"}


def test_legal_reading_lists_the_rules_periodicities() -> None:
    """docs/legal-reading.md's table of periodicities names the same numerals as the rules."""
    import re

    from checks.facts import (
        ANNUAL_CURRENT,
        ANNUAL_PREVIOUS,
        MONTHLY,
        NOT_MUNICIPAL,
        STANDING,
        WHEN_OCCURS,
    )

    rows = {
        "monthly": MONTHLY,
        "annual (current year)": ANNUAL_CURRENT,
        "annual (previous year)": ANNUAL_PREVIOUS,
        "standing (vigente)": STANDING,
        "when it occurs": WHEN_OCCURS,
        "not for municipalities": NOT_MUNICIPAL,
    }
    text = (ROOT / "docs" / "legal-reading.md").read_text(encoding="utf-8")
    for label, periodicity in rows.items():
        line = next(li for li in text.splitlines() if li.startswith(f"| {label} |"))
        listed = {int(n) for n in re.findall(r"\b(\d{1,2})\b", line.split("|")[2])}
        expected = {n for n, r in NUMERALS.items() if r.periodicity == periodicity}
        assert listed == expected, (label, sorted(listed), sorted(expected))
