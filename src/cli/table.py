"""Plain-text tables for terminal output (numbers right-aligned, text left)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal


def cell(value: object, places: int | None = None) -> str:
    """A value as a table cell: Decimals without trailing zeros, floats to ``places``."""
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if places is None else f"{value:,.{places}f}"
    if isinstance(value, float):
        return f"{value:,.{2 if places is None else places}f}"
    return str(value)


def _numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("%", "").replace("+", "").replace("-", "", 1)
    return stripped.replace(".", "", 1).isdigit()


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], indent: str = "  ") -> str:
    """Aligned columns under a header line and a rule; an empty table says ``(none)``."""
    if not rows:
        return f"{indent}(none)"
    text = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(headers)]
    right = [all(_numeric(r[i]) or r[i] == "-" for r in text) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ]
        return (indent + "  ".join(parts)).rstrip()

    out = [line(list(headers)), indent + "  ".join("-" * w for w in widths)]
    out += [line(r) for r in text]
    return "\n".join(out)
