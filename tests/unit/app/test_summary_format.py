"""The session summary shows figures a person can compare by eye, and agrees on full values."""

from __future__ import annotations

from decimal import Decimal

from src.app.summary import SessionSummary, _row


def test_long_decimals_are_shown_rounded_but_compared_in_full() -> None:
    long = Decimal("31.81577034319999999999999999")
    same = _row("net PnL (marked)", long, long)
    off = _row("realized PnL", Decimal("1.00000000001"), Decimal("1.00000000002"))
    table = SessionSummary([same, off], {}, None).table()
    assert "31.8157703432" in table and "3199999" not in table
    assert same.agrees and not off.agrees  # the display rounds; the check does not
    assert table.splitlines()[2].split()[-3:] == ["1", "1", "NO"]
