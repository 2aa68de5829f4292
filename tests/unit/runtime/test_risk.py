"""Each risk limit refuses what it should, lets the rest through, and counts the refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import structlog.testing

from src.core.clock import ManualClock
from src.core.errors import ConfigurationError
from src.core.execution import Side
from src.core.kill_switch import KillSwitch
from src.core.risk import RiskContext, RiskLimits, RiskManager
from src.core.sizing import OrderIntent
from tests.support.paths import ROOT

D = Decimal
DAY = datetime(2024, 1, 1, 9, tzinfo=UTC)


def _intent(
    side: Side = Side.BUY,
    quantity: str = "0.001",
    price: str = "40000",
    symbol: str = "BTC/USD",
    leverage: Decimal | None = None,
) -> OrderIntent:
    return OrderIntent(symbol, side, D(quantity), D(price), leverage=leverage)


def _ctx(**kw: object) -> RiskContext:
    base: dict[str, object] = {
        "positions": {},
        "prices": {"BTC/USD": D(40000), "ETH/USD": D(2000)},
        "mid": D(40000),
        "data_age_seconds": 1.0,
        "available_quote": D(10_000),
    }
    base.update(kw)
    return RiskContext(**base)  # type: ignore[arg-type]


@pytest.fixture
def manager(clock: ManualClock) -> RiskManager:
    return RiskManager(RiskLimits(kill_file=None), clock, KillSwitch())


def test_a_plain_small_order_passes(manager: RiskManager) -> None:
    assert manager.check(_intent(), _ctx()) is None
    assert not manager.refusals


@pytest.mark.parametrize(
    ("intent", "ctx", "code"),
    [
        (
            _intent(symbol="DOGE/USD", price="0.1", quantity="10"),
            _ctx(mid=D("0.1")),
            "pair_not_allowed",
        ),
        (_intent(quantity="0.01"), _ctx(), "max_order_notional"),  # 400 > 250
        (_intent(leverage=D(2)), _ctx(), "leverage"),
        (_intent(side=Side.SELL), _ctx(positions={}), "leverage"),  # would go short
        (_intent(quantity="0.005"), _ctx(available_quote=D(100)), "leverage"),  # beyond free cash
        (_intent(), _ctx(mid=D(41000)), "price_band"),  # 40000 vs 41000 = 244 bps > 200
        (_intent(), _ctx(mid=None), "no_mid_price"),
        (_intent(), _ctx(data_age_seconds=181.0), "stale_market_data"),
        (_intent(), _ctx(data_age_seconds=None), "stale_market_data"),
        (
            _intent(quantity="0.005"),
            _ctx(positions={"BTC/USD": D("0.021")}),
            "max_position_notional",
        ),
        (
            _intent(quantity="0.005"),
            _ctx(positions={"BTC/USD": D("0.02"), "ETH/USD": D("0.6")}),  # 800+1200+200
            "max_gross_exposure",
        ),
    ],
)
def test_each_limit_refuses_and_counts(
    manager: RiskManager, intent: OrderIntent, ctx: RiskContext, code: str
) -> None:
    refusal = manager.check(intent, ctx)
    assert refusal is not None
    assert refusal.code == code
    assert manager.refusals[code] == 1
    assert sum(manager.refusals.values()) == 1


def test_limits_sit_exactly_at_their_boundary(manager: RiskManager) -> None:
    # 250 notional exactly is allowed; price 2% away exactly is allowed; data 180 s old allowed.
    assert manager.check(_intent(quantity="0.00625"), _ctx()) is None
    assert manager.check(_intent(price="40800"), _ctx(mid=D(40000))) is None
    assert manager.check(_intent(), _ctx(data_age_seconds=180.0)) is None


def test_reducing_orders_pass_even_above_position_limit(manager: RiskManager) -> None:
    # Position 0.03 BTC = 1200 > 1000 limit; selling part of it must still be allowed.
    ctx = _ctx(positions={"BTC/USD": D("0.03")})
    assert manager.check(_intent(side=Side.SELL, quantity="0.005"), ctx) is None


def test_leverage_enabled_allows_short(clock: ManualClock) -> None:
    manager = RiskManager(RiskLimits(allow_leverage=True, kill_file=None), clock, KillSwitch())
    assert manager.check(_intent(side=Side.SELL), _ctx()) is None


def test_orders_per_minute_window_slides(clock: ManualClock) -> None:
    manager = RiskManager(RiskLimits(max_orders_per_minute=3, kill_file=None), clock, KillSwitch())
    for _ in range(3):
        assert manager.check(_intent(), _ctx()) is None
        clock.advance(1)
    refusal = manager.check(_intent(), _ctx())
    assert refusal is not None and refusal.code == "max_orders_per_minute"
    clock.advance(58)  # the first order is now 60 s old and leaves the window
    assert manager.check(_intent(), _ctx()) is None


def test_daily_loss_trips_kill_switch_and_blocks_orders(manager: RiskManager) -> None:
    assert manager.on_equity(D(1000), DAY) is None
    assert manager.on_equity(D(950), DAY + timedelta(hours=1)) is None
    reason = manager.on_equity(D(900), DAY + timedelta(hours=2))
    assert reason is not None and "daily loss 100.00" in reason
    assert manager.kill_switch.tripped
    refusal = manager.check(_intent(), _ctx())
    assert refusal is not None and refusal.code == "kill_switch"


def test_daily_loss_baseline_resets_at_utc_midnight(manager: RiskManager) -> None:
    manager.on_equity(D(1000), DAY)
    manager.on_equity(D(940), DAY + timedelta(hours=10))  # 60 lost today
    assert manager.on_equity(D(905), DAY + timedelta(days=1)) is None  # new day starts at 905
    assert manager.day_start_equity == D(905)
    assert not manager.kill_switch.tripped


def test_max_drawdown_trips_from_the_peak(clock: ManualClock) -> None:
    limits = RiskLimits(daily_loss_limit=D(0), max_drawdown_pct=D(10), kill_file=None)
    manager = RiskManager(limits, clock, KillSwitch())
    manager.on_equity(D(1000), DAY)
    manager.on_equity(D(1200), DAY + timedelta(days=1))
    assert manager.on_equity(D(1081), DAY + timedelta(days=2)) is None  # 9.9 %
    reason = manager.on_equity(D(1080), DAY + timedelta(days=3))  # 10 % of 1200
    assert reason is not None and "drawdown" in reason


def test_kill_file_trips_the_switch(tmp_path: Path, clock: ManualClock) -> None:
    kill = KillSwitch(file_path=tmp_path / "KILL")
    manager = RiskManager(RiskLimits(), clock, kill)
    assert manager.check(_intent(), _ctx()) is None
    (tmp_path / "KILL").touch()
    refusal = manager.check(_intent(), _ctx())
    assert refusal is not None and refusal.code == "kill_switch"
    assert "KILL" in refusal.message


async def test_kill_signal_trips_the_switch() -> None:
    import asyncio
    import os
    import signal

    kill = KillSwitch()
    kill.install_signal_handler(asyncio.get_running_loop(), signal.SIGUSR1)
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        for _ in range(100):
            if kill.tripped:
                break
            await asyncio.sleep(0)
        assert kill.reason == "signal SIGUSR1"
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGUSR1)


def test_limits_load_from_toml_with_defaults_for_missing_keys(tmp_path: Path) -> None:
    path = tmp_path / "risk.toml"
    path.write_text('max_order_notional = "50"\nallowed_pairs = ["ETH/USD"]\n')
    limits = RiskLimits.from_toml(path)
    assert limits.max_order_notional == D(50)
    assert limits.allowed_pairs == frozenset({"ETH/USD"})
    assert limits.max_gross_exposure == RiskLimits().max_gross_exposure


def test_shipped_config_file_loads() -> None:
    limits = RiskLimits.from_toml(ROOT / "config" / "risk.toml")
    assert limits.allow_leverage is False
    assert "BTC/USD" in limits.allowed_pairs


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("max_order_notional = ", "not valid TOML"),
        ("max_order_notionl = 5", "max_order_notionl"),
        ('max_order_notional = "-5"', "must not be negative"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "risk.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=match):
        RiskLimits.from_toml(path)


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not found"):
        RiskLimits.from_toml(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "field"),
    [("max_drawdown_pct = 150", "max_drawdown_pct"), ("price_band_bps = 20000", "price_band_bps")],
)
def test_a_limit_that_could_never_trip_is_refused_with_its_name(
    tmp_path: Path, text: str, field: str
) -> None:
    path = tmp_path / "risk.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigurationError, match=field):
        RiskLimits.from_toml(path)


def test_a_standing_refusal_is_logged_once_an_hour_and_counted_every_time(
    manager: RiskManager, clock: ManualClock
) -> None:
    manager.kill_switch.trip("test: daily loss")
    with structlog.testing.capture_logs() as logs:
        for _ in range(30):  # a candle a minute for half an hour
            assert manager.check(_intent(), _ctx()) is not None
            clock.advance(60)
        manager.check(_intent(symbol="ETH/USD", price="2000"), _ctx(mid=D(2000)))
        clock.advance(1800)
        manager.check(_intent(), _ctx())
    refused = [e for e in logs if e["event"] == "risk.refused"]
    assert manager.refusals["kill_switch"] == 32
    assert [(e["symbol"], e.get("unlogged_repeats")) for e in refused] == [
        ("BTC/USD", None),
        ("ETH/USD", None),  # another symbol is its own line
        ("BTC/USD", 29),  # an hour on: logged again, with what was left out
    ]
