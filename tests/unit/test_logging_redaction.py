"""A secret passed through every adapter path never reaches a log line, a repr or an error text."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
import structlog

from src.brokers.credentials import BrokerCredentials
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ManualClock
from src.core.errors import BrokerError
from src.core.execution import Order, OrderType, Side
from src.utils.logging import (
    REDACTED,
    configure_logging,
    configure_logging_from_env,
    get_logger,
    redact,
)
from src.utils.retry import RetryPolicy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kraken"
SECRET = base64.b64encode(b"leak-canary-" + bytes(range(52))).decode()
KEY = "PUBKEY-leak-canary-0123456789abcdef"
BASE = "https://kraken.test"


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging(json=True, level="DEBUG", secrets=(), stream=buffer, force=True)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield buffer
    configure_logging(json=False, level="INFO", stream=io.StringIO(), force=True)
    structlog.reset_defaults()


def _assert_clean(text: str) -> None:
    assert SECRET not in text
    assert KEY not in text
    assert SECRET[:24] not in text


def _order() -> Order:
    return Order(
        symbol="BTC/USD",
        side=Side.BUY,
        quantity="0.001",
        order_type=OrderType.LIMIT,
        limit_price="40000",
    )


async def test_secret_never_reaches_logs_reprs_or_errors(
    log_buffer: io.StringIO, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = get_logger("leak-test")
    seen_text: list[str] = []
    with respx.mock(base_url=BASE, assert_all_called=False) as kraken:
        kraken.get("/0/public/AssetPairs").mock(
            return_value=httpx.Response(
                200, content=(FIXTURES / "http_asset_pairs.json").read_bytes()
            )
        )
        kraken.post("/0/private/Balance").mock(
            side_effect=[
                httpx.Response(403, json={"error": ["EAPI:Invalid key"]}),
                httpx.Response(500, text=f"upstream echoed {SECRET}"),
                httpx.Response(200, text=f"<html>{KEY}</html>"),
                httpx.ReadTimeout(f"timeout talking with key {KEY}"),
                httpx.Response(200, json={"error": [], "result": {"ZUSD": "1"}}),
            ]
        )
        kraken.post("/0/private/AddOrder").mock(side_effect=httpx.ReadTimeout("lost"))
        kraken.post("/0/private/OpenOrders").mock(return_value=httpx.Response(502, text="bad"))
        adapter = KrakenAdapter(
            api_key=KEY,
            api_secret=SECRET,
            base_url=BASE,
            clock=ManualClock(),
            retry=RetryPolicy(max_attempts=1),
        )
        seen_text += [
            repr(adapter),
            str(adapter),
            repr(adapter.rest.transport),
            repr(vars(adapter)),
        ]
        seen_text.append(repr(vars(adapter.rest.transport)))
        for _ in range(4):
            with pytest.raises(BrokerError) as info:
                await adapter.get_balance()
            seen_text += [str(info.value), repr(info.value)]
            log.exception("kraken.failed", error=info.value, exc_info=info.value)
        assert await adapter.get_balance() == {"ZUSD": "1"}
        with pytest.raises(BrokerError) as info:
            await adapter.submit_orders([_order()])
        seen_text += [str(info.value), repr(getattr(info.value, "acks", None))]
        log.error("order.failed", exc_info=info.value)
        sent = kraken.calls.last.request
        log.info(
            "request.debug",
            headers=dict(sent.headers),
            nested={"auth": {"api_secret": SECRET}, "list": [KEY, {"otp": "123456"}]},
            detail=f"body signed with {SECRET}",
            api_key=KEY,
        )
        logging.getLogger("stdlib").warning("stdlib path with %s and %s", KEY, SECRET)
        await adapter.aclose()

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KRAKEN_API_KEY", KEY)
    monkeypatch.setenv("KRAKEN_API_SECRET", SECRET)
    creds = BrokerCredentials()
    seen_text += [repr(creds), str(creds), repr(creds.model_dump()), creds.model_dump_json()]
    log.info("creds", creds=creds, dumped=creds.model_dump())

    output = log_buffer.getvalue()
    assert "kraken.failed" in output and "request.debug" in output and "stdlib path" in output
    assert REDACTED in output
    _assert_clean(output)
    for text in seen_text:
        _assert_clean(text)


def test_redact_walks_nested_structures_and_sensitive_names() -> None:
    value = {
        "API-Sign": "abc",
        "token": "t",
        "signature": "s",
        "otp": "1",
        "password": "p",
        "keys_count": 3,
        "pair": "XBTUSD",
        "inner": [{"api_key": "k"}, ("x", {"Secret": "y"})],
    }
    out = redact(value)
    assert out["API-Sign"] == out["token"] == out["signature"] == out["otp"] == REDACTED
    assert out["password"] == REDACTED
    assert out["pair"] == "XBTUSD"
    assert out["inner"][0]["api_key"] == REDACTED
    assert out["inner"][1][1]["Secret"] == REDACTED


def test_configure_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    configure_logging_from_env(stream=buffer, force=True)
    get_logger("env").info("hidden.info")
    get_logger("env").warning("shown.warning", token="abc")
    lines = buffer.getvalue().strip().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["event"] == "shown.warning"
    assert json.loads(lines[0])["token"] == REDACTED
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        configure_logging_from_env(force=True)
    configure_logging(stream=io.StringIO(), force=True)
    structlog.reset_defaults()


def test_console_format_is_default_and_configuration_is_idempotent() -> None:
    buffer = io.StringIO()
    configure_logging(stream=buffer, force=True)
    configure_logging(json=True, stream=io.StringIO())  # ignored: already configured
    get_logger("x").info("hello.console", n=1)
    text = buffer.getvalue()
    assert "hello.console" in text and not text.lstrip().startswith("{")
    configure_logging(stream=io.StringIO(), force=True)
    structlog.reset_defaults()
