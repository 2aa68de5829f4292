"""Paper orders and trades, and their Kraken REST representations."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from src.venues.kraken_paper import errors as E
from src.venues.kraken_paper.descr import close_text, order_text, price_text
from src.venues.kraken_paper.errors import KrakenError
from src.venues.kraken_paper.events import OrderSnapshot
from src.venues.kraken_paper.pairs import PAIRS, PairSpec
from src.venues.kraken_paper.prices import Offset

_ID_CHARS = string.ascii_uppercase + string.digits
TRIGGERED_TYPES = (
    "stop-loss", "take-profit", "stop-loss-limit", "take-profit-limit", "trailing-stop",
    "trailing-stop-limit",
)  # fmt: skip
LIMIT_TYPES = ("limit", "iceberg", "stop-loss-limit", "take-profit-limit", "trailing-stop-limit")
RESTING_TYPES = ("limit", "iceberg")  # live at once, at their limit price
_TXID = re.compile(r"^[A-Z0-9]{6}-[A-Z0-9]{5}-[A-Z0-9]{6}$")


def new_id(prefix: str) -> str:
    """A Kraken-style 6-5-6 id such as ``OQCLML-BW3P3-BUCMWZ`` (``O`` orders, ``T`` trades...)."""
    parts = ["".join(secrets.choice(_ID_CHARS) for _ in range(n)) for n in (5, 5, 6)]
    return f"{prefix}{parts[0]}-{parts[1]}-{parts[2]}"


def check_txid(text: str) -> str:
    """``text`` if it is shaped like a Kraken id (6-5-6), else ``EOrder:Invalid order``.

    Kraken tells a malformed id (``EOrder:Invalid order``) from a well-formed one it does not
    know (``EOrder:Unknown order``, or no entry in QueryOrders).
    """
    if not _TXID.match(text):
        raise KrakenError(E.INVALID_ORDER)
    return text


def fmt(value: Decimal, decimals: int) -> str:
    """Fixed-decimals string, as Kraken prints prices and volumes."""
    return f"{value:.{decimals}f}"


@dataclass
class PaperOrder:
    """One order with Kraken's fields; Decimal throughout."""

    txid: str
    account_id: str
    pair_key: str
    side: str
    ordertype: str
    volume: Decimal
    price: Decimal | None  # limit price (limit) or trigger price (triggered types)
    price2: Decimal | None  # limit price of *-limit types
    opentm: float
    userref: int | None = None
    cl_ord_id: str | None = None
    oflags: tuple[str, ...] = ()
    timeinforce: str = "GTC"
    expiretm: float | None = None
    starttm: float | None = None
    status: str = "open"
    vol_exec: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)  # exact sum of price x qty (cost is rounded per trade)
    closetm: float | None = None
    reason: str | None = None
    triggered: bool = False
    misc: list[str] = field(default_factory=list)
    trade_ids: list[str] = field(default_factory=list)
    last_change: float = 0.0  # creation or last amend (monotonic seconds) for rate-limit ages
    viqc: bool = False
    # Conditional close terms (OTO): each fill places an opposite order of the fill's size.
    close_ordertype: str | None = None
    close_price: Decimal | None = None
    close_price2: Decimal | None = None
    refid: str | None = None  # on a close order: the primary order that placed it
    display_qty: Decimal | None = None  # iceberg: the part shown in the book
    stptype: str = "cancel-newest"  # self-trade prevention
    # Trailing stops: the trail (``price`` then holds the current trigger), the limit's offset
    # from the trigger (trailing-stop-limit, signed) and the best price seen since placement.
    trail: Decimal | None = None
    trail_pct: bool = False
    limit_offset: Decimal | None = None
    limit_offset_pct: bool = False
    peak: Decimal | None = None
    # Queue position while resting: market volume ahead at its price, when it joined the queue
    # and, for an iceberg, what is left of the slice on show (own_book.py).
    ahead: Decimal | None = None
    queued_at: float | None = None
    shown_left: Decimal | None = None

    @property
    def spec(self) -> PairSpec:
        """The order's pair."""
        return PAIRS[self.pair_key]

    @property
    def remaining(self) -> Decimal:
        """Volume still to execute."""
        return self.volume - self.vol_exec

    @property
    def post_only(self) -> bool:
        """True if the order carries the ``post`` flag."""
        return "post" in self.oflags

    @property
    def fee_in_base(self) -> bool:
        """True if fees are taken in the base asset (``fcib``)."""
        return "fcib" in self.oflags

    @property
    def fee_asset(self) -> str:
        """The asset fees are taken in: base with ``fcib``, else quote."""
        return self.spec.base if self.fee_in_base else self.spec.quote

    @property
    def limit_price(self) -> Decimal | None:
        """The price the order works at once live (None for market-like orders)."""
        if self.ordertype in RESTING_TYPES:
            return self.price
        if self.ordertype in ("stop-loss-limit", "take-profit-limit", "trailing-stop-limit"):
            return self.price2
        return None

    @property
    def avg_price(self) -> Decimal:
        """Average execution price (0 before any fill), from the unrounded fills.

        Orders saved before ``notional`` was kept fall back to the rounded cost.
        """
        if not self.vol_exec:
            return Decimal(0)
        return (self.notional or self.cost) / self.vol_exec

    def price_texts(self) -> tuple[str, str]:
        """``descr.price``/``price2`` as written: a trailing order shows its offsets."""
        spec = self.spec
        if self.trail is not None:
            trail = Offset(1, self.trail, self.trail_pct).text(spec.pair_decimals)
            if self.limit_offset is None:
                return trail, ""
            sign = 1 if self.limit_offset >= 0 else -1
            limit = Offset(sign, abs(self.limit_offset), self.limit_offset_pct)
            return trail, limit.text(spec.pair_decimals)
        return price_text(spec, self.price), price_text(spec, self.price2)

    def descr_text(self) -> str:
        """``descr.order`` in Kraken's layout: ``buy 1.25000000 XBTUSD @ limit 30010.0``."""
        p, p2 = self.price_texts()
        return order_text(self.spec, self.side, self.volume, self.ordertype, p, p2)

    def close_text(self) -> str:
        """``descr.close``: the conditional close terms, ``""`` when there are none."""
        return close_text(self.spec, self.close_ordertype, self.close_price, self.close_price2)

    def descr(self) -> dict[str, Any]:
        """``descr`` in Kraken's layout: pair, side, order type, prices and the order text."""
        spec = self.spec
        return {
            "pair": spec.altname,
            "type": self.side,
            "ordertype": self.ordertype,
            "price": self.price_texts()[0] or fmt(Decimal(0), spec.pair_decimals),
            "price2": self.price_texts()[1] or fmt(Decimal(0), spec.pair_decimals),
            "leverage": "none",
            "order": self.descr_text(),
            "close": self.close_text(),
        }

    def to_kraken(self, with_trades: bool = False) -> dict[str, Any]:
        """The order object of OpenOrders/ClosedOrders/QueryOrders."""
        spec = self.spec
        out: dict[str, Any] = {
            "refid": self.refid,
            "userref": self.userref,
            "cl_ord_id": self.cl_ord_id,
            "status": self.status,
            "opentm": self.opentm,
            "starttm": self.starttm or 0,
            "expiretm": self.expiretm or 0,
            "descr": self.descr(),
            "vol": fmt(self.volume, spec.lot_decimals),
            "vol_exec": fmt(self.vol_exec, spec.lot_decimals),
            "cost": fmt(self.cost, spec.cost_decimals),
            "fee": fmt(self.fee, spec.cost_decimals),
            "price": fmt(self.avg_price, spec.cost_precision),
            "stopprice": fmt(self.price or Decimal(0), spec.pair_decimals)
            if self.ordertype in TRIGGERED_TYPES
            else "0.00000",
            "limitprice": fmt(self.limit_price or Decimal(0), spec.pair_decimals),
            "misc": ",".join(self.misc),
            "oflags": ",".join(self.oflags),
            "margin": False,
        }
        if self.ordertype in TRIGGERED_TYPES:
            out["trigger"] = "last"
        if self.closetm is not None:
            out["closetm"] = self.closetm
            out["reason"] = self.reason
        if with_trades and self.trade_ids:
            out["trades"] = list(self.trade_ids)
        return out

    def snapshot(self) -> OrderSnapshot:
        """Immutable copy for events."""
        return OrderSnapshot(
            txid=self.txid, account_id=self.account_id, cl_ord_id=self.cl_ord_id,
            userref=self.userref, pair_key=self.pair_key, symbol=self.spec.symbol,
            side=self.side, order_type=self.ordertype, status=self.status,
            order_qty=self.volume, cum_qty=self.vol_exec, cum_cost=self.cost, fee=self.fee,
            fee_asset=self.fee_asset, avg_price=self.avg_price, limit_price=self.limit_price,
            trigger_price=self.price if self.ordertype in TRIGGERED_TYPES else None,
            triggered=self.triggered, time_in_force=self.timeinforce, post_only=self.post_only,
            fee_ccy_pref="fcib" if self.fee_in_base else "fciq", opentm=self.opentm,
            closetm=self.closetm, expiretm=self.expiretm, reason=self.reason,
        )  # fmt: skip


@dataclass
class PaperTrade:
    """One own trade (fill) with Kraken's TradesHistory fields."""

    txid: str
    ordertxid: str
    account_id: str
    pair_key: str
    time: float
    side: str
    ordertype: str
    price: Decimal
    cost: Decimal
    fee: Decimal
    fee_asset: str
    vol: Decimal
    maker: bool
    trade_id: int
    postxid: str = field(default_factory=lambda: new_id("T"))
    ledgers: list[str] = field(default_factory=list)

    def to_kraken(self) -> dict[str, Any]:
        """The trade object of TradesHistory/QueryTrades."""
        spec = PAIRS[self.pair_key]
        return {
            "ordertxid": self.ordertxid,
            "postxid": self.postxid,
            "pair": self.pair_key,
            "time": self.time,
            "type": self.side,
            "ordertype": self.ordertype,
            "price": fmt(self.price, spec.cost_precision),
            "cost": fmt(self.cost, spec.cost_decimals),
            "fee": str(self.fee),
            "vol": fmt(self.vol, spec.lot_decimals),
            "margin": fmt(Decimal(0), spec.cost_decimals),
            "leverage": "0",
            "misc": "",
            "trade_id": self.trade_id,
            "maker": self.maker,
            "ledgers": list(self.ledgers),
        }
