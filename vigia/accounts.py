"""Accounts of the review workspace: roles, argon2 password hashes, and slowed-then-locked logins.

Failed logins are stored per account and per address (``login_attempts``). After ``delay_after``
failures in a row an account must wait a growing delay before its password is even checked; after
``lock_after`` failures within ``window`` it is locked for ``lock_for``; an address with
``address_lock_after`` failures within ``window`` is locked likewise. A success clears the account's
count. Every try is audited.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigia import audit
from vigia.errors import UserError
from vigia.store.models import ROLES, LoginAttempt, User, utcnow

ROLE_LABELS = {"admin": "Administración", "analyst": "Analista (PDH)", "municipality": "Municipalidad (UIP)"}
REVIEWER_ROLES = ("admin", "analyst")
MIN_PASSWORD = 10
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$")

_hasher = PasswordHasher()
# verified against for unknown accounts, so that a wrong e-mail costs as much time as a wrong password
_DUMMY_HASH = _hasher.hash("vigia-no-such-account")


@dataclass(frozen=True)
class LoginPolicy:
    delay_after: int = 3  # failures before the delay starts
    delay_base: float = 1.0  # seconds; doubles with each further failure
    delay_max: float = 60.0
    lock_after: int = 10  # failures within ``window`` that lock the account
    lock_for: dt.timedelta = dt.timedelta(minutes=15)
    window: dt.timedelta = dt.timedelta(minutes=15)
    address_lock_after: int = 50


@dataclass(frozen=True)
class LoginResult:
    user_id: int | None
    message: str  # Spanish, for the form ("" on success)
    wait_seconds: float = 0.0


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def add_user(
    session: Session, email: str, password: str, role: str, ine_code: str | None, *, actor: str
) -> User:
    email = normalize_email(email)
    if not _EMAIL.match(email):
        raise UserError(f"correo inválido: {email!r}")
    if role not in ROLES:
        raise UserError(f"rol desconocido {role!r}: use {', '.join(ROLES)}")
    if role == "municipality":
        if not ine_code or not ine_code.strip().isdigit():
            raise UserError("una cuenta municipality necesita --ine CODIGO (4 dígitos)")
        ine_code = ine_code.strip().zfill(4)
        if len(ine_code) != 4:
            raise UserError(f"código INE inválido: {ine_code!r}")
    elif ine_code:
        raise UserError("--ine solo corresponde a cuentas municipality")
    else:
        ine_code = None
    if len(password) < MIN_PASSWORD:
        raise UserError(f"la contraseña debe tener al menos {MIN_PASSWORD} caracteres")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"ya existe una cuenta {email}")
    user = User(email=email, password_hash=hash_password(password), role=role, ine_code=ine_code, active=True)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.add",
        ine_code=ine_code,
        subject=email,
        after={"role": role, "ine_code": ine_code},
    )
    return user


def disable_user(session: Session, email: str, *, actor: str) -> User:
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise UserError(f"no existe la cuenta {email}")
    if user.active:
        user.active = False
        audit.record(
            session,
            actor,
            "user.disable",
            ine_code=user.ine_code,
            subject=user.email,
            before={"active": True},
            after={"active": False},
        )
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.email)))


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def active_reviewer(session: Session, email: str) -> User:
    """The active analyst or admin account ``email`` (the CLI's ``--by``)."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active:
        raise UserError(f"no hay una cuenta activa {email}: créela con vigia users add")
    if user.role not in REVIEWER_ROLES:
        raise UserError(f"la cuenta {email} no es de analista ni de administración")
    return user


def _failures(
    session: Session, column: object, value: str, since: dt.datetime, reset_on_success: bool = True
) -> list[dt.datetime]:
    """Times of the failures for ``value`` since ``since`` (and after its last success), oldest first."""
    last_ok = (
        session.scalar(
            select(func.max(LoginAttempt.at)).where(column == value, LoginAttempt.success.is_(True))  # type: ignore[operator]
        )
        if reset_on_success
        else None
    )
    start = max(since, last_ok) if last_ok else since
    return list(
        session.scalars(
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.success.is_(False), LoginAttempt.at > start)  # type: ignore[operator]
            .order_by(LoginAttempt.at)
        )
    )


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minuto{'s' if minutes != 1 else ''}"


def login(
    session: Session,
    email: str,
    password: str,
    address: str,
    policy: LoginPolicy,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check one try at the login form; record and audit it."""
    now = now or utcnow()
    email = normalize_email(email)[:254]
    address = (address or "")[:64]
    since = now - policy.window
    # an address's failures are not forgiven by one success (an attacker may own one account)
    by_address = (
        _failures(session, LoginAttempt.address, address, since, reset_on_success=False) if address else []
    )
    if len(by_address) >= policy.address_lock_after:
        wait = (by_address[-1] + policy.lock_for - now).total_seconds()
        if wait > 0:
            audit.record(session, email or "?", "login.refused", subject="address", address=address)
            return LoginResult(
                None, f"Demasiados intentos fallidos desde esta dirección. Intente en {_minutes(wait)}.", wait
            )
    failures = _failures(session, LoginAttempt.email, email, since)
    if len(failures) >= policy.lock_after:
        wait = (failures[-1] + policy.lock_for - now).total_seconds()
        if wait > 0:
            audit.record(session, email, "login.refused", subject="locked", address=address)
            return LoginResult(
                None,
                f"Cuenta bloqueada temporalmente por intentos fallidos. Intente en {_minutes(wait)}.",
                wait,
            )
    if len(failures) >= policy.delay_after:
        delay = min(policy.delay_max, policy.delay_base * 2 ** (len(failures) - policy.delay_after))
        wait = (failures[-1] + dt.timedelta(seconds=delay) - now).total_seconds()
        if wait > 0:
            audit.record(session, email, "login.refused", subject="delay", address=address)
            return LoginResult(
                None, f"Demasiados intentos seguidos. Espere {wait:.0f} s antes de intentar de nuevo.", wait
            )
    user = session.scalar(select(User).where(User.email == email)) if email else None
    ok = check_password(user.password_hash if user else _DUMMY_HASH, password or "") and user is not None
    session.add(LoginAttempt(at=now, email=email, address=address, success=ok))
    if not ok or user is None:
        audit.record(session, email or "?", "login.failed", address=address)
        return LoginResult(None, "Correo o contraseña incorrectos.")
    if not user.active:
        audit.record(session, email, "login.refused", subject="disabled", address=address)
        return LoginResult(None, "Esta cuenta está deshabilitada.")
    user.last_login_at = now
    audit.record(session, email, "login", ine_code=user.ine_code, address=address)
    return LoginResult(user.id, "")
