"""docs/security.md names, for every attack of issue 14, the test that reproduces it: each name must be a
test that exists (a renamed or deleted test breaks the table, not silently)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_the_security_table_names_exists() -> None:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if re.match(r"^\| [AD]\d+ \|", line)]
    assert len([r for r in rows if r.startswith("| A")]) == 23  # issue 14's list, every bullet
    named: set[tuple[str, str]] = set()
    last_file = ""
    for row in rows:
        for file, test in re.findall(r"`(tests/[\w/]+\.py)?(?:::)?(test_\w+)?`", row):
            if file:
                last_file = file
            if test:
                named.add((file or last_file, test))
        # "::test_name" after a file in the same cell refers to that file
        for test in re.findall(r"`::(test_\w+)`", row):
            named.add((last_file, test))
    assert len(named) >= 30
    for file, test in sorted(named):
        tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
        functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert test in functions, f"{file}::{test} no existe"
    files = set(re.findall(r"`(tests/[\w/]+\.py)", text))
    assert all((ROOT / f).is_file() for f in files)
