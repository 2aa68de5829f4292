"""Fault injection knobs, set per run and changeable while running (tests flip them)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class FaultConfig:
    """What goes wrong, and how often.

    REST knobs are applied by the REST server; ``ws_*`` knobs are read by the WS v2 server.

    Attributes:
        latency_s: Added delay before every REST answer (seconds).
        error_rate: Fraction of requests failed before they are processed.
        error_kind: ``"unavailable"`` (HTTP 200, ``EService:Unavailable``) or ``"5xx"`` (HTTP 503).
        lost_reply_rate: Fraction of AddOrder calls executed whose reply is then lost.
        lost_reply_next: The next N AddOrder calls are executed and their replies lost.
        lost_reply_kind: ``"drop"`` (connection closed, no response) or ``"5xx"`` (HTTP 502).
        ws_drop_after_s: Close every WS connection after this many seconds (None = never).
        ws_drop_rate: Per-message probability that the WS server drops the connection.
        ws_silent_channels: WS channels that stop sending data while the socket stays open.
        ws_silent_after_s: Seconds after subscribing before a silent channel goes quiet.
        seed: Seed of the fault dice.
    """

    latency_s: float = 0.0
    error_rate: float = 0.0
    error_kind: str = "unavailable"
    lost_reply_rate: float = 0.0
    lost_reply_next: int = 0
    lost_reply_kind: str = "drop"
    ws_drop_after_s: float | None = None
    ws_drop_rate: float = 0.0
    ws_silent_channels: frozenset[str] = frozenset()
    ws_silent_after_s: float = 0.0
    seed: int = 0
    rng: random.Random = field(init=False, repr=False)
    ws_drops: int = field(default=0, init=False)
    """How many WS connections the ``ws_drop_*`` knobs have dropped (tests wait on it)."""

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        if self.error_kind not in ("unavailable", "5xx"):
            raise ValueError("error_kind must be 'unavailable' or '5xx'")
        if self.lost_reply_kind not in ("drop", "5xx"):
            raise ValueError("lost_reply_kind must be 'drop' or '5xx'")

    def roll_error(self) -> bool:
        """Should this request fail before processing?"""
        return self.error_rate > 0 and self.rng.random() < self.error_rate

    def roll_lost_reply(self) -> bool:
        """Should this executed AddOrder lose its reply?"""
        if self.lost_reply_next > 0:
            self.lost_reply_next -= 1
            return True
        return self.lost_reply_rate > 0 and self.rng.random() < self.lost_reply_rate
