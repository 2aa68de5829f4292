"""Every metric the exporter serves, on its own registry (never prometheus_client's global one).

Money is in each pair's quote currency, quantities in base units; Decimals become floats only
here, for display. Labels are bounded: symbols are the strategy's pairs, methods are Kraken's
endpoint names, connections are the adapter's few sockets.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: Seconds: a Kraken REST call takes ~50-300 ms from Europe, a loopback one a millisecond.
REST_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Seconds: a WS request's reply (add_order, subscribe, ping) is usually faster than REST.
WS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: The order outcomes counted: a submission, then the final status it reached.
OUTCOMES = ("submitted", "filled", "canceled", "rejected", "expired")


class RuntimeMetrics:
    """The metric families, created on ``registry`` (a fresh one by default).

    Args:
        registry: where the metrics live; the exporter serves exactly this registry.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.info = Gauge("ktrade_info", "Always 1; labels say what runs", ["engine", "mode"],
                          registry=r)  # fmt: skip
        self.orders = Counter(
            "ktrade_orders", "Orders by outcome: submitted, then the final status reached",
            ["outcome"], registry=r,
        )  # fmt: skip
        self.open_orders = Gauge("ktrade_open_orders", "Orders that may still trade", registry=r)
        self.unresolved_orders = Gauge(
            "ktrade_unresolved_orders", "Orders whose outcome is unknown (lost reply)", registry=r
        )
        self.fills = Counter("ktrade_fills", "Fills applied to the book", ["symbol"], registry=r)
        self.fees = Gauge(
            "ktrade_fees_paid", "Fees paid over the book's life (quote currency)", ["symbol"],
            registry=r,
        )  # fmt: skip
        self.equity = Gauge("ktrade_equity", "Starting equity plus net PnL (quote)", registry=r)
        self.pnl = Gauge(
            "ktrade_pnl", "PnL by kind: realized, unrealized, net (after fees)", ["kind"],
            registry=r,
        )  # fmt: skip
        self.daily_pnl = Gauge(
            "ktrade_daily_pnl", "Equity change since the trading day began (00:00 UTC)", registry=r
        )
        self.drawdown = Gauge("ktrade_drawdown_pct", "Percent below the equity peak", registry=r)
        self.position = Gauge(
            "ktrade_position", "Signed position (base units)", ["symbol"], registry=r
        )
        self.position_value = Gauge(
            "ktrade_position_value", "Position value at the mark (quote)", ["symbol"], registry=r
        )
        self.gross_exposure = Gauge(
            "ktrade_gross_exposure", "Sum of absolute position values (quote)", registry=r
        )
        self.kill_switch = Gauge(
            "ktrade_kill_switch", "1 once the kill switch has tripped", registry=r
        )
        self.refusals = Counter(
            "ktrade_risk_refusals", "Orders the risk limits refused", ["code"], registry=r
        )
        self.candles = Counter("ktrade_candles", "Closed candles handled", registry=r)
        self.reconcile = Gauge(
            "ktrade_reconcile_differences",
            "What the last reconcile found: balance, unknown_orders, orphans, foreign_fills",
            ["kind"], registry=r,
        )  # fmt: skip
        self.data_age = Gauge(
            "ktrade_data_age_seconds", "Seconds since the newest market data", ["symbol"],
            registry=r,
        )  # fmt: skip
        self.stream_up = Gauge(
            "ktrade_stream_up", "1 while the engine's event stream is consumed", ["stream"],
            registry=r,
        )  # fmt: skip
        self.stream_failures = Counter(
            "ktrade_stream_failures", "Event stream failures (each restarts it)", ["stream"],
            registry=r,
        )  # fmt: skip
        self.dead_man_failures = Gauge(
            "ktrade_dead_man_failures", "Consecutive failed re-arms of the dead man's switch",
            registry=r,
        )  # fmt: skip
        self.dead_man_age = Gauge(
            "ktrade_dead_man_armed_age_seconds",
            "Seconds since the dead man's switch was last armed (exchange clock)", registry=r,
        )  # fmt: skip
        self.rate_level = Gauge(
            "ktrade_rate_limit_level", "Kraken counter level: rest, or a pair's trading counter",
            ["counter"], registry=r,
        )  # fmt: skip
        self.rate_max = Gauge(
            "ktrade_rate_limit_max", "The level at which Kraken refuses calls", ["counter"],
            registry=r,
        )  # fmt: skip
        self.rest_seconds = Histogram(
            "ktrade_rest_request_seconds", "Kraken REST call time (send to reply; no gate wait)",
            ["method", "outcome"], buckets=REST_BUCKETS, registry=r,
        )  # fmt: skip
        self.ws_seconds = Histogram(
            "ktrade_ws_request_seconds", "Kraken WS request round trip", ["connection", "method"],
            buckets=WS_BUCKETS, registry=r,
        )  # fmt: skip
        self.ws_reconnects = Counter(
            "ktrade_ws_reconnects", "WebSocket reconnects after the first connect", ["connection"],
            registry=r,
        )  # fmt: skip
        self.ws_connected = Gauge(
            "ktrade_ws_connected", "Connected WebSockets by name", ["connection"], registry=r
        )
        self.checksum_failures = Counter(
            "ktrade_book_checksum_failures", "Book messages whose checksum did not match",
            ["symbol"], registry=r,
        )  # fmt: skip
        self.sampled_at = Gauge(
            "ktrade_last_sample_timestamp_seconds", "Unix time of the last sample", registry=r
        )
        for outcome in OUTCOMES:  # present from the first scrape, so rate() has a start
            self.orders.labels(outcome)
