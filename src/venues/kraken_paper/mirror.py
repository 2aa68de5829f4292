"""Mirror market source: the public REST data of an upstream Kraken-compatible URL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from src.venues.kraken_paper.market import Candle
from src.venues.kraken_paper.pairs import ORIGINAL, PAIRS
from src.venues.kraken_paper.sources import Tick


class MirrorSource:
    """Mirrors the public REST data (Depth, Trades, OHLC) of an upstream Kraken-compatible URL."""

    def __init__(self, upstream: str = "https://api.kraken.com", depth: int = 25) -> None:
        self._client = httpx.AsyncClient(base_url=upstream.rstrip("/"), timeout=10.0)
        self._depth = depth
        self._since: dict[str, str] = {}
        self.keys = [k for k in ORIGINAL if k in PAIRS]

    def label(self, key: str) -> str:
        """Every pair mirrors the upstream."""
        return "mirror"

    def backfill_one(self, key: str, now: float, minutes: int) -> list[Candle]:
        """No history at once (a sync call cannot ask the upstream): the next poll fills it."""
        if key not in self.keys:
            self.keys.append(key)
        return []

    async def _get(self, method: str, **params: Any) -> dict[str, Any]:
        resp = await self._client.get(f"/0/public/{method}", params=params)
        resp.raise_for_status()
        body = resp.json()
        if body.get("error"):
            raise RuntimeError(f"upstream {method}: {body['error']}")
        result: dict[str, Any] = body["result"]
        return result

    @staticmethod
    def _first(result: dict[str, Any]) -> Any:
        return next(v for k, v in result.items() if k != "last")

    async def backfill(self, now: float, minutes: int) -> dict[str, list[Candle]]:
        """The upstream's last ``minutes`` closed 1-minute candles per pair."""
        out: dict[str, list[Candle]] = {}
        for key in self.keys:
            rows = self._first(await self._get("OHLC", pair=key, interval=1))
            out[key] = [
                Candle(int(r[0]), Decimal(r[1]), Decimal(r[2]), Decimal(r[3]), Decimal(r[4]),
                       Decimal(r[5]) * Decimal(r[6]), Decimal(r[6]), int(r[7]))
                for r in rows[:-1][-minutes:]
            ]  # fmt: skip
        return out

    async def step(
        self, sim_dt: float, now: float, extra: dict[str, float] | None = None
    ) -> list[Tick]:
        """Poll the upstream's book and new trades for the original pairs and ``extra`` ones."""
        ticks = []
        for key in [k for k in ORIGINAL if k in self.keys] + list(extra or {}):
            depth = self._first(await self._get("Depth", pair=key, count=self._depth))
            params = {"pair": key}
            if key in self._since:
                params["since"] = self._since[key]
            trades_res = await self._get("Trades", **params)
            first_poll = key not in self._since
            self._since[key] = str(trades_res["last"])
            rows = [] if first_poll else self._first(trades_res)
            ticks.append(
                Tick(
                    key,
                    [
                        (Decimal(r[0]), Decimal(r[1]), "buy" if r[3] == "b" else "sell")
                        for r in rows
                    ],
                    (
                        [(Decimal(b[0]), Decimal(b[1])) for b in depth["bids"]],
                        [(Decimal(a[0]), Decimal(a[1])) for a in depth["asks"]],
                    ),
                )
            )
        return ticks

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    def state(self) -> dict[str, Any]:
        """Nothing: the upstream is where the market is."""
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        """Nothing to restore (see ``state``)."""
        return None
