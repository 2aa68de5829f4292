"""The ``result`` objects of the Kraken REST replies the adapter reads, as TypedDicts.

Shapes follow ``shared/kraken-api.md`` (sections 3 and 4) and, where it is silent, Kraken's
REST docs (https://docs.kraken.com/api/docs/rest-api/). A key Kraken may leave out is
``NotRequired``; amounts and prices Kraken sends as JSON strings are ``str``, times it sends as
JSON numbers are ``float``/``int``.

These types are static only: nothing here checks a reply at run time. The readers
(``client._obj``, ``queries._field``, ``parse``, the order desk) keep their own checks and
raise ``MalformedResponseError`` on a shape they cannot read.
``tests/unit/brokers/kraken/test_replies.py`` holds the shipped fixtures to these keys.
(No ``from __future__ import annotations`` here: Python 3.11 computes ``__required_keys__``
wrongly from string annotations.)
"""

from typing import NotRequired, TypedDict

__all__ = [
    "AddOrderBatchResult",
    "AddOrderDescr",
    "AddOrderResult",
    "AmendOrderResult",
    "AssetInfo",
    "AssetPairInfo",
    "AssetPairsResult",
    "AssetsResult",
    "BalanceExEntry",
    "BalanceExResult",
    "BalanceResult",
    "BatchOrderRow",
    "CancelAllOrdersAfterResult",
    "CancelAllResult",
    "CancelOrderResult",
    "ClosedOrdersResult",
    "EditOrderResult",
    "OHLCResult",
    "OHLCRow",
    "OpenOrdersResult",
    "OpenPositionsResult",
    "OrderDescr",
    "OrderInfo",
    "OrderMap",
    "PositionInfo",
    "QueryOrdersResult",
    "SystemStatusResult",
    "TickerInfo",
    "TickerResult",
    "TimeResult",
    "TradeBalanceResult",
    "TradeInfo",
    "TradeMap",
    "TradesHistoryResult",
    "WebSocketsTokenResult",
]


# ----------------------------------------------------------------- public
class TimeResult(TypedDict):
    """``Time``: Kraken's clock."""

    unixtime: int
    rfc1123: str


class SystemStatusResult(TypedDict):
    """``SystemStatus``: ``online``, ``maintenance``, ``cancel_only`` or ``post_only``."""

    status: str
    timestamp: str


class AssetInfo(TypedDict):
    """One ``Assets`` entry (keyed by asset id, e.g. ``XXBT``)."""

    aclass: str
    altname: str
    decimals: int
    display_decimals: int
    collateral_value: NotRequired[float]
    status: NotRequired[str]
    margin_rate: NotRequired[str]


AssetsResult = dict[str, AssetInfo]
"""``Assets``: asset id -> info."""


class AssetPairInfo(TypedDict):
    """One ``AssetPairs`` entry (keyed by pair key, e.g. ``XXBTZUSD``).

    ``cost_decimals``, ``costmin``, ``tick_size`` and ``status`` are missing from older
    replies; the position limits are sent for marginable pairs only.
    """

    altname: str
    wsname: NotRequired[str]
    aclass_base: str
    base: str
    aclass_quote: str
    quote: str
    lot: str
    pair_decimals: int
    cost_decimals: NotRequired[int]
    lot_decimals: int
    lot_multiplier: int
    leverage_buy: list[int]
    leverage_sell: list[int]
    fees: list[list[float]]
    fees_maker: NotRequired[list[list[float]]]
    fee_volume_currency: str
    margin_call: int
    margin_stop: int
    ordermin: NotRequired[str]
    costmin: NotRequired[str]
    tick_size: NotRequired[str]
    status: NotRequired[str]
    long_position_limit: NotRequired[int]
    short_position_limit: NotRequired[int]
    execution_venue: NotRequired[str]


AssetPairsResult = dict[str, AssetPairInfo]
"""``AssetPairs``: pair key -> pair."""


class TickerInfo(TypedDict):
    """One pair of ``Ticker``: every figure a string except the trade counts ``t``."""

    a: list[str]
    b: list[str]
    c: list[str]
    v: list[str]
    p: list[str]
    t: list[int]
    l: list[str]  # noqa: E741 - Kraken's key
    h: list[str]
    o: str


TickerResult = dict[str, TickerInfo]
"""``Ticker``: pair key -> ticker."""

OHLCRow = list[int | str]
"""``[time, open, high, low, close, vwap, volume, count]``: ints at the ends, strings between."""

OHLCResult = dict[str, list[OHLCRow] | int]
"""``OHLC``: the pair's rows under its key, plus ``"last"`` (int) to page on."""


# ----------------------------------------------------------------- balances and positions
BalanceResult = dict[str, str]
"""``Balance``: venue asset code -> amount string."""


class BalanceExEntry(TypedDict):
    """One asset of ``BalanceEx``; ``credit``/``credit_used`` only with a credit line."""

    balance: str
    hold_trade: str
    credit: NotRequired[str]
    credit_used: NotRequired[str]


BalanceExResult = dict[str, BalanceExEntry]
"""``BalanceEx``: venue asset code -> entry."""


class TradeBalanceResult(TypedDict):
    """``TradeBalance``: every figure a string in the asked ``asset``."""

    eb: str
    tb: str
    m: str
    n: str
    c: str
    v: str
    e: str
    mf: str
    ml: NotRequired[str]
    uv: NotRequired[str]


class PositionInfo(TypedDict):
    """One ``OpenPositions`` entry (keyed by position id); ``value``/``net`` with docalcs."""

    ordertxid: str
    posstatus: str
    pair: str
    time: float
    type: str
    ordertype: str
    cost: str
    fee: str
    vol: str
    vol_closed: str
    margin: str
    value: NotRequired[str]
    net: NotRequired[str]
    terms: NotRequired[str]
    rollovertm: NotRequired[str]
    misc: NotRequired[str]
    oflags: NotRequired[str]


OpenPositionsResult = dict[str, PositionInfo]
"""``OpenPositions``: position id -> position (``{}`` for spot-only accounts)."""


# ----------------------------------------------------------------- orders and trades
class OrderDescr(TypedDict):
    """An order object's ``descr`` (``price``: limit or trigger; ``price2``: the limit)."""

    pair: str
    type: str
    ordertype: str
    price: str
    price2: str
    leverage: str
    order: str
    close: NotRequired[str]


class OrderInfo(TypedDict):
    """One order of ``OpenOrders``, ``ClosedOrders`` or ``QueryOrders`` (keyed by txid).

    Times are unix seconds (floats; 0 when unset), amounts strings; ``closetm`` and
    ``reason`` come with closed orders, ``trades`` only when asked for.
    """

    refid: NotRequired[str | None]
    userref: NotRequired[int | None]
    cl_ord_id: NotRequired[str | None]
    status: str
    reason: NotRequired[str | None]
    opentm: float
    closetm: NotRequired[float]
    starttm: NotRequired[float]
    expiretm: NotRequired[float]
    descr: OrderDescr
    vol: str
    vol_exec: str
    cost: str
    fee: str
    price: str
    stopprice: NotRequired[str]
    limitprice: NotRequired[str]
    trigger: NotRequired[str]
    margin: NotRequired[bool]
    misc: NotRequired[str]
    oflags: NotRequired[str]
    trades: NotRequired[list[str]]
    sender_sub_id: NotRequired[str | None]


OrderMap = dict[str, OrderInfo]
"""Orders keyed by txid, newest first."""

QueryOrdersResult = OrderMap
"""``QueryOrders``: txid -> order, for the asked ids Kraken knows."""


class OpenOrdersResult(TypedDict):
    """``OpenOrders``."""

    open: OrderMap


class ClosedOrdersResult(TypedDict):
    """``ClosedOrders``: one page of 50; ``count`` (all matches) unless ``without_count``."""

    closed: OrderMap
    count: NotRequired[int]


class TradeInfo(TypedDict):
    """One trade of ``TradesHistory``/``QueryTrades`` (keyed by trade txid).

    ``pair`` is the pair key (``XXBTZUSD``); the ``c*``/``net``/``trades`` fields come only
    with a trade that opened a position.
    """

    ordertxid: str
    postxid: NotRequired[str]
    pair: str
    time: float
    type: str
    ordertype: str
    price: str
    cost: str
    fee: str
    vol: str
    margin: str
    leverage: NotRequired[str]
    misc: NotRequired[str]
    ledgers: NotRequired[list[str]]
    trade_id: NotRequired[int]
    maker: NotRequired[bool]
    posstatus: NotRequired[str]
    cprice: NotRequired[str]
    ccost: NotRequired[str]
    cfee: NotRequired[str]
    cvol: NotRequired[str]
    cmargin: NotRequired[str]
    net: NotRequired[str]
    trades: NotRequired[list[str]]


TradeMap = dict[str, TradeInfo]
"""Trades keyed by trade txid."""


class TradesHistoryResult(TypedDict):
    """``TradesHistory``: one page of 50 plus ``count`` (all matches) unless ``without_count``."""

    trades: TradeMap
    count: NotRequired[int]


# ----------------------------------------------------------------- order calls
class AddOrderDescr(TypedDict):
    """The ``descr`` of an AddOrder/AddOrderBatch/EditOrder reply."""

    order: str
    close: NotRequired[str]


class AddOrderResult(TypedDict):
    """``AddOrder``: ``txid`` is a list (one id), absent with ``validate=true``."""

    descr: AddOrderDescr
    txid: NotRequired[list[str]]


class BatchOrderRow(TypedDict, total=False):
    """One row of an AddOrderBatch reply: ``txid`` and ``descr``, or ``error`` alone."""

    txid: str
    descr: AddOrderDescr
    error: str


class AddOrderBatchResult(TypedDict):
    """``AddOrderBatch``: one row per order, in request order."""

    orders: list[BatchOrderRow]


class AmendOrderResult(TypedDict):
    """``AmendOrder``: the amend's id (the order keeps its txid)."""

    amend_id: str


class EditOrderResult(TypedDict):
    """``EditOrder`` (legacy): the replacing order's ``txid`` and the replaced one's.

    ``status`` is ``"ok"`` or ``"Err"`` (then ``error_message``); the user refs come only
    when the order had one.
    """

    status: NotRequired[str]
    txid: str
    originaltxid: str
    descr: NotRequired[AddOrderDescr]
    volume: NotRequired[str]
    price: NotRequired[str]
    price2: NotRequired[str]
    orders_cancelled: NotRequired[int]
    newuserref: NotRequired[int | str]
    olduserref: NotRequired[int | str]
    error_message: NotRequired[str]


class CancelOrderResult(TypedDict):
    """``CancelOrder``: ``count`` cancelled (1), ``pending`` when the cancel is queued."""

    count: int
    pending: NotRequired[bool]


class CancelAllResult(TypedDict):
    """``CancelAll``: how many orders were cancelled."""

    count: int


class CancelAllOrdersAfterResult(TypedDict):
    """``CancelAllOrdersAfter``: RFC 3339 times; ``triggerTime`` may be absent when disarmed."""

    currentTime: str
    triggerTime: NotRequired[str]


class WebSocketsTokenResult(TypedDict):
    """``GetWebSocketsToken``: the token and its lifetime in seconds (900)."""

    token: str
    expires: int
