"""The audit trail: every login, review, reply, re-crawl and account change, append-only.

An entry is written in the same transaction as the action it records (pass the action's session), so
an action without its audit line cannot be committed. The database refuses to update or delete a line
(triggers of migration 0010); the ORM refuses it too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from vigia.store.models import AuditEntry, utcnow

SYSTEM = "sistema"

#: action code -> Spanish label (the application's audit page and the CSV)
ACTIONS: dict[str, str] = {
    "login": "Inicio de sesión",
    "login.failed": "Inicio de sesión fallido",
    "login.refused": "Inicio de sesión rechazado (espera o bloqueo)",
    "logout": "Cierre de sesión",
    "user.add": "Cuenta creada",
    "user.disable": "Cuenta deshabilitada",
    "review.confirm": "Hallazgo confirmado",
    "review.override": "Estado corregido",
    "review.rereview": "Revisión marcada para revisar de nuevo (cambió la evidencia)",
    "reply": "Respuesta de la municipalidad",
    "recrawl.queued": "Nuevo rastreo en cola",
    "recrawl.refused": "Nuevo rastreo rechazado (límite diario)",
    "recrawl.done": "Nuevo rastreo terminado",
    "recrawl.failed": "Nuevo rastreo fallido",
}

CSV_FIELDS = (
    "id",
    "at",
    "actor",
    "action",
    "action_label",
    "ine_code",
    "subject",
    "before",
    "after",
    "evidence",
    "address",
)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
def _no_update(*_args: Any) -> None:
    raise AppendOnlyError("audit_log is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _no_delete(*_args: Any) -> None:
    raise AppendOnlyError("audit_log is append-only")


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    ine_code: str | None = None,
    subject: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    evidence: list[Any] | None = None,
    address: str | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Add one line to the trail in ``session`` (committed with the action itself)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        at=at or utcnow(),
        actor=actor,
        action=action,
        ine_code=ine_code,
        subject=subject,
        before=before,
        after=after,
        evidence=evidence,
        address=(address or None) and address[:64],
    )
    session.add(entry)
    return entry


def entries(
    session: Session, *, limit: int | None = None, ine_code: str | None = None, action: str | None = None
) -> list[AuditEntry]:
    """Newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if ine_code:
        query = query.where(AuditEntry.ine_code == ine_code)
    if action:
        query = query.where(AuditEntry.action == action)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def to_csv(rows: list[AuditEntry]) -> str:
    """The trail as CSV (UTF-8 with BOM for spreadsheets; oldest first)."""
    from reports.fmt import spreadsheet_cell

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for e in sorted(rows, key=lambda e: e.id):
        values = (
            e.id,
            e.at.replace(microsecond=0).isoformat() if e.at else "",
            e.actor,
            e.action,
            ACTIONS.get(e.action, e.action),
            e.ine_code or "",
            e.subject or "",
            _json(e.before),
            _json(e.after),
            _json(e.evidence),
            e.address or "",
        )
        writer.writerow([spreadsheet_cell(v) if isinstance(v, str) else v for v in values])
    return "\ufeff" + buffer.getvalue()
