"""End-of-session summary: the runtime's books next to the exchange's own records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path

from src.core.execution import ExecutionEngine, Fill
from src.core.portfolio import Portfolio
from src.core.runtime import TradingRuntime

ZERO = Decimal(0)


@dataclass(frozen=True)
class Row:
    """One compared figure: the runtime's value, the exchange's, and whether they agree."""

    name: str
    ours: str
    exchange: str
    agrees: bool


@dataclass
class SessionSummary:
    """Rows comparing the runtime's books with the exchange's records, plus refusals."""

    rows: list[Row] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)
    kill_reason: str | None = None

    @property
    def agrees(self) -> bool:
        """True if every row agrees."""
        return all(r.agrees for r in self.rows)

    def table(self) -> str:
        """The rows as an aligned text table with a header line."""
        width = max([len(r.name) for r in self.rows] + [10])
        lines = [f"{'':{width}}  {'runtime DB':>20}  {'exchange':>20}  agree"]
        for r in self.rows:
            lines.append(
                f"{r.name:{width}}  {r.ours:>20}  {r.exchange:>20}  {'yes' if r.agrees else 'NO'}"
            )
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self.refusals.items())) or "none"
        lines.append(f"risk refusals: {sum(self.refusals.values())} ({shown})")
        lines.append(f"kill switch: {self.kill_reason or 'not tripped'}")
        return "\n".join(lines)


def _row(name: str, ours: Decimal | int, theirs: Decimal | int, tol: Decimal = ZERO) -> Row:
    agrees = abs(Decimal(ours) - Decimal(theirs)) <= tol
    return Row(name, _fmt(ours), _fmt(theirs), agrees)


#: Decimals shown at most: marked PnL is a product of Decimals with up to 28 digits, which a
#: person cannot compare by eye. Only the display rounds; ``agrees`` uses the full values.
SHOWN_DECIMALS = Decimal("1e-10")


def _fmt(value: Decimal | int) -> str:
    if isinstance(value, int):
        return str(value)
    if value.as_tuple().exponent < SHOWN_DECIMALS.as_tuple().exponent:  # type: ignore[operator]
        value = value.quantize(SHOWN_DECIMALS)
    return f"{value.normalize():f}"


def _book(fills: list[Fill], marks: dict[str, Decimal]) -> Portfolio:
    book = Portfolio()
    for fill in sorted(fills, key=lambda f: (f.timestamp, f.fill_id)):
        book.commit(*book.preview(fill))
    for symbol, price in marks.items():
        book.mark(symbol, price)
    return book


async def summarize(runtime: TradingRuntime, engine: ExecutionEngine) -> SessionSummary:
    """Compare trades, fees, positions and PnL with the exchange's trade history and balances.

    The exchange side is rebuilt only from what the exchange reports (its TradesHistory for
    our order ids, and its balances), so the two columns come from independent records.
    """
    orders = runtime.store.orders()
    ours = runtime.store.fills()
    summary = SessionSummary(
        refusals=dict(runtime.risk.refusals), kill_reason=runtime.risk.kill_switch.reason
    )
    if not orders:
        return summary
    order_ids = {o.order_id for o in orders if o.order_id}
    since = min(o.created_at for o in orders) - timedelta(minutes=10)
    theirs = [f for f in await engine.get_fills(since) if f.order_id in order_ids]
    marks = dict(runtime.prices)
    mine, venue = _book(ours, marks), _book(theirs, marks)
    rows = summary.rows
    rows.append(_row("trades", len(ours), len(theirs)))
    rows.append(_row("fees", mine.fees, venue.fees))
    account = await engine.get_account()
    baseline = {k: Decimal(v) for k, v in (runtime.store.get("baseline_balances") or {}).items()}
    # Every pair the strategy trades gets its rows, filled or not, so the table has the same
    # shape each session and a pair that never traded reads as flat rather than missing.
    traded = {f.symbol for f in ours} | {f.symbol for f in theirs}
    for symbol in sorted(traded | set(runtime.strategy.symbols)):
        position = runtime.portfolio.position(symbol).quantity
        rows.append(_row(f"{symbol} position", position, venue.position(symbol).quantity))
        base = symbol.split("/")[0]
        change = account.get(base, ZERO) - baseline.get(base, ZERO)
        rows.append(_row(f"{base} balance change", position, change))
    tol = Decimal("0.0001") * (len(ours) + 1)  # venue rounds each cost to 4 quote decimals
    rows.append(_row("realized PnL", mine.realized_pnl, venue.realized_pnl))
    rows.append(_row("net PnL (marked)", runtime.portfolio.net_pnl, venue.net_pnl))
    quotes = {s.split("/")[1] for s in runtime.strategy.symbols}
    for quote in sorted(quotes):
        expected = runtime.portfolio.expected_balances.get(quote, ZERO) - baseline.get(quote, ZERO)
        change = account.get(quote, ZERO) - baseline.get(quote, ZERO)
        rows.append(_row(f"{quote} balance change", expected, change, tol))
    return summary


def scope_line(runtime: TradingRuntime, fills_before: int, db: Path) -> str:
    """What the summary covers: every session the runtime database holds, and this one's share.

    The table audits the database's whole history (positions and balances carry over a
    restart), so after a restart its trade count is not this session's; this line says both.
    """
    orders = runtime.store.orders()
    total = len(runtime.store.fills())
    if not orders:
        return f"this session: {total - fills_before} fills; nothing recorded in {db} yet"
    since = min(o.created_at for o in orders).astimezone(UTC)
    return (
        f"this session: {total - fills_before} of the {total} fills recorded in {db} "
        f"since {since:%Y-%m-%d %H:%M} UTC, which the table covers"
    )
