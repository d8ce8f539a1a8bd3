"""A real SMTP server for the sign-up's mail, and clients with addresses of their own."""

from __future__ import annotations

import email
import random
import socket
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.test import Client


class Mailbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings) -> Mailbox:
    """An SMTP server on 127.0.0.1 that Django's SMTP backend sends to; yields its mailbox."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield mailbox
    finally:
        controller.stop()


def unique_ip() -> str:
    # Sign-ups are throttled per address in Redis, which outlives a test: each test
    # (and each xdist worker) signs up from an address of its own.
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@pytest.fixture
def client_ip() -> str:
    return unique_ip()


@pytest.fixture
def platform(client_ip) -> Client:
    return Client(HTTP_HOST=settings.PLATFORM_DOMAIN, REMOTE_ADDR=client_ip)
