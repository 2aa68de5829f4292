"""Which operator services a session runs: config table, then environment, then command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from src.app.ops_options import add_ops_arguments
from src.app.ops_services import ops_plan
from src.cli.config import load_config, render_config
from src.core.errors import ConfigurationError

HOOK = "json://127.0.0.1:9/hook-with-token-5c1e"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("KTRADE_DASHBOARD_PORT", "KTRADE_METRICS_PORT", "KTRADE_ALERT_URLS"):
        monkeypatch.delenv(name, raising=False)


def test_by_default_the_dashboard_and_metrics_run_on_loopback_and_alerts_are_off() -> None:
    plan = ops_plan("paper", tables={})
    assert plan.dashboard is not None and plan.metrics is not None and plan.alerts is None
    assert (plan.dashboard.host, plan.dashboard.port) == ("127.0.0.1", 8765)
    assert (plan.metrics.host, plan.metrics.port, plan.metrics.mode) == ("127.0.0.1", 9464, "paper")
    assert len(plan.services()) == 2
    assert plan.lines() == [
        "dashboard  http://127.0.0.1:8765/ (log in with the token printed below)",
        "metrics    http://127.0.0.1:9464/metrics",
        "alerts     off (no destination: [alerts] urls or KTRADE_ALERT_URLS)",
    ]


def test_the_environment_overrides_the_table_and_the_command_line_overrides_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tables: dict[str, dict[str, object]] = {
        "dashboard": {"port": 9001, "enabled": False},
        "metrics": {"enabled": False},
    }
    plan = ops_plan("live", tables=tables)
    assert plan.dashboard is None and plan.metrics is None
    monkeypatch.setenv("KTRADE_DASHBOARD_PORT", "9002")
    plan = ops_plan("live", dashboard=True, metrics=True, tables=tables)
    assert plan.dashboard is not None and plan.dashboard.port == 9002
    assert plan.metrics is not None and plan.metrics.mode == "live"
    assert plan.metrics.enabled  # the exporter it is handed serves, as the flag asked
    assert ops_plan("live", dashboard=False, tables={}).dashboard is None


def test_alerts_go_out_once_a_destination_is_named_and_the_banner_hides_its_token() -> None:
    plan = ops_plan("paper", tables={"alerts": {"urls": [HOOK], "events": ["fill"]}})
    assert plan.alerts is not None and plan.alerts.events == ["fill"]
    assert len(plan.services()) == 3
    shown = "\n".join(plan.lines())
    assert "alerts     1 destination(s) (json)" in shown and "5c1e" not in shown


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"dashboard": {"prot": 1}}, "[dashboard] unknown key 'prot'; did you mean port?"),
        ({"metrics": {"port": 70000}}, "[metrics] port = 70000"),
        ({"alerts": {"max_per_minute": 0}}, "[alerts] max_per_minute = 0"),
        ({"dashboard": {"host": "0.0.0.0"}}, "binding 0.0.0.0 needs a password"),
    ],
)
def test_a_bad_table_is_refused_with_the_key_named(
    tables: dict[str, dict[str, object]], message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ops_plan("paper", tables=tables)
    assert message in str(caught.value)


def test_the_flags_default_to_the_config() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_ops_arguments(parser)
    assert vars(parser.parse_args([])) == {"dashboard": None, "metrics": None}
    args = parser.parse_args(["--no-dashboard", "--metrics"])
    assert (args.dashboard, args.metrics) == (False, True)


def test_the_config_file_keeps_its_operator_tables_when_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[trading]\npairs = ["BTC/USD"]\n\n[alerts]\nurls = ["{HOOK}"]\n'
                    "cooldown_seconds = 60\n\n[dashboard]\nport = 9100\n")  # fmt: skip
    config = load_config(path, required=True)
    assert config.ops_tables()["alerts"] == {"urls": [HOOK], "cooldown_seconds": 60}
    path.write_text(render_config(config))  # what `ktrade universe --write` does
    again = load_config(path, required=True)
    assert again.ops_tables() == config.ops_tables()
    assert "[metrics]" not in path.read_text()  # an empty table is not written


def test_without_tables_the_users_config_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[dashboard]\nport = 9200\n\n[alerts]\nurls = ["{HOOK}"]\n')
    monkeypatch.setenv("KTRADE_CONFIG", str(path))
    plan = ops_plan("paper")
    assert plan.dashboard is not None and plan.dashboard.port == 9200
    assert plan.alerts is not None and len(plan.alerts.urls) == 1
    path.write_text("dashboard = 3\n")
    with pytest.raises(ConfigurationError, match=r"\[dashboard\] must be a table"):
        ops_plan("paper")
