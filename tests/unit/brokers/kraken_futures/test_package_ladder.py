"""The Kraken Futures package is a one-way ladder like the spot one (docs/kraken_futures.md).

base (settings, constants, errors, symbols, rate_costs, timefmt, book) < limits < rest < ws <
orders < streams < adapter (adapter.py, market.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[4] / "src" / "brokers" / "kraken_futures"
LADDER = ["base", "limits", "rest", "ws", "orders", "streams", "adapter"]
BASE = {"settings", "constants", "errors", "symbols", "rate_costs", "timefmt", "book", "__init__"}
PREFIX = "src.brokers.kraken_futures."


def _layer(parts: list[str]) -> str:
    if len(parts) > 1 or parts[0] in LADDER:
        return parts[0]
    return "base" if parts[0] in BASE else "adapter"


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
            if node.module in ("src.brokers.kraken_futures", *(PREFIX + p for p in LADDER)):
                names = [f"{node.module}.{a.name}" for a in node.names]
            found += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(line, n) for line, n in found if n.startswith(PREFIX)]


def test_every_import_inside_the_package_points_down_the_ladder() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("").parts
        if rel == ("__init__",):
            continue
        own = LADDER.index(_layer([p for p in rel if p != "__init__"] or ["__init__"]))
        for line, name in _imports(path):
            target = name.removeprefix(PREFIX).split(".")
            if LADDER.index(_layer(target)) > own:
                wrong.append(f"{'/'.join(rel)}.py:{line} imports {name} (a higher layer)")
    assert wrong == []


def test_the_package_uses_nothing_of_the_spot_package() -> None:
    spot = [
        f"{p.relative_to(PACKAGE)} imports {n}"
        for p in PACKAGE.rglob("*.py")
        for _, n in _imports_all(p)
        if n.startswith("src.brokers.kraken.") or n == "src.brokers.kraken"
    ]
    assert spot == []


def _imports_all(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return out
