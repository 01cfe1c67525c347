"""The checks runner through a real SQLite store: evidence rows in, evaluations and findings out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from checks import RULES_VERSION
from checks.api import STATUS_LABELS, audit_document, check_run, evaluate_portal_crawl
from vigia.errors import UserError
from vigia.store import open_store
from vigia.store.models import CrawlRun, Document, Evaluation, Finding, Page, PortalCrawl

AS_OF = dt.date(2026, 11, 25)
BASE = "https://muni.example.gob.gt"


def _portal(session, run: CrawlRun, code: str, outcome: str, reason: str | None = None) -> PortalCrawl:  # type: ignore[no-untyped-def]
    pc = PortalCrawl(
        run=run,
        portal_key=code,
        ine_code=code,
        municipality=f"Muni {code}",
        department="Ejemplo",
        portal_url=f"{BASE}/",
        outcome=outcome,
        outcome_reason=reason,
    )
    session.add(pc)
    return pc


def _fill(session, pc: PortalCrawl) -> None:  # type: ignore[no-untyped-def]
    blocks = [
        {
            "headings": ["Información Pública de Oficio", "Numeral 8 - Ejecución presupuestaria"],
            "text": "",
            "links": [
                {"url": f"{BASE}/files/ejecucion-octubre-2026.pdf", "label": "Ejecución octubre 2026"},
                {"url": f"{BASE}/files/ejecucion-agosto-2026.pdf", "label": "Ejecución agosto 2026"},
            ],
        },
        {
            "headings": ["Información Pública de Oficio", "4. Remuneraciones"],
            "text": "Número y nombre de funcionarios, servidores públicos, empleados y asesores, con su salario.",
            "links": [],
        },
        {
            "headings": ["Información Pública de Oficio", "Numeral 7"],
            "text": "",
            "links": [{"url": f"{BASE}/files/presupuesto-2025.pdf", "label": "Presupuesto 2025"}],
        },
        {
            "headings": ["Información Pública de Oficio", "Numeral 21 - Fideicomisos"],
            "text": "No aplica: la municipalidad no administra fideicomisos.",
            "links": [],
        },
        {
            "headings": ["Unidad de Información Pública"],
            "text": "Encargada: Ana López. Teléfono 7765-4321, correo uip@muni.example.gob.gt. Última actualización: 3 de noviembre de 2026",
            "links": [],
        },
    ]
    pc.pages.append(
        Page(
            url=f"{BASE}/transparencia/",
            final_url=f"{BASE}/transparencia/",
            status=200,
            title="Información Pública de Oficio",
            trail=["Inicio", "Transparencia"],
            blocks=blocks,
            text=" ".join(b["text"] for b in blocks),
        )
    )
    trail = ["Inicio", "Transparencia", "Información Pública de Oficio"]
    for url, label, status, doc_type in (
        ("ejecucion-octubre-2026.pdf", "Ejecución octubre 2026", 200, "pdf"),
        ("ejecucion-agosto-2026.pdf", "Ejecución agosto 2026", 200, "pdf"),
        ("presupuesto-2025.pdf", "Presupuesto 2025", 200, "pdf"),
        ("NUMERAL-2-FEBRERO.xlsx", "Directorio", 200, "xlsx"),
        ("NUMERAL-3-OCTUBRE-2026.pdf", "Directorio de empleados", 404, "pdf"),
    ):
        pc.documents.append(
            Document(
                url=f"{BASE}/files/{url}",
                label=label,
                page_url=f"{BASE}/transparencia/",
                trail=trail,
                host="muni.example.gob.gt",
                doc_type=doc_type,
                fetched=status == 200,
                status=status,
                text="",
                dates=[],
            )
        )
    pc.pages_count, pc.documents_count = 1, 5


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = open_store(f"sqlite:///{tmp_path / 'vigia.db'}", tmp_path / "data")
    with s.session() as session:
        run = CrawlRun(kind="crawl", status="finished")
        session.add(run)
        ok = _portal(session, run, "0101", "complete")
        _fill(session, ok)
        _portal(session, run, "0102", "unreachable", "tiempo de espera agotado")
        part = _portal(session, run, "0103", "partial", "presupuesto de páginas agotado")
        _fill(session, part)
    yield s
    s.close()


def _findings(store, code: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    with store.session() as session:
        rows = session.execute(
            select(
                Finding.rule,
                Finding.status,
                Finding.reason,
                Finding.period,
                Finding.evidence,
                Finding.position,
            )
            .join(Evaluation)
            .join(PortalCrawl)
            .where(PortalCrawl.ine_code == code)
            .order_by(Finding.position)
        ).all()
    return [tuple(r) for r in rows]


def test_check_run_writes_findings_for_every_portal(store) -> None:  # type: ignore[no-untyped-def]
    summary = check_run(store, run_id=None, as_of=AS_OF)
    assert summary.evaluated == 3 and summary.scored == 1
    assert "3 portales" in summary.describe() and "1 con puntaje" in summary.describe()
    found = {r[0]: r for r in _findings(store, "0101")}
    assert len(found) == 34
    assert found["LAIP-10.08"][1] == "present" and found["LAIP-10.08"][3] == "2026-10"
    assert found["LAIP-10.07"][1] == "outdated"
    assert found["LAIP-10.04"][1] == "absent"  # legal text only
    assert found["LAIP-10.03"][1] == "absent"  # the only document is a 404
    assert "no funciona" in found["LAIP-10.03"][2]
    assert found["LAIP-10.21"][1] == "not_applicable"
    assert found["LAIP-10.24"][1] == "not_applicable"
    assert found["LAIP-10.02"][1] == "present"
    assert found["PORTAL-UIP"][1] == "present"
    assert found["PORTAL-ACTUALIZACION"][1] == "present"
    evidence = found["LAIP-10.08"][4]
    assert evidence[0]["url"].endswith("ejecucion-octubre-2026.pdf") and evidence[0]["period"] == "2026-10"
    with store.session() as session:
        ev = session.scalars(select(Evaluation).join(PortalCrawl).where(PortalCrawl.ine_code == "0101")).one()
        assert ev.rules_version == RULES_VERSION and ev.band == "Deficiente" and ev.score is not None


def test_crawl_failure_is_unverified_everywhere_and_has_no_score(store) -> None:  # type: ignore[no-untyped-def]
    check_run(store, run_id=None, as_of=AS_OF)
    failed = _findings(store, "0102")
    assert {r[1] for r in failed if r[0].startswith("LAIP")} == {"unverified"}
    assert all(r[1] != "absent" for r in failed)
    partial = {r[0]: r for r in _findings(store, "0103")}
    assert all(r[1] != "absent" for r in partial.values())
    assert partial["LAIP-10.08"][1] == "present"  # evidence found is still judged
    assert partial["LAIP-10.05"][1] == "unverified"
    with store.session() as session:
        for code in ("0102", "0103"):
            ev = session.scalars(
                select(Evaluation).join(PortalCrawl).where(PortalCrawl.ine_code == code)
            ).one()
            assert ev.score is None and ev.band is None and ev.no_score_reason


def test_rerunning_reproduces_identical_findings(store) -> None:  # type: ignore[no-untyped-def]
    check_run(store, run_id=None, as_of=AS_OF)
    first = {code: _findings(store, code) for code in ("0101", "0102", "0103")}
    check_run(store, run_id=None, as_of=AS_OF)
    second = {code: _findings(store, code) for code in ("0101", "0102", "0103")}
    assert first == second
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Evaluation)) == 3  # replaced, not duplicated


def test_only_and_unknown_run(store) -> None:  # type: ignore[no-untyped-def]
    summary = check_run(store, run_id=None, as_of=AS_OF, only=["101"])
    assert summary.evaluated == 1
    with pytest.raises(UserError):
        check_run(store, run_id=999, as_of=AS_OF)


def test_audit_document_has_the_design_shape(store) -> None:  # type: ignore[no-untyped-def]
    with store.session() as session:
        pc_id = session.scalars(select(PortalCrawl.id).where(PortalCrawl.ine_code == "0101")).one()
    evaluate_portal_crawl(store, pc_id, AS_OF)
    doc = audit_document(store, evaluate_portal_crawl(store, pc_id, AS_OF))
    with store.session() as session:  # the second evaluation replaced the first
        assert session.scalar(select(func.count()).select_from(Evaluation)) == 1
    assert set(doc) == {"portal", "as_of", "crawl", "score", "band", "findings"}
    assert doc["as_of"] == "2026-11-25" and doc["portal"] == f"{BASE}/"
    assert doc["crawl"] == {"outcome": "complete", "pages": 1, "documents": 5}
    assert isinstance(doc["score"], float) and doc["band"] in ("Aceptable", "Bajo", "Deficiente")
    numerals = [f["numeral"] for f in doc["findings"][:29]]
    assert numerals == list(range(1, 30))
    assert [f["rule"] for f in doc["findings"][:29]] == [f"LAIP-10.{n:02d}" for n in range(1, 30)]
    assert all(f["numeral"] is None for f in doc["findings"][29:]) and len(doc["findings"]) > 29
    for f in doc["findings"]:
        assert set(f) == {"rule", "numeral", "status", "evidence", "reason"}
        assert f["status"] in STATUS_LABELS
        for e in f["evidence"]:
            assert set(e) == {"url", "label", "period"}


def test_audit_document_of_failed_crawl_has_null_score(store) -> None:  # type: ignore[no-untyped-def]
    with store.session() as session:
        pc_id = session.scalars(select(PortalCrawl.id).where(PortalCrawl.ine_code == "0102")).one()
    doc = audit_document(store, evaluate_portal_crawl(store, pc_id, AS_OF))
    assert doc["score"] is None and doc["band"] is None
    assert all(f["status"] == "unverified" for f in doc["findings"])


def test_agreement_against_a_truth_file(store) -> None:  # type: ignore[no-untyped-def]
    from checks.agreement import compare, report_text

    check_run(store, run_id=None, as_of=AS_OF)
    truth = {
        "portals": [
            {
                "ine_code": "0101",
                "url": f"{BASE}/",
                "expected_outcome": "complete",
                "platform": "wordpress",
                "families": ["year_tabs", "furniture"],
                "numerals": {
                    "8": {"status": "present", "period": "2026-10"},
                    "7": {"status": "present"},
                    "4": {"status": "absent"},
                },
            },
            {
                "ine_code": "0102",
                "url": f"{BASE}/",
                "expected_outcome": "complete",
                "platform": "static",
                "families": [],
                "numerals": {"8": {"status": "unverified"}},
            },
            {"ine_code": "9999", "url": "https://other.example/", "numerals": {}},
        ]
    }
    result = compare(store, truth)
    assert result.pairs == 4 and result.agree == 3
    assert result.confusion[("present", "outdated")] == 1
    assert result.present_precision == 1.0 and result.failed_with_absent == []
    assert result.missing_portals == ["9999"]
    text = report_text(result)
    assert "75.00%" in text and "0101 numeral 7" in text
    # per family and per platform: a portal's pairs count for each of its families; "base" has none
    groups = result.groups
    assert groups["familia:year_tabs"].pairs == 3 and groups["familia:year_tabs"].agree == 2
    assert groups["familia:furniture"].pairs == 3 and groups["familia:base"].pairs == 1
    assert groups["plataforma:static"].agreement == 1.0 and groups["plataforma:wordpress"].pairs == 3
    assert "familia:year_tabs" in text and "66.67%" in text
    # 0102 was expected complete but the crawl was unreachable: left out of the "as expected" figures
    assert result.outcome_mismatch == {"0102": ("complete", "unreachable")}
    assert result.expected is not None and result.expected.pairs == 3
    assert groups["familia:base"].expected is None
    assert result.as_dict()["groups"]["familia:furniture"]["expected_crawl"]["agreement"] == round(2 / 3, 5)
