"""A real SMTP server on loopback for the notification tests (aiosmtpd), that can fail on purpose."""

from __future__ import annotations

import email
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from fleet_helpers import free_port


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Mailbox:
    """What the server accepted; ``fail_after`` accepted messages, it answers 451 to the rest."""

    fail_after: int | None = None
    fail_code: str = "451 4.3.0 Servidor ocupado, intente más tarde"
    accepted: list[Received] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        with self.lock:
            if self.fail_after is not None and len(self.accepted) >= self.fail_after:
                self.refused += 1
                return self.fail_code
            msg = email.message_from_bytes(envelope.content, policy=policy.default)
            self.accepted.append(Received(list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 2.0.0 OK"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.accepted if address in r.recipients]

    def take(self) -> list[Received]:
        with self.lock:
            taken, self.accepted = self.accepted, []
        return taken


@contextmanager
def smtp_server(mailbox: Mailbox, **kwargs: Any) -> Iterator[str]:
    """Run aiosmtpd on 127.0.0.1 (a free port) until the block ends; yields its smtp:// URL."""
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()
