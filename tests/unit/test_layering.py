"""Import direction rules and no import cycles, enforced by scanning every module's imports.

Every ``import`` counts, including those inside functions and under ``TYPE_CHECKING``: a cycle
hidden behind a lazy import is still a cycle in the design.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

# Thin re-export modules kept where the user's guide or the README names a path. They may
# import from ``src.venues`` (that is their whole job) and nothing in ``src`` may import them.
SHIMS = {
    "src.brokers.paper": "src.venues.kraken_paper",
    "src.brokers.paper.__main__": "src.venues.kraken_paper.__main__",
    "src.brokers.alpaca_sim": "src.venues.alpaca_sim",
    "src.brokers.alpaca_sim.__main__": "src.venues.alpaca_sim.__main__",
    "src.brokers.alpaca_adapter": "src.brokers.alpaca.adapter",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _all_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


MODULES = _all_modules()


def _owner(name: str, modules: Iterable[str]) -> str | None:
    """The module that ``import name`` runs: ``name`` itself, else its nearest package."""
    known = set(modules)
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _imported_names(path: Path, module: str) -> set[str]:
    """Absolute dotted names imported by the file (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            # ``from pkg import mod`` imports ``mod``; ``from mod import name`` imports ``mod``:
            # ``_owner`` tells the two apart.
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return {n for n in found if n == "src" or n.startswith("src.")}


def _imports(path: Path) -> set[str]:
    return _imported_names(path, _module_name(path))


def import_graph(modules: Mapping[str, Path] = MODULES) -> dict[str, set[str]]:
    """Module -> the modules of ``src`` it imports (``from pkg import mod`` counts as ``mod``)."""
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = {_owner(n, modules) for n in _imported_names(path, module)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def _reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Groups of two or more modules that each reach the others through imports."""
    reach = {node: _reachable(graph, node) for node in graph}
    found: list[list[str]] = []
    placed: set[str] = set()
    for node in sorted(graph):
        if node in placed or node not in reach[node]:
            continue
        group = sorted({node} | {other for other in reach[node] if node in reach.get(other, ())})
        if len(group) > 1:
            found.append(group)
            placed.update(group)
    return found


def _modules(package: str) -> list[Path]:
    root = SRC / package
    if root.with_suffix(".py").is_file():
        return [root.with_suffix(".py")]
    return sorted(root.rglob("*.py")) if root.exists() else []


def _matches(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _violations(package: str, forbidden: tuple[str, ...], exempt: Iterable[str] = ()) -> list[str]:
    bad = []
    for path in _modules(package):
        if _module_name(path) in exempt:
            continue
        for name in sorted(_imports(path)):
            if _matches(name, forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_cycle_finder_finds_cycles() -> None:
    # Guard against a finder that silently finds nothing.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"x": {"y"}, "y": {"x"}, "z": {"x"}}) == [["x", "y"]]


def test_graph_sees_lazy_relative_and_type_checking_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "src" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from src.pkg import b\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n"
    )
    modules = {"src.pkg": pkg / "__init__.py", "src.pkg.a": pkg / "a.py", "src.pkg.b": pkg / "b.py"}
    graph = import_graph(modules)
    assert graph["src.pkg.a"] == {"src.pkg.b"}  # from a package, a submodule
    assert graph["src.pkg.b"] == {"src.pkg.a"}
    assert cycles(graph) == [["src.pkg.a", "src.pkg.b"]]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("core", ("src.brokers", "src.venues", "src.ml", "src.app")),
        ("utils", ("src.brokers", "src.venues", "src.ml", "src.app")),
        ("ml", ("src.brokers", "src.venues", "src.app")),
        # A venue and the adapter tested against it must not share signing or parsing code.
        ("venues", ("src.brokers", "src.ml", "src.app")),
        ("venues/kraken_paper", ("src.venues.alpaca_sim", "src.venues.sim_engine")),
        ("venues/alpaca_sim", ("src.venues.kraken_paper", "src.venues.sim_engine")),
        ("brokers/kraken", ("src.ml", "src.venues", "src.brokers.alpaca", "src.app")),
        ("brokers/alpaca", ("src.ml", "src.venues", "src.brokers.kraken", "src.app")),
        (
            "brokers/kraken_futures",
            ("src.ml", "src.venues", "src.brokers.kraken", "src.brokers.alpaca", "src.app"),
        ),
        (
            "venues/kraken_futures_paper",
            ("src.venues.kraken_paper", "src.venues.alpaca_sim", "src.venues.sim_engine"),
        ),
        ("brokers/credentials", ("src.ml", "src.venues", "src.app")),
    ],
)
def test_import_direction(package: str, forbidden: tuple[str, ...]) -> None:
    assert _modules(package), f"src/{package} has no modules: stale rule"
    assert _violations(package, forbidden) == []


def test_brokers_import_no_venue_except_the_named_shims() -> None:
    assert _violations("brokers", ("src.venues", "src.app", "src.ml"), exempt=SHIMS) == []


def test_shims_only_re_export() -> None:
    for shim, target in SHIMS.items():
        path = MODULES[shim]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        code = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        defined = [n for n in tree.body if isinstance(n, code)]
        assert defined == [], f"{shim} defines code; it should only re-export {target}"
        assert {_owner(n, MODULES) for n in _imports(path)} == {target}, shim


def test_nothing_in_src_imports_a_shim() -> None:
    bad = [
        f"{module} imports {name}"
        for module, targets in import_graph().items()
        if module not in SHIMS
        for name in targets
        if name in SHIMS
    ]
    assert bad == []


def test_ml_imports_only_core_and_utils() -> None:
    allowed = ("src.core", "src.utils", "src.ml")
    bad = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules("ml")
        for name in _imports(path)
        if name != "src" and not _matches(name, allowed)
    ]
    assert bad == []


def test_scanner_sees_imports() -> None:
    # Guard against a scanner that silently finds nothing.
    assert "src.core.errors" in import_graph()["src.brokers.kraken.errors"]
    assert "src.venues.kraken_paper.rest" in import_graph()["src.venues.kraken_paper.exchange"]
    assert _modules("core") and _modules("venues")
