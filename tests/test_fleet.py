"""The fleet generator and its truth: determinism, legal reading of statuses, failure mix, registry, CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fleet_helpers import ROOT, make_fleet

from fleet import catalog
from fleet.documents import docx, scanned_pdf, text_pdf, xlsx
from fleet.generate import generate_fleet
from fleet.model import FAILURES, QUIRKS
from fleet.truth import build_truth, makeup
from vigia.registry import load_registry

AS_OF = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return load_registry(ROOT / "municipalities.csv")


@pytest.fixture(scope="module")
def full_fleet(registry):  # type: ignore[no-untyped-def]
    spec = generate_fleet(registry, 340, seed=2026, as_of=AS_OF, base_port=8377)
    return spec, build_truth(spec)


def test_same_seed_same_fleet_other_seed_other_fleet(tmp_path: Path) -> None:
    spec_a, truth_a = make_fleet(tmp_path / "a", portals=8, failures="all", port=9100)
    spec_b, truth_b = make_fleet(tmp_path / "b", portals=8, failures="all", port=9100)
    assert (tmp_path / "a" / "spec.json").read_bytes() == (tmp_path / "b" / "spec.json").read_bytes()
    assert (tmp_path / "a" / "truth.json").read_bytes() == (tmp_path / "b" / "truth.json").read_bytes()
    spec_c, _ = make_fleet(tmp_path / "c", portals=8, failures="all", port=9100, seed=7)
    assert spec_c["portals"] != spec_a["portals"]


def test_a_portal_does_not_depend_on_fleet_size(registry) -> None:  # type: ignore[no-untyped-def]
    small = generate_fleet(registry, 3, failures="none")["portals"][1]
    large = generate_fleet(registry, 30, failures="none")["portals"][1]
    assert small["numerals"] == large["numerals"]
    assert small["documents"] == large["documents"]


def test_every_failure_mode_at_least_twice_in_340_and_mostly_complete(full_fleet) -> None:  # type: ignore[no-untyped-def]
    spec, truth = full_fleet
    failures = [p["failure"] for p in spec["portals"]]
    for name in FAILURES:
        assert failures.count(name) >= 2, name
    quirks = [q for p in spec["portals"] for q in p["quirks"]]
    for name in QUIRKS:
        assert quirks.count(name) >= 2, name
    complete = sum(p["expected_outcome"] == "complete" for p in truth["portals"])
    assert 0.85 <= complete / 340 <= 0.92
    platforms = {p["platform"] for p in spec["portals"]}
    assert platforms == {"wordpress", "joomla", "laip_standard", "static", "javascript"}
    hosts = [p["host"] for p in spec["portals"]]
    assert len(set(hosts)) == 340 and all(h.startswith("127.77.") for h in hosts)


def test_failures_all_gives_every_mode_on_a_small_fleet(registry) -> None:  # type: ignore[no-untyped-def]
    spec = generate_fleet(registry, 12, failures="all")
    assert {p["failure"] for p in spec["portals"]} - {None} == set(FAILURES)
    assert {q for p in spec["portals"] for q in p["quirks"]} == set(QUIRKS)


def test_statuses_follow_the_legal_reading(full_fleet) -> None:  # type: ignore[no-untyped-def]
    _spec, truth = full_fleet
    ry, rm = catalog.required_month(AS_OF)
    assert (ry, rm) == (2026, 9)
    required = catalog.month_key(ry, rm)
    stale_limit = catalog.month_key(*catalog.add_months(ry, rm, -4))
    for p in truth["portals"]:
        nums = p["numerals"]
        assert sorted(nums, key=int) == [str(n) for n in range(1, 30)]
        outcome = p["expected_outcome"]
        if outcome in ("unreachable", "blocked", "disallowed"):
            assert {e["status"] for e in nums.values()} == {"unverified"}
            assert p["pages"] == [] and not any(d["reachable"] for d in p["documents"])
            continue
        assert nums["24"]["status"] == nums["25"]["status"] == "not_applicable"
        if outcome == "partial":
            assert "absent" not in {e["status"] for e in nums.values()}
            assert any("behind_failing_page" in e["hard_cases"] for e in nums.values())
        for key, entry in nums.items():
            n = int(key)
            if entry["status"] not in ("present", "outdated"):
                continue
            kind = catalog.periodicity(n)
            period = entry["period"]
            if kind == "monthly":
                if entry["status"] == "present":
                    assert period >= required, (p["ine_code"], n, period)
                else:
                    assert period <= stale_limit, (p["ine_code"], n, period)
            elif kind == "annual_current":
                assert (period == "2026") == (entry["status"] == "present")
            elif kind == "annual_previous":
                assert (period >= "2025") == (entry["status"] == "present")
            else:
                assert entry["status"] == "present"
            if entry["evidence"] == "docs":
                docs = [d for d in p["documents"] if d["numeral"] == n and d["http_status"] == 200]
                assert docs, (p["ine_code"], n)
                if n == 20:
                    assert all(d["nog"] for d in docs)
        for key, entry in nums.items():
            if entry["status"] == "absent":
                live = [
                    d
                    for d in p["documents"]
                    if d["numeral"] == int(key) and d["http_status"] == 200 and d["evidence"]
                ]
                assert live == [], (p["ine_code"], key)


def test_document_urls_are_unique_per_portal(full_fleet) -> None:  # type: ignore[no-untyped-def]
    _spec, truth = full_fleet
    for p in truth["portals"]:
        urls = [d["url"] for d in p["documents"]]
        assert len(urls) == len(set(urls)), p["ine_code"]
        assert len(p["pages"]) == len(set(p["pages"]))


def test_hard_cases_are_planted(full_fleet) -> None:  # type: ignore[no-untyped-def]
    _spec, truth = full_fleet
    found = makeup(truth)["hard_cases"]
    for name in (
        "legal_text_only",
        "empty_accordion",
        "no_aplica_statement",
        "monthly_gaps",
        "stale_series",
        "numerals_out_of_order",
        "numerals_paginated",
        "laip_vocabulary_page",
        "uip_page",
        "request_form",
        "news_post",
        "external_host",
        "scanned_pdf",
        "quarterly_reports",
        "nog_in_text",
        "nog_in_label",
        "nog_in_link",
        "only_404_documents",
        "huge_document",
        "content_evidence",
        "period_in_document_text",
        "year_subheadings",
    ):
        assert found.get(name, 0) >= 1, name
    for p in truth["portals"]:
        for key, entry in p["numerals"].items():
            if "no_aplica_statement" in entry["hard_cases"] and p["expected_outcome"] == "complete":
                assert entry["status"] == "not_applicable" and int(key) in (15, 16, 17, 21)
            if "legal_text_only" in entry["hard_cases"] and p["expected_outcome"] == "complete":
                assert entry["status"] == "absent"


def test_registry_csv_validates_and_declares_some_platforms(tmp_path: Path) -> None:
    spec, truth = make_fleet(tmp_path / "f", portals=40, failures="mix", port=9200)
    rows = load_registry(tmp_path / "f" / "registry.csv")
    assert [r.portal_url for r in rows] == [p["url"] for p in truth["portals"]]
    declared = {r.platform for r in rows}
    assert "unknown" in declared and len(declared) > 1
    for row, p in zip(rows, spec["portals"], strict=True):
        assert row.platform in ("unknown", p["platform"])
        if row.render == "browser":
            assert p["platform"] == "javascript"
        hosts = {d["host"] for d in p["documents"]}
        assert bool(row.document_hosts) == bool(hosts - {"portal"})


def test_fleets_larger_than_the_registry_get_generated_municipalities(registry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fleet.files import generated_municipalities, write_fleet
    from vigia.errors import UserError

    few = [m for m in registry if m.active][:3]
    spec, truth = write_fleet(tmp_path / "f", few, 8, base_port=9201)
    rows = load_registry(tmp_path / "f" / "registry.csv")  # the registry loader accepts them
    assert [r.ine_code for r in rows][:3] == [m.ine_code for m in few]
    extra = rows[3:]
    assert len(extra) == 5 and len(truth["portals"]) == 8
    assert all(r.municipality.startswith("Municipio simulado") and int(r.ine_code[2:]) >= 60 for r in extra)
    assert len({r.department for r in extra}) == 5  # dealt over the departments
    assert len({r.portal_url for r in rows}) == 8
    real = {m.ine_code for m in registry}
    assert not real & {m.ine_code for m in generated_municipalities(registry, 880)}
    with pytest.raises(UserError):
        write_fleet(tmp_path / "g", few, 3 + 881, base_port=9202)


def test_documents_are_real_files() -> None:
    from docx import Document
    from openpyxl import load_workbook
    from pypdf import PdfReader

    lines = [
        "MUNICIPALIDAD DE SAN JOSÉ PINULA",
        "Ejecución presupuestaria septiembre 2026",
        "011 | Personal | 1,000.00",
    ]
    date = dt.date(2026, 10, 5)
    text = PdfReader(io.BytesIO(text_pdf("Ejecución", lines, date))).pages[0].extract_text()
    assert "Ejecución presupuestaria septiembre 2026" in text and "JOSÉ" in text
    scanned = PdfReader(io.BytesIO(scanned_pdf(lines, date, "x")))
    assert scanned.pages[0].extract_text().strip() == ""
    assert len(scanned.pages[0].images) == 1
    wb = load_workbook(io.BytesIO(xlsx("t", lines, date)))
    assert wb.active["A2"].value == "Ejecución presupuestaria septiembre 2026"
    assert wb.active["C3"].value == 1000.0
    doc = Document(io.BytesIO(docx("t", lines, date)))
    assert [p.text for p in doc.paragraphs] == lines
    assert xlsx("t", lines, date) == xlsx("t", lines, date)
    with zipfile.ZipFile(io.BytesIO(docx("t", lines, date))) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2026, 10, 5, 10, 0, 0)}


def test_cli_generate_truth_and_next_night(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vigia.cli import app

    out = tmp_path / "fleet"
    runner = CliRunner()
    gen = runner.invoke(
        app,
        [
            "fleet",
            "generate",
            "--portals",
            "10",
            "--out",
            str(out),
            "--failures",
            "all",
            "--base-port",
            "9300",
            "--registry",
            str(ROOT / "municipalities.csv"),
        ],
    )
    assert gen.exit_code == 0, gen.output
    assert "10 portales" in gen.output
    table = runner.invoke(app, ["fleet", "truth", "--fleet", str(out)])
    assert table.exit_code == 0 and "Resultado esperado" in table.output
    data = json.loads(runner.invoke(app, ["fleet", "truth", "--fleet", str(out), "--json"]).output)
    assert data["portals"] == 10 and sum(data["statuses"].values()) == 290
    night = runner.invoke(app, ["fleet", "next-night", "--fleet", str(out)])
    assert night.exit_code == 0, night.output
    assert (out / "truth-night1.json").exists()
    truth2 = json.loads((out / "truth.json").read_text())
    assert truth2["night"] == 2 and truth2["as_of"] == "2026-11-26" and truth2["changes"]
    # bad input: one line, no traceback (through the real entry point)
    bad = subprocess.run(
        [sys.executable, "-m", "vigia.cli", "fleet", "generate", "--portals", "0", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--portals" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_next_night_changes_are_reflected_in_the_truth(registry) -> None:  # type: ignore[no-untyped-def]
    from fleet.night import next_night

    spec = generate_fleet(registry, 60, failures="mix")
    truth1 = build_truth(spec)
    spec2, changes = next_night(spec)
    truth2 = build_truth(spec2)
    kinds = {c["change"] for c in changes}
    assert kinds == {"new_month", "item_removed", "portal_down", "portal_back"}
    before = {p["ine_code"]: p for p in truth1["portals"]}
    after = {p["ine_code"]: p for p in truth2["portals"]}
    for c in changes:
        code = c["ine_code"]
        if c["change"] == "portal_down":
            assert before[code]["expected_outcome"] == "complete"
            assert after[code]["expected_outcome"] == "unreachable"
        elif c["change"] == "portal_back":
            assert before[code]["expected_outcome"] == "unreachable"
            assert after[code]["expected_outcome"] == "complete"
        elif c["change"] == "item_removed":
            n = str(c["numeral"])
            assert before[code]["numerals"][n]["status"] == "present"
            assert after[code]["numerals"][n]["status"] == "absent"
        else:
            n = str(c["numeral"])
            assert after[code]["numerals"][n]["status"] == "present"
            assert after[code]["numerals"][n]["period"] == c["period"]
    untouched = set(before) - {c["ine_code"] for c in changes}
    for code in untouched:
        assert before[code]["numerals"] == after[code]["numerals"]


def test_families_are_planted_with_their_truth(full_fleet) -> None:  # type: ignore[no-untyped-def]
    """Issue 19's families: each on some portals of the 340, and its truth follows docs/legal-reading.md."""
    from fleet.families import FAMILIES

    _spec, truth = full_fleet
    found = makeup(truth)["families"]
    for name in FAMILIES:
        assert found.get(name, 0) >= 3, name
    complete = [p for p in truth["portals"] if p["expected_outcome"] == "complete"]
    for p in complete:
        for key, entry in p["numerals"].items():
            hard = entry["hard_cases"]
            if "norms_only" in hard or "no_aplica_without_reason" in hard:
                assert entry["status"] == "absent", (p["ine_code"], key)
            if "inline_table" in hard:
                assert entry["evidence"] == "table" and entry["status"] in ("present", "outdated")
                assert entry["period"] and len(entry["period"]) == 7
                assert not [d for d in p["documents"] if d["numeral"] == int(key)]
            if "unrendered_shortcodes" in hard or "heading_echo" in hard:
                assert entry["status"] == "absent"
        if "section_context" in p["families"]:
            assert p["numerals"]["1"]["status"] == "present"
            assert any(not d["evidence"] for d in p["documents"]) or any(
                d["numeral"] == 1 and d["label"].lower().startswith(("reglamento", "código"))
                for d in p["documents"]
            )
