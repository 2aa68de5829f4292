"""Dashboard access: a token or password checked in constant time, sessions, CSRF, throttling."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr

#: Failed logins from one address within ``FAILURE_WINDOW`` seconds before it must wait.
MAX_FAILURES = 5
FAILURE_WINDOW = 60.0


def new_token() -> SecretStr:
    """Return a fresh random access token (256 bits, URL-safe)."""
    return SecretStr(secrets.token_urlsafe(32))


def clean_name(name: str | None, fallback: str = "operator") -> str:
    """Return an operator's name fit for the audit log: printable, at most 40 characters."""
    text = "".join(c for c in (name or "") if c.isprintable()).strip()[:40]
    return text or fallback


class TooManyAttemptsError(Exception):
    """An address failed to log in too often; it must wait before trying again."""


@dataclass(frozen=True)
class Session:
    """A logged-in browser: who (for the audit log), its CSRF token, when it expires."""

    name: str
    remote: str
    csrf: str
    expires: float

    @property
    def actor(self) -> str:
        """Return who acts, as recorded in the audit log."""
        return f"{self.name} (dashboard, {self.remote})"


class Auth:
    """Checks secrets and keeps the logged-in sessions of one dashboard.

    Args:
        token: the access token (the CLI's; also accepted at the login form).
        password: an optional password accepted at the login form and as a bearer secret.
        session_seconds: how long a login lasts.
        clock: monotonic seconds (tests pass a manual one).
    """

    def __init__(
        self,
        token: SecretStr,
        password: SecretStr | None = None,
        *,
        session_seconds: float = 12 * 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token, self.password = token, password
        self.session_seconds, self._clock = session_seconds, clock
        self._sessions: dict[str, Session] = {}
        self._failures: dict[str, deque[float]] = {}

    def check_secret(self, given: str | None) -> bool:
        """Return True if ``given`` is the token or the password (constant-time compares)."""
        if not given:
            return False
        offered = given.encode("utf-8")
        ok = hmac.compare_digest(offered, self.token.get_secret_value().encode("utf-8"))
        if self.password is not None:
            # Both compares always run, so the time taken does not tell which one matched.
            ok |= hmac.compare_digest(offered, self.password.get_secret_value().encode("utf-8"))
        return ok

    def check_bearer(self, header: str | None) -> bool:
        """Return True for an ``Authorization: Bearer <token or password>`` header."""
        scheme, _, value = (header or "").partition(" ")
        return scheme.lower() == "bearer" and self.check_secret(value.strip())

    def login(self, given: str | None, name: str | None, remote: str) -> tuple[str, Session] | None:
        """Open a session for a correct secret; return (session id, session), else None.

        Raises:
            TooManyAttemptsError: ``remote`` failed ``MAX_FAILURES`` times within a minute.
        """
        now = self._clock()
        failures = self._failures.setdefault(remote, deque())
        while failures and now - failures[0] > FAILURE_WINDOW:
            failures.popleft()
        if len(failures) >= MAX_FAILURES:
            raise TooManyAttemptsError(f"too many failed logins from {remote}; wait a minute")
        if not self.check_secret(given):
            failures.append(now)
            return None
        failures.clear()
        self._expire(now)
        sid = secrets.token_urlsafe(32)
        session = Session(
            clean_name(name), remote, secrets.token_urlsafe(24), now + self.session_seconds
        )
        self._sessions[sid] = session
        return sid, session

    def session(self, sid: str | None) -> Session | None:
        """Return the live session with this id, or None (unknown or expired)."""
        if not sid:
            return None
        session = self._sessions.get(sid)
        if session is not None and session.expires <= self._clock():
            del self._sessions[sid]
            return None
        return session

    def check_csrf(self, session: Session, given: str | None) -> bool:
        """Return True if ``given`` is the session's CSRF token (constant-time compare)."""
        return bool(given) and hmac.compare_digest(
            session.csrf.encode("utf-8"), (given or "").encode("utf-8")
        )

    def logout(self, sid: str | None) -> None:
        """End a session (no error if it is unknown)."""
        if sid:
            self._sessions.pop(sid, None)

    def _expire(self, now: float) -> None:
        for sid in [k for k, s in self._sessions.items() if s.expires <= now]:
            del self._sessions[sid]
