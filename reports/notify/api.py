"""``run_notify``: compose the night's messages, write them to the outbox, send what is due.

Municipalities: one message per information-unit address (registry column ``uip_email``) whose
checklist changed since the previous message to that address — a numeral's status, the score or band,
the portal going down or coming back (:func:`reports.views.portal_changes`, the report's own reading).
An address that never had a message gets the checklist in short. Monitors: one digest each (subscribers
file, plus the review workspace's accounts where it exists).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from reports import views
from reports.loader import load_history, load_run, previous_run_id, resolve_run_id
from reports.notify import messages
from reports.notify.outbox import (
    Delivery,
    Draft,
    Transport,
    deliver,
    enqueue,
    existing_keys,
    idempotency_key,
    latest_states,
    normalize,
    opted_out,
    pending,
)
from reports.notify.review import review_source
from reports.notify.subscribers import Subscriber
from reports.notify.transport import eml_name, write_eml
from vigia.registry import Municipality
from vigia.store.db import Store
from vigia.store.models import Incident, PortalCrawl, utcnow

DEFAULT_SENDER = "Vigía <vigia@localhost>"


@dataclass
class NotifySummary:
    run_id: int
    night: dt.date
    municipality_messages: int = 0
    digests: int = 0
    unchanged: int = 0
    without_address: int = 0
    opted_out: int = 0
    already_composed: int = 0
    queued: int = 0
    delivery: Delivery | None = None
    dry_run_dir: Path | None = None
    files: int = 0
    seconds: float = 0.0
    seconds_compose: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        head = (
            f"Notificaciones de la corrida {self.run_id} (noche del {self.night.isoformat()}): "
            f"{self.municipality_messages} mensajes a municipalidades, {self.digests} resúmenes; "
            f"{self.unchanged} sin cambios, {self.without_address} sin correo de la UIP, "
            f"{self.opted_out} con baja, {self.already_composed} ya compuestos esa noche"
        )
        if self.dry_run_dir is not None:
            return (
                f"{head}; simulación: {self.files} archivos .eml en {self.dry_run_dir} ({self.seconds:.1f} s)"
            )
        d = self.delivery
        sent = (
            f"; enviados {d.sent}, reintentos pendientes {d.retried}, fallidos {d.failed}, "
            f"suprimidos por baja {d.suppressed}, en espera {d.waiting}"
            if d
            else "; en la bandeja de salida, sin enviar"
        )
        return (
            f"{head}; {self.queued} nuevos en la bandeja de salida{sent} "
            f"({self.seconds:.1f} s, de ellos {self.seconds_compose:.1f} s para componer)"
        )


def _incident_counts(store: Store, run_id: int) -> dict[int, int]:
    with store.session() as session:
        return dict(
            session.execute(
                select(Incident.portal_crawl_id, func.count())
                .join(PortalCrawl, Incident.portal_crawl_id == PortalCrawl.id)
                .where(PortalCrawl.run_id == run_id)
                .group_by(Incident.portal_crawl_id)
            ).all()
        )


def compose(
    store: Store,
    registry: Sequence[Municipality],
    *,
    run_id: int | None,
    as_of: dt.date,
    site_url: str,
    subscribers: Sequence[Subscriber] = (),
    down_nights: int = messages.DEFAULT_DOWN_NIGHTS,
    sender: str = DEFAULT_SENDER,
    unsubscribe: str | None = None,
    now: dt.datetime | None = None,
    summary: NotifySummary | None = None,
    pdf: bool = True,
) -> tuple[list[Draft], NotifySummary]:
    """The night's new messages (not yet in the outbox), and the counts of what was left out and why."""
    now = now or utcnow()
    rid = resolve_run_id(store, run_id)
    data = load_run(store, rid, as_of, with_details=False)
    prev_id = previous_run_id(store, rid)
    previous = load_run(store, prev_id, as_of, with_details=False) if prev_id is not None else None
    history = load_history(store, rid, as_of)
    ctx = views.ReportContext(
        data=data,
        previous=previous,
        history=history,
        registry=list(registry),
        as_of=as_of,
        pdf=True,
        archived={},
    )
    night = ctx.reference
    summary = summary or NotifySummary(run_id=rid, night=night)
    summary.run_id, summary.night = rid, night
    unsubscribe = unsubscribe or _address(sender)
    env = messages.environment()
    keys = existing_keys(store, night)
    blocked = opted_out(store)
    states = latest_states(store, messages.KIND_MUNICIPALITY, night)
    by_code = {m.ine_code: m for m in registry}
    drafts: list[Draft] = []

    def draft(
        kind: str, key_kind: str, recipient: str, ine_code: str | None, view: Any, state: dict[str, Any]
    ) -> None:
        key = idempotency_key(key_kind, night, recipient)
        text, html = messages.render(env, kind, view)
        msg = messages.mime(
            key=key,
            sender=sender,
            recipient=recipient,
            subject=view.subject,
            text=text,
            html=html,
            unsubscribe=unsubscribe,
            date=now,
        )
        drafts.append(
            Draft(
                key=key,
                kind=kind,
                night=night,
                recipient=recipient,
                ine_code=ine_code,
                run_id=rid,
                subject=str(msg["Subject"]),
                message=msg.as_bytes().decode("ascii"),
                state=state,
            )
        )
        summary.kinds[kind] += 1

    for portal in sorted(data.portals, key=lambda p: (p.ine_code or "", p.portal_key)):
        m = by_code.get(portal.ine_code or "")
        if m is None or portal.evaluation is None:
            continue
        if not m.uip_email:
            summary.without_address += 1
            continue
        recipient = normalize(m.uip_email)
        key_kind = f"{messages.KIND_MUNICIPALITY}/{m.ine_code}"
        if idempotency_key(key_kind, night, recipient) in keys:
            summary.already_composed += 1
            continue
        if recipient in blocked:
            summary.opted_out += 1
            continue
        before = states.get((recipient, m.ine_code))
        view = messages.municipality_message(
            data,
            portal,
            m,
            recipient,
            before[1] if before else None,
            before[0] if before else None,
            night,
            site_url,
            unsubscribe,
            pdf=pdf,
        )
        if view is None:
            summary.unchanged += 1
            continue
        state = messages.portal_state(portal)
        state["run_id"] = rid
        draft(messages.KIND_MUNICIPALITY, key_kind, recipient, m.ine_code, view, state)
        summary.municipality_messages += 1

    review = review_source(store, site_url)
    monitors: dict[str, Subscriber] = {}
    for s in subscribers:
        monitors.setdefault(normalize(s.email), s)
    for address in review.monitors if review else ():
        monitors.setdefault(normalize(address), Subscriber(address))
    if monitors:
        changes = views.changes_view(ctx, root=site_url)
        streaks = messages.down_streaks(history, rid)
        incidents = _incident_counts(store, rid)
        for address, s in sorted(monitors.items()):
            if idempotency_key(messages.KIND_DIGEST, night, address) in keys:
                summary.already_composed += 1
                continue
            if address in blocked:
                summary.opted_out += 1
                continue
            view = messages.digest(
                ctx,
                changes,
                streaks,
                incidents,
                address,
                s.departments,
                down_nights,
                night,
                site_url,
                review.waiting if review else None,
                unsubscribe,
            )
            draft(messages.KIND_DIGEST, messages.KIND_DIGEST, address, None, view, {"run_id": rid})
            summary.digests += 1
    return drafts, summary


def _address(sender: str) -> str:
    from email.utils import parseaddr

    return parseaddr(sender)[1] or sender


def run_notify(
    store: Store,
    registry: Sequence[Municipality],
    *,
    run_id: int | None = None,
    as_of: dt.date,
    site_url: str,
    transport: Transport | None = None,
    dry_run: Path | None = None,
    subscribers: Sequence[Subscriber] = (),
    down_nights: int = messages.DEFAULT_DOWN_NIGHTS,
    sender: str = DEFAULT_SENDER,
    unsubscribe: str | None = None,
    now: dt.datetime | None = None,
    pdf: bool = True,
) -> NotifySummary:
    """Compose, queue and send (``transport``), or write .eml files only (``dry_run``: nothing is stored)."""
    started = time.perf_counter()
    now = now or utcnow()
    drafts, summary = compose(
        store,
        registry,
        run_id=run_id,
        as_of=as_of,
        site_url=site_url,
        subscribers=subscribers,
        down_nights=down_nights,
        sender=sender,
        unsubscribe=unsubscribe,
        now=now,
        pdf=pdf,
    )
    summary.seconds_compose = time.perf_counter() - started
    if dry_run is not None:
        summary.dry_run_dir = dry_run
        dry_run.mkdir(parents=True, exist_ok=True)
        for d in drafts:
            write_eml(dry_run, eml_name(d.kind, d.recipient, d.ine_code), d.message)
            summary.files += 1
        for row in pending(store, now, due_only=False):  # queued earlier, not sent yet
            write_eml(dry_run, eml_name(f"pendiente-{row.kind}", row.recipient, row.ine_code), row.message)
            summary.files += 1
        summary.seconds = time.perf_counter() - started
        return summary
    summary.queued, skipped = enqueue(store, drafts, now)
    summary.already_composed += skipped
    if transport is not None:
        summary.delivery = deliver(store, transport, _address(sender), now=now)
    summary.seconds = time.perf_counter() - started
    return summary
