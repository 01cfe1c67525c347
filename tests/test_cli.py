"""The `vigia` command: one-line errors and exit codes, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def vigia(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("VIGIA_REGISTRY", None) if env is None or "VIGIA_REGISTRY" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "vigia.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_shipped_registry() -> None:
    result = vigia("municipalities", "validate")
    assert result.returncode == 0, result.stderr
    assert "340 municipalities in 22 departments" in result.stdout


def test_validate_broken_registry_names_the_row(tmp_path: Path) -> None:
    lines = (ROOT / "municipalities.csv").read_text(encoding="utf-8").splitlines()
    lines[10] = lines[10].replace("https://", "htps//") if "https://" in lines[10] else lines[10] + ",extra"
    lines[20] = lines[3]  # duplicate code
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = vigia("municipalities", "validate", "--registry", str(broken))
    assert result.returncode == 2
    err = [line for line in result.stderr.splitlines() if line.strip()]
    assert err[0].startswith("line 11: ")
    assert err[1].startswith("line 21: ine_code duplicado")
    assert "Traceback" not in result.stderr


def test_registry_from_environment(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    result = vigia("municipalities", "validate", env={"VIGIA_REGISTRY": str(missing)})
    assert result.returncode == 2
    assert "no existe el archivo de registro" in result.stderr


def test_bad_inputs_give_one_line_and_nonzero_exit(tmp_path: Path) -> None:
    cases = [
        ("municipalities", "show", "9999"),
        ("check", "--as-of", "2026-02-30"),
        ("audit", "ftp://example.org"),
        ("crawl", "--only", "0101,9999"),
        ("report", "--out", str(tmp_path / "r"), "--db", "nodriver://x"),
    ]
    for args in cases:
        result = vigia(*args)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, args
        assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1, (args, result.stderr)


def test_help_lists_the_contract_commands() -> None:
    result = vigia("--help")
    assert result.returncode == 0
    for name in ("crawl", "check", "report", "nightly", "audit", "municipalities"):
        assert name in result.stdout


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = vigia("check", "--db", "postgresql://postgres@127.0.0.1:1/nothing")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: ")
    assert "Traceback" not in result.stderr


def test_fleet_command_says_clearly_when_the_simulator_is_not_installed() -> None:
    """Production code never imports the fleet; `vigia fleet` names what is missing in one line."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['fleet.cli'] = None; sys.modules['aiohttp'] = None\n"
        "sys.argv = ['vigia', 'fleet', 'generate', '--help']\n"
        "from vigia.cli import main; main()"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "simulador de portales no está instalado" in proc.stderr
    assert "Traceback" not in proc.stderr
    plain = subprocess.run(
        [sys.executable, "-c", "import sys, vigia.cli; print('fleet' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert plain.stdout.strip() == "False", "importing the command line must not import the fleet"
