"""Funding, liquidation and settlement against hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from src.core.clock import ManualClock
from src.venues.kraken_futures_paper import FuturesPaperExchange
from src.venues.kraken_futures_paper.contracts import Contract, default_contracts
from src.venues.kraken_futures_paper.orders import OrderRequest
from tests.unit.venues.kraken_futures_paper.conftest import START

D = Decimal


def buy(venue: FuturesPaperExchange, size: str, account: str | None = None, side: str = "buy",
        symbol: str = "PF_XBTUSD") -> str:  # fmt: skip
    placed = venue.engine.place(
        account or venue.account_id, OrderRequest("mkt", symbol, side, D(size))
    )
    return placed.status


def test_hourly_funding_long_pays_short_receives(
    venue: FuturesPaperExchange, clock: ManualClock
) -> None:
    other = venue.create_account({"USD": D(10000)})
    assert buy(venue, "0.1") == "placed"
    assert buy(venue, "0.1", other, "sell") == "placed"
    venue.set_premium("PF_XBTUSD", D("0.001"))  # mark 60,060
    venue.lifecycle.current["PF_XBTUSD"] = D("0.0001")
    before_long, before_short = venue.demo.flex["USD"], venue.engine.accounts[other].flex["USD"]
    clock.advance(1800)  # 00:30 -> 01:00, the hour ends
    venue.after_market()
    # -q * relative * mark = -0.1 * 0.0001 * 60060 = -0.6006 USD
    assert venue.demo.flex["USD"] == before_long - D("0.6006")
    assert venue.engine.accounts[other].flex["USD"] == before_short + D("0.6006")
    [record] = venue.lifecycle.history["PF_XBTUSD"]
    assert record.timestamp == datetime(2024, 1, 1, tzinfo=UTC)
    assert record.relative == D("0.0001") and record.absolute == D("6.006")
    # the next rate is the premium sampled during the hour, clamped to 0.001
    assert venue.lifecycle.current["PF_XBTUSD"] == D("0.001")
    assert venue.lifecycle.next_funding == datetime(2024, 1, 1, 2, tzinfo=UTC)
    entry = venue.demo.log[-1]
    assert entry.info == "funding rate change" and entry.realized_funding == D("-0.6006")


def test_funding_accrues_pro_rata_within_the_hour(
    venue: FuturesPaperExchange, clock: ManualClock
) -> None:
    buy(venue, "0.1")
    venue.lifecycle.current["PF_XBTUSD"] = D("0.0001")
    clock.advance(900)  # half of the half hour left: 00:45, three quarters of the hour gone
    venue.after_market()
    accrued = venue.engine.accrued[venue.account_id]["PF_XBTUSD"]
    assert accrued == -D("0.1") * D("0.0001") * D(60000) * D("0.75")


def test_inverse_funding_in_the_base_currency(
    venue: FuturesPaperExchange, clock: ManualClock
) -> None:
    buy(venue, "10000", symbol="PI_XBTUSD")
    venue.lifecycle.current["PI_XBTUSD"] = D("0.0001")
    before = venue.demo.wallets["XBT"]
    clock.advance(1800)
    venue.after_market()
    # -q * relative / mark = -10000 * 0.0001 / 60000 BTC
    assert venue.demo.wallets["XBT"] == before - D(10000) * D("0.0001") / D(60000)


def test_liquidation_when_equity_falls_below_maintenance(clock: ManualClock) -> None:
    venue = FuturesPaperExchange(clock=clock, auto_tick=False, basis_volatility=0,
                                 flex={"USD": D(1000)})  # fmt: skip
    assert buy(venue, "0.3") == "placed"  # at the house ask, 60,030
    fee = D("0.3") * D(60030) * D("0.0005")
    collateral = D(1000) - fee
    # long: p = (q*e - C) / (q * (1 - mm)) = (18009 - 990.9955) / 0.297
    threshold = (D("0.3") * D(60030) - collateral) / (D("0.3") * D("0.99"))
    assert D(57299) < threshold < D(57300)
    venue.set_index("XBT", 57350)
    assert venue.demo.positions["PF_XBTUSD"].size == D("0.3")
    venue.set_index("XBT", 57250)
    assert venue.demo.positions["PF_XBTUSD"].size == 0
    liquidation = venue.demo.fills[-1]
    assert liquidation.fill_type == "liquidation" and liquidation.price == D(57250)
    expected = collateral + D("0.3") * (D(57250) - D(60030)) - D("0.3") * D(57250) * D("0.0005")
    assert venue.demo.flex["USD"] == expected
    assert venue.demo.log[-1].info == "futures liquidation"


def test_an_account_never_goes_negative(clock: ManualClock) -> None:
    venue = FuturesPaperExchange(clock=clock, auto_tick=False, basis_volatility=0,
                                 flex={"USD": D(1000)})  # fmt: skip
    buy(venue, "0.3")
    venue.set_index("XBT", 50000)  # a gap far through the liquidation price
    assert venue.demo.flex["USD"] == 0 and venue.demo.equity_protection > 0


def test_fixed_maturity_settles_at_the_index_with_a_taker_fee(clock: ManualClock) -> None:
    expiry = START + timedelta(hours=2)
    pf = default_contracts(START)[0]
    ff = Contract("FF_XBTUSD_240101", "XBT", True, D(1), 4, pf.tiers, D(1000), last_trading=expiry)
    contracts = [pf, ff]
    venue = FuturesPaperExchange(clock=clock, auto_tick=False, basis_volatility=0,
                                 contracts=contracts)  # fmt: skip
    market = venue.engine.markets["FF_XBTUSD_240101"]
    # basis 5 % a year over 2 hours: mark above the index, decaying to it
    assert market.mark(venue.now()) == (
        D(60000) * (1 + D("0.05") * D(7200) / D(31536000))
    ).quantize(D("0.0000001"))
    buy(venue, "0.1", symbol="FF_XBTUSD_240101")
    entry = venue.demo.positions["FF_XBTUSD_240101"].entry
    usd = venue.demo.flex["USD"]
    venue.engine.place(
        venue.account_id, OrderRequest("lmt", "FF_XBTUSD_240101", "buy", D("0.1"), D(50000))
    )
    clock.advance(7200)
    venue.set_index("XBT", 61000)
    assert venue.demo.positions["FF_XBTUSD_240101"].size == 0
    fee = D("0.1") * D(61000) * D("0.0005")
    assert venue.demo.flex["USD"] == usd + D("0.1") * (D(61000) - entry) - fee
    assert venue.engine.open_orders(venue.account_id) == []
    contract = venue.engine.contracts["FF_XBTUSD_240101"]
    assert contract.settled and not contract.tradeable
    assert buy(venue, "0.1", symbol="FF_XBTUSD_240101") == "marketInactive"


def test_dead_man_switch_cancels_everything(
    venue: FuturesPaperExchange, clock: ManualClock
) -> None:
    venue.engine.place(
        venue.account_id, OrderRequest("lmt", "PF_XBTUSD", "buy", D("0.01"), D(50000))
    )
    venue.demo.dead_man_at = venue.now() + timedelta(seconds=60)
    clock.advance(59)
    venue.after_market()
    assert len(venue.engine.open_orders(venue.account_id)) == 1
    clock.advance(1)
    venue.after_market()
    assert venue.engine.open_orders(venue.account_id) == []
