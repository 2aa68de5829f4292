"""Alpaca endpoints and settings: paper by default, live only when asked for explicitly.

Environment overrides (read by ``AlpacaEndpoints``, pydantic-settings):
    ALPACA_BASE_URL    Trading API root, e.g. ``http://127.0.0.1:8765`` for the simulator.
    ALPACA_STREAM_URL  ``trade_updates`` WebSocket; derived from the base URL when unset.
    ALPACA_DATA_URL    Market data API root (kept for callers; the adapter does not use it).
An explicit constructor argument beats the environment, which beats the defaults.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from src.core.errors import MissingCredentialError

# https://docs.alpaca.markets/docs/paper-trading and /docs/websocket-streaming
PAPER_BASE_URL = "https://paper-api.alpaca.markets"
LIVE_BASE_URL = "https://api.alpaca.markets"
DATA_URL = "https://data.alpaca.markets"

# https://docs.alpaca.markets/docs/trading-api ("200 requests per every minute per API key")
REQUESTS_PER_MINUTE = 200


class AlpacaTimeInForce(StrEnum):
    """Alpaca's own time-in-force values (https://docs.alpaca.markets/docs/orders-at-alpaca)."""

    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    OPG = "opg"
    CLS = "cls"


class AlpacaEndpoints(BaseSettings):
    """URL overrides read from the environment (``ALPACA_*``); all optional."""

    model_config = SettingsConfigDict(env_prefix="ALPACA_", frozen=True, extra="ignore")

    base_url: str | None = None
    stream_url: str | None = None
    data_url: str | None = None


def stream_url_for(base_url: str) -> str:
    """The ``trade_updates`` URL that belongs to a Trading API root (``http`` -> ``ws``)."""
    root = base_url.rstrip("/")
    if root.startswith("https://"):
        return "wss://" + root.removeprefix("https://") + "/stream"
    if root.startswith("http://"):
        return "ws://" + root.removeprefix("http://") + "/stream"
    return root + "/stream"


class AlpacaConfig(BaseModel):
    """Resolved adapter settings. Secrets print as ``**********``."""

    model_config = ConfigDict(frozen=True)

    api_key: SecretStr
    api_secret: SecretStr
    paper: bool = True
    base_url: str = PAPER_BASE_URL
    stream_url: str = stream_url_for(PAPER_BASE_URL)
    data_url: str = DATA_URL
    timeout: float = 10.0

    @classmethod
    def resolve(
        cls,
        api_key: str | SecretStr | None,
        api_secret: str | SecretStr | None,
        *,
        paper: bool = True,
        base_url: str | None = None,
        stream_url: str | None = None,
        data_url: str | None = None,
        timeout: float = 10.0,
    ) -> AlpacaConfig:
        """Combine arguments, environment and defaults; refuse missing credentials clearly."""
        if not api_key:
            raise MissingCredentialError("Alpaca API key missing: set ALPACA_API_KEY")
        if not api_secret:
            raise MissingCredentialError("Alpaca API secret missing: set ALPACA_API_SECRET")
        env = AlpacaEndpoints()
        default_base = PAPER_BASE_URL if paper else LIVE_BASE_URL
        base = (base_url or env.base_url or default_base).rstrip("/")
        stream = stream_url or env.stream_url or stream_url_for(base)
        return cls(
            api_key=SecretStr(api_key) if isinstance(api_key, str) else api_key,
            api_secret=SecretStr(api_secret) if isinstance(api_secret, str) else api_secret,
            paper=paper,
            base_url=base,
            stream_url=stream,
            data_url=(data_url or env.data_url or DATA_URL).rstrip("/"),
            timeout=timeout,
        )
