"""``AlpacaSim``: a local Alpaca-shaped venue on 127.0.0.1 (random port) with test controls.

Usage::

    async with AlpacaSim() as sim:
        adapter = AlpacaAdapter(api_key=sim.api_key, api_secret=sim.api_secret,
                                base_url=sim.base_url)   # stream_url derived: ws://.../stream
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from src.venues.alpaca_sim.app import build_app
from src.venues.alpaca_sim.faults import FaultRule, Faults
from src.venues.alpaca_sim.keys import AUTH_LOG, LISTENING, SOCKETS
from src.venues.alpaca_sim.state import SimState
from src.venues.alpaca_sim.stream import drop_all


class AlpacaSim:
    """A simulated Alpaca paper account served over real loopback sockets.

    Args:
        cash: starting USD cash.
        rate_limit: requests per minute per key before ``429`` (Alpaca's is 200).
        api_key: key id to accept; a random one when omitted.
        api_secret: secret to accept; a random one when omitted.
        time_zone: zone of the timestamps written ("UTC", Alpaca's ``Z`` style, by default;
            "America/New_York" writes ``-05:00``/``-04:00`` offsets, as Alpaca's clock does).
    """

    def __init__(
        self,
        *,
        cash: Decimal | int | str = Decimal("100000"),
        rate_limit: int = 200,
        api_key: str | None = None,
        api_secret: str | None = None,
        time_zone: str = "UTC",
    ) -> None:
        self.api_key = api_key or "PKSIM" + secrets.token_hex(8).upper()
        self.api_secret = api_secret or secrets.token_urlsafe(30)
        self.state = SimState(cash=Decimal(str(cash)), time_zone=time_zone)
        self.faults = Faults()
        self._app = build_app(self.state, self.faults, self.api_key, self.api_secret, rate_limit)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def __repr__(self) -> str:
        return f"AlpacaSim(base_url={self.base_url!r})"

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and serve."""
        self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Close every connection and stop serving."""
        drop_all(self._app)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The REST base URL.

        Raises:
            RuntimeError: The simulator is not started.
        """
        if self._port is None:
            raise RuntimeError("AlpacaSim is not started; use `async with AlpacaSim() as sim`")
        return f"http://127.0.0.1:{self._port}"

    @property
    def stream_url(self) -> str:
        """The trade-updates WebSocket URL."""
        return self.base_url.replace("http://", "ws://") + "/stream"

    # -- controls used by tests and examples ---------------------------------------------

    def set_price(self, symbol: str, price: Decimal | int | str) -> None:
        """Move the market price; resting orders that become marketable fill."""
        self.state.set_price(symbol, Decimal(str(price)))

    def fill(
        self, order_id: str, qty: Decimal | int | str, price: Decimal | int | str | None = None
    ) -> dict[str, Any]:
        """Fill ``qty`` of a resting order (at its limit price unless ``price`` is given)."""
        return self.state.fill(
            order_id, Decimal(str(qty)), None if price is None else Decimal(str(price))
        )

    def lose_next_reply(self, method: str = "POST", path_prefix: str = "/v2/orders") -> None:
        """Process the next matching request but drop the connection instead of replying."""
        self.faults.lose_reply.append(FaultRule(method, path_prefix))

    def malform_next_reply(self, method: str = "GET", path_prefix: str = "/v2/") -> None:
        """Process the next matching request but answer with truncated JSON."""
        self.faults.malform_reply.append(FaultRule(method, path_prefix))

    def fail_next(
        self,
        status: int,
        *,
        method: str = "GET",
        path_prefix: str = "/v2/",
        times: int = 1,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` without processing them."""
        self.faults.fail.append(FaultRule(method, path_prefix, times, status, retry_after))

    def set_status(self, order_id: str, status: str) -> None:
        """Put an order in any status string (Alpaca's rarer states, or an undocumented one)."""
        self.state.set_status(order_id, status)

    def replay_last_event(self) -> None:
        """Deliver the most recent trade update again (a duplicate, as after a venue hiccup)."""
        if self.state.last_event is not None:
            for listener in list(self.state.listeners):
                listener(self.state.last_event)

    def drop_streams(self) -> int:
        """Abort every trade-updates connection; returns how many were dropped."""
        return drop_all(self._app)

    @property
    def stream_connections(self) -> int:
        """Open ``/stream`` connections."""
        return len(self._app[SOCKETS])

    @property
    def auth_messages(self) -> list[dict[str, Any]]:
        """The shape of each stream auth message received: action and field names, no values."""
        return [dict(shape) for shape in self._app[AUTH_LOG]]

    @property
    def listening_streams(self) -> int:
        """Connections authorized and listening to ``trade_updates``."""
        return len(self._app[LISTENING])
