"""The outbox: every message is written to the ``notify_outbox`` table first, then sent.

- Idempotency: a message's key is ``kind:night:recipient`` (unique in the table). Composing the same
  night again finds the key and adds nothing, so re-running a night sends nothing twice.
- Retries: a temporary failure (4xx reply, connection lost) leaves the message ``pending`` with
  ``next_attempt_at`` = now + 5 min × 2^(attempts − 1), at most 6 h; after :data:`MAX_ATTEMPTS` it is
  ``failed``. A permanent refusal (5xx) is ``failed`` at once. Each message's new status is committed
  right after its own attempt, so a crash or a server that fails mid-batch loses nothing.
- Claims: a sender marks a message ``sending`` before handing it to the server (an atomic update that
  only one sender can win); a claim older than :data:`STALE_CLAIM` (a sender that died) is released.
  Between the server's acceptance and the commit a crash could still send a message twice; its
  Message-ID is derived from the key, so the copy is recognisable.
- Opt-out: an address in ``notify_optouts`` gets nothing; a message already queued for it is
  ``suppressed`` when its turn comes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from vigia.store.db import Store
from vigia.store.models import OptOut, OutboxMessage, utcnow

MAX_ATTEMPTS = 10
BACKOFF_BASE = dt.timedelta(minutes=5)
BACKOFF_MAX = dt.timedelta(hours=6)
STALE_CLAIM = dt.timedelta(hours=1)
#: Temporary failures in a row after which a batch stops (the server is in trouble; the rest waits).
STOP_AFTER_TEMPORARY = 3


def normalize(address: str) -> str:
    return address.strip().lower()


def idempotency_key(kind: str, night: dt.date, recipient: str) -> str:
    return f"{kind}:{night.isoformat()}:{normalize(recipient)}"


def backoff(attempts: int) -> dt.timedelta:
    return min(BACKOFF_MAX, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class Draft:
    """A composed message, before it is written to the outbox."""

    key: str
    kind: str
    night: dt.date
    recipient: str
    ine_code: str | None
    run_id: int
    subject: str
    message: str  # RFC 5322, 7-bit
    state: dict[str, Any] = field(default_factory=dict)


class TemporaryFailure(Exception):
    """The server could not take the message now (4xx, time-out): try again later."""


class ConnectionLost(TemporaryFailure):
    """The connection to the server is gone: this message and the rest of the batch wait."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx)."""


class Transport(Protocol):
    def open(self) -> None: ...
    def send(self, sender: str, recipient: str, message: bytes) -> None: ...
    def close(self) -> None: ...


@dataclass
class Delivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    waiting: int = 0  # still pending after this batch (not yet due, or the batch stopped)
    errors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- opt-out


def opted_out(store: Store) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(OptOut.address)))


def set_opt_out(store: Store, address: str, undo: bool = False, note: str | None = None) -> bool:
    """Add (or with ``undo`` remove) an address; returns whether anything changed."""
    key = normalize(address)
    with store.session() as session:
        row = session.get(OptOut, key)
        if undo:
            if row is None:
                return False
            session.delete(row)
            return True
        if row is not None:
            return False
        session.add(OptOut(address=key, note=note))
        return True


# --------------------------------------------------------------------------- composing side


def existing_keys(store: Store, night: dt.date) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(OutboxMessage.key).where(OutboxMessage.night == night)))


def latest_states(
    store: Store, kind: str, before: dt.date
) -> dict[tuple[str, str], tuple[dt.date, dict[str, Any]]]:
    """The newest message of ``kind`` before night ``before`` per (recipient, ine_code): its night and state
    (one row per pair is read, however many nights the outbox holds)."""
    from sqlalchemy import func

    ranked = (
        select(
            OutboxMessage.recipient,
            OutboxMessage.ine_code,
            OutboxMessage.night,
            OutboxMessage.state,
            func.row_number()
            .over(
                partition_by=(OutboxMessage.recipient, OutboxMessage.ine_code),
                order_by=(OutboxMessage.night.desc(), OutboxMessage.id.desc()),
            )
            .label("rank"),
        )
        .where(OutboxMessage.kind == kind, OutboxMessage.night < before)
        .subquery()
    )
    result: dict[tuple[str, str], tuple[dt.date, dict[str, Any]]] = {}
    with store.session() as session:
        rows = session.execute(
            select(ranked.c.recipient, ranked.c.ine_code, ranked.c.night, ranked.c.state).where(
                ranked.c.rank == 1
            )
        )
        for recipient, ine_code, night, state in rows:
            result[(normalize(recipient), ine_code or "")] = (night, state or {})
    return result


def enqueue(store: Store, drafts: Iterable[Draft], now: dt.datetime | None = None) -> tuple[int, int]:
    """Write drafts to the outbox; a key already there is skipped. Returns (written, skipped)."""
    written = skipped = 0
    stamp = now or utcnow()
    with store.session() as session:
        for d in drafts:
            try:
                with session.begin_nested():
                    session.add(
                        OutboxMessage(
                            key=d.key,
                            kind=d.kind,
                            night=d.night,
                            recipient=normalize(d.recipient),
                            ine_code=d.ine_code,
                            run_id=d.run_id,
                            subject=d.subject,
                            message=d.message,
                            state=d.state,
                            status="pending",
                            attempts=0,
                            created_at=stamp,
                        )
                    )
                written += 1
            except IntegrityError:  # composed meanwhile by another run of the same night
                skipped += 1
    return written, skipped


def pending(store: Store, now: dt.datetime | None = None, due_only: bool = True) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
    if due_only and now is not None:
        query = query.where(
            (OutboxMessage.next_attempt_at.is_(None)) | (OutboxMessage.next_attempt_at <= now)
        )
    with store.session() as session:
        return list(session.scalars(query))


def counts(store: Store) -> dict[str, int]:
    from sqlalchemy import func

    with store.session() as session:
        return dict(
            session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
        )


def problems(store: Store, limit: int = 20) -> list[OutboxMessage]:
    """The newest messages that failed or are waiting for a retry (with their last error)."""
    with store.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.last_error.is_not(None), OutboxMessage.status != "sent")
                .order_by(OutboxMessage.id.desc())
                .limit(limit)
            )
        )


# --------------------------------------------------------------------------- sending side


def _claim(store: Store, message_id: int, now: dt.datetime) -> bool:
    with store.session() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
            .values(status="sending", claimed_at=now)
        )
        return bool(result.rowcount)


def _finish(store: Store, message_id: int, **values: Any) -> None:
    with store.session() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


def release_stale_claims(store: Store, now: dt.datetime) -> int:
    with store.session() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - STALE_CLAIM)
            .values(status="pending")
        )
        return int(result.rowcount or 0)


def deliver(
    store: Store, transport: Transport, sender: str, now: dt.datetime | None = None, limit: int | None = None
) -> Delivery:
    """Send the due pending messages, oldest first, one commit per message."""
    now = now or utcnow()
    result = Delivery()
    release_stale_claims(store, now)
    due: Sequence[OutboxMessage] = pending(store, now)
    if limit is not None:
        due = due[:limit]
    blocked = opted_out(store)
    opened = False
    in_a_row = 0
    try:
        for i, row in enumerate(due):
            if row.recipient in blocked:
                _finish(store, row.id, status="suppressed", last_error="baja solicitada por el destinatario")
                result.suppressed += 1
                continue
            if not opened:
                try:
                    transport.open()
                except (TemporaryFailure, PermanentFailure) as exc:
                    result.errors.append(f"no se pudo conectar con el servidor de correo: {exc}")
                    result.waiting += len(due) - i
                    return result
                opened = True
            if not _claim(store, row.id, now):
                continue  # another sender took it
            attempts = row.attempts + 1
            try:
                transport.send(sender, row.recipient, row.message.encode("ascii"))
            except PermanentFailure as exc:
                _finish(store, row.id, status="failed", attempts=attempts, last_error=str(exc)[:1000])
                result.failed += 1
                result.errors.append(f"{row.recipient}: {exc}")
                in_a_row = 0
                continue
            except TemporaryFailure as exc:
                gave_up = attempts >= MAX_ATTEMPTS
                _finish(
                    store,
                    row.id,
                    status="failed" if gave_up else "pending",
                    attempts=attempts,
                    last_error=str(exc)[:1000],
                    next_attempt_at=None if gave_up else now + backoff(attempts),
                )
                if gave_up:
                    result.failed += 1
                else:
                    result.retried += 1
                result.errors.append(f"{row.recipient}: {exc}")
                in_a_row += 1
                if isinstance(exc, ConnectionLost):
                    opened = False
                    with contextlib.suppress(Exception):  # the connection is already gone
                        transport.close()
                if in_a_row >= STOP_AFTER_TEMPORARY:
                    result.waiting += len(due) - i - 1
                    result.errors.append(
                        f"{in_a_row} fallos temporales seguidos: el resto del lote espera a la próxima ejecución"
                    )
                    return result
                continue
            _finish(store, row.id, status="sent", attempts=attempts, sent_at=now, last_error=None)
            result.sent += 1
            in_a_row = 0
    finally:
        if opened:
            with contextlib.suppress(Exception):  # closing a broken connection must not hide the result
                transport.close()
    return result
