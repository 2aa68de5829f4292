"""The backtest's HTML report: one self-contained file with the figures, tables and plots.

Plots (matplotlib, Agg) are embedded as base64 PNGs, so the file can be mailed or archived
alone: equity (with buy-and-hold when compared), drawdown, each trade's return, and trade
return against holding time.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from src.cli.metrics import Report
from src.cli.replay import ReplayResult


def pct(value: float) -> str:
    """A fraction as a percentage (``nan`` as ``-``)."""
    return "-" if math.isnan(value) else f"{value * 100:,.2f} %"


def num(value: float, places: int = 2) -> str:
    """A number (``nan`` as ``-``, infinity as ``inf``)."""
    if math.isnan(value):
        return "-"
    return "inf" if math.isinf(value) else f"{value:,.{places}f}"


def span(value: timedelta | None) -> str:
    """A duration in days and hours."""
    if value is None:
        return "-"
    hours = value.total_seconds() / 3600
    return f"{hours / 24:,.1f} d" if hours >= 48 else f"{hours:,.1f} h"


def metric_rows(report: Report) -> list[tuple[str, str]]:
    """The report's headline figures as (name, value) rows, as printed and in the HTML."""
    return [
        ("total return", pct(report.total_return)),
        ("CAGR", pct(report.cagr)),
        ("Sharpe", num(report.sharpe)),
        ("Sortino", num(report.sortino)),
        ("max drawdown", pct(report.max_drawdown)),
        ("max drawdown duration", span(report.max_drawdown_duration)),
        ("win rate", pct(report.win_rate)),
        ("profit factor", num(report.profit_factor)),
        ("exposure", pct(report.exposure)),
        ("trades", f"{len(report.trades)} ({len(report.trades) - len(report.closed)} open)"),
        ("average trade duration", span(report.average_duration)),
        ("fees", num(report.fees)),
        ("final equity", num(report.final_equity)),
    ]


def _days(times: Sequence[datetime]) -> list[float]:
    """Matplotlib's date numbers (days since its default epoch, 1970-01-01 UTC)."""
    return [t.timestamp() / 86400 for t in times]


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plots(results: Sequence[ReplayResult], reports: Sequence[Report]) -> dict[str, str]:
    """Title -> base64 PNG for every plot of the report."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    out: dict[str, str] = {}
    fig, ax = plt.subplots(figsize=(10, 3.5))
    for result in results:
        ax.plot(_days(result.times), result.equity, label=result.label, linewidth=1)
    ax.xaxis_date()
    ax.set_ylabel("equity")
    ax.legend()
    out["Equity"] = _png(fig)
    fig, ax = plt.subplots(figsize=(10, 2.5))
    for result, report in zip(results, reports, strict=True):
        x = _days(result.times)
        ax.fill_between(x, [d * 100 for d in report.drawdown], 0, alpha=0.4, label=result.label)
    ax.xaxis_date()
    ax.set_ylabel("drawdown %")
    ax.legend()
    out["Drawdown"] = _png(fig)
    trades = reports[0].trades
    fig, (bars, scatter) = plt.subplots(1, 2, figsize=(10, 3))
    returns = [t.ret * 100 for t in trades]
    bars.bar(
        range(len(trades)), returns, color=["tab:green" if r > 0 else "tab:red" for r in returns]
    )
    bars.set_xlabel("trade")
    bars.set_ylabel("return %")
    closed = [t for t in trades if t.duration is not None]  # an open trade has no holding time
    hours = [(t.duration or timedelta()).total_seconds() / 3600 for t in closed]
    scatter.scatter(hours, [t.ret * 100 for t in closed], s=10)
    scatter.set_xlabel("hours held")
    scatter.set_ylabel("return %")
    out["Trades"] = _png(fig)
    plt.close("all")
    return out


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em}
td{text-align:right}td:first-child{text-align:left}th{background:#f3f3f3}
.warn{color:#a00;font-weight:bold}img{max-width:100%}"""


def render_html(
    title: str,
    facts: Sequence[tuple[str, str]],
    results: Sequence[ReplayResult],
    reports: Sequence[Report],
    notes: Sequence[str] = (),
) -> str:
    """The whole report; ``results[0]``/``reports[0]`` is the strategy, any others compare."""
    labels = [r.label for r in reports]
    columns = [metric_rows(r) for r in reports]
    metrics = [[name, *(col[i][1] for col in columns)] for i, (name, _) in enumerate(columns[0])]
    pairs = [
        [
            pair,
            str(int(row["trades"])),
            pct(row["win_rate"]),
            num(row["pnl"]),
            num(row["fees"]),
            pct(row["exposure"]),
        ]
        for pair, row in reports[0].per_pair.items()
    ]
    trades = [
        [
            t.pair,
            f"{t.entry:%Y-%m-%d %H:%M}",
            f"{t.exit:%Y-%m-%d %H:%M}" if t.exit else "open",
            span(t.duration),
            num(t.pnl),
            pct(t.ret),
            num(t.fees),
        ]
        for t in reports[0].trades
    ]
    images = "".join(
        f'<h2>{html.escape(name)}</h2><img alt="{html.escape(name)}" '
        f'src="data:image/png;base64,{data}">'
        for name, data in plots(results, reports).items()
    )
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        _table(["", ""], [list(f) for f in facts], "facts"),
        *(f'<p class="warn">{html.escape(n)}</p>' for n in notes),
        "<h2>Results</h2>",
        _table(["metric", *labels], metrics, "metrics"),
        "<h2>Per pair</h2>",
        _table(["pair", "trades", "win rate", "PnL", "fees", "exposure"], pairs, "pairs"),
        images,
        f"<h2>Trades ({len(trades)})</h2>",
        _table(["pair", "entry", "exit", "held", "PnL", "return", "fees"], trades, "trades"),
        "</body></html>",
    ]
    return "\n".join(parts)
