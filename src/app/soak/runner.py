"""The soak run: exchange, proxy and runtime up; the fault plan played; audits; the summary.

One ``SoakRun`` owns its processes for its whole life. Simulated time is the exchange's own
clock (its public Time), so the run, the plan and the per-day figures follow the exchange even
when it was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from src.app.clocks import ScaledClock
from src.app.soak.config import SoakConfig
from src.app.soak.final import concurrent_audit, final_audit
from src.app.soak.processes import (
    ManagedProcess,
    exchange_argv,
    paper_cli_has_clock_speed,
    wait_http,
)
from src.app.soak.proxy import FaultProxy
from src.app.soak.records import (
    ExchangeRecords,
    PairInfo,
    exchange_time,
    read_exchange,
    read_pairs,
    read_runtime,
)
from src.app.soak.report import progress_line
from src.app.soak.schedule import (
    EXCHANGE_KILL,
    RUNTIME_KILL,
    ProcessEvent,
    fault_rates,
    process_plan,
)
from src.app.soak.setup import Layout, make_layout
from src.app.soak.state import SoakState
from src.brokers.kraken.limits.counters import KrakenRateLimits
from src.brokers.kraken.rest.client import KrakenRestClient
from src.brokers.kraken.settings import KrakenSettings
from src.core.errors import BrokerError
from src.core.execution import OrderStatus

#: Real seconds a restarted runtime gets to send its first order before it counts as stuck.
TRADE_AGAIN_TIMEOUT = 120.0
#: Real seconds the wind-down waits for unknown orders to resolve (grace 30 s + a reconcile).
SETTLE_TIMEOUT = 60.0
#: RSS readings per simulated day.
SAMPLES_PER_DAY = 8


class SoakRun:
    """Run one soak and return its state (audits included); ``say`` prints progress."""

    def __init__(self, cfg: SoakConfig, say: Callable[[str], None] = print) -> None:
        self.cfg, self.say = cfg, say
        self.rng = random.Random(cfg.seed)
        self.state = SoakState(cfg)
        self.layout: Layout | None = None
        self.exchange: ManagedProcess | None = None
        self.worker: ManagedProcess | None = None
        self.proxy: FaultProxy | None = None
        self.audit_client: KrakenRestClient | None = None
        self.pairs: dict[str, PairInfo] = {}
        self.baseline: dict[str, Decimal] = {}
        self.final_records: ExchangeRecords | None = None

    # ----- set-up ---------------------------------------------------------------------------
    async def _start_exchange(self) -> None:
        assert self.exchange is not None and self.layout is not None
        await self.exchange.start()
        await wait_http(f"{self.layout.exchange_url}/0/public/Time", 90, self.exchange)

    def _worker_argv(self, layout: Layout, proxy: FaultProxy) -> list[str]:
        cfg = self.cfg
        return [
            "src.app.soak.worker", "--rest", proxy.url, "--ws", proxy.ws_url,
            "--ws-auth", proxy.ws_auth_url, "--key", layout.key, "--secret", layout.secret,
            "--db", str(layout.runtime_db), "--speed", str(cfg.speed), "--tier", cfg.tier,
            "--pairs", *cfg.pairs, "--seed", str(cfg.seed),
            "--interval", str(cfg.interval_minutes), "--risk-config", str(layout.risk_config),
            "--dead-man-timeout", str(cfg.dead_man_timeout),
            "--heartbeat", str(cfg.heartbeat_seconds), "--reconcile", str(cfg.reconcile_seconds),
            "--capital-per-pair", str(cfg.capital_per_pair),
        ]  # fmt: skip

    async def setup(self) -> None:
        """Workdir, exchange, audit client and baseline, proxy, first runtime."""
        cfg = self.cfg
        self.layout = layout = await make_layout(cfg, self.rng)
        self.state.clock_flag = paper_cli_has_clock_speed()
        argv = exchange_argv(
            layout.exchange_port, layout.exchange_db, layout.key, layout.secret,
            cfg.speed, cfg.tier, self.state.clock_flag,
        )  # fmt: skip
        self.exchange = ManagedProcess("exchange", argv, layout.workdir)
        await self._start_exchange()
        self.audit_client = KrakenRestClient(
            layout.audit_key, layout.audit_secret, layout.exchange_url,
            gate=KrakenRateLimits(cfg.tier, clock=ScaledClock(cfg.speed)),
            settings=KrakenSettings(api_url=layout.exchange_url),
        )  # fmt: skip
        self.pairs = await read_pairs(self.audit_client, list(cfg.pairs))
        balances = await self.audit_client.request("Balance")
        self.baseline = {k: Decimal(str(v)) for k, v in balances.items()}
        self.state.t0 = await exchange_time(self.audit_client)
        self.proxy = FaultProxy(layout.exchange_port, layout.proxy_port, fault_rates(cfg), cfg.seed)
        await self.proxy.start()
        self.worker = ManagedProcess(
            "runtime", self._worker_argv(layout, self.proxy), layout.workdir, cwd=layout.workdir
        )
        await self._start_worker()

    async def _start_worker(self) -> None:
        assert self.worker is not None
        await self.worker.start()

    # ----- the loop -------------------------------------------------------------------------
    async def _tick_clock(self) -> None:
        assert self.audit_client is not None
        with contextlib.suppress(BrokerError, OSError):
            self.state.sim = await exchange_time(self.audit_client) - self.state.t0

    async def run(self) -> SoakState:
        """Set up, play the plan until the simulated time is up, stop, audit, tear down."""
        try:
            await self.setup()
            await self._loop(process_plan(self.cfg, self.rng))
            await self._finish()
        finally:
            await self._teardown()
        return self.state

    async def _loop(self, plan: list[ProcessEvent]) -> None:
        cfg, state = self.cfg, self.state
        next_sample = 0.0
        next_day = 1
        late_noted = False
        while True:
            await self._tick_clock()
            if state.sim >= cfg.sim_seconds:
                if not plan:
                    return
                # A restart's audit can take more simulated time than the plan left between
                # events; every planned event still happens, so the run runs over instead.
                if not late_noted:
                    self.say(f"   {len(plan)} planned event(s) overdue at the end: playing them")
                    late_noted = True
            if state.day >= next_sample:
                self._sample()
                next_sample += 1 / SAMPLES_PER_DAY
            if state.day >= next_day:
                self.say(progress_line(state, self._counts(), self.proxy))
                next_day = int(state.day) + 1  # an audit may have spanned several days
            if plan and plan[0].at <= state.sim:
                await self._play(plan.pop(0))
            await self._check_worker()
            await asyncio.sleep(0.5)

    def _sample(self) -> None:
        assert self.worker is not None and self.exchange is not None
        self.state.rss_runtime.add(self.state.day, self.worker.starts, self.worker.rss_bytes())
        self.state.rss_exchange.add(self.state.day, self.exchange.starts, self.exchange.rss_bytes())

    def _counts(self) -> tuple[int, int]:
        assert self.layout is not None
        try:
            rt = read_runtime(self.layout.runtime_db)
        except Exception:  # the first worker may not have made it yet
            return 0, 0
        return len(rt.orders), len(rt.fills)

    async def _check_worker(self) -> None:
        """A runtime that exited on its own is a finding: note it, then bring it back."""
        assert self.worker is not None and self.worker.proc is not None
        if self.worker.alive:
            return
        tail = self.worker.output()[-1500:]
        self.state.unexpected_exits.append(
            f"runtime exited {self.worker.proc.returncode} at day {self.state.day:.2f}: {tail}"
        )
        self.say(f"!! runtime exited by itself (status {self.worker.proc.returncode})")
        await self._restart_worker(0.5)

    async def _play(self, event: ProcessEvent) -> None:
        self.say(f"   day {self.state.day:.2f}: {event.kind}, down {event.down:.1f} s")
        if event.kind == RUNTIME_KILL:
            assert self.worker is not None
            await self.worker.kill9()
            self.state.runtime_restarts += 1
            await self._restart_worker(event.down)
            await self._audit_after(event.kind)
            return
        assert self.exchange is not None and self.audit_client is not None
        before = self.state.t0 + self.state.sim
        with contextlib.suppress(BrokerError, OSError):
            before = await exchange_time(self.audit_client)
        if event.kind == EXCHANGE_KILL:
            await self.exchange.kill9()
        else:
            await self.exchange.terminate()
        self.state.exchange_restarts += 1
        await asyncio.sleep(event.down)
        await self._start_exchange()
        self.state.outages.append((before, await exchange_time(self.audit_client)))
        await self._audit_after(event.kind)

    async def _restart_worker(self, down: float) -> None:
        await asyncio.sleep(down)
        await self._start_worker()

    async def _trading_again(self) -> None:
        """Wait for the restarted runtime's first order; note how long it took."""
        assert self.worker is not None and self.layout is not None
        spawned = datetime.fromtimestamp(self.worker.started_at, UTC)
        deadline = time.monotonic() + TRADE_AGAIN_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                rt = read_runtime(self.layout.runtime_db)
                first = min(
                    (o.created_at for o in rt.orders if o.created_at > spawned), default=None
                )
                if first is not None:
                    self.state.latency.seconds.append((first - spawned).total_seconds())
                    return
            await asyncio.sleep(0.25)
        self.state.latency.timeouts += 1
        self.say("!! the restarted runtime sent no order within the timeout")

    async def _audit_after(self, kind: str) -> None:
        if kind == RUNTIME_KILL:
            await self._trading_again()
        assert self.audit_client is not None and self.layout is not None
        result = await concurrent_audit(
            self.audit_client, self.layout.runtime_db, self.pairs, f"after {kind}",
            settle=2 * self.cfg.reconcile_seconds + 2,
        )  # fmt: skip
        self.state.audits.append(result)
        verdict = (
            "ok"
            if result.ok
            else "FAILED: " + "; ".join(f"{c.name} ({c.detail})" for c in result.failures())
        )
        self.say(f"   audit after {kind}: {verdict}")

    # ----- the end --------------------------------------------------------------------------
    async def _finish(self) -> None:
        assert self.worker is not None and self.proxy is not None and self.layout is not None
        assert self.audit_client is not None
        self._sample()
        self.say(progress_line(self.state, self._counts(), self.proxy))
        # The stop itself is clean: faults off, and the runtime's unknown orders resolved
        # (its lost-reply grace period), so the end state is one every check can judge.
        self.proxy.enabled = False
        await self._settle(SETTLE_TIMEOUT)
        status = await self.worker.terminate(timeout=180)
        if status != 0:
            self.state.unexpected_exits.append(f"runtime clean stop exited {status}")
        self.final_records = ex = await read_exchange(self.audit_client)
        result = final_audit(
            ex, read_runtime(self.layout.runtime_db), self.pairs, self.baseline,
            self.proxy.record, self.state, self.layout.workdir,
        )  # fmt: skip
        self.state.audits.append(result)
        self._keep_evidence()

    def _keep_evidence(self) -> None:
        """The proxy's tallies and the dead man replies, in the workdir for a post-mortem."""
        assert self.proxy is not None and self.layout is not None
        record = self.proxy.record
        evidence = {
            "faults": dict(record.faults),
            "lockouts": dict(record.lockouts),
            "requests": record.requests,
            "upstream_down": record.upstream_down,
            "outages": self.state.outages,
            "dead_man": [[r.current, r.trigger] for r in record.dead_man],
        }
        (self.layout.workdir / "proxy.json").write_text(json.dumps(evidence))

    async def _settle(self, timeout: float) -> None:
        """Wait until the database holds no order whose outcome is unknown."""
        assert self.layout is not None
        unsettled = {OrderStatus.UNKNOWN, OrderStatus.PENDING, OrderStatus.NEW}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                rt = read_runtime(self.layout.runtime_db)
                if not any(o.status in unsettled for o in rt.orders):
                    return
            await asyncio.sleep(1.0)

    async def _teardown(self) -> None:
        if self.worker is not None:
            await self.worker.terminate(timeout=30)
        if self.proxy is not None:
            await self.proxy.stop()
        if self.exchange is not None:
            await self.exchange.terminate(timeout=30)
        if self.audit_client is not None:
            await self.audit_client.aclose()
