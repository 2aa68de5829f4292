"""The simulator and the adapter share no code, so they cannot share a parsing bug."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "brokers"


def _imports(package: Path) -> set[str]:
    found: set[str] = set()
    files = [package] if package.is_file() else sorted(package.rglob("*.py"))
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


def test_simulator_imports_nothing_from_the_adapter() -> None:
    used = _imports(SRC / "alpaca_sim")
    assert not {
        m for m in used if m.startswith(("src.brokers.alpaca.", "src.brokers.alpaca_adapter"))
    }
    assert "src.brokers.alpaca" not in used


def test_adapter_imports_neither_simulator_nor_other_brokers() -> None:
    used = _imports(SRC / "alpaca") | _imports(SRC / "alpaca_adapter.py")
    forbidden = ("src.brokers.alpaca_sim", "src.brokers.kraken", "src.brokers.paper", "src.ml")
    assert not {m for m in used if m.startswith(forbidden)}
