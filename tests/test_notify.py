"""Notifications (issue 16): the municipalities' messages and the monitors' digest through the outbox to a
real SMTP server on loopback (aiosmtpd): idempotency, retries after a server that fails mid-batch, opt-out,
escaping, golden files, the dry run, STARTTLS, and the Atom feeds parsed with feedparser.

Golden files: ``VIGIA_UPDATE_GOLDEN=1 pytest tests/test_notify.py`` after an intended change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import os
from email import policy
from pathlib import Path

import feedparser
import lxml.html
import pytest
from smtp_helpers import Mailbox, smtp_server
from sqlalchemy import select

from reports import synthetic
from reports.api import build_reports
from reports.notify.api import run_notify
from reports.notify.outbox import Draft, backoff, counts, enqueue, problems, set_opt_out
from reports.notify.subscribers import Subscriber, parse_subscribers
from reports.notify.transport import SmtpTransport, parse_smtp_url
from vigia.errors import UserError
from vigia.store import open_store
from vigia.store.models import OutboxMessage

GOLDEN = Path(__file__).parent / "golden" / "notify"
UPDATE = os.environ.get("VIGIA_UPDATE_GOLDEN") == "1"
SITE = "https://vigia.example.org/"
NIGHT1 = dt.date(2026, 11, 24)
NIGHT2 = synthetic.AS_OF
T1 = dt.datetime(2026, 11, 24, 9, 0)
T2 = dt.datetime(2026, 11, 25, 9, 0)
MONITORS = [Subscriber("analista@pdh.example.gt"), Subscriber("quiche@example.org", ("Huehuetenango",))]


def uip(code: str) -> str:
    return f"uip.{code}@municipalidades.example.gt"


def _registry() -> list:  # type: ignore[type-arg]
    return [dataclasses.replace(m, uip_email=uip(m.ine_code)) for m in synthetic.scenario_registry()]


@pytest.fixture
def scenario(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path / 'vigia.db'}", tmp_path / "data")
    first, second = synthetic.build_scenario(store)
    yield store, first, second
    store.close()


def _notify(store, run_id, night, url=None, now=None, **kw):  # type: ignore[no-untyped-def]
    return run_notify(
        store,
        kw.pop("registry", _registry()),
        run_id=run_id,
        as_of=night,
        site_url=SITE,
        transport=SmtpTransport(url) if url else None,
        subscribers=kw.pop("subscribers", MONITORS),
        sender="Vigía <vigia@pdh.example.gt>",
        now=now,
        **kw,
    )


def _dump(msg: email.message.EmailMessage) -> str:
    """A stable text form of a message: the headers that matter, then each part decoded."""
    lines = [f"{h}: {msg[h]}" for h in ("From", "To", "Subject", "List-Unsubscribe", "Auto-Submitted")]
    for part in ("plain", "html"):
        body = msg.get_body((part,))
        assert body is not None, f"falta la parte {part}"
        lines += ["", f"----- text/{part} -----", body.get_content()]
    return "\n".join(lines).replace("\r\n", "\n")


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"falta el archivo dorado {path}: ejecute con VIGIA_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} difiere del archivo dorado"


# --------------------------------------------------------------------------- two nights over SMTP


def test_two_nights_right_recipients_right_messages_and_golden_files(scenario) -> None:  # type: ignore[no-untyped-def]
    store, first, second = scenario
    box = Mailbox()
    with smtp_server(box) as url:
        one = _notify(store, first, NIGHT1, url, now=T1)
        night1 = box.take()
        two = _notify(store, second, NIGHT2, url, now=T2)
        night2 = box.take()
        again = _notify(store, second, NIGHT2, url, now=T2 + dt.timedelta(hours=1))
        assert box.take() == []  # the same night again sends nothing
    codes = [m.ine_code for m in synthetic.scenario_registry() if m.portal_url]
    # night 1: every municipality with a portal and an address gets its first message; both monitors a digest
    assert sorted(r.recipients[0] for r in night1) == sorted(
        [uip(c) for c in codes] + [s.email for s in MONITORS]
    )
    assert one.municipality_messages == 7 and one.digests == 2 and one.delivery.sent == 9
    first_msg = next(r.message for r in night1 if r.recipients == [uip("0101")])
    assert first_msg["Subject"].startswith(
        "Vigía: lista de verificación del portal de transparencia de Guatemala"
    )
    # night 2: only the municipalities whose checklist changed (0101 improved, 0108 regressed and changed
    # band, 1301 went down, 1601 came back); 0301, 0901 and 1701 did not change
    assert sorted(r.recipients[0] for r in night2) == sorted(
        [uip("0101"), uip("0108"), uip("1301"), uip("1601"), *(s.email for s in MONITORS)]
    )
    assert two.unchanged == 3 and two.delivery.sent == 6
    assert again.municipality_messages == again.digests == 0 and again.already_composed == 6
    by_to = {r.recipients[0]: r.message for r in night2}
    text_0108 = by_to[uip("0108")].get_body(("plain",)).get_content()
    assert "Retroceso en el numeral 3 (Directorio de empleados): Cumple → No publicado." in text_0108
    assert "Banda del PDH: Aceptable (85.2) → Bajo (81.5)." in text_0108
    assert "Por qué: El portal se rastreó por completo y no publica este numeral." in text_0108
    assert f"{SITE}municipio/0108.html" in text_0108 and f"{SITE}municipio/0108.pdf" in text_0108
    down = by_to[uip("1301")].get_body(("plain",)).get_content()
    assert "El portal dejó de responder: Completo → Inaccesible" in down and "No publicado»)" in down
    # the department filter: the Huehuetenango monitor's digest speaks of Huehuetenango only
    digest_hue = by_to["quiche@example.org"].get_body(("plain",)).get_content()
    assert (
        "Portales revisados: 1 " in digest_hue and "Mixco" not in digest_hue and "Huehuetenango" in digest_hue
    )
    # headers: List-Unsubscribe, a Message-ID derived from the idempotency key
    msg = by_to[uip("0108")]
    assert msg["List-Unsubscribe"].startswith("<mailto:vigia@pdh.example.gt?subject=BAJA")
    assert msg["Message-ID"].endswith("@pdh.example.gt>")
    assert len({r.message_id for r in night1 + night2}) == len(night1) + len(night2)
    _golden("municipio-0108.txt", _dump(by_to[uip("0108")]))
    _golden("resumen-analista.txt", _dump(by_to["analista@pdh.example.gt"]))
    assert counts(store) == {"sent": 15}


def test_hostile_portal_text_is_escaped_in_the_html_part(scenario) -> None:  # type: ignore[no-untyped-def]
    store, first, _ = scenario
    box = Mailbox()
    with smtp_server(box) as url:
        _notify(store, first, NIGHT1, url, now=T1)
    msg = box.to(uip("1701"))[0].message
    html = msg.get_body(("html",)).get_content()
    tree = lxml.html.fromstring(html)
    assert not tree.xpath("//script | //img | //iframe")
    assert not [a for el in tree.iter() for a in el.attrib if a.lower().startswith("on")]
    assert all(h.startswith("https://vigia.example.org/") for h in tree.xpath("//a/@href"))
    assert "Flores &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html  # a hostile reason, as text
    assert "<script>" not in html
    # the subject carries the name as text, on one line
    assert "\n" not in str(msg["Subject"]) and "Flores <script>" in str(msg["Subject"])


# --------------------------------------------------------------------------- failures and retries


def test_a_server_failing_mid_batch_loses_nothing_and_duplicates_nothing(scenario) -> None:  # type: ignore[no-untyped-def]
    store, first, _ = scenario
    box = Mailbox(fail_after=3)
    with smtp_server(box) as url:
        one = _notify(store, first, NIGHT1, url, now=T1)
        assert one.queued == 9
        assert (one.delivery.sent, one.delivery.retried, one.delivery.waiting) == (3, 3, 3)
        assert box.refused == 3
        with store.session() as s:
            rows = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [r.status for r in rows].count("sent") == 3
        retried = [r for r in rows if r.attempts == 1 and r.status == "pending"]
        assert len(retried) == 3 and all(r.next_attempt_at == T1 + backoff(1) for r in retried)
        assert all("451" in (r.last_error or "") for r in retried)
        assert [p.id for p in problems(store)] == sorted((r.id for r in retried), reverse=True)
        # before the backoff is over, the retried ones wait; the untried ones go (the server is fine now)
        box.fail_after = None
        early = _notify(store, first, NIGHT1, url, now=T1 + dt.timedelta(minutes=1))
        assert early.queued == 0 and (early.delivery.sent, early.delivery.waiting) == (3, 0)
        late = _notify(store, first, NIGHT1, url, now=T1 + dt.timedelta(hours=1))
        assert late.delivery.sent == 3
        assert _notify(store, first, NIGHT1, url, now=T1 + dt.timedelta(hours=2)).delivery.sent == 0
    ids = [r.message_id for r in box.accepted]
    assert len(ids) == 9 and len(set(ids)) == 9  # every message once
    assert sorted(r.recipients[0] for r in box.accepted) == sorted(
        [uip(c) for c in ("0101", "0108", "0301", "0901", "1301", "1601", "1701")]
        + [s.email for s in MONITORS]
    )
    assert counts(store) == {"sent": 9}


def test_server_down_keeps_every_message_pending(scenario) -> None:  # type: ignore[no-untyped-def]
    from fleet_helpers import free_port

    store, first, _ = scenario
    summary = _notify(store, first, NIGHT1, f"smtp://127.0.0.1:{free_port()}", now=T1)
    assert summary.delivery.sent == 0 and summary.delivery.waiting == 9
    assert "no se pudo conectar" in summary.delivery.errors[0]
    assert counts(store) == {"pending": 9}
    with store.session() as s:
        assert all(r.attempts == 0 for r in s.scalars(select(OutboxMessage)))


def test_permanent_refusal_is_failed_at_once(scenario) -> None:  # type: ignore[no-untyped-def]
    store, first, _ = scenario
    box = Mailbox(fail_after=0, fail_code="550 5.1.1 Buzón inexistente")
    with smtp_server(box) as url:
        summary = _notify(store, first, NIGHT1, url, now=T1, subscribers=[])
    assert summary.delivery.failed == 7 and summary.delivery.sent == 0
    assert counts(store) == {"failed": 7}


def test_opt_out_is_honoured_before_queuing_and_at_sending(scenario) -> None:  # type: ignore[no-untyped-def]
    store, first, second = scenario
    assert set_opt_out(store, uip("0101").upper()) is True
    assert set_opt_out(store, uip("0101")) is False
    box = Mailbox()
    with smtp_server(box) as url:
        one = _notify(store, first, NIGHT1, url, now=T1, subscribers=[])
        assert one.opted_out == 1 and not box.to(uip("0101"))
        # a message already queued for an address that opts out is suppressed, never sent
        enqueue(
            store,
            [
                Draft(
                    "x:2026-11-24:uip",
                    "municipio",
                    NIGHT1,
                    uip("0301"),
                    "0301",
                    first,
                    "s",
                    "Subject: s\r\n\r\nx",
                )
            ],
        )
        set_opt_out(store, uip("0301"))
        later = _notify(store, first, NIGHT1, url, now=T1, subscribers=[])
        assert (
            later.delivery.suppressed == 1 and len(box.to(uip("0301"))) == 1
        )  # only night 1's first message
        # --undo: the address gets messages again (its next message says what changed since its last one)
        assert set_opt_out(store, uip("0101"), undo=True) is True
        two = _notify(store, second, NIGHT2, url, now=T2, subscribers=[])
        assert two.delivery.sent >= 1 and box.to(uip("0101"))
        first_0101 = box.to(uip("0101"))[0].message
        assert "primer mensaje" in first_0101.get_body(("plain",)).get_content()


def test_enqueue_skips_a_key_already_in_the_outbox(scenario) -> None:  # type: ignore[no-untyped-def]
    store, first, _ = scenario
    draft = Draft(
        "resumen:2026-11-24:a@example.org", "resumen", NIGHT1, "a@example.org", None, first, "s", "x"
    )
    assert enqueue(store, [draft]) == (1, 0)
    assert enqueue(store, [draft, dataclasses.replace(draft, key="resumen:2026-11-24:b@example.org")]) == (
        1,
        1,
    )
    assert counts(store) == {"pending": 2}


def test_dry_run_writes_eml_files_and_stores_nothing(scenario, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, first, _ = scenario
    out = tmp_path / "mensajes"
    summary = _notify(store, first, NIGHT1, dry_run=out, now=T1)
    files = sorted(p.name for p in out.glob("*.eml"))
    assert summary.files == len(files) == 9
    assert "municipio-0101-uip.0101@municipalidades.example.gt.eml" in files
    msg = email.message_from_bytes((out / files[0]).read_bytes(), policy=policy.default)
    assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
    assert counts(store) == {}


def test_smtp_url_subscribers_and_cli_errors(tmp_path: Path) -> None:
    s = parse_smtp_url("smtp://ana%40pdh:p%3Ass@mail.example.gt")
    assert (s.host, s.port, s.user, s.password) == ("mail.example.gt", 587, "ana@pdh", "p:ss")
    assert parse_smtp_url("smtps://mail.example.gt").port == 465
    for bad in ("http://mail.example.gt", "smtp://", "smtp://mail:puerto"):
        with pytest.raises(UserError):
            parse_smtp_url(bad)
    subs = parse_subscribers(
        "- email: a@example.org\n- email: b@example.org\n  departments: [quiché]\n", "s.yml"
    )
    assert subs == [Subscriber("a@example.org"), Subscriber("b@example.org", ("Quiché",))]
    csv_subs = parse_subscribers("email,departments\nc@example.org,Petén;Izabal\n", "s.csv")
    assert csv_subs == [Subscriber("c@example.org", ("Petén", "Izabal"))]
    with pytest.raises(UserError, match="entrada 2: correo mal formado"):
        parse_subscribers("- email: a@example.org\n- email: nadie@\n", "s.yml")
    with pytest.raises(UserError, match="departamento desconocido 'Gotham'"):
        parse_subscribers("- email: a@example.org\n  departments: [Gotham]\n", "s.yml")


def test_starttls_is_used_when_the_server_offers_it(scenario, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2020, 1, 1))
        .not_valid_after(dt.datetime(2100, 1, 1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    client_ctx = ssl.create_default_context(cafile=str(tmp_path / "c.pem"))
    store, first, _ = scenario
    box = Mailbox()
    with smtp_server(box, tls_context=server_ctx, require_starttls=True) as url:
        transport = SmtpTransport(url, tls_context=client_ctx)
        summary = run_notify(
            store, _registry(), run_id=first, as_of=NIGHT1, site_url=SITE, transport=transport, now=T1
        )
    assert summary.delivery.sent == 7 and len(box.accepted) == 7  # the server refuses mail before STARTTLS


# --------------------------------------------------------------------------- Atom feeds


def test_atom_feeds_parse_and_link_to_the_evidence(scenario, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, _, second = scenario
    site = tmp_path / "site"
    summary = build_reports(store, site, second, NIGHT2, synthetic.scenario_registry(), pdf=False)
    assert summary.feeds == 1 + 22 + 7
    parsed = {p.name: feedparser.parse(p.read_bytes()) for p in sorted((site / "atom").glob("*.xml"))}
    assert len(parsed) == 30 and not any(f.bozo for f in parsed.values())
    country = parsed["pais.xml"]
    titles = [e.title for e in country.entries]
    assert "Mixco (Guatemala), numeral 3 (Directorio de empleados): Cumple → No publicado" in titles
    assert "Huehuetenango (Huehuetenango): el portal dejó de responder (Completo → Inaccesible)" in titles
    assert "Cobán (Alta Verapaz): el portal vuelve a responder (Bloqueado → Completo)" in titles
    assert "Mixco (Guatemala): banda del PDH Aceptable (85.2) → Bajo (81.5)" in titles
    assert len({e.id for e in country.entries}) == len(country.entries)
    improved = next(e for e in country.entries if e.title.startswith("Guatemala (Guatemala), numeral 8"))
    links = {link.rel: link.href for link in improved.links}
    assert links["alternate"] == "../municipio/0101.html#n08"
    assert links["related"].startswith("../evidencia/") and (site / links["related"][3:]).is_file()
    guatemala = parsed["departamento-01.xml"]
    assert {e.title.split(" (")[0] for e in guatemala.entries} == {"Guatemala", "Mixco"}
    assert parsed["departamento-17.xml"].entries == []  # Flores did not change
    assert [e.title for e in parsed["municipio-1301.xml"].entries] == [
        "Huehuetenango (Huehuetenango): el portal dejó de responder (Completo → Inaccesible)"
    ]
    # every page names its feed (feed readers find it; the footer links it)
    page = (site / "municipio" / "0101.html").read_text(encoding="utf-8")
    assert (
        'rel="alternate" type="application/atom+xml"' in page and 'href="../atom/municipio-0101.xml"' in page
    )
    assert 'href="atom/pais.xml"' in (site / "index.html").read_text(encoding="utf-8")
    raw = (site / "atom" / "municipio-1701.xml").read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw


# --------------------------------------------------------------------------- the digest's other parts


def test_digest_lists_portals_down_n_nights_in_a_row(scenario) -> None:  # type: ignore[no-untyped-def]
    store, first, second = scenario
    third = synthetic.add_night(
        store, synthetic.scenario_specs(2), dt.datetime(2026, 11, 26, 8, 0), dt.date(2026, 11, 26)
    )
    out = Path(store.url.removeprefix("sqlite:///")).parent / "eml"
    kw = {"registry": _registry(), "subscribers": [MONITORS[0]]}
    run_notify(
        store, run_id=third, as_of=dt.date(2026, 11, 26), site_url=SITE, dry_run=out, down_nights=2, **kw
    )
    digest = email.message_from_bytes(
        (out / "resumen-analista@pdh.example.gt.eml").read_bytes(), policy=policy.default
    )
    text = digest.get_body(("plain",)).get_content()
    assert "PORTALES CAÍDOS 2 NOCHES SEGUIDAS O MÁS (1)" in text
    assert "- Huehuetenango (Huehuetenango): 2 noches. Conexión rechazada tras 3 intentos." in text
    run_notify(store, run_id=third, as_of=dt.date(2026, 11, 26), site_url=SITE, dry_run=out, **kw)
    text = (
        email.message_from_bytes(
            (out / "resumen-analista@pdh.example.gt.eml").read_bytes(), policy=policy.default
        )
        .get_body(("plain",))
        .get_content()
    )
    assert "PORTALES CAÍDOS 3 NOCHES SEGUIDAS O MÁS (0)" in text  # the default N is 3


def test_without_workspace_accounts_the_digest_has_no_review_section(scenario, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store, first, _ = scenario
    out = tmp_path / "eml"
    plain = run_notify(
        store, _registry(), run_id=first, as_of=NIGHT1, site_url=SITE, dry_run=out, subscribers=MONITORS
    )
    assert plain.digests == 2
    text = (
        email.message_from_bytes(
            (out / "resumen-analista@pdh.example.gt.eml").read_bytes(), policy=policy.default
        )
        .get_body(("plain",))
        .get_content()
    )
    assert "REVISIONES" not in text


@pytest.mark.postgres
def test_outbox_on_sqlite_and_postgresql(db_url: str, tmp_path: Path) -> None:
    """The same guarantees on both engines: retries after a failing server, no duplicate, re-run sends nothing."""
    store = open_store(db_url, tmp_path / "data")
    first, second = synthetic.build_scenario(store)
    box = Mailbox(fail_after=2)
    with smtp_server(box) as url:
        assert _notify(store, first, NIGHT1, url, now=T1).delivery.sent == 2
        box.fail_after = None
        assert _notify(store, first, NIGHT1, url, now=T1 + dt.timedelta(hours=1)).delivery.sent == 7
        assert _notify(store, second, NIGHT2, url, now=T2).delivery.sent == 6
        assert _notify(store, second, NIGHT2, url, now=T2).delivery.sent == 0
    assert len({r.message_id for r in box.accepted}) == len(box.accepted) == 15
    assert counts(store) == {"sent": 15}
    store.close()


def test_review_workspace_accounts_get_the_digest_with_the_queue(scenario, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The workspace's active admins and analysts get the digest, with the analysts' queue counted."""
    from vigia import accounts
    from vigia.review import decide, queue

    store, first, _ = scenario
    with store.session() as session:
        for mail, role, ine in (
            ("ana@pdh.example.gt", "analyst", None),
            ("jefe@pdh.example.gt", "admin", None),
            ("ex@pdh.example.gt", "analyst", None),
            ("uip@muni.example.gt", "municipality", "0108"),
        ):
            accounts.add_user(session, mail, "clave-de-prueba-larga", role, ine, actor="test")
        accounts.disable_user(session, "ex@pdh.example.gt", actor="test")
        session.commit()
    with store.session() as session:
        views = queue(session)
        target = views[0]
        decide(session, target.ine_code, target.numeral, action="confirm", reviewer="ana@pdh.example.gt")
        session.commit()
    with store.session() as session:
        pending = queue(session)
    assert len(pending) == len(views) - 1
    monkeypatch.setenv("VIGIA_WORKSPACE_URL", "https://revision.example.gt")
    out = tmp_path / "eml"
    summary = run_notify(store, _registry(), run_id=first, as_of=NIGHT1, site_url=SITE, dry_run=out)
    assert summary.digests == 2  # the active admin and analyst, not the disabled one nor the municipality
    assert not (out / "resumen-ex@pdh.example.gt.eml").exists()
    text_part = (
        email.message_from_bytes((out / "resumen-ana@pdh.example.gt.eml").read_bytes(), policy=policy.default)
        .get_body(("plain",))
        .get_content()
        .replace("\r\n", "\n")
    )
    assert (
        f"- Hallazgos por revisar en la cola de analistas: {len(pending)} https://revision.example.gt/revision\n"
        in text_part
    )
    assert "- Revisiones por repetir (la evidencia cambió): 0" in text_part
