"""What the soak prints: a progress line per simulated day and the one-line summary."""

from __future__ import annotations

import time
from collections import Counter

from src.app.soak.proxy import FaultProxy
from src.app.soak.records import ExchangeRecords
from src.app.soak.state import SoakState

#: The faults, in the order the lines show them.
FAULT_ORDER = (
    "lost_reply", "http_5xx", "unavailable", "slow", "truncated", "ws_lost_reply",
    "ws_drop_private", "ws_drop_public", "ws_malformed_private", "ws_malformed_public",
)  # fmt: skip


def fault_text(faults: Counter[str]) -> str:
    """``total (kind n, ...)`` over every fault kind, zeros included."""
    parts = ", ".join(f"{k} {faults.get(k, 0)}" for k in FAULT_ORDER)
    return f"{sum(faults.values())} ({parts})"


def progress_line(state: SoakState, counts: tuple[int, int], proxy: FaultProxy | None) -> str:
    """One line per simulated day: orders, fills, restarts and faults so far, memory now."""
    faults = proxy.record.faults if proxy is not None else Counter[str]()
    samples = state.rss_runtime.samples
    rss = f"{samples[-1].rss / 2**20:.1f} MiB" if samples else "-"
    return (
        f"day {state.day:5.1f}/{state.cfg.days:g}: orders {counts[0]} fills {counts[1]} "
        f"restarts runtime {state.runtime_restarts} exchange {state.exchange_restarts} "
        f"faults {fault_text(faults)} runtime rss {rss} "
        f"[{time.monotonic() - state.started_real:.0f} s]"
    )


def order_mix(ex: ExchangeRecords) -> dict[str, int]:
    """The exchange's own tally of our orders: types, amends, cancels (by whom)."""
    mix: Counter[str] = Counter()
    for row in ex.orders.values():
        mix["orders"] += 1
        mix[str(row.get("descr", {}).get("ordertype", "?"))] += 1
        if "amended" in str(row.get("misc", "")):
            mix["amended"] += 1
        if row.get("status") == "canceled":
            mix["canceled"] += 1
            if "Dead man" in str(row.get("reason", "")):
                mix["canceled_by_dead_man"] += 1
    return dict(mix)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def summary_line(state: SoakState, ex: ExchangeRecords | None, proxy: FaultProxy | None) -> str:
    """The run in one line: PASS/FAIL, volume, restarts, faults, every check's headline."""
    mix = order_mix(ex) if ex is not None else {}
    figures: Counter[str] = Counter()
    for audit in state.audits:
        for name, value in audit.figures.items():
            figures[name] = max(figures[name], value)
    final = state.audits[-1] if state.audits else None
    books = "ok" if final and all(c.ok for c in final.checks if _is_book(c.name)) else "FAILED"
    failed = sum(1 for a in state.audits for _ in a.failures())
    verdict = "PASS" if state.audits and failed == 0 and final and final.kind == "final" else "FAIL"
    growth = state.rss_runtime.growth_mib_per_day()
    lat = state.latency
    faults = proxy.record.faults if proxy is not None else Counter[str]()
    speed = state.cfg.speed
    median = lat.median()
    sim_h = "-" if median is None else f"{median * speed / 3600:.1f} sim h"
    return (
        f"SOAK {verdict} seed={state.cfg.seed} days={state.day:.1f} pairs={len(state.cfg.pairs)} "
        f"orders={mix.get('orders', 0)} (market {mix.get('market', 0)}, limit "
        f"{mix.get('limit', 0)}, amended {mix.get('amended', 0)}, canceled "
        f"{mix.get('canceled', 0)} [dead man {mix.get('canceled_by_dead_man', 0)}]) "
        f"fills={len(ex.trades) if ex else 0} restarts runtime={state.runtime_restarts} "
        f"exchange={state.exchange_restarts} faults={fault_text(faults)} "
        f"sent_twice={figures['sent_twice']} orders_lost={figures['orders_lost_by_exchange']} "
        f"orders_unknown={figures['orders_unknown_to_db']} fills_lost={figures['fills_lost']} "
        f"fills_extra={figures['fills_not_on_exchange']} positions/balances/fees/pnl={books} "
        f"refused={figures['refused']} dead_man_uncovered={figures['dms_uncovered']} "
        f"lockouts={figures['lockouts']} "
        f"rss_peak={state.rss_runtime.peak_mib:.0f}MiB growth="
        f"{'-' if growth is None else f'{growth:+.2f}'}MiB/day "
        f"restart_to_trade median {_seconds(median)} ({sim_h}) max {_seconds(lat.worst())} "
        f"audits={len(state.audits)} failed_checks={failed} "
        f"wall={time.monotonic() - state.started_real:.0f}s"
    )


def _is_book(name: str) -> bool:
    return name.endswith((" position", " balance")) or name in ("fees", "realized PnL")
