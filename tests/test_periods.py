"""One reader of Spanish periods: the crawler and the checks read the same period from the same strings."""

from __future__ import annotations

import pytest

import checks.periods
import crawler.dates
import vigia.periods
from vigia.periods import best_period, extract_periods, period_from_dates

STRINGS = [
    "Ejecución Presupuestaria Mes de AGOSTO 2026 Artículo 10 Numeral 8",
    "NUMERAL-2-FEBRERO-2026.pdf",
    "num8_sep2026.xlsx",
    "Informe del primer trimestre 2026",
    "Reporte enero a marzo de 2025",
    "Ejecución de ENERO\u2013MARZO\u00a02026",
    "Presupuesto ejercicio fiscal 2026",
    "Informe del 15 de octubre de 2024",
    "Reporte al 1.º de diciembre de 2025",
    "Fecha: 03/02/2026",
    "ejecucion-2026-07.pdf",
    "Segundo semestre 2025",
    "T3 2026",
    "Decreto 57-2008, nómina de julio 2026",
    "Pagos de Q 1,250.00 del mes de mayo de 2026",
]


def test_one_module_reads_periods() -> None:
    assert crawler.dates.extract_periods is vigia.periods.extract_periods
    assert checks.periods.best_period is vigia.periods.best_period
    assert checks.periods.find_periods is vigia.periods.find_periods


@pytest.mark.parametrize("text", STRINGS)
def test_crawler_and_checks_read_the_same_period(text: str) -> None:
    stored = crawler.dates.extract_periods(text)  # what the crawler keeps in Document.dates
    from_crawler = period_from_dates(stored)  # what the checks read back from the store
    from_label = checks.periods.best_period([text])  # what the checks read from the label itself
    assert from_crawler is not None and from_label is not None, (text, stored)
    assert from_crawler.key == from_label.key, (text, stored, from_label)


def test_text_with_no_period() -> None:
    for text in ("NOG 21234567, teléfono 7825-6070", "Artículo 10, numeral 8", ""):
        assert extract_periods(text) == [] and best_period([text]) is None


@pytest.mark.parametrize(
    "text",
    [
        "Publicado el 15 de octubre de 2024",
        "Publicado el 1.º de diciembre de 2025",
        "Actualizado: 02/11/2026",
        "Fecha de impresión 5 de noviembre de 2026",
        "Acuerdo Municipal No. 03-2019",
        "Acta No. 12-2026",
    ],
)
def test_stamps_and_identifiers_are_not_periods(text: str) -> None:
    """Issue 19, class 8: when a file was printed, published or updated, and the number of an agreement
    or of minutes, are not the period it covers; neither the crawler nor the checks read one."""
    assert extract_periods(text) == [] and best_period([text]) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Actualizado al 31 de octubre de 2026", (2026, 10)),
        ("Última actualización: octubre 2026", (2026, 10)),
        ("Directorio (actualizado noviembre 2026)", (2026, 11)),
        ("actualizado el 05/11/2026", (2026, 10)),  # November is not over on the 5th
        ("Actualizado al 15 de enero de 2026", (2025, 12)),
        ("Última actualización del sitio: 20 de noviembre de 2026", None),  # the site, not the list
        ("Directorio de empleados", None),
    ],
)
def test_state_period_reads_the_date_a_list_shows_its_state_at(
    text: str, expected: tuple[int, int] | None
) -> None:
    found = vigia.periods.state_period(text)
    assert (found.key if found else None) == expected


def test_phone_numbers_are_not_years() -> None:
    assert vigia.periods.find_periods("Tesorería 7839-2002, PBX 2222 3333") == []
    assert [p.year for p in vigia.periods.find_periods("Ejercicios 2025-2026")] == [2025, 2026]


def test_signature_lines_are_left_out_but_not_titles() -> None:
    text = "MUNICIPALIDAD DE SAN MARCOS\nCompras directas, agosto de 2026\nDetalle\nTotal Q 4,500.00\nSan Marcos, septiembre de 2026"
    kept = vigia.periods.without_signatures(text)
    assert "septiembre" not in kept and "agosto de 2026" in kept
    assert period_from_dates(extract_periods(kept)) == vigia.periods.Period(2026, 8, 8, "month")
