"""The deployment files agree with each other and with the code (parsed: no Docker needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs (mlflow brings it)

from src.ops.metrics import MetricsConfig
from tests.support.paths import ROOT
from tests.unit.deploy.dockerfile import stages

pytestmark = pytest.mark.unit
DEPLOY = ROOT / "deploy"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = load(ROOT / "compose.yaml")
    return data


def test_the_image_is_slim_python_311_locked_and_not_root() -> None:
    build, final = stages(ROOT / "Dockerfile")
    assert build.base == final.base == "python:3.11-slim-bookworm"
    assert "uv sync --locked --no-dev" in build.all("RUN")
    assert final.all("USER") == ["ktrade"]
    assert any("useradd" in r and "--uid 10001" in r for r in final.all("RUN"))
    assert final.all("COPY") == ["--from=build /app /app"]  # uv stays in the build stage
    env = final.env()
    assert env["KTRADE_METRICS_PORT"] == str(MetricsConfig.model_fields["port"].default)
    assert env["KTRADE_DATA_DIR"] == "/data"


def test_the_build_context_keeps_secrets_and_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for pattern in (".env", ".git", ".venv", "*.sqlite", "data/runtime", "mlruns"):
        assert pattern in ignored
    build = stages(ROOT / "Dockerfile")[0]
    copied = [s for sources, _ in build.copies() for s in sources]
    assert not any(s in ignored for s in copied)  # what the Dockerfile copies is in the context
    assert all((ROOT / s).exists() for s in copied)


def test_compose_runs_the_bot_exchange_prometheus_and_grafana(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"bot", "paper-exchange", "prometheus", "grafana"}
    bot, exchange = services["bot"], services["paper-exchange"]
    command = bot["command"]
    assert command[0] == "paper"
    # The bot trades on the compose paper exchange, with the demo account it was started with.
    assert command[command.index("--exchange-url") + 1] == "http://paper-exchange:8080"
    assert exchange["command"][exchange["command"].index("--port") + 1] == "8080"
    started = exchange["command"]
    for flag, name in (("--api-key", "KTRADE_PAPER_API_KEY"),
                       ("--api-secret", "KTRADE_PAPER_API_SECRET")):  # fmt: skip
        assert started[started.index(flag) + 1] == bot["environment"][name]
    assert "?" in bot["environment"]["KTRADE_DASHBOARD_PASSWORD"]  # required beyond loopback
    assert services["paper-exchange"]["entrypoint"] == ["python", "-m", "src.brokers.paper"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    assert "9464" not in str(services["bot"].get("ports", []))  # metrics: compose network only
    assert "?" in services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]  # required


def test_every_mounted_file_is_in_the_repository(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in compose["volumes"], f"{name}: undeclared volume {source}"


def test_prometheus_scrapes_the_bots_metrics_port(compose: dict[str, Any]) -> None:
    config = load(DEPLOY / "prometheus" / "prometheus.yml")
    [job] = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    [target] = job["static_configs"][0]["targets"]
    bot = compose["services"]["bot"]
    assert target == f"bot:{bot['environment']['KTRADE_METRICS_PORT']}"
    assert bot["environment"]["KTRADE_METRICS_HOST"] == "0.0.0.0"


def test_grafana_is_provisioned_with_the_dashboard(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounts = dict(v.split(":")[:2] for v in grafana["volumes"] if v.startswith("./"))
    provisioning = ROOT / next(s for s, t in mounts.items() if t == "/etc/grafana/provisioning")
    [datasource] = load(provisioning / "datasources" / "prometheus.yml")["datasources"]
    [provider] = load(provisioning / "dashboards" / "ktrade.yml")["providers"]
    dashboards = ROOT / next(s for s, t in mounts.items() if t == provider["options"]["path"])
    board = json.loads((dashboards / "ktrade.json").read_text())
    uids = {t["datasource"]["uid"] for p in board["panels"] for t in p.get("targets", [])}
    assert uids == {datasource["uid"]}
    assert datasource["url"] == "http://prometheus:9090"
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/ktrade.json"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:  # on the 24-column grid, none overlapping another
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
    cells = [(p["gridPos"]["x"], p["gridPos"]["y"]) for p in board["panels"]]
    assert len(cells) == len(set(cells))
