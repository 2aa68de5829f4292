"""Local doubles of the alert endpoints: an aiohttp webhook receiver and an aiosmtpd server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Webhook:
    """Every request the receiver got: path, headers, JSON or form body."""

    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[Webhook]:
    """Receive POSTs on 127.0.0.1 (any free port) until the block ends."""
    hook = Webhook()

    async def receive(request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            body: dict[str, Any] = await request.json()
        else:
            body = dict(await request.post())
        hook.requests.append({"path": request.path, "headers": dict(request.headers),
                              "body": body})  # fmt: skip
        return web.Response(status=hook.status, text="ok")

    app = web.Application()
    app.router.add_post("/{tail:.*}", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.port = int(runner.addresses[0][1])
    try:
        yield hook
    finally:
        await runner.cleanup()


@dataclass
class Mailbox:
    """Every message the SMTP double accepted."""

    port: int = 0
    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        self.messages.append(message_from_bytes(raw))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@asynccontextmanager
async def smtp_server() -> AsyncIterator[Mailbox]:
    """An SMTP server on 127.0.0.1 (any free port) in this event loop."""
    import asyncio

    box = Mailbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(box, hostname="localhost"), "127.0.0.1", 0)
    box.port = int(server.sockets[0].getsockname()[1])
    try:
        yield box
    finally:
        server.close()
        await server.wait_closed()


def text_of(message: Message) -> str:
    """The plain-text part of an e-mail."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            return payload.decode() if isinstance(payload, bytes) else str(payload)
    return ""
