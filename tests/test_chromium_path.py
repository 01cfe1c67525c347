"""Which Chromium executable Vigía launches (vigia/browser.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vigia import browser


def _exe(path: Path) -> str:
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def test_the_headless_shell_comes_first_when_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shell, full = _exe(tmp_path / "chromium-headless-shell"), _exe(tmp_path / "chromium")
    monkeypatch.delenv("VIGIA_CHROMIUM", raising=False)
    monkeypatch.setattr(browser, "CHROMIUM_CANDIDATES", (shell, full))
    assert browser.chromium_path() == shell


def test_the_full_chromium_when_the_shell_is_missing_or_not_executable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = _exe(tmp_path / "chromium")
    shell = tmp_path / "chromium-headless-shell"
    monkeypatch.delenv("VIGIA_CHROMIUM", raising=False)
    monkeypatch.setattr(browser, "CHROMIUM_CANDIDATES", (str(shell), full))
    assert browser.chromium_path() == full
    shell.write_text("", encoding="utf-8")  # there, but not executable
    os.chmod(shell, 0o644)
    assert browser.chromium_path() == full


def test_vigia_chromium_names_another_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shell = _exe(tmp_path / "chromium-headless-shell")
    monkeypatch.setattr(browser, "CHROMIUM_CANDIDATES", (shell,))
    monkeypatch.setenv("VIGIA_CHROMIUM", "/opt/otro/chrome")
    assert browser.chromium_path() == "/opt/otro/chrome"


def test_nothing_installed_names_the_last_candidate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGIA_CHROMIUM", raising=False)
    monkeypatch.setattr(browser, "CHROMIUM_CANDIDATES", (str(tmp_path / "a"), str(tmp_path / "b")))
    assert browser.chromium_path() == str(tmp_path / "b")
