"""The soak proxy's WebSocket chaos: odds per second, and every kind at least once per run."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, cast

from src.app.soak.proxy_ws import WsPump
from src.app.soak.schedule import FaultRates


class NeverLucky(random.Random):
    """Dice that never strike on odds alone: only the overdue rule can inject."""

    def random(self) -> float:
        return 0.999


class Host:
    def __init__(self, rng: random.Random, rates: FaultRates) -> None:
        self.rng, self.rates, self.enabled = rng, rates, True
        self.ws_order_requests = 0
        self.ws_seconds: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    def note_errors(self, errors: object) -> None:
        pass

    def note_dead_man(self, result: object) -> None:
        pass


def _pump(host: Host, *, private: bool = True) -> WsPump:
    sockets = cast(Any, None)  # _strikes reads no socket
    return WsPump(sockets, sockets, private, host)


def _seconds(pump: WsPump, host: Host, n: int, fault: str, rate: float) -> list[int]:
    struck = []
    for second in range(1, n + 1):
        host.ws_seconds[pump.kind] += 1
        if pump._strikes(fault, rate):
            struck.append(second)
    return struck


def test_a_kind_the_dice_never_pick_is_injected_once_when_overdue() -> None:
    # 0.048 drops a second (the short soak's rate): due by second 21, and then only by odds.
    host = Host(NeverLucky(), FaultRates(ws_drop_per_s=0.048))
    pump = _pump(host)
    assert _seconds(pump, host, 200, "ws_drop_private", 0.048) == [21]
    assert host.faults == Counter({"ws_drop_private": 1})


def test_odds_still_decide_once_the_first_fault_happened() -> None:
    host = Host(random.Random(3), FaultRates(ws_malformed_per_s=0.12))
    pump = _pump(host)
    struck = _seconds(pump, host, 2_000, "ws_malformed_private", 0.12)
    assert 180 <= len(struck) <= 300  # about 240 expected at 0.12 a second
    assert host.faults["ws_malformed_private"] == len(struck)


def test_a_zero_rate_never_injects_and_kinds_are_counted_apart() -> None:
    host = Host(NeverLucky(), FaultRates())
    private, public = _pump(host), _pump(host, private=False)
    assert _seconds(private, host, 500, "ws_drop_private", 0.0) == []
    # The public socket's own seconds make its fault due, not the private socket's.
    assert _seconds(public, host, 9, "ws_drop_public", 0.1) == []
    assert _seconds(public, host, 1, "ws_drop_public", 0.1) == [1]
    assert host.faults == Counter({"ws_drop_public": 1})
