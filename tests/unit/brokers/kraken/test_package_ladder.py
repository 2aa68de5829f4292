"""The Kraken package is a one-way ladder: each layer imports only the layers below it.

base (settings, constants, errors, symbols, rate_costs) < limits < rest < ws < orders <
streams < adapter.
A lower layer that reached up (say, the REST transport importing the order desk) would tie
the wire to the policy above it; this test names the offending import.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[4] / "src" / "brokers" / "kraken"
LADDER = ["base", "limits", "rest", "ws", "orders", "streams", "adapter"]
BASE = {"settings", "constants", "errors", "symbols", "rate_costs", "__init__"}


def _layer(parts: list[str]) -> str:
    """The layer of a module path inside the package (``["rest", "client"]`` -> ``rest``)."""
    if len(parts) > 1 or parts[0] in LADDER:
        return parts[0]
    return "base" if parts[0] in BASE else "adapter"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
            if node.module == "src.brokers.kraken":
                names = [f"src.brokers.kraken.{a.name}" for a in node.names]
            found += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(line, n) for line, n in found if n.startswith("src.brokers.kraken.")]


def test_every_import_inside_the_package_points_down_the_ladder() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("").parts
        if rel == ("__init__",):
            continue  # the package face re-exports the top
        own = LADDER.index(_layer([p for p in rel if p != "__init__"] or ["__init__"]))
        for line, name in _imports(path):
            target = name.removeprefix("src.brokers.kraken.").split(".")
            if target in (["adapter"],) and own < LADDER.index("adapter"):
                wrong.append(f"{path.name}:{line} imports {name}")
                continue
            if LADDER.index(_layer(target)) > own:
                wrong.append(f"{'/'.join(rel)}.py:{line} imports {name} (a higher layer)")
    assert wrong == []


def test_no_module_needs_a_transport_prefix_in_its_name() -> None:
    prefixed = [p.name for p in PACKAGE.rglob("*.py") if p.name.startswith(("ws_", "rest_"))]
    assert prefixed == []  # the folder says the transport: ws/private.py, rest/client.py
