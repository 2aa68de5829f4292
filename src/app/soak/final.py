"""The two audit procedures: while the runtime trades (after a restart), and at the end."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from src.app.soak.audit import (
    AuditResult,
    check_applied,
    check_books,
    check_fills,
    check_orders,
    check_refusals,
    check_settled,
)
from src.app.soak.dead_man import coverage
from src.app.soak.proxy import ProxyRecord
from src.app.soak.records import (
    ExchangeRecords,
    PairInfo,
    RuntimeRecords,
    read_exchange,
    read_runtime,
)
from src.app.soak.state import SoakState
from src.brokers.kraken.rest.client import KrakenRestClient

#: Attempts of a concurrent audit: a fill may wait for the next reconcile when faults hit one.
ATTEMPTS = 3
#: Most memory growth per simulated day taken as bounded, and the most RSS at any time.
MAX_GROWTH_MIB_PER_DAY = 2.0
MAX_RSS_MIB = 600.0
#: Real seconds of one paper-exchange market step (its timers, the dead man's, fire per step).
EXCHANGE_STEP_SECONDS = 0.25


async def concurrent_audit(
    client: KrakenRestClient, db: Path, pairs: dict[str, PairInfo], kind: str, settle: float
) -> AuditResult:
    """Exchange at ``before``, the DB ``settle`` seconds later, the exchange again ``after``."""
    result = AuditResult(kind)
    for _ in range(ATTEMPTS):
        before = await read_exchange(client)
        await asyncio.sleep(settle)
        rt = read_runtime(db)
        after = await read_exchange(client)
        result = AuditResult(kind)
        check_orders(result, before, after, rt)
        check_fills(result, before, after, rt, pairs)
        check_applied(result, after, rt, pairs)
        if result.ok:
            break
    return result


def final_audit(
    ex: ExchangeRecords,
    rt: RuntimeRecords,
    pairs: dict[str, PairInfo],
    baseline: dict[str, Decimal],
    proxy: ProxyRecord,
    state: SoakState,
    workdir: Path,
) -> AuditResult:
    """Every check, on a stopped runtime: books, settlement, dead man, lockouts, memory."""
    result = AuditResult("final")
    check_orders(result, ex, ex, rt)
    check_fills(result, ex, ex, rt, pairs)
    check_books(result, ex, rt, pairs, baseline)
    check_settled(result, ex, rt)
    check_refusals(result, rt)
    cfg = state.cfg
    dms = coverage(
        ex.orders, proxy.dead_man, now=ex.at, since=state.t0, outages=state.outages,
        grace=EXCHANGE_STEP_SECONDS * cfg.speed + 2,
    )  # fmt: skip
    result.figures["dms_uncovered"] = len(dms.uncovered_orders)
    result.add(
        "dead man's switch armed whenever orders were open",
        dms.ok,
        f"{dms.orders_checked} resting orders, {dms.arms} arms, worst gap {dms.worst_seconds:.0f}"
        f" exchange s; uncovered: {', '.join(dms.uncovered_orders[:5])}",
    )
    lockouts = sum(proxy.lockouts.values()) + _log_count(
        workdir, ("Rate limit exceeded", "Temporary lockout")
    )
    result.figures["lockouts"] = lockouts
    result.add("no rate-limit refusal or lockout", lockouts == 0, str(dict(proxy.lockouts)))
    growth = state.rss_runtime.growth_mib_per_day()
    bounded = (growth is None or growth <= MAX_GROWTH_MIB_PER_DAY) and (
        state.rss_runtime.peak_mib <= MAX_RSS_MIB
    )
    result.add("runtime memory bounded", bounded, f"growth {growth} MiB/day")
    result.add("runtime never exited by itself", not state.unexpected_exits,
               " | ".join(state.unexpected_exits)[:2000])  # fmt: skip
    result.add("every restart traded again", state.latency.timeouts == 0)
    kills = _log_count(workdir, ('"event": "runtime.kill"',))
    result.figures["kill_switch_trips"] = kills
    result.add("kill switch never tripped", kills == 0, f"{kills} trips (see the runtime's logs)")
    return result


def _log_count(workdir: Path, marks: tuple[str, ...]) -> int:
    """Lines of the runtime's JSON logs (the workdir's logs/) that contain any of ``marks``."""
    count = 0
    for path in (workdir / "logs").glob("*.jsonl"):
        with path.open(errors="replace") as fh:
            count += sum(1 for line in fh if any(mark in line for mark in marks))
    return count
