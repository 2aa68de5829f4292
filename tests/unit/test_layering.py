"""Import direction rules, enforced by scanning every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "src" or name.startswith("src.")}


def _modules(package: str) -> list[Path]:
    root = SRC / package
    return sorted(root.rglob("*.py")) if root.exists() else []


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in _modules(package):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(SRC.parent)} imports {name}")
    return bad


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("core", ("src.brokers", "src.ml")),
        ("utils", ("src.brokers", "src.ml")),
        ("ml", ("src.brokers",)),
        ("brokers/paper", ("src.brokers.kraken", "src.brokers.kraken_adapter", "src.ml")),
        ("brokers/kraken", ("src.ml", "src.brokers.paper", "src.brokers.alpaca")),
    ],
)
def test_import_direction(package: str, forbidden: tuple[str, ...]) -> None:
    assert _violations(package, forbidden) == []


def test_ml_imports_only_core_and_utils() -> None:
    allowed = ("src.core", "src.utils", "src.ml")
    bad = [
        f"{path.relative_to(SRC.parent)} imports {name}"
        for path in _modules("ml")
        for name in _imports(path)
        if name != "src" and not any(name == a or name.startswith(a + ".") for a in allowed)
    ]
    assert bad == []


def test_scanner_sees_imports() -> None:
    # Guard against a scanner that silently finds nothing.
    assert "src.core.errors" in _imports(SRC / "brokers" / "kraken" / "errors.py")
    assert _modules("core")
