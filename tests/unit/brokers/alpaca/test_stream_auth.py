"""The trade_updates handshake sends the auth message of Alpaca's reference and alpaca-py."""

from __future__ import annotations

import json
from collections import deque
from typing import Any, cast

import pytest
import structlog
from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection

from src.brokers.alpaca.stream import TradeUpdatesStream, auth_message
from src.core.errors import AuthenticationError


class FakeSocket:
    """Records what the client sends; replies from a script (bytes, as the paper endpoint)."""

    def __init__(self, replies: list[dict[str, Any]]) -> None:
        self.sent: list[dict[str, Any]] = []
        self._replies = deque(json.dumps(r).encode() for r in replies)

    async def send(self, frame: str) -> None:
        self.sent.append(json.loads(frame))

    async def recv(self) -> bytes:
        return self._replies.popleft()


AUTHORIZED = {"stream": "authorization", "data": {"action": "authenticate", "status": "authorized"}}
LISTENING = {"stream": "listening", "data": {"streams": ["trade_updates"]}}


def _stream() -> TradeUpdatesStream:
    return TradeUpdatesStream("wss://x/stream", SecretStr("PKKEY"), SecretStr("s3cr3t"))


def test_auth_message_is_authenticate_with_key_id_and_secret_key() -> None:
    assert json.loads(auth_message(SecretStr("PKKEY"), SecretStr("s3cr3t"))) == {
        "action": "authenticate",
        "data": {"key_id": "PKKEY", "secret_key": "s3cr3t"},
    }


async def test_handshake_authenticates_then_listens() -> None:
    ws = FakeSocket([AUTHORIZED, LISTENING])
    with structlog.testing.capture_logs() as logs:
        await _stream()._handshake(cast(ClientConnection, ws))
    assert [m["action"] for m in ws.sent] == ["authenticate", "listen"]
    assert ws.sent[0]["data"] == {"key_id": "PKKEY", "secret_key": "s3cr3t"}
    assert ws.sent[1] == {"action": "listen", "data": {"streams": ["trade_updates"]}}
    assert "s3cr3t" not in repr(logs) and "s3cr3t" not in repr(_stream())


async def test_unauthorized_reply_is_an_authentication_error() -> None:
    refused = {
        "stream": "authorization",
        "data": {"action": "authenticate", "status": "unauthorized"},
    }
    with pytest.raises(AuthenticationError) as info:
        await _stream()._handshake(cast(ClientConnection, FakeSocket([refused])))
    assert "s3cr3t" not in str(info.value)
