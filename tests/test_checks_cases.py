"""Every rule's case file, run by one parametrised test; and the meta-tests that keep the catalogue honest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from checks.casefile import snapshot_from_dict
from checks.registry import ALL_RULES, NUMERAL_RULES, RULES_BY_CODE
from checks.rules.base import NOT_MUNICIPAL, PERIODIC

CASES_DIR = Path(__file__).resolve().parent.parent / "checks" / "cases"


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _all_cases() -> list[Any]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yml")):
        data = _load(path)
        for case in data["cases"]:
            out.append(pytest.param(data["rule"], data["as_of"], case, id=f"{data['rule']}:{case['name']}"))
    return out


@pytest.mark.parametrize(("code", "as_of", "case"), _all_cases())
def test_rule_case(code: str, as_of: str, case: dict[str, Any]) -> None:
    rule = RULES_BY_CODE[code]
    snapshot = snapshot_from_dict(case["portal"])
    # a case may set its own reference date (the first days of a month, where "last month" is not due yet)
    finding = rule.evaluate(snapshot, dt.date.fromisoformat(str(case.get("as_of", as_of))))
    assert finding.status == case["expect"], f"{case['name']}: {finding.reason}"
    if "period" in case:
        assert finding.period == str(case["period"])
    if case["expect"] in ("present", "outdated"):
        assert finding.evidence, "a present/outdated finding must carry its evidence"
    else:
        assert not finding.evidence
    if "reason_contains" in case:
        assert case["reason_contains"] in finding.reason
    if "evidence_label_contains" in case:
        # content evidence shows what the page says, not the heading it sits under
        assert case["evidence_label_contains"] in finding.evidence[0].label, finding.evidence[0].label
    assert finding.reason.strip()


def test_every_numeral_is_covered_exactly_once() -> None:
    numerals = [r.numeral for r in NUMERAL_RULES]
    assert sorted(numerals) == list(range(1, 30))
    assert len({r.code for r in ALL_RULES}) == len(ALL_RULES)
    assert [r.code for r in NUMERAL_RULES] == [f"LAIP-10.{n:02d}" for n in range(1, 30)]


def test_every_rule_declares_its_metadata() -> None:
    for rule in NUMERAL_RULES:
        assert rule.title and rule.legal_text and rule.guidance and rule.verification, rule.code
        assert rule.present and rule.absent and rule.outdated, rule.code
        assert rule.applies_to_municipalities == (rule.periodicity != NOT_MUNICIPAL), rule.code
        if rule.periodicity != NOT_MUNICIPAL:
            assert rule.vocabulary, rule.code
        # a text is called literal only when it is, and its verification note does not contradict it
        literal_note = rule.verification.startswith("texto literal verificado")
        assert rule.legal_text_is_summary or literal_note, rule.code
        assert ("resumen" in rule.legal_text_kind_es.lower()) == rule.legal_text_is_summary, rule.code
        if rule.legal_text_is_summary and literal_note:
            assert "resumen" in rule.verification, rule.code


def test_every_rule_has_a_case_file_with_the_required_kinds() -> None:
    files = {p.stem for p in CASES_DIR.glob("*.yml")}
    assert files == {r.code for r in NUMERAL_RULES}, "one case file per numeral rule, and no orphans"
    for rule in NUMERAL_RULES:
        data = _load(CASES_DIR / f"{rule.code}.yml")
        assert data["rule"] == rule.code
        kinds = {c["kind"] for c in data["cases"]}
        if rule.periodicity == NOT_MUNICIPAL:
            required = {"not_applicable", "unverified"}
        else:
            required = {"present", "absent", "hard_negative", "unverified"}
            if rule.periodicity in PERIODIC:
                required.add("outdated")
        assert required <= kinds, f"{rule.code} lacks {required - kinds}"
        names = [c["name"] for c in data["cases"]]
        assert len(names) == len(set(names)), f"{rule.code}: duplicate case names"


def test_docs_rules_md_is_generated_from_the_modules() -> None:
    from checks.docs import render

    path = CASES_DIR.parent.parent / "docs" / "rules.md"
    assert path.read_text(encoding="utf-8") == render(), "run: python -m checks.docs > docs/rules.md"
