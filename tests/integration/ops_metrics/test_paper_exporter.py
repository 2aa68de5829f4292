"""A paper session scraped over HTTP: every metric is served, and the Grafana dashboard's
expressions use only names the exporter really serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from src.app.session import SessionSettings, build_runtime, paper_venue
from src.app.venue import DeadMansSwitch
from src.brokers.kraken.ws.public import KrakenMarketData
from src.core.risk import RiskLimits
from src.core.strategy import MovingAverageCross
from src.ops.metrics import MetricsConfig, metrics_service
from src.ops.metrics.families import RuntimeMetrics
from tests.support.paths import ROOT
from tests.unit.ops_metrics.sim_session import Samples, samples, value

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "ktrade.json"


def dashboard_metric_names() -> set[str]:
    board = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert len(exprs) > 20
    return {name for e in exprs for name in re.findall(r"\bktrade_[a-z_]+\b", e)}


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Samples, str, dict[str, float]]:
    import asyncio

    return asyncio.run(_session(tmp_path_factory.mktemp("paper")))


async def _session(tmp: Path) -> tuple[Samples, str, dict[str, float]]:
    # ETH/USD is traded but not allowed: its orders are refused, so refusals are served too
    limits = RiskLimits(kill_file=None, allowed_pairs=frozenset({"BTC/USD"}))
    settings = SessionSettings(db_path=tmp / "paper.sqlite", limits=limits, poll_seconds=0.1,
                               heartbeat_seconds=1.0)  # fmt: skip
    async with paper_venue(speed=3600) as venue:
        strategy = MovingAverageCross(["BTC/USD", "ETH/USD"], fast=2, slow=4, interval_minutes=60)
        # 86000 exchange seconds (about 24 real ones at 3600x): re-armed every second, never fires
        dead_man = DeadMansSwitch(
            venue.adapter, timeout=86_000, monotonic=venue.exchange_clock.monotonic
        )
        runtime = build_runtime(venue, strategy, settings, heartbeats=[dead_man],
                                status_sink=lambda line: None)  # fmt: skip
        market = KrakenMarketData(venue.adapter.ws_url, venue.adapter.base_url)
        async with market:
            await market.subscribe_book("BTC/USD")
            service = metrics_service(
                MetricsConfig(port=0, sample_seconds=0.2), market_data=[market]
            )
            async with service(runtime) as exporter:
                url = exporter.url
                assert url is not None and url.startswith("http://127.0.0.1:")
                await dead_man()
                await runtime.run(duration=5)
                assert await market.connection.reconnect(timeout=10)
                async with httpx.AsyncClient() as client:
                    reply = await client.get(url)
            assert exporter.url is None  # stopped serving with the session
        book = {
            "fills": float(runtime.portfolio.trades),
            "equity": float(runtime.portfolio.equity),
            "fees": float(runtime.portfolio.fees),
        }
    assert reply.status_code == 200
    assert reply.headers["content-type"] == CONTENT_TYPE_LATEST  # the text format
    return samples(reply.text), url, book


def test_the_session_is_served_with_its_book(
    scraped: tuple[Samples, str, dict[str, float]],
) -> None:
    found, _, book = scraped
    assert book["fills"] >= 2
    fills = sum(v for (n, _), v in found.items() if n == "ktrade_fills_total")
    assert fills == book["fills"]
    fees = sum(v for (n, _), v in found.items() if n == "ktrade_fees_paid")
    assert fees == pytest.approx(book["fees"])
    assert value(found, "ktrade_equity") == pytest.approx(book["equity"])
    assert value(found, "ktrade_orders_total", outcome="submitted") == pytest.approx(book["fills"])
    assert value(found, "ktrade_info", engine="KrakenAdapter", mode="") == 1
    assert (value(found, "ktrade_risk_refusals_total", code="pair_not_allowed") or 0) >= 1


def test_kraken_timings_levels_and_sockets_are_served(
    scraped: tuple[Samples, str, dict[str, float]],
) -> None:
    found, _, _ = scraped
    names = {n for n, _ in found}
    rest = {
        dict(labels)["method"] for n, labels in found if n == "ktrade_rest_request_seconds_count"
    }
    assert {"Ticker", "OHLC", "AssetPairs", "GetWebSocketsToken"} <= rest
    ws = {dict(labels)["method"] for n, labels in found if n == "ktrade_ws_request_seconds_count"}
    # orders and the dead man's switch ride the private socket ("auto" order transport)
    assert {"subscribe", "add_order", "cancel_all_orders_after"} <= ws
    assert value(found, "ktrade_rate_limit_max", counter="rest") == 15  # the starter tier
    assert value(found, "ktrade_ws_reconnects_total", connection="kraken-public") == 1
    assert value(found, "ktrade_book_checksum_failures_total", symbol="BTC/USD") == 0
    assert value(found, "ktrade_dead_man_failures") == 0
    assert "ktrade_dead_man_armed_age_seconds" in names


def test_the_server_stopped_with_the_session(
    scraped: tuple[Samples, str, dict[str, float]],
) -> None:
    _, url, _ = scraped
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_every_dashboard_metric_is_served(scraped: tuple[Samples, str, dict[str, float]]) -> None:
    found, _, _ = scraped
    served = {name for name, _ in found}
    missing = sorted(dashboard_metric_names() - served)
    assert missing == [], f"the dashboard queries metrics the exporter does not serve: {missing}"


def test_the_dashboard_shows_every_metric_family() -> None:
    used = dashboard_metric_names()
    families = {m.name for m in RuntimeMetrics().registry.collect()}
    unused = sorted(f for f in families if not any(u.startswith(f) for u in used))
    assert unused == [], f"metrics no dashboard panel shows: {unused}"
