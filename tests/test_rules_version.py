"""RULES_VERSION moves whenever what decides a finding moves (rule metadata, attribution, periods)."""

from __future__ import annotations

from checks import RULES_VERSION
from checks.fingerprint import files, recorded_versions, rules_fingerprint


def test_rules_version_changes_with_the_rules() -> None:
    recorded = recorded_versions()
    assert recorded, "checks/rules_versions.txt is empty"
    version, fingerprint = recorded[-1]
    assert version == RULES_VERSION, (
        f"RULES_VERSION is {RULES_VERSION} but the last line of checks/rules_versions.txt is {version}: "
        "append the new version with `python -m checks.fingerprint`"
    )
    assert rules_fingerprint() == fingerprint, (
        "the rules' metadata or the attribution code changed without a new RULES_VERSION: bump it in "
        "checks/__init__.py and append a line to checks/rules_versions.txt (python -m checks.fingerprint)"
    )


def test_versions_file_is_append_only_history() -> None:
    recorded = recorded_versions()
    versions = [v for v, _f in recorded]
    fingerprints = [f for _v, f in recorded]
    assert len(set(versions)) == len(versions), "a version appears twice"
    assert len(set(fingerprints)) == len(fingerprints), "two versions share one fingerprint"


def test_fingerprint_sees_metadata_and_code_but_not_comments(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import checks.fingerprint as fp

    paths = files()
    assert any(p.name == "laip_10_08.py" for p in paths) and any(p.name == "attribution.py" for p in paths)
    rule = next(p for p in paths if p.name == "laip_10_08.py")
    original = rule.read_text(encoding="utf-8")
    for p in paths:
        target = tmp_path / p.relative_to(fp.ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    real = fp.rules_fingerprint()
    monkeypatch.setattr(fp, "ROOT", tmp_path)
    before = fp.rules_fingerprint()
    assert before == real, "the fingerprint depends on the files' content and paths, not where they are"
    edited = tmp_path / "checks" / "rules" / "laip_10_08.py"
    edited.write_text(original.replace("\nRULE = ", "\n# a comment only\nRULE = "), encoding="utf-8")
    assert fp.rules_fingerprint() == before, "a comment must not change the fingerprint"
    edited.write_text(
        original.replace('title="Ejecución presupuestaria"', 'title="Ejecución"'), encoding="utf-8"
    )
    assert fp.rules_fingerprint() != before, "a changed title must change the fingerprint"
