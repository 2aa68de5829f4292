"""The soak harness's short form: a few simulated days, every fault kind, every check must hold.

The long form is ``python -m src.app.soak --days 30 --seed 1`` (README, docs/soak.md); this
runs the same harness for three simulated days at 3600x with a fixed seed and a fault scale
high enough that every kind of fault happens at least once, plus an exchange kill -9, an
exchange restart and a runtime kill -9, in about two to three minutes of wall time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from src.app.soak.config import SoakConfig
from src.app.soak.report import FAULT_ORDER, summary_line
from src.app.soak.runner import SoakRun
from src.app.soak.schedule import EXCHANGE_KILL, EXCHANGE_TERM, RUNTIME_KILL

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(420)]


async def test_three_simulated_days_with_every_fault_keep_the_books_exact(tmp_path: Path) -> None:
    cfg = SoakConfig(
        days=3.0, seed=7, speed=3600.0, workdir=tmp_path / "soak", interval_minutes=30,
        reconcile_seconds=5.0, fault_scale=4.0, runtime_kills_per_day=0.34,
        exchange_restarts_per_day=0.67,
    )  # fmt: skip
    lines: list[str] = []
    run = SoakRun(cfg, say=lines.append)
    state = await run.run()
    summary = summary_line(state, run.final_records, run.proxy)
    report = "\n".join([*lines, summary])

    failures = [f"[{a.kind}] {c.name}: {c.detail}" for a in state.audits for c in a.failures()]
    assert failures == [], report
    assert summary.startswith("SOAK PASS"), report
    assert state.audits[-1].kind == "final"
    assert len(state.audits) >= 4, report  # one after each restart, then the final one
    assert run.proxy is not None and run.final_records is not None
    faults = run.proxy.record.faults
    # Every fault kind was injected (the public socket is not used by the runtime: its
    # faults are counted only when something subscribes there).
    injected = {k for k in FAULT_ORDER if "public" not in k}
    assert {k for k in injected if faults[k] == 0} == set(), report
    kinds = {a.kind for a in state.audits}
    assert {f"after {k}" for k in (RUNTIME_KILL, EXCHANGE_KILL, EXCHANGE_TERM)} <= kinds, report
    assert state.runtime_restarts >= 1 and state.exchange_restarts >= 2
    # Enough trading for the checks to mean something. How much happens in three simulated
    # days depends on the machine's load (the exchange runs 3600x real time): 32 to 57 trades
    # were seen on CI's 2 cores, so the floor is well under that.
    assert len(run.final_records.trades) >= 20, report
