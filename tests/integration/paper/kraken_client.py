"""Minimal signed Kraken REST client for the paper-exchange tests (test-side signing code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

_counter = itertools.count()


def kraken_sign(path: str, nonce: str, body: str, secret: str) -> str:
    """API-Sign per Kraken's documented algorithm."""
    sha = hashlib.sha256((nonce + body).encode()).digest()
    mac = hmac.new(base64.b64decode(secret), path.encode() + sha, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def next_nonce() -> int:
    return time.time_ns() + next(_counter)


class Client:
    """Signs and posts private calls; returns the decoded envelope."""

    def __init__(self, base_url: str, key: str, secret: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10.0)
        self.key, self.secret = key, secret

    async def public(self, method: str, **params: Any) -> dict[str, Any]:
        resp = await self.http.get(f"/0/public/{method}", params=params)
        assert resp.status_code == 200, resp.text
        out: dict[str, Any] = resp.json()
        return out

    async def raw(
        self, method: str, body: str, nonce: str, json_body: bool = False,
        sign_body: str | None = None, key: str | None = None,
    ) -> httpx.Response:  # fmt: skip
        path = f"/0/private/{method}"
        headers = {
            "API-Key": key if key is not None else self.key,
            "API-Sign": kraken_sign(path, nonce, sign_body if sign_body is not None else body,
                                    self.secret),
            "Content-Type": "application/json" if json_body else
            "application/x-www-form-urlencoded; charset=utf-8",
        }  # fmt: skip
        return await self.http.post(path, content=body.encode(), headers=headers)

    async def private(
        self, method: str, *, json_body: bool = False, **params: Any
    ) -> dict[str, Any]:
        nonce = str(next_nonce())
        if json_body:
            body = json.dumps({"nonce": nonce, **params})
        else:
            body = urlencode({"nonce": nonce, **params})
        resp = await self.raw(method, body, nonce, json_body)
        assert resp.status_code == 200, resp.text
        out: dict[str, Any] = resp.json()
        return out

    async def ok(self, method: str, *, json_body: bool = False, **params: Any) -> Any:
        out = await self.private(method, json_body=json_body, **params)
        assert out["error"] == [], out
        return out["result"]

    async def aclose(self) -> None:
        await self.http.aclose()
