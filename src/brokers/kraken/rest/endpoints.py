"""The guide's endpoint methods on the adapter, forwarded to its raw REST client.

``KrakenAdapter`` is composed of a ``KrakenRestClient`` (``adapter.rest``) rather than derived
from it; this base only forwards the raw endpoint methods the user's guide calls on the
adapter, typed as the client's own, so the adapter has one transport and one signer.
"""

from __future__ import annotations

from src.brokers.kraken.rest.client import KrakenRestClient
from src.brokers.kraken.rest.forward import forward

__all__ = ["RestEndpoints"]


class RestEndpoints:
    """Raw Kraken endpoints by name (results as Kraken sends them), from ``self.rest``."""

    rest: KrakenRestClient

    request = forward(KrakenRestClient.request)
    _request = forward(KrakenRestClient._request)
    _generate_signature = forward(KrakenRestClient._generate_signature)
    get_server_time = forward(KrakenRestClient.get_server_time)
    get_system_status = forward(KrakenRestClient.get_system_status)
    get_assets = forward(KrakenRestClient.get_assets)
    get_asset_pairs = forward(KrakenRestClient.get_asset_pairs)
    get_ticker = forward(KrakenRestClient.get_ticker)
    get_order_book = forward(KrakenRestClient.get_order_book)
    get_ohlc = forward(KrakenRestClient.get_ohlc)
    get_recent_trades = forward(KrakenRestClient.get_recent_trades)
    get_spread = forward(KrakenRestClient.get_spread)
    get_balance = forward(KrakenRestClient.get_balance)
    get_balance_ex = forward(KrakenRestClient.get_balance_ex)
    get_trade_balance = forward(KrakenRestClient.get_trade_balance)
    query_orders = forward(KrakenRestClient.query_orders)
    get_trades_history = forward(KrakenRestClient.get_trades_history)
    get_open_positions = forward(KrakenRestClient.get_open_positions)
    get_websockets_token = forward(KrakenRestClient.get_websockets_token)

    @property
    def base_url(self) -> str:
        """The REST root the calls go to."""
        return self.rest.base_url

    @property
    def ws_url(self) -> str:
        """The public WS v2 URL."""
        return self.rest.ws_url

    @property
    def ws_auth_url(self) -> str:
        """The private WS v2 URL."""
        return self.rest.ws_auth_url

    @property
    def has_credentials(self) -> bool:
        """True when an API key and secret were given."""
        return self.rest.has_credentials

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, credentials={self.has_credentials})"
        )

    __str__ = __repr__
