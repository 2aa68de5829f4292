"""The paper gate ``ktrade live`` applies, and the banner's risk limits in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from src.cli.banner import banner_lines, describe_limits
from src.cli.sessions import SessionRecord, paper_gate, read, record
from src.core.risk import RiskLimits

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MA = "ma fast=3 slow=8 60m BTC/USD"


def _session(
    ended: datetime,
    *,
    identity: str = MA,
    mode: str = "paper",
    seconds: float = 600,
    exit_code: int = 0,
    kill: str | None = None,
) -> SessionRecord:
    return SessionRecord(
        mode,
        identity,
        (ended - timedelta(seconds=seconds)).isoformat(),
        ended.isoformat(),
        seconds,
        exit_code,
        kill,
        4,
    )


def _gate(tmp_path: Path) -> tuple[SessionRecord | None, str]:
    return paper_gate(tmp_path, MA, hours=24, minutes=5, now=NOW)


def test_no_session_refuses(tmp_path: Path) -> None:
    assert _gate(tmp_path) == (None, f"no paper session of this strategy yet ({MA})")


def test_another_strategy_or_a_live_session_does_not_count(tmp_path: Path) -> None:
    record(tmp_path, _session(NOW, identity="ma fast=4 slow=8 60m BTC/USD"))
    record(tmp_path, _session(NOW, mode="live"))
    found, why = _gate(tmp_path)
    assert found is None and why.startswith("no paper session of this strategy yet")


def test_an_old_session_refuses(tmp_path: Path) -> None:
    record(tmp_path, _session(NOW - timedelta(hours=25)))
    assert _gate(tmp_path) == (None, "the last paper session of this strategy ended over 24 h ago")


def test_killed_failed_or_short_sessions_refuse_with_the_reason(tmp_path: Path) -> None:
    record(tmp_path, _session(NOW, kill="drawdown 11% reached the limit 10%"))
    assert "its kill switch tripped (drawdown 11%" in _gate(tmp_path)[1]
    record(tmp_path, _session(NOW, exit_code=2))
    assert _gate(tmp_path)[1].endswith("it exited with status 2")
    record(tmp_path, _session(NOW, seconds=60))
    assert _gate(tmp_path)[1].endswith("it ran 60 s, under 5 min")


def test_a_recent_clean_long_enough_session_passes(tmp_path: Path) -> None:
    record(tmp_path, _session(NOW - timedelta(hours=2)))
    record(tmp_path, _session(NOW, kill="daily loss"))
    found, why = _gate(tmp_path)
    assert why == "" and found is not None
    assert found.ended == (NOW - timedelta(hours=2)).isoformat()


def test_a_damaged_line_is_skipped(tmp_path: Path) -> None:
    record(tmp_path, _session(NOW))
    with (tmp_path / "sessions.jsonl").open("a") as out:
        out.write("{not json\n")
    assert len(read(tmp_path)) == 1


def test_limits_in_words() -> None:
    words = "\n".join(describe_limits(RiskLimits(), "USD"))
    assert "orders only for BTC/USD, ETH/USD" in words
    assert "one order at most 250 USD" in words and "at most 2,000 USD" in words
    assert "no margin, no shorting" in words
    assert "after losing 100 USD in a UTC day or after falling 10 % from its peak" in words
    assert "touch KILL" in words
    none = RiskLimits(daily_loss_limit=Decimal(0), max_drawdown_pct=Decimal(0), kill_file=None)
    off = "\n".join(describe_limits(none))
    assert "NO loss limit" in off and "touch" not in off


def test_banner_names_mode_endpoint_tier_pairs_and_capital() -> None:
    lines = banner_lines(
        mode="live",
        endpoint="https://api.kraken.com",
        tier="intermediate",
        pairs=["ETH/EUR", "BTC/EUR"],
        capital_per_pair=Decimal(150),
        strategy="ma 3/8",
        limits=RiskLimits(),
        log_path="/logs/x.jsonl",
    )
    text = "\n".join(lines)
    assert "LIVE: real orders on Kraken with real money" in text
    assert "endpoint   https://api.kraken.com" in text
    assert "tier       intermediate" in text
    assert "capital    150 EUR per pair, 300 EUR in all" in text
    assert "log        /logs/x.jsonl" in text
