"""The store round trip, on SQLite and on a real PostgreSQL (both run in `make test`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from vigia.store import open_store
from vigia.store.models import CrawlRun, Document, Evaluation, Finding, Incident, Page, PortalCrawl


def test_store_round_trip(db_url: str, tmp_path: Path) -> None:
    store = open_store(db_url, tmp_path / "data")
    assert {
        "crawl_runs",
        "portal_crawls",
        "pages",
        "documents",
        "incidents",
        "evaluations",
        "findings",
    } <= set(store.table_names())
    body = "<h1>Transparencia</h1><a href='x.pdf'>Ejecución <b>agosto</b> 2026</a>".encode()
    digest = store.blobs.put(body)
    with store.session() as s:
        run = CrawlRun(kind="nightly", settings={"concurrency": 8})
        portal = PortalCrawl(
            run=run,
            portal_key="0108",
            ine_code="0108",
            municipality="Mixco",
            portal_url="https://m.example/",
            outcome="complete",
            pages_count=1,
            documents_count=1,
            bytes_received=3_500_000_000,
        )
        portal.pages.append(
            Page(
                url="https://m.example/t",
                final_url="https://m.example/transparencia",
                status=200,
                sha256=digest,
                title="Información Pública de Oficio",
                trail=["Inicio", "Transparencia"],
                blocks=[
                    {
                        "headings": ["Numeral 8 – Ejecución"],
                        "text": "ñandú «»",
                        "links": [{"url": "x.pdf", "label": "Agosto"}],
                    }
                ],
            )
        )
        portal.documents.append(
            Document(
                url="https://m.example/x.pdf",
                label="Ejecución agosto 2026",
                trail=["Transparencia", "Numeral 8"],
                host="m.example",
                doc_type="pdf",
                size=1234,
                dates=["2026-08"],
                is_scanned=False,
            )
        )
        portal.incidents.append(Incident(kind="http_5xx", url="https://m.example/caido", message="HTTP 503"))
        s.add(run)
        evaluation = Evaluation(
            portal=portal, as_of=dt.date(2026, 11, 25), rules_version="1", score=72.0, band="Bajo"
        )
        s.add(evaluation)
        evaluation.findings.append(
            Finding(
                rule="LAIP-10.08",
                numeral=8,
                status="outdated",
                reason="Último informe: agosto 2026.",
                period="2026-08",
                evidence=[{"url": "https://m.example/x.pdf", "label": "Agosto", "period": "2026-08"}],
            )
        )
    store.close()

    reopened = open_store(db_url, tmp_path / "data")  # migrations are idempotent
    with reopened.session() as s:
        portal = s.scalars(select(PortalCrawl)).one()
        assert portal.bytes_received == 3_500_000_000
        assert portal.pages[0].blocks[0]["text"] == "ñandú «»"
        assert portal.pages[0].trail == ["Inicio", "Transparencia"]
        assert portal.documents[0].dates == ["2026-08"]
        assert portal.incidents[0].kind == "http_5xx"
        finding = portal.evaluations[0].findings[0]
        assert (finding.rule, finding.status, finding.evidence[0]["period"]) == (
            "LAIP-10.08",
            "outdated",
            "2026-08",
        )
        assert reopened.blobs.get(portal.pages[0].sha256) == body
        # deleting a run removes its evidence and findings (no orphans)
        s.delete(portal.run)
    with reopened.session() as s:
        assert s.scalars(select(Finding)).all() == []
        assert s.scalars(select(Page)).all() == []
    reopened.close()


def test_blob_store_is_content_addressed(tmp_path: Path, sqlite_url: str) -> None:
    store = open_store(sqlite_url, tmp_path / "data")
    a = store.blobs.put(b"same bytes")
    b = store.blobs.put(b"same bytes")
    assert a == b and store.blobs.get(a) == b"same bytes"
    assert len(list((tmp_path / "data" / "blobs").rglob("*.gz"))) == 1


def test_migrations_match_the_models(db_url: str, tmp_path: Path) -> None:
    """Alembic's head is exactly the models' schema (no model change without its migration)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from vigia.store.models import Base

    store = open_store(db_url, tmp_path / "data")
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    store.close()
    assert diff == []


def test_a_store_at_the_newest_migration_opens_without_alembic(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The head read from the migration files is Alembic's own; an up-to-date store skips Alembic, an
    older one is still upgraded by it."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from vigia.store import db

    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    assert db.script_head() == ScriptDirectory.from_config(cfg).get_current_head()

    open_store(sqlite_url, tmp_path / "data").close()  # new database: Alembic creates the schema
    calls: list[str] = []
    real_config = db.alembic_config
    monkeypatch.setattr(db, "alembic_config", lambda engine: calls.append("alembic") or real_config(engine))
    open_store(sqlite_url, tmp_path / "data").close()
    assert calls == []
    store = open_store(sqlite_url, tmp_path / "data")
    from alembic import command

    with store.engine.begin() as conn:  # the store predates the newest migration (one step down)
        down = real_config(store.engine)
        down.attributes["connection"] = conn
        command.downgrade(down, "-1")
    store.close()
    calls.clear()
    store = open_store(sqlite_url, tmp_path / "data")
    assert calls == ["alembic"]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == db.script_head()
    store.close()
