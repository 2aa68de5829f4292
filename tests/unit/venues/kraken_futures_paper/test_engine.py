"""Matching and order rules of the venue: book, house quotes, post-only, IOC, self-fill, margin."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from src.venues.kraken_futures_paper import FuturesPaperExchange
from src.venues.kraken_futures_paper.contracts import default_contracts
from src.venues.kraken_futures_paper.engine import Placed
from src.venues.kraken_futures_paper.orders import OrderRequest
from tests.unit.venues.kraken_futures_paper.conftest import START

D = Decimal


def place(
    venue: FuturesPaperExchange, kind: str, side: str, size: str, **kw: Any
) -> tuple[str, Placed]:
    request = OrderRequest(kind, kw.pop("symbol", "PF_XBTUSD"), side, D(size), **kw)
    placed = venue.engine.place(venue.account_id, request)
    return placed.status, placed


def test_contract_arithmetic_matches_hand_computed_cases() -> None:
    pf, _, pi = default_contracts(START)[:3]
    assert pf.margins(D(2), D(50000)) == (D(2000), D(1000))
    assert pf.margins(D(10), D(50000)) == (D(20000), D(10000))  # 500k: tier 2 for all of it
    assert pi.pnl(D(10000), D(50000), D(40000)) == D("-0.05")
    assert pi.margins(D(10000), D(50000)) == (D("0.004"), D("0.002"))
    assert pf.absolute_rate(D("0.0001"), D(50000)) == D(5)
    assert pi.absolute_rate(D("0.0001"), D(50000)) == D("0.000000002")


def test_house_quotes_around_the_mark(venue: FuturesPaperExchange) -> None:
    bids, asks = venue.book_levels("PF_XBTUSD")
    assert bids[0][0] == D(59970) and asks[0][0] == D(60030)  # 5 bps either side of 60,000
    assert len(bids) == 10 and asks[1][0] == D(60042)  # then 2 bps apart
    assert asks[0][1] == (D(50000) / D(60030)).quantize(D("0.0001"), "ROUND_FLOOR")


def test_market_order_walks_the_levels(venue: FuturesPaperExchange) -> None:
    first = venue.book_levels("PF_XBTUSD")[1][0][1]
    status, _ = place(venue, "mkt", "buy", str(first + D("0.1")))
    assert status == "placed"
    fills = venue.demo.fills
    assert [f.price for f in fills] == [D(60030), D(60042)]
    assert sum(f.size for f in fills) == first + D("0.1")
    assert all(f.fee == f.size * f.price * D("0.0005") for f in fills)


def test_post_only_ioc_fok_and_self_fill(venue: FuturesPaperExchange) -> None:
    assert place(venue, "post", "buy", "0.01", limit_price=D(60030))[0] == "postWouldExecute"
    assert place(venue, "post", "buy", "0.01", limit_price=D(60000))[0] == "placed"
    assert place(venue, "ioc", "buy", "0.01", limit_price=D(59000))[0] == "iocWouldNotExecute"
    assert place(venue, "fok", "buy", "100", limit_price=D(60030))[0] == "iocWouldNotExecute"
    assert place(venue, "lmt", "sell", "0.01", limit_price=D(59990))[0] == "selfFill"


def test_request_checks(venue: FuturesPaperExchange) -> None:
    assert place(venue, "lmt", "buy", "0.00001", limit_price=D(50000))[0] == "invalidSize"
    assert place(venue, "lmt", "buy", "0.01", limit_price=D("50000.5"))[0] == "invalidPrice"
    assert place(venue, "nope", "buy", "0.01")[0] == "invalidOrderType"
    assert place(venue, "mkt", "buy", "9")[0] == "insufficientAvailableFunds"  # 540k at 2 %
    assert place(venue, "mkt", "sell", "0.01", reduce_only=True)[0] == "wouldNotReducePosition"
    assert place(venue, "lmt", "buy", "0.01", limit_price=D(50000), cli_ord_id="x")[0] == "placed"
    duplicate = place(venue, "lmt", "buy", "0.01", limit_price=D(50000), cli_ord_id="x")
    assert duplicate[0] == "clientOrderIdAlreadyExist"
    assert place(venue, "lmt", "buy", "0.01", limit_price=D(1), cli_ord_id="y" * 101)[0] == (
        "clientOrderIdTooLong"
    )


def test_margin_counts_open_orders_worst_case(venue: FuturesPaperExchange) -> None:
    # 10,000 USD at 2 %: orders worth up to 500,000 USD fit in total.
    assert place(venue, "lmt", "buy", "4", limit_price=D(50000))[0] == "placed"
    fig = venue.engine.figures(venue.demo, "flex")
    assert fig.initial_with_orders == D(4) * D(60000) * D("0.02") and fig.initial == 0
    assert place(venue, "lmt", "buy", "5", limit_price=D(50000))[0] == "insufficientAvailableFunds"
    # selling does not add to the worst case while the buys are bigger
    assert place(venue, "lmt", "sell", "1", limit_price=D(70000))[0] == "placed"


def test_reduce_only_is_cut_to_the_position_and_cancelled_when_flat(
    venue: FuturesPaperExchange,
) -> None:
    place(venue, "mkt", "buy", "0.02")
    status, placed = place(venue, "lmt", "sell", "0.05", limit_price=D(70000), reduce_only=True)
    assert status == "placed" and placed.order.size == D("0.02")
    assert placed.events[0]["reducedQuantity"] == D("0.03")
    place(venue, "mkt", "sell", "0.02")
    assert placed.order.status == "cancelled"
    assert placed.order.reason == "would_not_reduce_position"


def test_drive_fills_a_resting_order_as_maker(venue: FuturesPaperExchange) -> None:
    _, placed = place(venue, "lmt", "buy", "0.01", limit_price=D(50000))
    order = placed.order
    assert venue.drive("PF_XBTUSD", "sell", "0.004", "50000") == D("0.004")
    assert order.filled == D("0.004") and order.status == "partiallyFilled"
    [fill] = venue.demo.fills
    assert fill.fill_type == "maker" and fill.fee == D("0.004") * D(50000) * D("0.0002")
    assert venue.demo.positions["PF_XBTUSD"].size == D("0.004")


def test_edit_and_cancel(venue: FuturesPaperExchange) -> None:
    _, placed = place(venue, "lmt", "buy", "0.01", limit_price=D(50000))
    order = placed.order
    events = venue.engine.edit(order, D("0.02"), D(51000), None)
    assert events[0]["type"] == "EDIT" and order.size == D("0.02") and order.limit_price == 51000
    venue.engine.edit(order, None, D(60030), None)  # crosses: fills as takerAfterEdit
    assert venue.demo.fills[-1].fill_type == "takerAfterEdit"
    _, other = place(venue, "lmt", "buy", "0.01", limit_price=D(50000))
    venue.engine.cancel(other.order)
    assert other.order.status == "cancelled"


def test_inverse_contract_trades_in_the_wallet(venue: FuturesPaperExchange) -> None:
    status, _ = place(venue, "mkt", "buy", "1000", symbol="PI_XBTUSD")
    assert status == "placed"
    [fill] = venue.demo.fills
    assert fill.fee_currency == "XBT" and fill.fee == D(1000) / fill.price * D("0.0005")
    assert venue.demo.wallets["XBT"] == D("0.5") - fill.fee
    assert venue.demo.flex["USD"] == D(10000)
