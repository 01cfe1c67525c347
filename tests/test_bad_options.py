"""Issue 14: bad options fail before any work starts, with one line; the address guard follows the flag
only; registry and report text are hardened (NUL, bidirectional overrides, huge files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.options import validate_overrides
from vigia.errors import UserError
from vigia.registry import MAX_PROBLEMS, RegistryError, load_registry, parse_registry

ROOT = Path(__file__).resolve().parent.parent
HEADER = "ine_code,department,municipality,portal_url,platform,priority,active"


def vigia(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIA_")}
    full_env["VIGIA_REGISTRY"] = str(ROOT / "municipalities.csv")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "vigia.cli", *args],
        cwd=cwd,
        env={**full_env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ("CONCURRENT_REQUESTS=abc", "se espera un número entero"),
        ("CONCURRENT_REQUESTS=0", "mayor que 0"),
        ("DOWNLOAD_TIMEOUT=-3", "se espera un número >= 0"),
        ("VIGIA_PAGE_BUDGET=2.5", "se espera un número entero"),
        ("ROBOTSTXT_OBEY=quizas", "se espera true o false"),
        ("RETRY_HTTP_CODES=500", "se espera una lista JSON"),
        ("NO_EXISTE=1", "ajuste desconocido"),
        ("VIGIA_ALLOW_PRIVATE=true", "--allow-private-addresses"),
        ("TWISTED_DNS_RESOLVER=scrapy.resolver.CachingThreadedResolver", "no se puede cambiar"),
        ('PLAYWRIGHT_LAUNCH_OPTIONS={"headless": true}', "proxy"),
        ("DOWNLOADER_MIDDLEWARES={}", "no se puede cambiar"),
        ("sin-igual", "CLAVE=VALOR"),
    ],
)
def test_bad_set_fails_before_any_work(tmp_path: Path, pair: str, expected: str) -> None:
    command = "nightly" if "ALLOW" in pair or "abc" in pair else "crawl"
    result = vigia(command, "--only", "0101", "--set", pair, "--data-dir", "datos", cwd=tmp_path)
    line = _one_line_error(result)
    assert expected in line
    assert not (tmp_path / "vigia.db").exists() and not (tmp_path / "datos").exists()


def test_overrides_are_converted_to_their_defaults_types() -> None:
    got = validate_overrides(
        {
            "CONCURRENT_REQUESTS": "32",
            "ROBOTSTXT_OBEY": "false",
            "DOWNLOAD_TIMEOUT": "2.5",
            "DEPTH_PRIORITY": -1,
            "VIGIA_CRAWL_PROCESSES": 1,
            "VIGIA_RETRY_BACKOFF": 0.01,
        }
    )
    assert got == {
        "CONCURRENT_REQUESTS": 32,
        "ROBOTSTXT_OBEY": False,
        "DOWNLOAD_TIMEOUT": 2.5,
        "DEPTH_PRIORITY": -1,
        "VIGIA_CRAWL_PROCESSES": 1,
        "VIGIA_RETRY_BACKOFF": 0.01,
    }


def test_the_guard_follows_the_flag_only(tmp_path: Path) -> None:
    from crawler.api import crawl_municipalities
    from crawler.run import build_settings
    from vigia.registry import Municipality
    from vigia.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'v.db'}", tmp_path / "d")
    try:
        with pytest.raises(UserError, match="allow-private-addresses"):
            crawl_municipalities(
                store,
                [Municipality("0101", "Guatemala", "Guatemala", "http://127.0.0.1:9/")],
                allow_private=False,
                settings={"VIGIA_ALLOW_PRIVATE": True},
            )
    finally:
        store.close()
    # a job file that names it anyway (written by hand) cannot turn the guard off either
    settings = build_settings(
        {"data_dir": str(tmp_path), "allow_private": False, "settings": {"VIGIA_ALLOW_PRIVATE": True}}
    )
    assert settings.getbool("VIGIA_ALLOW_PRIVATE") is False


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://", "sqlite:///file::memory:?cache=shared"])
def test_in_memory_database_is_refused(tmp_path: Path, url: str) -> None:
    for args in (("check",), ("report", "--out", "sitio"), ("crawl", "--only", "0101")):
        line = _one_line_error(vigia(*args, "--db", url, cwd=tmp_path))
        assert "en memoria" in line


def test_nightly_checks_the_reports_folder_before_crawling(tmp_path: Path) -> None:
    blocker = tmp_path / "archivo"
    blocker.write_text("no soy una carpeta", encoding="utf-8")
    line = _one_line_error(
        vigia(
            "nightly", "--only", "0101", "--out", str(blocker / "sitio"), "--data-dir", "datos", cwd=tmp_path
        )
    )
    assert "no se puede escribir en la carpeta de reportes" in line
    assert not (tmp_path / "vigia.db").exists() and not (tmp_path / "datos").exists()


def _store_with_evidence(tmp_path: Path) -> Any:
    import datetime as dt

    from vigia.store import open_store
    from vigia.store.models import CrawlRun, Evaluation, Page, PortalCrawl

    store = open_store(f"sqlite:///{tmp_path / 'vigia.db'}", tmp_path / "datos")
    sha = store.blobs.put(b"<html><body>Portal</body></html>")
    with store.session() as s:
        run = CrawlRun(kind="nightly", status="finished")
        s.add(run)
        s.flush()
        pc = PortalCrawl(
            run_id=run.id, portal_key="0101", ine_code="0101", portal_url="http://x/", outcome="complete"
        )
        s.add(pc)
        s.flush()
        s.add(Page(portal_crawl_id=pc.id, url="http://x/", final_url="http://x/", status=200, sha256=sha))
        s.add(Evaluation(portal_crawl_id=pc.id, as_of=dt.date(2026, 11, 25), rules_version="t"))
    return store


def test_report_refuses_a_data_dir_without_the_runs_evidence(tmp_path: Path) -> None:
    from vigia.cli import _check_evidence_folder

    store = _store_with_evidence(tmp_path)
    _check_evidence_folder(store, None)  # the right folder: no complaint
    store.close()
    (tmp_path / "otra").mkdir()
    line = _one_line_error(
        vigia(
            "report",
            "--out",
            "sitio",
            "--data-dir",
            "otra",
            "--no-pdf",
            "--as-of",
            "2026-11-25",
            cwd=tmp_path,
        )
    )
    assert "no tiene las copias de evidencia de la corrida 1" in line and "--data-dir" in line


# --------------------------------------------------------------------------- registry


def _row(code: str, name: str, url: str) -> str:
    return f"{code},Guatemala,{name},{url},unknown,no,yes"


def test_registry_refuses_nul_and_bidirectional_overrides() -> None:
    text = "\n".join(
        [
            HEADER,
            _row("0101", "Guate\x00mala", "https://a.example/"),
            _row("0102", "Santa \u202eCatarina", "https://b.example/"),
            _row("0103", "San José", "https://c.example/"),
        ]
    )
    with pytest.raises(RegistryError) as err:
        parse_registry(text)
    assert err.value.problems == [
        "line 2: carácter de control U+0000 en la columna municipality (no se admite)",
        "line 3: carácter de control U+202E en la columna municipality (no se admite)",
    ]


def test_a_huge_bad_registry_reports_a_bounded_number_of_lines(tmp_path: Path) -> None:
    rows = [HEADER] + [f"x{i},Nowhere,,bad,?,?,?" for i in range(25_000)]
    with pytest.raises(RegistryError) as err:
        parse_registry("\n".join(rows))
    assert len(err.value.problems) == MAX_PROBLEMS + 1
    assert err.value.problems[-1].startswith("… y ") and "problemas más" in err.value.problems[-1]
    # a 1.5 M-row file: one line, before reading it
    big = tmp_path / "grande.csv"
    line = _row("0101", "Guatemala", "https://a.example/") + "\n"
    with big.open("w", encoding="utf-8") as fh:
        fh.write(HEADER + "\n")
        fh.write(line * 1_500_000)
    with pytest.raises(RegistryError) as err:
        load_registry(big)
    assert len(err.value.problems) == 1 and "MB" in err.value.problems[0]
    result = vigia("municipalities", "validate", "--registry", str(big), cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- reports


def test_bidirectional_controls_never_reach_a_report() -> None:
    from markupsafe import Markup

    from reports.api import environment
    from reports.fmt import clean_text, spreadsheet_cell

    env = environment()
    label = "Ejecución \u202egosto\u202c 2026 <b>"
    html = env.from_string("<p>{{ label }}</p>{{ safe }}").render(label=label, safe=Markup("<i>\u2067x</i>"))
    assert html == "<p>Ejecución gosto 2026 &lt;b&gt;</p><i>x</i>"
    assert "\u202e" not in clean_text(label)
    assert spreadsheet_cell("\u202e=1+1") == "'=1+1"
