"""The review workspace on both engines: accounts, login (wrong password, slow-down, lock-out, disabled
account), CSRF, the municipality boundary, reviews and their effect on the checklist, the score and the
exports, right of reply (URL checks, daily limit), the audit trail. The synthetic two-night scenario of the
reports stands in for a crawl (tests/test_review_fleet.py runs the real crawler)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from reports import synthetic
from reports.api import build_reports
from vigia.accounts import LoginPolicy, add_user
from vigia.store import open_store
from vigia.store.db import Store
from vigia.store.models import AuditEntry, RecrawlJob, Reply, Review
from vigia.web import create_app

PASSWORD = "correcto-caballo-bateria"
ANALYST = "analista@pdh.example.gt"
ADMIN = "admin@pdh.example.gt"
MIXCO = "muni@mixco.example.gt"  # 0108
ANTIGUA = "muni@antigua.example.gt"  # 0301
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    s = open_store(db_url, tmp_path / "data")
    synthetic.build_scenario(s)
    with s.session() as session:
        add_user(session, ANALYST, PASSWORD, "analyst", None, actor="test")
        add_user(session, ADMIN, PASSWORD, "admin", None, actor="test")
        add_user(session, MIXCO, PASSWORD, "municipality", "0108", actor="test")
        add_user(session, ANTIGUA, PASSWORD, "municipality", "0301", actor="test")
    yield s
    s.close()


def _app(store: Store, tmp_path: Path, policy: LoginPolicy | None = None, per_day: int = 3) -> Any:
    app = create_app(
        store,
        registry=synthetic.scenario_registry(),
        data_dir=tmp_path / "data",
        login_policy=policy or LoginPolicy(delay_after=100, lock_after=100),
        recrawls_per_day=per_day,
    )
    return app


def _token(client: Any, path: str) -> str:
    page = client.get(path)
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path}: {page.status_code}"
    return found.group(1)


def _login(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": _token(client, "/login")}
    )


def _post(client: Any, page: str, action: str, data: dict[str, str]) -> Any:
    return client.post(action, data={**data, "csrf_token": _token(client, page)})


def test_login_wrong_password_disabled_account_and_session_rules(store: Store, tmp_path: Path) -> None:
    app = _app(store, tmp_path)
    client = app.test_client()
    # everything but /login and the static files needs a session
    assert client.get("/revision").status_code == 302
    assert client.get("/municipio/0108").headers["Location"].startswith("/login")
    assert client.get("/static/vigia.css").status_code == 200
    wrong = _login(client, ANALYST, "no-es-la-clave")
    assert wrong.status_code == 401 and "Correo o contraseña incorrectos" in wrong.get_data(as_text=True)
    assert client.get("/revision").status_code == 302
    ok = _login(client, ANALYST)
    assert ok.status_code == 302
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/revision").status_code == 200
    # disabling the account ends its session at the next request, and it cannot log in again
    from vigia.accounts import disable_user

    with store.session() as session:
        disable_user(session, ANALYST, actor="test")
    assert client.get("/revision").status_code == 302
    again = _login(app.test_client(), ANALYST)
    assert again.status_code == 401 and "deshabilitada" in again.get_data(as_text=True)
    with store.session() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("login.failed") == 1 and "login" in actions and "user.disable" in actions
    assert actions[-1] == "login.refused"


def test_secure_cookies_behind_tls(store: Store, tmp_path: Path) -> None:
    app = create_app(
        store, registry=synthetic.scenario_registry(), data_dir=tmp_path / "data", secure_cookies=True
    )
    client = app.test_client()
    response = _login(client, ANALYST)
    assert response.status_code == 302 and "Secure" in response.headers["Set-Cookie"]


def test_failed_logins_are_slowed_then_locked(store: Store, tmp_path: Path) -> None:
    slow = _app(store, tmp_path, LoginPolicy(delay_after=2, delay_base=30.0, lock_after=100))
    client = slow.test_client()
    for _ in range(2):
        assert _login(client, MIXCO, "mala-clave-123").status_code == 401
    slowed = _login(client, MIXCO)  # the right password, too soon: not even checked
    assert slowed.status_code == 429 and "Espere" in slowed.get_data(as_text=True)

    locking = _app(
        store, tmp_path, LoginPolicy(delay_after=100, lock_after=4, lock_for=dt.timedelta(minutes=15))
    )
    client = locking.test_client()
    for _ in range(2):  # 2 more failures: 4 in the window
        assert _login(client, MIXCO, "mala-clave-123").status_code == 401
    locked = _login(client, MIXCO)
    assert locked.status_code == 429 and "bloqueada" in locked.get_data(as_text=True)
    assert client.get("/municipio/0108").status_code == 302
    # another account is not affected
    assert _login(locking.test_client(), ANTIGUA).status_code == 302


def test_an_address_is_locked_after_failures_on_several_accounts(store: Store, tmp_path: Path) -> None:
    client = _app(
        store, tmp_path, LoginPolicy(delay_after=100, lock_after=100, address_lock_after=3)
    ).test_client()
    for email in ("nadie@x.gt", "otro@x.gt", ANTIGUA):
        assert _login(client, email, "mala-clave-123").status_code == 401
    refused = _login(client, MIXCO)
    assert refused.status_code == 429 and "esta dirección" in refused.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(store: Store, tmp_path: Path) -> None:
    client = _app(store, tmp_path).test_client()
    refused = client.post("/login", data={"email": ANALYST, "password": PASSWORD})
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    assert _login(client, ANALYST).status_code == 302
    forged = client.post("/revision/0108/9/corregir", data={"status": "present", "reason": "forjado"})
    assert forged.status_code == 400
    wrong_token = client.post(
        "/revision/0108/9/corregir", data={"status": "present", "reason": "forjado", "csrf_token": "x" * 40}
    )
    assert wrong_token.status_code == 400
    with store.session() as session:
        assert session.scalar(select(Review.id)) is None


def test_municipality_a_cannot_read_or_act_on_b(store: Store, tmp_path: Path) -> None:
    app = _app(store, tmp_path)
    antigua = app.test_client()
    assert _login(antigua, ANTIGUA).status_code == 302
    assert antigua.get("/municipio/0301").status_code == 200
    assert antigua.get("/municipio/0108").status_code == 404
    assert antigua.get("/municipio/0108/responder/9").status_code == 404
    token = _token(antigua, "/municipio/0301/responder/3")
    answer = antigua.post(
        "/municipio/0108/responder/9",
        data={"urls": "https://munimixco.example.gob.gt/n9", "note": "x", "csrf_token": token},
    )
    assert answer.status_code == 404
    # a municipality account never reviews, and never sees the queue or the audit trail
    assert antigua.get("/revision").status_code == 403
    assert antigua.get("/revision/0301/3").status_code == 403
    assert antigua.post("/revision/0301/3/corregir", data={"csrf_token": token}).status_code == 403
    assert antigua.get("/auditoria").status_code == 403
    # Mixco replies; Antigua cannot see that reply or Mixco's reviews anywhere
    mixco = app.test_client()
    assert _login(mixco, MIXCO).status_code == 302
    sent = _post(
        mixco,
        "/municipio/0108/responder/9",
        "/municipio/0108/responder/9",
        {"urls": "https://munimixco.example.gob.gt/transparencia/numeral-9", "note": "Publicado ayer"},
    )
    assert sent.status_code == 303
    assert "Publicado ayer" in mixco.get("/municipio/0108").get_data(as_text=True)
    assert "Publicado ayer" not in antigua.get("/municipio/0301").get_data(as_text=True)
    # archived copies: only the municipality's own evidence
    with store.session() as session:
        sha = session.execute(
            text(
                "SELECT d.sha256 FROM documents d JOIN portal_crawls p ON d.portal_crawl_id = p.id "
                "WHERE p.ine_code = '0108' AND d.sha256 IS NOT NULL LIMIT 1"
            )
        ).scalar()
    if sha:
        assert antigua.get(f"/evidencia/{sha}").status_code == 404
    # analysts see both, and the reply as a disputed finding in the queue
    analyst = app.test_client()
    _login(analyst, ANALYST)
    assert analyst.get("/municipio/0301").status_code == 200
    queue = analyst.get("/revision?municipio=0108").get_data(as_text=True)
    assert "disputado" in queue


def test_reply_urls_must_be_on_the_portal_or_a_document_host_and_recrawls_are_limited(
    store: Store, tmp_path: Path
) -> None:
    app = _app(store, tmp_path, per_day=1)
    client = app.test_client()
    _login(client, MIXCO)
    page = "/municipio/0108/responder/9"
    elsewhere = _post(client, page, page, {"urls": "https://evil.example.com/n9.pdf", "note": ""})
    assert elsewhere.status_code == 400 and "no está en el portal" in elsewhere.get_data(as_text=True)
    script = _post(client, page, page, {"urls": "javascript:alert(1)", "note": ""})
    assert script.status_code == 400
    present = client.get("/municipio/0108/responder/1")  # numeral 1 is "Cumple": nothing to answer
    assert "no necesita respuesta" in present.get_data(as_text=True)
    first = _post(client, page, page, {"urls": "https://www.guatecompras.gt/concursos/1", "note": "uno"})
    assert first.status_code == 303
    # a second reply while the job is queued joins it; after it ran, the daily limit (1) refuses a new one
    second = _post(
        client,
        "/municipio/0108/responder/10",
        "/municipio/0108/responder/10",
        {"urls": "https://munimixco.example.gob.gt/n10", "note": "dos"},
    )
    assert second.status_code == 303
    with store.session() as session:
        jobs = list(session.scalars(select(RecrawlJob)))
        assert len(jobs) == 1
        jobs[0].state = "done"
    third = _post(
        client,
        "/municipio/0108/responder/19",
        "/municipio/0108/responder/19",
        {"urls": "https://munimixco.example.gob.gt/n19", "note": "tres"},
    )
    assert third.status_code == 303
    assert "límite" in client.get("/municipio/0108").get_data(as_text=True)
    with store.session() as session:
        assert session.scalar(select(RecrawlJob.id).where(RecrawlJob.id > jobs[0].id)) is None
        replies = list(session.scalars(select(Reply).order_by(Reply.id)))
        assert [r.job_id for r in replies] == [jobs[0].id, jobs[0].id, None]
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("reply") == 3 and "recrawl.queued" in actions and "recrawl.refused" in actions


def _export_row(site: Path, code: str, numeral: int) -> dict[str, Any]:
    data = json.loads((site / "datos" / "hallazgos.json").read_text(encoding="utf-8"))
    return next(f for f in data["findings"] if f["ine_code"] == code and f["numeral"] == numeral)


def _portal_score(site: Path, code: str) -> float:
    data = json.loads((site / "datos" / "hallazgos.json").read_text(encoding="utf-8"))
    return next(p["score"] for p in data["portals"] if p["ine_code"] == code)


def test_override_changes_the_checklist_the_score_and_the_exports(store: Store, tmp_path: Path) -> None:
    registry = synthetic.scenario_registry()
    before = tmp_path / "before"
    build_reports(store, before, None, synthetic.AS_OF, registry, pdf=False)
    assert _export_row(before, "0108", 9)["status"] == "absent"
    client = _app(store, tmp_path).test_client()
    _login(client, ANALYST)
    page = client.get("/revision/0108/9")
    assert page.status_code == 200 and "Veredicto automático" in page.get_data(as_text=True)
    # an override needs a reason
    empty = _post(
        client, "/revision/0108/9", "/revision/0108/9/corregir", {"status": "present", "reason": ""}
    )
    assert empty.status_code == 303
    with store.session() as session:
        assert session.scalar(select(Review.id)) is None
    done = _post(
        client,
        "/revision/0108/9",
        "/revision/0108/9/corregir",
        {"status": "present", "reason": "El numeral 9 está publicado en la sección de obras."},
    )
    assert done.status_code == 303
    assert "Cumple" in client.get("/revision/0108/9").get_data(as_text=True)
    after = tmp_path / "after"
    build_reports(store, after, None, synthetic.AS_OF, registry, pdf=False)
    row = _export_row(after, "0108", 9)
    assert row["status"] == "present" and row["machine_status"] == "absent"
    assert row["reviewed_by"] == ANALYST and row["reviewed_at"] and "obras" in row["review_reason"]
    assert row["confidence"] in ("high", "medium", "low", "")
    assert _portal_score(after, "0108") > _portal_score(before, "0108")
    other = _export_row(after, "0108", 10)
    assert other["status"] == "absent" and other["reviewed_by"] == ""
    csv_text = (after / "datos" / "hallazgos.csv").read_text(encoding="utf-8-sig")
    header = csv_text.splitlines()[0].split(",")
    assert header[-5:] == ["machine_status", "reviewed_by", "reviewed_at", "review_reason", "confidence"]
    checklist = next((after / "municipio").glob("0108*.html")).read_text(encoding="utf-8")
    assert "Revisado por la PDH el" in checklist and "la revisión automática decía: No publicado" in checklist
    from reports.exports import xlsx_dump

    assert ANALYST in xlsx_dump(after / "datos" / "hallazgos.xlsx")
    with store.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "review.override")).one()
        assert (
            entry.actor == ANALYST
            and entry.before["status"] == "absent"
            and entry.after["status"] == "present"
        )
        assert isinstance(entry.evidence, list)


def test_admin_reads_and_exports_the_append_only_audit_trail(store: Store, tmp_path: Path) -> None:
    app = _app(store, tmp_path)
    analyst = app.test_client()
    _login(analyst, ANALYST)
    assert analyst.get("/auditoria").status_code == 403
    assert analyst.get("/auditoria.csv").status_code == 403
    admin = app.test_client()
    _login(admin, ADMIN)
    page = admin.get("/auditoria").get_data(as_text=True)
    assert "Cuenta creada" in page and "Inicio de sesión" in page
    exported = admin.get("/auditoria.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    lines = exported.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,at,actor,action") and len(lines) >= 6
    # the database refuses to change or delete a line
    from sqlalchemy.exc import DBAPIError

    for statement in ("UPDATE audit_log SET actor = 'otro'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), store.engine.begin() as conn:
            conn.execute(text(statement))
    with store.session() as session:
        assert session.scalar(text("SELECT count(*) FROM audit_log WHERE actor = 'otro'")) == 0
