"""Helpers for the Kraken REST adapter tests: fixture payloads, form bodies, envelopes."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "kraken"
BASE_URL = "https://kraken.test"
# Kraken's documented example secret (docs "Spot REST Authentication"); not a real account key.
DOC_SECRET = (
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
)
API_KEY = "unit-test-public-key-7f3a9c"


def load(name: str) -> Any:
    """A fixture payload from tests/fixtures/kraken (sub-paths allowed)."""
    return json.loads((FIXTURES / name).read_text())


def form(request: httpx.Request) -> dict[str, str]:
    """The form fields of a private request body."""
    return {k: v[0] for k, v in urllib.parse.parse_qs(request.content.decode()).items()}


def ok(result: Any) -> httpx.Response:
    """A successful Kraken envelope."""
    return httpx.Response(200, json={"error": [], "result": result})


def fail(*errors: str) -> httpx.Response:
    """A Kraken error envelope (HTTP 200, as Kraken sends them)."""
    return httpx.Response(200, json={"error": list(errors)})
