"""A client of a running bot's control API (what ``ktrade pause|resume|...`` talk through)."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from src.ops.dashboard.control_file import ControlFile


class BotUnreachableError(Exception):
    """No dashboard answered at the URL (the bot is not running, or runs without one)."""


class BotRefusedError(Exception):
    """The dashboard refused the request (wrong token, unknown action, bad request)."""


class BotClient:
    """Calls one bot's dashboard API with its token.

    Args:
        url: the dashboard's root (``http://127.0.0.1:8765``).
        token: its access token.
        operator: who is acting, recorded in the bot's audit log.
        timeout: seconds to wait for an answer (a flatten waits for the venue).
    """

    def __init__(self, url: str, token: SecretStr, operator: str, timeout: float = 60.0) -> None:
        self.url, self.token, self.operator, self.timeout = (
            url.rstrip("/"),
            token,
            operator,
            timeout,
        )

    @classmethod
    def from_control_file(cls, record: ControlFile, operator: str) -> BotClient:
        """Return a client for the bot that wrote ``record``."""
        return cls(record.url, record.token, operator)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {
            "Authorization": f"Bearer {self.token.get_secret_value()}",
            "X-Operator": self.operator,
        }
        try:
            with httpx.Client(timeout=self.timeout) as client:
                reply = client.request(method, self.url + path, json=body, headers=headers)
        except httpx.TransportError as exc:
            raise BotUnreachableError(f"no dashboard at {self.url} ({exc})") from None
        if reply.status_code in (200, 409):  # 409: the action ran into a refusal, with a result
            return reply.json()
        raise BotRefusedError(f"{self.url}{path}: HTTP {reply.status_code}: {reply.text.strip()}")

    def control(self, action: str, **fields: Any) -> dict[str, Any]:
        """Run one control (confirmed); return its result (``ok``, ``message``, ``detail``)."""
        result: dict[str, Any] = self._call("POST", f"/api/control/{action}",
                                            {"confirm": True, **fields})  # fmt: skip
        return result

    def state(self) -> dict[str, Any]:
        """Return the bot's whole state (what the dashboard shows)."""
        state: dict[str, Any] = self._call("GET", "/api/state")
        return state
