"""Portal-level rules and a few attribution/period units that the case files do not isolate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from checks.casefile import snapshot_from_dict
from checks.engine import band_for, evaluate_snapshot
from checks.periods import best_period, required_month, required_year_current
from checks.registry import RULES_BY_CODE
from checks.text import explicit_numerals, explicit_numerals_in_name

AS_OF = dt.date(2026, 11, 25)
BASE = "https://muni.example.gob.gt"


def _snap(blocks: list[dict[str, Any]], url: str = BASE + "/", outcome: str = "complete", **extra: Any):  # type: ignore[no-untyped-def]
    return snapshot_from_dict(
        {
            "outcome": outcome,
            "portal_url": url,
            "pages": [{"url": url, "title": "Inicio", "blocks": blocks}],
            **extra,
        }
    )


def _status(code: str, snapshot) -> str:  # type: ignore[no-untyped-def]
    return RULES_BY_CODE[code].evaluate(snapshot, AS_OF).status


def test_https() -> None:
    assert _status("PORTAL-HTTPS", _snap([])) == "present"
    assert _status("PORTAL-HTTPS", _snap([], url="http://muni.example.gob.gt/")) == "absent"
    assert _status("PORTAL-HTTPS", _snap([], outcome="unreachable")) == "unverified"


def test_availability_never_absent() -> None:
    assert _status("PORTAL-DISPONIBLE", _snap([])) == "present"
    for outcome in ("unreachable", "blocked", "disallowed"):
        assert _status("PORTAL-DISPONIBLE", _snap([], outcome=outcome)) == "unverified"


def test_uip_contact() -> None:
    uip = {"headings": ["Contacto"], "text": "Unidad de Información Pública: uip@muni.gob.gt", "links": []}
    assert _status("PORTAL-UIP", _snap([uip])) == "present"
    no_contact = {
        "headings": ["UIP"],
        "text": "La Unidad de Información Pública atiende solicitudes.",
        "links": [],
    }
    assert _status("PORTAL-UIP", _snap([no_contact])) == "absent"
    assert _status("PORTAL-UIP", _snap([no_contact], outcome="partial")) == "unverified"


def test_last_update() -> None:
    def block(text: str) -> dict[str, Any]:
        return {"headings": [], "text": text, "links": []}

    assert (
        _status("PORTAL-ACTUALIZACION", _snap([block("Última actualización: 3 de noviembre de 2026")]))
        == "present"
    )
    assert _status("PORTAL-ACTUALIZACION", _snap([block("Actualizado al 15/03/2026")])) == "outdated"
    assert _status("PORTAL-ACTUALIZACION", _snap([block("Bienvenidos")])) == "absent"


def test_open_formats() -> None:
    links = [{"url": f"{BASE}/f/{i}.pdf", "label": f"doc {i}"} for i in range(3)]
    pdf_only = _snap([{"headings": ["Docs"], "text": "", "links": links}])
    assert _status("PORTAL-FORMATOS-ABIERTOS", pdf_only) == "absent"
    mixed = _snap(
        [{"headings": ["Docs"], "text": "", "links": [*links, {"url": f"{BASE}/f/x.xlsx", "label": "x"}]}]
    )
    finding = RULES_BY_CODE["PORTAL-FORMATOS-ABIERTOS"].evaluate(mixed, AS_OF)
    assert finding.status == "present" and "1 de 4" in finding.reason


def test_score_and_bands() -> None:
    assert band_for(85.0) == "Aceptable" and band_for(84.99) == "Bajo" and band_for(59.99) == "Deficiente"
    result = evaluate_snapshot(_snap([]), AS_OF)
    assert result.score == 0.0 and result.band == "Deficiente"
    failed = evaluate_snapshot(_snap([], outcome="blocked"), AS_OF)
    assert failed.score is None and failed.band is None and "bloqueó" in (failed.no_score_reason or "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Numeral 8", (8,)),
        ("Art. 10 num. 8", (8,)),
        ("Artículo 10, numeral 8", (8,)),
        ("08 - Ejecución", (8,)),
        ("8. Ejecución", (8,)),
        ("8) Ejecución", (8,)),
        ("numeral8", (8,)),
        ("Num.8", (8,)),
        ("Numeral VIII", (8,)),
        ("Numeral 1", (1,)),
        ("Numeral 10", (10,)),
        ("8.5 millones", ()),
        ("08-2026 informe", ()),
        ("Artículo 10", ()),
        ("Pago Q 8.500,00", ()),
        ("numerales 1 al 29", ()),
    ],
)
def test_explicit_numerals(text: str, expected: tuple[int, ...]) -> None:
    assert explicit_numerals(text) == expected


def test_numerals_in_file_names() -> None:
    assert explicit_numerals_in_name("NUMERAL-2-FEBRERO") == (2,)
    assert explicit_numerals_in_name("num8_agosto") == (8,)
    assert explicit_numerals_in_name("EJECUCION_2026_10") == ()


@pytest.mark.parametrize(
    ("texts", "context", "code"),
    [
        (["agosto 2026"], [], "2026-08"),
        (["AGOSTO"], ["Ejercicio Fiscal 2026"], "2026-08"),
        (["08-2026"], [], "2026-08"),
        (["EJECUCION_2026_10"], [], "2026-10"),
        (["ago-26"], [], "2026-08"),
        (["enero a marzo 2026"], [], "2026-01/2026-03"),
        (["primer trimestre 2026"], [], "2026-01/2026-03"),
        (["T1 2026"], [], "2026-01/2026-03"),
        (["NUMERAL-19-TRIMESTRE-3-2026"], [], "2026-07/2026-09"),
        (["ejercicio fiscal 2026"], [], "2026"),
        (["Decreto 12-2002"], [], None),
        (["Numeral 10"], [], None),
    ],
)
def test_periods(texts: list[str], context: list[str], code: str | None) -> None:
    period = best_period(texts, context)
    assert (period.code() if period else None) == code


def test_freshness_policy() -> None:
    assert required_month(dt.date(2026, 11, 25)) == (2026, 9)
    assert required_month(dt.date(2026, 10, 30)) == (2026, 8)
    assert required_month(dt.date(2026, 10, 31)) == (2026, 9)
    assert required_year_current(dt.date(2026, 1, 31)) == 2025
    assert required_year_current(dt.date(2026, 2, 1)) == 2026


def test_document_text_period_ignores_publication_dates() -> None:
    from checks.periods import period_from_text

    cue = "Ejecución\nPeríodo que se informa: septiembre 2026\nFecha de publicación: 12 de octubre de 2026"
    assert period_from_text(cue).code() == "2026-09"  # type: ignore[union-attr]
    first = "Informe\nAgosto 2026\nGuatemala, 5 de octubre de 2026"
    assert period_from_text(first).code() == "2026-08"  # type: ignore[union-attr]
    assert period_from_text("sin fechas") is None
