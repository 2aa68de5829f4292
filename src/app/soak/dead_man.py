"""Was the dead man's switch armed whenever an order was open? Judged from exchange facts only.

The armed windows come from the exchange's own answers to CancelAllOrdersAfter (captured by the
proxy, which reads the reply even when it then loses it); the open intervals from the
exchange's order records (``opentm``, ``closetm``). Each order's open time must lie inside the
union of armed windows, up to a tolerance: the replies state times to the second, and the
paper exchange runs its timers once per market step, so an order may outlive its trigger by one
step; an order opened before its switch was armed gets no such grace. Intervals when the
exchange itself was down are left out (no trading happens there).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from src.app.soak.proxy import DeadManReply

Interval = tuple[float, float]
#: CancelAllOrdersAfter states its times to the second: a gap up to this long is not a gap.
RESOLUTION = 1.0


@dataclass(frozen=True)
class DeadManCoverage:
    """Orders open while no switch was armed, and how long the worst one was."""

    orders_checked: int
    uncovered_orders: list[str]
    worst_seconds: float
    arms: int

    @property
    def ok(self) -> bool:
        """True when every order's open time was covered."""
        return not self.uncovered_orders


def armed_windows(replies: Iterable[DeadManReply], grace: float = 0.0) -> list[Interval]:
    """Merged windows during which a switch was armed, in exchange seconds.

    An arm covers (current + 1 s, trigger + ``grace``): the reply floors both times to the
    second, so the true arm may be up to a second later than stated, and the exchange may
    cancel up to ``grace`` after the trigger. A disarm (trigger 0) ends every window armed
    before it, at once.
    """
    events = sorted(replies, key=lambda r: r.current)
    windows: list[Interval] = []
    for i, arm in enumerate(events):
        if arm.trigger <= 0:
            continue
        end = arm.trigger + grace
        for later in events[i + 1 :]:
            if later.trigger <= 0:
                end = min(end, later.current)
                break
        if end > arm.current + 1:
            windows.append((arm.current + 1, end))
    return merge(windows)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Union of intervals, sorted and non-overlapping."""
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def uncovered(span: Interval, cover: list[Interval]) -> float:
    """Seconds of ``span`` outside ``cover`` (merged)."""
    start, end = span
    left = 0.0
    for c_start, c_end in cover:
        if c_end <= start:
            continue
        if c_start >= end:
            break
        if c_start > start:
            left += c_start - start
        start = max(start, c_end)
        if start >= end:
            return left
    return left + max(0.0, end - start)


def coverage(
    orders: dict[str, dict[str, Any]],
    replies: Iterable[DeadManReply],
    *,
    now: float,
    since: float,
    outages: Iterable[Interval],
    grace: float,
) -> DeadManCoverage:
    """Check every order opened after ``since`` against the armed windows and the outages.

    Args:
        orders: the exchange's order rows by txid (``opentm``, ``closetm``).
        replies: the exchange's CancelAllOrdersAfter answers.
        now: the exchange's time of the snapshot (end of a still-open order's span).
        since: orders opened before this are not judged (the run's start).
        outages: exchange downtime, exchange seconds.
        grace: seconds the exchange may take to fire a switch past its trigger (its timers
            run once per market step); an order open before any arm gets none.
    """
    replies = list(replies)
    cover = merge([*armed_windows(replies, grace), *outages])
    bad: list[str] = []
    worst = 0.0
    checked = 0
    for txid, row in orders.items():
        opened = float(row["opentm"])
        if opened < since:
            continue
        closed = float(row.get("closetm") or now)
        if closed <= opened:
            continue  # filled on arrival: never open
        checked += 1
        gap = uncovered((opened, closed), cover)
        worst = max(worst, gap)
        if gap > RESOLUTION:
            bad.append(txid)
    arms = sum(1 for r in replies if r.trigger > 0)
    return DeadManCoverage(checked, sorted(bad), worst, arms)
