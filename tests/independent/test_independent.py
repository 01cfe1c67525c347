"""The independent test bed (issue 19): hand-written portals, judged by Vigía's public pipeline, compared with
statuses written from the law and docs/legal-reading.md. The floors in ``floors.json`` are a ratchet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.independent.bed import evaluate, load_entries, render

FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text(encoding="utf-8"))

pytestmark = pytest.mark.slow


def test_every_expected_file_is_well_formed() -> None:
    entries = load_entries()
    assert sum(e.set_name == "portals" for e in entries) >= 20
    assert sum(e.set_name == "cases" for e in entries) >= 40
    assert sum(e.set_name == "fresh" for e in entries) >= 30
    assert sum(e.set_name == "fresh2" for e in entries) >= 30
    for e in entries:
        assert e.site.is_dir(), e.slug
        assert all(why for _, why in e.expected.values()), f"{e.slug}: cada numeral lleva su 'why'"


def test_independent_figures_stay_at_or_above_the_floors(tmp_path: Path) -> None:
    result = evaluate(tmp_path)
    print(render(result))
    below = []
    for group, floors in FLOORS.items():
        fig = result["figures"][group]
        for metric, floor in floors.items():
            if fig[metric] is None or fig[metric] < floor:
                below.append(f"{group} {metric}: {fig[metric]} < {floor}")
    assert not below, "\n".join(below)
