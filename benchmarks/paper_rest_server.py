"""The paper exchange (strict nonces) in its own process, counting what it refused.

``python -m benchmarks.paper_rest_server`` prints one JSON line (``rest_url``, ``ws_url``,
``ws_auth_url``) and serves on 127.0.0.1 (for bench_rest and the WS order benchmark). It
answers each line of its standard input with one JSON line: ``key`` gives a fresh API key and
secret (each client run its own, since a key that saw nanosecond nonces refuses a millisecond
client's), ``counts`` the calls accepted and refused as an invalid nonce since the previous
``counts``, as the exchange's own check decided them (Kraken's rule: a nonce must be above the
last one the key used). It stops when its standard input closes. Rate limits are off:
transport speed only.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from src.venues.kraken_paper import PaperExchange
from src.venues.kraken_paper.errors import INVALID_NONCE, KrakenError


async def serve() -> None:
    """Run until standard input closes."""
    counts = {"ok": 0, "invalid_nonce": 0}
    async with PaperExchange(market="synthetic", auto_tick=False, rate_limits=False) as ex:
        check = ex.keys.authenticate

        def counted(*args: Any, **kwargs: Any) -> Any:
            try:
                key = check(*args, **kwargs)
            except KrakenError as exc:
                if exc.message == INVALID_NONCE:
                    counts["invalid_nonce"] += 1
                raise
            counts["ok"] += 1
            return key

        ex.keys.authenticate = counted  # type: ignore[method-assign]
        urls = {"rest_url": ex.rest_url, "ws_url": ex.ws_url, "ws_auth_url": ex.ws_auth_url}
        print(json.dumps(urls), flush=True)
        loop = asyncio.get_running_loop()
        while command := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
            if command == "key":
                key, secret = ex.create_api_key()
                print(json.dumps({"key": key, "secret": secret}), flush=True)
            else:
                print(json.dumps(counts), flush=True)
                counts.update(ok=0, invalid_nonce=0)


if __name__ == "__main__":
    asyncio.run(serve())
