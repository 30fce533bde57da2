"""A real SMTP server on loopback for the tests of the mail (aiosmtpd)."""
from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import threading
from collections.abc import Iterator

from aiosmtpd.controller import Controller

from tests.helpers import free_port


class Inbox:
    """An aiosmtpd handler that keeps what it is given; it can refuse (4xx) or stall for a while."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = 0  # refuse this many messages with a 451 first
        self.stall = threading.Event()  # while set, every conversation waits before RCPT

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        while self.stall.is_set():
            await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


@contextlib.contextmanager
def smtp_server() -> Iterator[Inbox]:
    """An SMTP server on a free loopback port; its handler's ``url`` is the SMTP_URL to give."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield handler
    finally:
        handler.stall.clear()
        controller.stop()
