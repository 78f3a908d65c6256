"""A real SMTP server for the email tests (aiosmtpd, on a free local port, in a thread).

    def test_it(smtp: SmtpServer) -> None:
        ...                       # settings point at smtp.port (the `smtp` fixture)
        assert smtp.mailbox.messages[0]["Subject"] == "..."

`smtp.mailbox.mode` chooses how it answers: "accept"; "busy" (451 on DATA, a temporary
refusal); "refuse" (550 on RCPT: no such recipient); "hang" (sits in DATA until
`mailbox.release` is set or the client goes, then refuses: the message was never accepted).
`smtp.stop()` takes it down (connection refused), `smtp.start()` brings it back."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Literal

from aiosmtpd.controller import Controller
from sqlmodel import Session

from app.mail.models import OutboxMessage

Mode = Literal["accept", "busy", "refuse", "hang"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """The handler: collects what the server accepted."""

    mode: Mode = "accept"
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    in_data: threading.Event = field(default_factory=threading.Event)  # a client is in DATA
    release: threading.Event = field(default_factory=threading.Event)  # ends a hang
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.mode == "refuse":
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mode == "busy":
            return "451 4.3.0 Mailbox busy, try again later"
        if self.mode == "hang":
            self.in_data.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.4.2 Timed out"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(message["Message-ID"]) for message in self.messages]


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self.mailbox.release.set()
            self._controller.stop()
            self._controller = None
            self.mailbox.release.clear()

    @property
    def env(self) -> dict[str, str]:
        """The settings that send mail here, for a `tandem` process."""
        return {
            "TANDEM_SMTP_HOST": "127.0.0.1",
            "TANDEM_SMTP_PORT": str(self.port),
            "TANDEM_SMTP_TLS": "none",
            "TANDEM_SMTP_TIMEOUT": "5",
            "TANDEM_MAIL_FROM": "Tandem <tandem@example.org>",
        }


def make_message(
    db: Session, *, n: int = 1, org_id: int | None = None, **values: object
) -> OutboxMessage:
    """An outbox row, queued now (committed: the test's savepoint)."""
    now = datetime.now(UTC)
    fields: dict[str, object] = {
        "org_id": org_id,
        "kind": "password_reset",
        "to_address": f"person{n}@example.org",
        "subject": f"Reset your Tandem password ({n})",
        "body_text": f"Follow this link: https://tandem.example.org/reset/secret-{n}\n",
        "next_attempt_at": now,
        "created_at": now,
        **values,
    }
    message = OutboxMessage(**fields)  # type: ignore[arg-type]
    db.add(message)
    db.commit()
    db.refresh(message)
    return message
