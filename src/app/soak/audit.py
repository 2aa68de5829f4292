"""The checks: the runtime's database against the exchange's own records.

Two kinds of audit. After a restart the runtime is trading, so the audit reads the exchange
(``before``), then the database a couple of reconcile periods later, then the exchange again
(``after``): whatever the exchange held at ``before`` must be in the database by then, and
whatever the database holds must be on the exchange at ``after``. At the end the runtime has
stopped cleanly and every figure must agree: positions, balances, fees and PnL too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from src.app.soak.records import ExchangeRecords, PairInfo, RuntimeRecords, exchange_fill
from src.core.execution import Fill, OrderStatus
from src.core.portfolio import Portfolio

ZERO = Decimal(0)
#: The exchange rounds each trade's cost to the quote's ledger decimals (USD: 4), so quote
#: balances may differ from the runtime's price x quantity by one such unit per trade.
COST_ROUNDING = Decimal("0.0001")
#: Decimal's 28-digit context rounds sums of products differently in a different order.
PNL_ROUNDING = Decimal("1e-12")


@dataclass(frozen=True)
class Check:
    """One check's verdict, with what it found."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class AuditResult:
    """Every check of one audit plus the headline figures."""

    kind: str
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every check holds."""
        return all(c.ok for c in self.checks)

    def failures(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if not c.ok]

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        """Record a check."""
        self.checks.append(Check(name, ok, detail))


def _sample(items: object, n: int = 5) -> str:
    seq = sorted(map(str, items)) if isinstance(items, (set, list, dict)) else [str(items)]
    return ", ".join(seq[:n]) + (" ..." if len(seq) > n else "")


def check_orders(res: AuditResult, before: ExchangeRecords, after: ExchangeRecords,
                 rt: RuntimeRecords) -> None:  # fmt: skip
    """No order sent twice; every exchange order known to the DB; no acked order lost."""
    cloids = Counter(str(o.get("cl_ord_id")) for o in after.orders.values() if o.get("cl_ord_id"))
    twice = {c for c, n in cloids.items() if n > 1}
    refs = Counter(o.get("userref") for o in after.orders.values() if o.get("userref"))
    twice |= {f"userref {r}" for r, n in refs.items() if n > 1}
    res.figures["sent_twice"] = len(twice)
    res.add("no order sent twice", not twice, _sample(twice))
    known_cloids = {o.client_order_id for o in rt.orders}
    known_ids = {o.order_id for o in rt.orders if o.order_id}
    unknown = {
        txid for txid, o in before.orders.items()
        if txid not in known_ids and str(o.get("cl_ord_id")) not in known_cloids
    }  # fmt: skip
    res.figures["orders_unknown_to_db"] = len(unknown)
    res.add("every exchange order known to the DB", not unknown, _sample(unknown))
    lost = {o.order_id for o in rt.orders if o.order_id and o.order_id not in after.orders}
    res.figures["orders_lost_by_exchange"] = len(lost)
    res.add("every acknowledged order on the exchange", not lost, _sample(lost))


def check_fills(res: AuditResult, before: ExchangeRecords, after: ExchangeRecords,
                rt: RuntimeRecords, pairs: dict[str, PairInfo]) -> None:  # fmt: skip
    """Every exchange trade in the DB exactly once, and each DB fill as the exchange has it."""
    ours = {f.fill_id: f for f in rt.fills}
    missing = set(before.trades) - set(ours)
    res.figures["fills_lost"] = len(missing)
    res.add("every exchange trade in the DB", not missing, _sample(missing))
    phantom = set(ours) - set(after.trades)
    res.figures["fills_not_on_exchange"] = len(phantom)
    res.add("every DB fill on the exchange", not phantom, _sample(phantom))
    res.add("no fill recorded twice", len(ours) == len(rt.fills))
    differ = []
    for fill_id, fill in ours.items():
        row = after.trades.get(fill_id)
        if row is None or str(row["pair"]) not in pairs:
            continue
        theirs = exchange_fill(fill_id, row, pairs)
        if (fill.quantity, fill.price, fill.fee, fill.side) != (
            theirs.quantity, theirs.price, theirs.fee, theirs.side,
        ):  # fmt: skip
            differ.append(fill_id)
    res.add("DB fills equal the exchange's trades", not differ, _sample(differ))
    overfilled = [o.client_order_id for o in rt.orders if o.filled_quantity > o.quantity]
    res.add("no order filled beyond its size", not overfilled, _sample(overfilled))


def exchange_fills(ex: ExchangeRecords, pairs: dict[str, PairInfo]) -> list[Fill]:
    """The exchange's trades as fills, in execution order.

    Pages list trades newest first, and trades at the same instant in execution order (a
    stable sort), so sorting by time with that position as the tie-break is execution order:
    weighted-average cost (hence realized PnL) depends on it when a position crosses zero.
    """
    listed = [(float(row["time"]), i, t, row) for i, (t, row) in enumerate(ex.trades.items())]
    return [exchange_fill(t, row, pairs) for _, _, t, row in sorted(listed)]


def check_applied(res: AuditResult, after: ExchangeRecords, rt: RuntimeRecords,
                  pairs: dict[str, PairInfo]) -> None:  # fmt: skip
    """While trading: each DB position and its fees equal the exchange's trades the DB applied.

    The runtime's fills are a moving set, so this compares like with like: the exchange's own
    rows for exactly the trades the database holds (balances wait for the final audit).
    """
    by_symbol = {p.symbol: p for p in pairs.values()}
    ids = {f.fill_id for f in rt.fills}
    theirs = [exchange_fill(t, row, pairs) for t, row in after.trades.items()
              if t in ids and str(row["pair"]) in pairs]  # fmt: skip
    for symbol in by_symbol:
        held = rt.positions[symbol].quantity if symbol in rt.positions else ZERO
        fees = rt.positions[symbol].fees if symbol in rt.positions else ZERO
        mine = [f for f in theirs if f.symbol == symbol]
        traded = sum((f.quantity * f.side.sign for f in mine), ZERO)
        paid = sum((f.fee for f in mine), ZERO)
        res.add(f"{symbol} position and fees as the exchange's trades", (held, fees) == (
            traded, paid), f"db {held} / {fees}, exchange {traded} / {paid}")  # fmt: skip


def _book(fills: list[Fill]) -> Portfolio:
    book = Portfolio()
    for fill in fills:
        book.commit(*book.preview(fill))
    return book


def check_books(res: AuditResult, ex: ExchangeRecords, rt: RuntimeRecords,
                pairs: dict[str, PairInfo], baseline: dict[str, Decimal]) -> None:  # fmt: skip
    """Positions, balances, fees and PnL: the DB against the exchange's trades and balances."""
    venue = _book(exchange_fills(ex, pairs))
    n = len(ex.trades)
    for pair in pairs.values():
        held = rt.positions[pair.symbol].quantity if pair.symbol in rt.positions else ZERO
        traded = venue.position(pair.symbol).quantity
        change = ex.balances.get(pair.base_code, ZERO) - baseline.get(pair.base_code, ZERO)
        ok = held == traded == change
        res.add(f"{pair.symbol} position", ok, f"db {held} trades {traded} balance {change}")
        expected = rt.expected_balances.get(pair.base, ZERO) - rt.baseline.get(pair.base, ZERO)
        res.add(f"{pair.base} balance", expected == change, f"db {expected} exchange {change}")
    for code, name in {(p.quote_code, p.quote) for p in pairs.values()}:
        expected = rt.expected_balances.get(name, ZERO) - rt.baseline.get(name, ZERO)
        change = ex.balances.get(code, ZERO) - baseline.get(code, ZERO)
        gap = abs(expected - change)
        res.add(f"{name} balance", gap <= COST_ROUNDING * (n + 1), f"db {expected} "
                f"exchange {change} (rounding allowed {COST_ROUNDING * (n + 1)})")  # fmt: skip
    db_fees = sum((f.fee for f in rt.fills), ZERO)
    res.add("fees", db_fees == venue.fees, f"db {db_fees} exchange {venue.fees}")
    db_realized = sum((p.realized_pnl for p in rt.positions.values()), ZERO)
    gap = abs(db_realized - venue.realized_pnl)
    res.add("realized PnL", gap <= PNL_ROUNDING, f"db {db_realized} exchange {venue.realized_pnl}")


def check_settled(res: AuditResult, ex: ExchangeRecords, rt: RuntimeRecords) -> None:
    """After a clean stop: nothing open, nothing unresolved, fills as the exchange counts them."""
    res.add("nothing open on the exchange", not ex.open_orders(), _sample(ex.open_orders()))
    unsettled = {OrderStatus.UNKNOWN, OrderStatus.PENDING, OrderStatus.NEW}
    stuck = [o.client_order_id for o in rt.orders if o.status in unsettled]
    res.figures["orders_unresolved"] = len(stuck)
    res.add("no order left unresolved", not stuck, _sample(stuck))
    differ = [
        o.client_order_id for o in rt.orders
        if o.order_id in ex.orders
        and Decimal(str(ex.orders[o.order_id]["vol_exec"])) != o.filled_quantity
    ]  # fmt: skip
    res.add("each order's filled quantity as the exchange has it", not differ, _sample(differ))


#: Share of the runtime's orders the exchange may refuse before the run counts as broken: the
#: faults refuse none themselves (they drop, delay or fail requests), so refusals mean the
#: runtime sent what the exchange would not take (a dead session, funds, minimums).
MAX_REFUSED_SHARE = 0.01


def check_refusals(res: AuditResult, rt: RuntimeRecords) -> None:
    """Orders the exchange refused (``Kraken refused ...``), by error, within a small share."""
    refused = Counter(
        (o.reason or "").split(": ", 1)[-1].split(" (endpoint")[0]
        for o in rt.orders
        if o.status is OrderStatus.REJECTED and (o.reason or "").startswith("Kraken refused")
    )
    total = sum(refused.values())
    res.figures["refused"] = total
    res.add(
        "the exchange took the runtime's orders",
        total <= MAX_REFUSED_SHARE * max(1, len(rt.orders)),
        f"{total} of {len(rt.orders)} refused: {dict(refused.most_common(3))}",
    )
