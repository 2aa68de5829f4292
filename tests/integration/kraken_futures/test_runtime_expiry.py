"""TradingRuntime on a fixed-maturity contract (FF_) that expires seconds into the test.

The paper venue lists a linear dated contract whose ``lastTradingTime`` is a few seconds
away; at its next market tick after that it settles the position at the index with a taker
fee and writes the account log's ``settlement`` row. The runtime's books (database and
portfolio) are checked against the venue's own records, over loopback, in one run and
across restarts on either side of the expiry.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from src.brokers.kraken_futures import KrakenFuturesAdapter, KrakenFuturesSettings
from src.brokers.kraken_futures.limits.budgets import NullFuturesGate
from src.core.errors import OrderRejectedError
from src.core.execution import Order, OrderStatus, OrderType, Side
from src.core.futures_gate import AmendingFuturesRiskGate
from src.core.futures_settlement import settlement_fill_id
from src.core.order_outcome import LostReplyPolicy
from src.core.reconcile_report import ReconcileReport
from src.core.runtime import TradingRuntime
from src.venues.kraken_futures_paper import FuturesPaperExchange
from src.venues.kraken_futures_paper.contracts import Contract, default_contracts
from tests.support.futures_runtime import futures_runtime
from tests.support.runtime import ListCandles

D = Decimal
ZERO = D(0)
SECONDS_TO_EXPIRY = 3


@pytest.fixture
def expiry() -> datetime:
    # Whole seconds, as Kraken's lastTradingTime is written.
    now = datetime.now(UTC).replace(microsecond=0)
    return now + timedelta(seconds=SECONDS_TO_EXPIRY + 1)


@pytest.fixture
def ff(expiry: datetime) -> str:
    return f"FF_XBTUSD_{expiry:%y%m%d}"


@pytest.fixture
def fi(expiry: datetime) -> str:
    return f"FI_XBTUSD_{expiry:%y%m%d}"


@pytest.fixture
async def venue(expiry: datetime, ff: str, fi: str) -> AsyncIterator[FuturesPaperExchange]:
    listed = default_contracts(expiry)
    pf, pi = listed[0], listed[2]
    dated = Contract(ff, "XBT", True, D(1), 4, pf.tiers, D(1000), last_trading=expiry)
    inverse = Contract(fi, "XBT", False, D("0.5"), 0, pi.tiers, D(10**6), last_trading=expiry)
    async with FuturesPaperExchange(
        seed=3, auto_tick=False, basis_volatility=0, contracts=[pf, dated, inverse]
    ) as exchange:
        yield exchange


@pytest.fixture
async def adapter(venue: FuturesPaperExchange) -> AsyncIterator[KrakenFuturesAdapter]:
    async with KrakenFuturesAdapter(
        venue.api_key, venue.api_secret, venue.rest_url,
        settings=KrakenFuturesSettings(environment="demo"), gate=NullFuturesGate(),
        lost_reply=LostReplyPolicy(first_delay=0.05),
    ) as engine:  # fmt: skip
        engine.fill_poll_interval = 0.05
        yield engine


def runtime_for(
    adapter: KrakenFuturesAdapter, symbol: str, weights: Sequence[str], path: Path
) -> tuple[TradingRuntime, ListCandles]:
    return futures_runtime(adapter, symbol, weights, [60000] * 4, path)


async def pass_expiry(venue: FuturesPaperExchange, expiry: datetime, index: int) -> None:
    """Wait out the expiry, then tick the venue's market at ``index`` (it settles there)."""
    await asyncio.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 0.05)
    venue.set_index("XBT", index)


def assert_books_match_venue(
    runtime: TradingRuntime, venue: FuturesPaperExchange, symbol: str, report: ReconcileReport
) -> None:
    account = venue.engine.accounts[venue.account_id]
    log = [e for e in account.log if e.contract == symbol]
    assert [e.info for e in log].count("settlement") == 1
    mine = runtime.portfolio.position(symbol)
    assert mine.quantity == account.positions[symbol].size == 0
    assert mine.realized_pnl == sum((e.realized_pnl or ZERO for e in log), ZERO)
    assert mine.fees == sum((e.fee or ZERO for e in log), ZERO)
    assert runtime.portfolio.expected_with_funding()["USD"] == account.flex["USD"]
    assert report.balance_differences == []
    assert report.futures is not None and report.futures.position_differences == []
    settlements = [f for f in runtime.store.fills() if f.fill_id == settlement_fill_id(symbol)]
    assert len(settlements) == 1


async def test_the_venues_settlement_is_booked_once_and_the_contract_takes_no_more_orders(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange, ff: str, expiry: datetime,
    tmp_path: Path,
) -> None:  # fmt: skip
    runtime, candles = runtime_for(adapter, ff, ["1", "-1"], tmp_path / "f.db")
    await runtime.start()
    candles.released = 2
    await runtime.step()  # long 1,000 USD at 60,000 -> 0.0166
    held = runtime.portfolio.position(ff)
    assert held.quantity == D("0.0166")

    await asyncio.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 0.05)
    # Expired, but the venue has not run its expiry yet: it still lists the position, so
    # nothing is settled and nothing differs.
    report = await runtime.reconcile()
    assert report.futures is not None and report.futures.settled == 0
    assert report.futures.position_differences == []
    assert runtime.portfolio.position(ff).quantity == held.quantity

    venue.set_index("XBT", 61000)  # the venue settles at the index: +1,000 a BTC
    candles.released = 3
    await runtime.step()  # target -1 on an expired contract: no order planned
    assert len(runtime.store.orders()) == 1
    report = await runtime.reconcile()
    assert report.futures is not None and report.futures.settled == 1
    assert_books_match_venue(runtime, venue, ff, report)
    fee = D("0.0166") * D(61000) * D("0.0005")  # the taker fee at settlement
    assert runtime.portfolio.position(ff).fees - held.fees == fee
    assert runtime.portfolio.position(ff).realized_pnl == D("0.0166") * (
        D(61000) - held.average_price
    )
    again = await runtime.reconcile()  # a second reconcile books nothing
    assert again.futures is not None and again.futures.settled == 0
    assert_books_match_venue(runtime, venue, ff, again)
    assert f"expired={ff}" in runtime.status_line()

    # An order sent straight at the gate is refused with the reason, and never reaches
    # the venue.
    gate = runtime.futures_gate
    assert gate is not None
    order = Order(client_order_id="late-1", symbol=ff, side=Side.BUY, quantity=D("0.01"),
                  order_type=OrderType.MARKET)  # fmt: skip
    [ack] = await gate.submit_orders([order])
    assert ack.status is OrderStatus.REJECTED and ack.message is not None
    assert f"{ff} expired at" in ack.message
    assert all(o.cli_ord_id != "late-1" for o in venue.engine.orders.values())
    # Nor may an amend add contracts to an order of it (the adapter amends in place).
    [filled] = runtime.store.orders()
    assert filled.order_id is not None and isinstance(gate, AmendingFuturesRiskGate)
    with pytest.raises(OrderRejectedError, match="expired at"):
        await gate.amend_working_order(
            filled.order_id, client_order_id=filled.client_order_id, quantity=D("0.03")
        )
    await runtime.shutdown()


async def test_an_inverse_dated_contract_settles_in_bitcoin_as_the_venue_books_it(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange, fi: str, expiry: datetime,
    tmp_path: Path,
) -> None:  # fmt: skip
    runtime, candles = runtime_for(adapter, fi, ["-1"], tmp_path / "fi.db")
    await runtime.start()
    candles.released = 2
    await runtime.step()  # short 1,000 one-dollar contracts
    held = runtime.portfolio.position(fi)
    assert held.quantity == D(-1000)
    await pass_expiry(venue, expiry, 59000)  # the venue settles at the index: the short gains
    report = await runtime.reconcile()
    assert report.futures is not None and report.futures.settled == 1
    account = venue.engine.accounts[venue.account_id]
    log = [e for e in account.log if e.contract == fi]
    assert [e.info for e in log].count("settlement") == 1
    mine = runtime.portfolio.position(fi)
    assert mine.quantity == account.positions[fi].size == 0
    # In bitcoin, as the venue's wallet: 1,000 * (1/59,000 - 1/entry) gained, taker fees paid.
    gained = D(1000) * (D(1) / D(59000) - D(1) / held.average_price)
    assert mine.realized_pnl == sum((e.realized_pnl or ZERO for e in log), ZERO)
    assert abs(mine.realized_pnl - gained) < D("1e-20") and gained > 0
    assert mine.fees == sum((e.fee or ZERO for e in log), ZERO)
    settlement_fee = D(1000) * D("0.0005") / D(59000)  # the taker fee, in bitcoin
    assert abs(mine.fees - held.fees - settlement_fee) < D("1e-20")
    assert runtime.portfolio.expected_with_funding()["BTC"] == account.wallets["XBT"]
    assert report.balance_differences == []
    assert report.futures.position_differences == []
    await runtime.shutdown()


async def test_a_restart_across_the_expiry_books_the_settlement_once(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange, ff: str, expiry: datetime,
    tmp_path: Path,
) -> None:  # fmt: skip
    path = tmp_path / "f.db"
    runtime, candles = runtime_for(adapter, ff, ["-1"], path)
    await runtime.start()
    candles.released = 2
    await runtime.step()  # short 0.0166
    assert runtime.portfolio.position(ff).quantity == D("-0.0166")
    await runtime.shutdown()
    runtime.store.close()  # down over the expiry

    await pass_expiry(venue, expiry, 59000)  # the short gains 1,000 a BTC
    second, candles = runtime_for(adapter, ff, ["1"], path)
    report = await second.start()
    assert report.futures is not None and report.futures.settled == 1
    assert_books_match_venue(second, venue, ff, report)
    candles.released = 2
    await second.step()  # no order on the expired contract
    assert len(second.store.orders()) == 1
    await second.shutdown()
    second.store.close()

    third, _ = runtime_for(adapter, ff, [], path)  # up again after the settlement
    report = await third.start()
    assert report.futures is not None and report.futures.settled == 0
    assert_books_match_venue(third, venue, ff, report)
    assert len(third.store.fills()) == 2  # the order's fill and the settlement
    await third.shutdown()
