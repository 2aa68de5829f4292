"""What a live session says about where its orders go, before the person confirms."""

from __future__ import annotations

from src.app.operator import live_venue_line


def test_kraken_host_is_named_with_the_tier() -> None:
    line = live_venue_line("https://api.kraken.com/", "pro")
    assert line == "Kraken at https://api.kraken.com, pro tier rate limits (KRAKEN_TIER)"


def test_another_host_is_said_not_to_be_kraken() -> None:
    line = live_venue_line("http://127.0.0.1:8090", "starter")
    assert line.startswith("NOT Kraken's host: KRAKEN_API_URL is http://127.0.0.1:8090;")
    assert "Kraken at" not in line
