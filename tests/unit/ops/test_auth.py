"""Dashboard access: secrets, sessions, CSRF, throttling, and the loopback-only default."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from src.core.errors import ConfigurationError
from src.ops.dashboard.auth import MAX_FAILURES, Auth, TooManyAttemptsError, clean_name, new_token
from src.ops.dashboard.settings import DashboardSettings, is_loopback

TOKEN = "t0ken-" + "x" * 30
PASSWORD = "correct horse battery"


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def auth(ticks: Ticks) -> Auth:
    return Auth(SecretStr(TOKEN), SecretStr(PASSWORD), session_seconds=60, clock=ticks)


def test_token_and_password_are_accepted_and_nothing_else(auth: Auth) -> None:
    assert auth.check_secret(TOKEN)
    assert auth.check_secret(PASSWORD)
    for wrong in ("", None, TOKEN[:-1], TOKEN + "x", PASSWORD.upper(), "ümlaut"):
        assert not auth.check_secret(wrong)


def test_without_a_password_only_the_token_opens(ticks: Ticks) -> None:
    auth = Auth(SecretStr(TOKEN), None, clock=ticks)
    assert auth.check_secret(TOKEN)
    assert not auth.check_secret(PASSWORD)


def test_bearer_header(auth: Auth) -> None:
    assert auth.check_bearer(f"Bearer {TOKEN}")
    assert auth.check_bearer(f"bearer {TOKEN}")
    assert not auth.check_bearer(TOKEN)
    assert not auth.check_bearer(f"Basic {TOKEN}")
    assert not auth.check_bearer(None)


def test_a_session_lasts_its_time_and_ends_at_logout(auth: Auth, ticks: Ticks) -> None:
    opened = auth.login(TOKEN, "alice", "127.0.0.1")
    assert opened is not None
    sid, session = opened
    assert session.actor == "alice (dashboard, 127.0.0.1)"
    assert auth.session(sid) == session
    assert auth.session("forged") is None
    ticks.now += 59
    assert auth.session(sid) is not None
    ticks.now += 2
    assert auth.session(sid) is None  # expired
    sid, _ = auth.login(PASSWORD, None, "127.0.0.1") or ("", None)
    assert auth.session(sid) is not None and auth.session(sid).name == "operator"  # type: ignore[union-attr]
    auth.logout(sid)
    assert auth.session(sid) is None


def test_wrong_secrets_are_throttled_per_address(auth: Auth, ticks: Ticks) -> None:
    for _ in range(MAX_FAILURES):
        assert auth.login("guess", "mallory", "10.0.0.9") is None
    with pytest.raises(TooManyAttemptsError):
        auth.login(TOKEN, "mallory", "10.0.0.9")  # even the right one, until the window ends
    assert auth.login(TOKEN, "alice", "127.0.0.1") is not None  # other addresses are not locked
    ticks.now += 61
    assert auth.login(TOKEN, "mallory", "10.0.0.9") is not None


def test_csrf_token_is_per_session(auth: Auth) -> None:
    _, one = auth.login(TOKEN, "a", "127.0.0.1") or ("", None)
    _, two = auth.login(TOKEN, "b", "127.0.0.1") or ("", None)
    assert one is not None and two is not None
    assert auth.check_csrf(one, one.csrf)
    assert not auth.check_csrf(one, two.csrf)
    assert not auth.check_csrf(one, None)
    assert not auth.check_csrf(one, "")


def test_names_are_cleaned_for_the_audit_log() -> None:
    assert clean_name("  alice\n\x1b[31m ") == "alice[31m"
    assert clean_name("") == "operator"
    assert len(clean_name("x" * 500)) == 40


def test_generated_tokens_are_long_and_distinct() -> None:
    tokens = {new_token().get_secret_value() for _ in range(20)}
    assert len(tokens) == 20
    assert min(len(t) for t in tokens) >= 40


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.com"])
def test_a_public_address_needs_a_password(host: str) -> None:
    with pytest.raises(ConfigurationError, match="needs a password"):
        DashboardSettings(host=host, _env_file=None)
    settings = DashboardSettings(host=host, password=SecretStr(PASSWORD), _env_file=None)
    assert settings.host == host


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_needs_no_password(host: str) -> None:
    assert is_loopback(host)
    assert DashboardSettings(host=host, _env_file=None).password is None


def test_default_binds_loopback_and_secrets_print_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KTRADE_DASHBOARD_PASSWORD", PASSWORD)
    monkeypatch.setenv("KTRADE_DASHBOARD_TOKEN", TOKEN)
    settings = DashboardSettings(_env_file=None)
    assert settings.host == "127.0.0.1"
    assert settings.token is not None and settings.token.get_secret_value() == TOKEN
    assert PASSWORD not in repr(settings) and TOKEN not in repr(settings)
    assert PASSWORD not in str(settings.model_dump())


def test_a_short_password_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="at least 8"):
        DashboardSettings(password=SecretStr("short"), _env_file=None)
