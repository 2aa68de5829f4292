"""Every timestamp form Alpaca writes lands as the right UTC instant, never shifted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from src.brokers.alpaca import parse
from src.brokers.alpaca.orders import order_update
from src.core.errors import MalformedResponseError
from tests.unit.brokers.alpaca.payloads import load

# 2022-04-12 14:45:21.485488 UTC, written every way Alpaca (and RFC 3339) can write it.
INSTANT = datetime(2022, 4, 12, 14, 45, 21, 485488, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2022-04-12T14:45:21.485488Z",  # orders: microseconds, Z
        "2022-04-12T14:45:21.485488322Z",  # orders and trade_updates: nanoseconds, Z
        "2022-04-12T09:45:21.485488322-05:00",  # /v2/clock: New York, nanoseconds (EST)
        "2022-04-12T10:45:21.485488322-04:00",  # the same in EDT
        "2022-04-12T14:45:21.485488+00:00",
        "2022-04-12T20:15:21.485488322+05:30",
        "2022-04-12t14:45:21.485488322z",  # RFC 3339 allows lower case
        "2022-04-12T09:45:21.485488322-0500",  # offset without the colon
        "2022-04-12 14:45:21.485488Z",  # RFC 3339 allows a space
    ],
)
def test_each_form_is_the_same_instant(text: str) -> None:
    parsed = parse.timestamp(text, "created_at")
    assert parsed == INSTANT
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-11T09:30:00-05:00", datetime(2024, 1, 11, 14, 30, tzinfo=UTC)),  # next_open
        ("2021-05-21T13:30:00.126Z", datetime(2021, 5, 21, 13, 30, 0, 126000, tzinfo=UTC)),
        ("2019-06-12T22:47:07.99658Z", datetime(2019, 6, 12, 22, 47, 7, 996580, tzinfo=UTC)),
        ("2022-02-02T18:55:09.9Z", datetime(2022, 2, 2, 18, 55, 9, 900000, tzinfo=UTC)),
    ],
)
def test_short_and_missing_fractions(text: str, expected: datetime) -> None:
    assert parse.timestamp(text, "t") == expected


def test_nanoseconds_are_cut_never_rounded_into_the_next_second() -> None:
    late = parse.timestamp("2023-12-31T23:59:59.999999999-05:00", "t")
    assert late == datetime(2024, 1, 1, 4, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["yesterday", "2022-04-12T14:45:21.485488", "2022-04-12", "2022-04-12T14:45:21+25:00", ""],
)
def test_no_offset_or_not_a_timestamp_is_malformed(text: str) -> None:
    with pytest.raises(MalformedResponseError, match="created_at"):
        parse.timestamp(text, "created_at")


def test_order_and_fill_times_with_offsets() -> None:
    payload = load("http_order_filled_limit") | {
        "created_at": "2022-10-14T11:28:33.474853941-04:00",
        "updated_at": "2022-10-14T15:28:33.578185624Z",
    }
    update = order_update(payload)
    assert update.created_at == datetime(2022, 10, 14, 15, 28, 33, 474853, tzinfo=UTC)
    assert update.updated_at == datetime(2022, 10, 14, 15, 28, 33, 578185, tzinfo=UTC)
    event = load("ws_trade_update_partial_fill")["data"] | {
        "timestamp": "2023-03-14T13:33:20.613279045-04:00"
    }
    fill = parse.fill_from_trade_update(event)
    assert fill.timestamp == datetime(2023, 3, 14, 17, 33, 20, 613279, tzinfo=UTC)
