"""The registry: the shipped file is valid, and every kind of bad row is named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigia.registry import (
    COLUMNS,
    DEPARTMENTS,
    OPTIONAL_COLUMNS,
    RegistryError,
    load_registry,
    parse_registry,
    select,
)

ROOT = Path(__file__).resolve().parent.parent
# a file without the optional columns (as written before they existed) still validates
HEADER = ",".join(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)
GOOD = "0101,01,Guatemala,Guatemala,https://muni.example.gob.gt/,,unknown,auto,,no,yes,12100101,995393,0,"
GOOD2 = "0108,01,Guatemala,Mixco,https://munimixco.example.gob.gt/,,wordpress,auto,,yes,yes,12100108,507549,55.56,"


def _problems(text: str) -> list[str]:
    with pytest.raises(RegistryError) as info:
        parse_registry(text)
    return info.value.problems


def test_shipped_registry_has_340_municipalities_in_22_departments() -> None:
    rows = load_registry(ROOT / "municipalities.csv")
    assert len(rows) == 340
    assert len({m.department for m in rows}) == 22
    assert len({m.ine_code for m in rows}) == 340
    assert all(len(m.ine_code) == 4 and m.ine_code[:2] in DEPARTMENTS for m in rows)
    # the documented default priority list: the 20 % with the lowest latest PDH score
    assert sum(m.priority for m in rows) == 68
    by_code = {m.ine_code: m for m in rows}
    assert by_code["0108"].municipality == "Mixco"
    assert by_code["0901"].portal_url == "https://munixela.gob.gt/"


def test_good_rows_parse_with_types() -> None:
    rows = parse_registry("\n".join([HEADER, GOOD, GOOD2]) + "\n")
    assert [m.ine_code for m in rows] == ["0101", "0108"]
    assert rows[1].priority is True and rows[1].platform == "wordpress"
    assert rows[1].pdh_score_2023 == pytest.approx(55.56)
    assert rows[0].line == 2 and rows[1].line == 3


def test_duplicate_code_names_both_lines() -> None:
    dup = GOOD.replace("https://muni.example.gob.gt/", "https://otra.example.gob.gt/")
    assert _problems("\n".join([HEADER, GOOD, GOOD2, dup])) == [
        "line 4: ine_code duplicado 0101 (ya aparece en la línea 2)"
    ]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (GOOD.replace("https://muni.example.gob.gt/", "htp:/muni"), "line 2: URL mal formada 'htp:/muni'"),
        (
            GOOD.replace("https://muni.example.gob.gt/", "https://muni example.gob.gt"),
            "line 2: URL mal formada",
        ),
        (
            GOOD.replace(",Guatemala,Guatemala,", ",Guatemala,Gotham,").replace("01,Guatemala", "01,Gotham"),
            "line 2: departamento desconocido 'Gotham'",
        ),
        (GOOD + ",extra", "line 2: número de columnas incorrecto: 16 campos, se esperaban 15"),
        (GOOD.rsplit(",", 3)[0], "line 2: número de columnas incorrecto"),
        (GOOD.replace("0101,", "101,", 1), "line 2: ine_code mal formado '101'"),
        (
            GOOD.replace("0101,01,Guatemala", "0201,01,Guatemala"),
            "line 2: el ine_code 0201 no pertenece al departamento Guatemala",
        ),
        (GOOD.replace(",unknown,", ",drupal9,"), "line 2: plataforma desconocida 'drupal9'"),
        (GOOD.replace(",no,yes,", ",maybe,yes,"), "line 2: priority debe ser yes o no"),
        (GOOD.replace(",995393,", ",muchos,"), "line 2: population_2020 no es un número entero"),
    ],
)
def test_each_malformed_row_is_named(row: str, expected: str) -> None:
    problems = _problems("\n".join([HEADER, row, GOOD2]))
    assert len(problems) == 1
    assert problems[0].startswith(expected)


def test_every_bad_row_is_reported_in_one_pass() -> None:
    bad1 = GOOD.replace("0101,", "01x1,", 1)
    bad2 = GOOD2.replace("https://munimixco.example.gob.gt/", "nota-una-url")
    problems = _problems("\n".join([HEADER, bad1, GOOD, bad2]))
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 4"]


def test_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(("\n".join([HEADER, GOOD, GOOD2.replace("Mixco", "Mixcó")]) + "\n").encode("latin-1"))
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert info.value.problems == [
        "line 3: codificación incorrecta (el archivo debe ser UTF-8; el byte 0xf3 no lo es)"
    ]


def test_missing_header_column_and_empty_file() -> None:
    assert _problems("ine_code,department\n0101,Guatemala\n")[0].startswith(
        "line 1: faltan columnas en el encabezado"
    )
    assert _problems("")[0].startswith("line 1:")


def test_select_only_priority_and_unknown_code() -> None:
    rows = parse_registry("\n".join([HEADER, GOOD, GOOD2]))
    assert [m.ine_code for m in select(rows, priority=True)] == ["0108"]
    assert [m.ine_code for m in select(rows, only=["0108", "0101"])] == ["0108", "0101"]
    with pytest.raises(RegistryError):
        select(rows, only=["9999"])


def test_uip_email_is_optional_and_validated() -> None:
    header = HEADER + ",uip_email"
    rows = parse_registry("\n".join([header, GOOD + ",uip@muni.example.gt", GOOD2 + ","]) + "\n")
    assert [m.uip_email for m in rows] == ["uip@muni.example.gt", ""]
    assert parse_registry("\n".join([HEADER, GOOD]))[0].uip_email == ""  # a registry without the column
    for bad in ("uip@", "Ana <uip@muni.example.gt>", "uip@muni.example.gt;otra@muni.example.gt", "uip @x.gt"):
        problems = _problems("\n".join([header, GOOD + "," + bad, GOOD2 + ","]))
        assert len(problems) == 1 and problems[0].startswith(f"line 2: uip_email: correo mal formado {bad!r}")
