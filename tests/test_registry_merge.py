"""Merging found portal addresses into the registry with their provenance (issue 18, part 1)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from vigia.registry import COLUMNS, OPTIONAL_COLUMNS, RegistryError, load_registry, parse_registry
from vigia.registry_edit import FoundUrl, merge_found, read_found, rewrite_registry

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "vigia" / "data" / "sources"
HEADER = ",".join(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)
ROWS = [
    "0101,01,Guatemala,Guatemala,https://www.muniguate.com/,,unknown,auto,,no,yes,12100101,995393,0,",
    "0102,01,Guatemala,Santa Catarina Pinula,,,unknown,auto,,no,yes,12100102,107610,0,",
    "0103,01,Guatemala,San José Pinula,,,unknown,auto,,no,yes,12100103,90287,70.59,",
    "0104,01,Guatemala,San José del Golfo,,,unknown,auto,,no,yes,12100104,6143,0,",
]
TEXT = "\n".join([HEADER, *ROWS]) + "\n"


def test_merge_rules_and_provenance() -> None:
    found = [
        FoundUrl("0102", "http://www.scp.com.gt", "PDM 2010", "high", "older domain, may be stale", 2),
        FoundUrl("0102", "https://muniscp.gob.gt", "sitio visto", "high", "", 3),
        FoundUrl("0103", "https://munisanjosepinula.gob.gt", "página UIP", "medium", "", 4),
        FoundUrl("0104", "http://munisanjosedelgolfo.gob.gt", "manual", "low", "atribución por dominio", 5),
        FoundUrl("0101", "https://muniguate.gob.gt", "otra lista", "high", "", 6),
        FoundUrl("0101", "https://www.muniguate.com", "lista conocida", "high", "", 7),
        FoundUrl("9999", "https://x.gob.gt", "?", "high", "", 8),
    ]
    text, summary = merge_found(TEXT, found, when="2026-12-03")
    rows = {m.ine_code: m for m in parse_registry(text)}
    # the same municipality twice: the official, newer .gob.gt wins, the other goes to alt_urls
    assert rows["0102"].portal_url == "https://muniscp.gob.gt"
    assert rows["0102"].alt_urls == ("http://www.scp.com.gt",)
    assert "confianza alta; fuente sitio visto" in rows["0102"].portal_source
    assert "incorporada 2026-12-03" in rows["0102"].portal_source
    assert "http://www.scp.com.gt (dirección alternativa)" in rows["0102"].notes
    assert rows["0103"].portal_url == "https://munisanjosepinula.gob.gt"  # medium → portal_url
    # low confidence: alt_urls only, with a note that it needs confirmation
    assert rows["0104"].portal_url is None
    assert rows["0104"].alt_urls == ("http://munisanjosedelgolfo.gob.gt",)
    assert "necesita confirmación" in rows["0104"].notes and "confianza baja" in rows["0104"].notes
    # a municipality that already has a portal keeps it; the known address only gains its provenance
    assert rows["0101"].portal_url == "https://www.muniguate.com/"
    assert rows["0101"].alt_urls == ("https://muniguate.gob.gt",)
    assert "lista conocida" in rows["0101"].portal_source
    assert summary.before == 1 and summary.after == 3
    assert summary.skipped == ["line 8: código INE '9999' no está en el registro (https://x.gob.gt)"]
    # merging again changes nothing
    again, summary2 = merge_found(text, found, when="2026-12-04")
    assert again == text and not summary2.portal_urls and not summary2.alt_urls


def test_rewrite_keeps_other_rows_and_refuses_bad_results() -> None:
    text = rewrite_registry(TEXT, {"0103": {"portal_url": "https://a.gob.gt/", "portal_source": "x"}})
    lines = text.splitlines()
    assert lines[0] == HEADER + ",portal_source"
    assert lines[1] == ROWS[0] + ","
    assert lines[3].startswith("0103,") and "https://a.gob.gt/" in lines[3]
    with pytest.raises(RegistryError):
        rewrite_registry(TEXT, {"0103": {"portal_url": "no es una url"}})
    with pytest.raises(RegistryError):
        rewrite_registry(TEXT, {"0103": {"portal_url": "https://www.muniguate.com/"}})  # duplicate
    with pytest.raises(RegistryError):
        rewrite_registry(TEXT, {"0999": {"notes": "x"}})


def test_read_found_names_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "found.csv"
    path.write_text(
        "ine_code,department,municipality,url,seen_at,confidence,note\n"
        "0102,Guatemala,SCP,https://a.gob.gt,src,certain,\n"
        "0103,Guatemala,SJP,ftp://b,src,high,\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as info:
        read_found(path)
    assert info.value.problems[0].startswith("line 2: confianza desconocida 'certain'")
    assert info.value.problems[1].startswith("line 3: URL mal formada")


def test_shipped_registry_has_every_found_address_with_its_provenance() -> None:
    rows = {m.ine_code: m for m in load_registry(ROOT / "municipalities.csv")}
    assert sum(1 for m in rows.values() if m.portal_url) == 66  # 52 before issue 18, 14 added
    for path in (SOURCES / "portal_urls_found.csv", SOURCES / "portal_urls_gt.csv"):
        for f in read_found(path):
            code = "0708" if f.ine_code == "????" else f.ine_code  # the only municipality named Concepción
            m = rows[code]
            urls = {u.rstrip("/").lower() for u in (m.portal_url or "", *m.alt_urls) if u}
            assert f.url.rstrip("/").lower() in urls, (path.name, f.line, f.url)
            if m.portal_url and f.url.rstrip("/").lower() == m.portal_url.rstrip("/").lower():
                assert f.source in m.portal_source
                assert f.confidence in ("high", "medium")
            else:
                assert f.url in m.notes  # an alternative address carries its provenance in the notes
    # merging the shipped sources again changes nothing
    text = (ROOT / "municipalities.csv").read_text(encoding="utf-8")
    for path in (SOURCES / "portal_urls_gt.csv", SOURCES / "portal_urls_found.csv"):
        text2, summary = merge_found(text, read_found(path), aliases={"????": "0708"})
        assert text2 == text and not summary.portal_urls and not summary.alt_urls


def test_cli_merge_dry_run_and_write(tmp_path: Path) -> None:
    reg = tmp_path / "m.csv"
    reg.write_text(TEXT, encoding="utf-8")
    found = tmp_path / "found.csv"
    with found.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ine_code", "department", "municipality", "url", "seen_at", "confidence", "note"])
        w.writerow(
            ["0102", "Guatemala", "Santa Catarina Pinula", "https://muniscp.gob.gt", "src", "high", ""]
        )
    cmd = [sys.executable, "-m", "vigia.cli", "municipalities", "merge", str(found), "--registry", str(reg)]
    dry = subprocess.run([*cmd, "--dry-run"], capture_output=True, text=True, cwd=ROOT)
    assert dry.returncode == 0, dry.stderr
    assert "1 antes, 2 después" in dry.stdout and reg.read_text(encoding="utf-8") == TEXT
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert load_registry(reg)[1].portal_url == "https://muniscp.gob.gt"
    bad = subprocess.run([*cmd, "--alias", "oops"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "--alias" in bad.stderr and "Traceback" not in bad.stderr
