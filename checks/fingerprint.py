"""A fingerprint of everything that decides a finding: the rules' metadata and the attribution code.

``python -m checks.fingerprint`` prints it. ``tests/test_rules_version.py`` compares it with the last
line of ``checks/rules_versions.txt`` (``RULES_VERSION fingerprint``): change a rule's metadata, the
attribution, the period reading or the document types without a new ``RULES_VERSION`` and the test
fails. After an intended change: bump ``RULES_VERSION`` in ``checks/__init__.py`` and *append* a line
with the new version and this fingerprint (never edit an old line).

The fingerprint hashes each module's syntax tree without docstrings, so comments and formatting do
not count; code and metadata do.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The modules whose code or data decide a finding (paths relative to the repository).
FINGERPRINTED: tuple[str, ...] = (
    "checks/attribution.py",
    "checks/engine.py",
    "checks/model.py",
    "checks/periods.py",
    "checks/registry.py",
    "checks/text.py",
    "checks/rules/*.py",
    "vigia/doctypes.py",
    "vigia/periods.py",
    "vigia/spanish.py",
)
VERSIONS_FILE = Path(__file__).resolve().parent / "rules_versions.txt"


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            first = body[0].value if body and isinstance(body[0], ast.Expr) else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def files() -> list[Path]:
    out: set[Path] = set()
    for pattern in FINGERPRINTED:
        out.update(p for p in ROOT.glob(pattern) if p.is_file())
    return sorted(out)


def rules_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in files():
        tree = _strip_docstrings(ast.parse(path.read_text(encoding="utf-8")))
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(b"\0")
        digest.update(ast.dump(tree, include_attributes=False).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def recorded_versions() -> list[tuple[str, str]]:
    """``(version, fingerprint)`` pairs of ``rules_versions.txt``, oldest first."""
    rows = []
    for line in VERSIONS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            version, fingerprint = line.split()
            rows.append((version, fingerprint))
    return rows


if __name__ == "__main__":
    print(rules_fingerprint())
