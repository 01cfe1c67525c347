"""Delivery: SMTP through Python's standard ``smtplib`` (STARTTLS), or .eml files for a dry run.

``smtplib`` is the standard library's client, maintained with CPython; Vigía sends a few hundred messages
a night from a batch job, so a synchronous client is all it needs (no event loop in the command).

URL: ``smtp://user:password@host:port`` (port 587 by default) upgrades the connection with STARTTLS
whenever the server offers it, and refuses to continue without it unless the server is on loopback (a
local relay); ``smtps://…`` (port 465) speaks TLS from the start. User and password are URL-quoted.
"""

from __future__ import annotations

import ipaddress
import re
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from reports.notify.outbox import ConnectionLost, PermanentFailure, TemporaryFailure
from vigia.errors import UserError


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None

    @property
    def display(self) -> str:
        who = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{who}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpSettings:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UserError("URL SMTP inválida: use smtp[s]://usuario:contraseña@servidor:puerto") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise UserError("URL SMTP inválida: use smtp[s]://usuario:contraseña@servidor:puerto")
    return SmtpSettings(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port or (465 if parts.scheme == "smtps" else 587),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _classify(code: int, text: str) -> Exception:
    return (PermanentFailure if code >= 500 else TemporaryFailure)(f"{code} {text}".strip())


def _reply(value: bytes | str) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)).strip()


class SmtpTransport:
    def __init__(self, url: str, timeout: float = 30.0, tls_context: ssl.SSLContext | None = None) -> None:
        self.settings = parse_smtp_url(url)
        self.timeout = timeout
        self.tls_context = tls_context or ssl.create_default_context()
        self.client: smtplib.SMTP | None = None

    def open(self) -> None:
        s = self.settings
        try:
            if s.scheme == "smtps":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=self.tls_context
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            client.ehlo()
            if s.scheme == "smtp":
                if client.has_extn("starttls"):
                    client.starttls(context=self.tls_context)
                    client.ehlo()
                elif not _loopback(s.host):
                    client.close()
                    raise PermanentFailure(
                        f"{s.display} no ofrece STARTTLS: Vigía no envía correo sin cifrar fuera de loopback"
                    )
            if s.user:
                client.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentFailure(
                f"{s.display}: usuario o contraseña rechazados ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, _reply(exc.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectionLost(f"{s.display}: {exc or type(exc).__name__}") from None
        self.client = client

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        if self.client is None:
            raise ConnectionLost("sin conexión con el servidor de correo")
        try:
            refused = self.client.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _classify(code, _reply(text)) from None
        except smtplib.SMTPServerDisconnected as exc:
            self.client = None
            raise ConnectionLost(f"el servidor cerró la conexión: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, _reply(exc.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.client = None
            raise ConnectionLost(f"{type(exc).__name__}: {exc}") from None
        if refused:
            code, text = next(iter(refused.values()))
            raise _classify(code, _reply(text))

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9@._+-]+")


def eml_name(kind: str, recipient: str, ine_code: str | None) -> str:
    """A file name for one message of a dry run (kind, municipality, recipient; safe characters only)."""
    parts = [kind] + ([ine_code] if ine_code else []) + [recipient]
    return _UNSAFE_NAME.sub("_", "-".join(parts))[:200] + ".eml"


def write_eml(folder: Path, name: str, message: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(message.encode("ascii"))
    return path
