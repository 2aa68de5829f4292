"""Alert settings: the config file's [alerts] table, the environment over it, checked keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from src.core.errors import ConfigurationError
from src.ops.alerts import EVENTS, AlertsConfig
from src.ops.metrics import MetricsConfig

pytestmark = pytest.mark.unit
CONFIG = """
[trading]
pairs = ["BTC/USD"]

[alerts]
urls = ["tgram://123456:ABCDEF/987", "json://127.0.0.1:9/hook"]
events = ["kill_switch", "fill"]
cooldown_seconds = 60
max_per_minute = 3

[metrics]
port = 9999
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("URLS", "EVENTS", "COOLDOWN_SECONDS", "MAX_PER_MINUTE"):
        monkeypatch.delenv(f"KTRADE_ALERT_{name}", raising=False)
    monkeypatch.delenv("KTRADE_METRICS_PORT", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout


def test_the_tables_of_the_config_file_are_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    alerts = AlertsConfig.load(path)
    assert [u.get_secret_value() for u in alerts.urls][1] == "json://127.0.0.1:9/hook"
    assert alerts.events == ["kill_switch", "fill"]
    assert alerts.wants("fill") and not alerts.wants("rejected")
    assert (alerts.cooldown_seconds, alerts.max_per_minute) == (60, 3)
    assert "ABCDEF" not in repr(alerts) and "ABCDEF" not in str(alerts.model_dump())
    assert MetricsConfig.load(path).port == 9999


def test_the_environment_wins_and_splits_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    monkeypatch.setenv("KTRADE_ALERT_URLS", "discord://1/abc, mailto://127.0.0.1:25?to=a@b.c")
    monkeypatch.setenv("KTRADE_ALERT_MAX_PER_MINUTE", "10")
    monkeypatch.setenv("KTRADE_METRICS_PORT", "0")
    alerts = AlertsConfig.load(path)
    assert [u.get_secret_value() for u in alerts.urls] == [
        "discord://1/abc",
        "mailto://127.0.0.1:25?to=a@b.c",
    ]
    assert alerts.max_per_minute == 10
    assert alerts.cooldown_seconds == 60  # the file's, where the environment is silent
    assert MetricsConfig.load(path).port == 0


def test_no_file_means_the_defaults(tmp_path: Path) -> None:
    alerts = AlertsConfig.load(tmp_path / "missing.toml")
    assert alerts.urls == [] and tuple(alerts.events) == EVENTS
    assert MetricsConfig.load(tmp_path / "missing.toml").host == "127.0.0.1"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[alerts]\ncooldown = 5\n", "unknown key 'cooldown'; did you mean cooldown_seconds?"),
        ('[alerts]\nevents = ["fills"]\n', r"\[alerts\] events.0 = \[.fills.\]: Input should be"),
        (
            "[alerts]\nmax_per_minute = 0\n",
            r"\[alerts\] max_per_minute = 0: Input should be greater",
        ),
        ("alerts = 3\n", r"\[alerts\] must be a table"),
        ("[alerts\n", "not valid TOML"),
    ],
)
def test_a_bad_table_is_refused_with_the_key_named(
    tmp_path: Path, table: str, message: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(table)
    with pytest.raises(ConfigurationError, match=message):
        AlertsConfig.load(path)
