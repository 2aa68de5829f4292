"""Kraken Futures hosts, path prefixes and the endpoint table (method, path, private, order call).

https://docs.kraken.com/api/docs/guides/futures-introduction (hosts, demo environment) and
krakenfx/api-specs ``futures-rest/trading/public.yml`` (paths, methods).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

LIVE_REST_URL = "https://futures.kraken.com"
DEMO_REST_URL = "https://demo-futures.kraken.com"
LIVE_WS_URL = "wss://futures.kraken.com/ws/v1"
DEMO_WS_URL = "wss://demo-futures.kraken.com/ws/v1"

#: Trading REST lives under this prefix; the signature covers the path *without* the
#: ``/derivatives`` part (``/api/v3/sendorder``), as Kraken's REST guide and both SDKs do.
TRADING_PREFIX = "/derivatives/api/v3"
SIGNING_STRIP = "/derivatives"
CHARTS_PREFIX = "/api/charts/v1"
#: The docs list history v2, the spec v3; python-kraken-sdk and ccxt use v2 for orders and
#: executions. v2 is what both the docs and the SDKs agree on.
HISTORY_PREFIX = "/api/history/v2"

HttpMethod = Literal["GET", "POST", "PUT"]
Pool = Literal["derivatives", "history", "public"]


@dataclass(frozen=True)
class Endpoint:
    """One REST endpoint.

    Attributes:
        name: Kraken's name for it (the last path segment, e.g. ``sendorder``).
        method: the HTTP method Kraken documents.
        path: the full URL path.
        private: signed with ``APIKey``/``Authent``.
        order_call: changes orders: never re-sent; a lost reply is resolved by ``cliOrdId``.
        pool: which rate-limit budget it draws from.
    """

    name: str
    method: HttpMethod
    path: str
    private: bool = True
    order_call: bool = False
    pool: Pool = "derivatives"

    @property
    def signing_path(self) -> str:
        """The path as it enters ``Authent`` (``/derivatives`` stripped)."""
        return self.path.removeprefix(SIGNING_STRIP)


def _trading(
    name: str, method: HttpMethod = "GET", *, private: bool = True, order: bool = False
) -> Endpoint:
    pool: Pool = "derivatives" if private else "public"
    return Endpoint(name, method, f"{TRADING_PREFIX}/{name}", private, order, pool)


_ENDPOINTS = (
    _trading("instruments", private=False),
    _trading("instruments/status", private=False),
    _trading("tickers", private=False),
    _trading("orderbook", private=False),
    _trading("history", private=False),
    _trading("feeschedules", private=False),
    _trading("historical-funding-rates", private=False),
    _trading("accounts"),
    _trading("openpositions"),
    _trading("openorders"),
    _trading("fills"),
    _trading("feeschedules/volumes"),
    _trading("leveragepreferences"),
    _trading("orders/status", "POST"),
    _trading("sendorder", "POST", order=True),
    _trading("editorder", "POST", order=True),
    _trading("cancelorder", "POST", order=True),
    _trading("cancelallorders", "POST", order=True),
    _trading("cancelallordersafter", "POST", order=True),
    _trading("batchorder", "POST", order=True),
    Endpoint("set_leveragepreferences", "PUT", f"{TRADING_PREFIX}/leveragepreferences"),
    Endpoint("account-log", "GET", f"{HISTORY_PREFIX}/account-log", pool="history"),
    Endpoint("charts", "GET", CHARTS_PREFIX, private=False, pool="public"),
)
ENDPOINTS = MappingProxyType({e.name: e for e in _ENDPOINTS})


def endpoint(name: str) -> Endpoint:
    """The endpoint called ``name`` (KeyError names it when unknown)."""
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise KeyError(f"unknown Kraken Futures endpoint {name!r}") from None


#: Chart tick types and resolutions (api/charts/v1).
TICK_TYPES = ("trade", "mark", "spot")
RESOLUTIONS = MappingProxyType(
    {
        "1m": 1,
        "5m": 5,
        "15m": 15,
        "30m": 30,
        "1h": 60,
        "4h": 240,
        "12h": 720,
        "1d": 1440,
        "1w": 10080,
    }
)
