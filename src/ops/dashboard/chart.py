"""An inline SVG line chart of equity over time, with the PnL scale on the right."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH, HEIGHT, PAD_X, PAD_Y = 640, 190, 64, 24


def _scale(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if high - low < 1e-9:  # a flat line: give it a band so it sits in the middle
        low, high = low - 1, high + 1
    return low, high


def equity_chart(history: Sequence[Mapping[str, Any]]) -> str:
    """Return an ``<svg>`` of the samples' equity (floats are fine here: it is only drawn)."""
    if len(history) < 2:
        return '<p class="muted" id="chart-empty">collecting samples for the chart...</p>'
    equity = [float(h["equity"]) for h in history]
    pnl = [float(h["pnl"]) for h in history]
    low, high = _scale(equity)
    inner_w, inner_h = WIDTH - 2 * PAD_X, HEIGHT - 2 * PAD_Y
    step = inner_w / (len(equity) - 1)

    def y(value: float) -> float:
        return PAD_Y + inner_h - (value - low) / (high - low) * inner_h

    points = " ".join(f"{PAD_X + i * step:.1f},{y(v):.1f}" for i, v in enumerate(equity))
    offset = equity[-1] - pnl[-1]  # equity minus PnL: the right axis is the same line in PnL
    labels = []
    for value in (low, (low + high) / 2, high):
        at = y(value)
        labels.append(
            f'<text x="{PAD_X - 6}" y="{at + 4:.1f}" text-anchor="end">{value:,.2f}</text>'
            f'<text x="{WIDTH - PAD_X + 6}" y="{at + 4:.1f}">{value - offset:+,.2f}</text>'
            f'<line class="grid" x1="{PAD_X}" x2="{WIDTH - PAD_X}" y1="{at:.1f}" y2="{at:.1f}"/>'
        )
    first, last = escape(str(history[0]["at"])[11:19]), escape(str(history[-1]["at"])[11:19])
    return (
        f'<svg id="equity-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="equity and PnL over time">'
        f"{''.join(labels)}"
        f'<polyline class="equity" points="{points}"/>'
        f'<text x="{PAD_X}" y="{HEIGHT - 2}">{first}</text>'
        f'<text x="{WIDTH - PAD_X}" y="{HEIGHT - 2}" text-anchor="end">{last} UTC</text>'
        f'<text x="4" y="12">equity</text><text x="{WIDTH - 40}" y="12">PnL</text>'
        "</svg>"
    )
