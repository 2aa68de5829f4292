"""Reads the marked python blocks out of KRAKEN_INTEGRATION.md and runs them as a reader would."""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "KRAKEN_INTEGRATION.md"
ORIGINAL = Path(__file__).with_name("original_guide.txt")  # the user's guide, as delivered

_MARKED = re.compile(
    r"<!-- example: (?P<id>[\w-]+) \((?P<kind>guide|project example|"
    r"runnable version of (?P<of>[\w-]+))\) -->\n```python\n(?P<code>.*?)```",
    re.S,
)


@dataclass(frozen=True)
class Block:
    """One fenced python block of the guide with its marker."""

    id: str
    kind: str  # "guide" (verbatim from the user's guide), "runnable", "project"
    code: str
    of: str | None = None  # for a runnable version: the guide block it completes

    def compiles(self) -> bool:
        """True when the block is valid Python (top-level await allowed)."""
        try:
            _compile(self)
        except SyntaxError:
            return False
        return True


@cache
def blocks() -> dict[str, Block]:
    """Every marked python block of KRAKEN_INTEGRATION.md, by id, in document order."""
    found: dict[str, Block] = {}
    for match in _MARKED.finditer(GUIDE.read_text(encoding="utf-8")):
        kind = match["kind"].split()[0]
        found[match["id"]] = Block(
            match["id"], "runnable" if kind == "runnable" else kind, match["code"], match["of"]
        )
    return found


def block(block_id: str) -> Block:
    """The block with this id (KeyError names it when the guide lost it)."""
    return blocks()[block_id]


def _compile(b: Block) -> Any:
    return compile(b.code, f"KRAKEN_INTEGRATION.md:{b.id}", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


async def run_fragment(b: Block, namespace: dict[str, Any]) -> dict[str, Any]:
    """Run a block in the current event loop, top-level ``await`` allowed, in ``namespace``."""
    result = eval(_compile(b), namespace)  # noqa: S307 - the guide's own code, by design
    if inspect.iscoroutine(result):
        await result
    return namespace


async def run_script(b: Block, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a whole-program block (it calls ``asyncio.run``) in a worker thread.

    The paper exchange keeps serving in the test's event loop meanwhile.
    """
    ns: dict[str, Any] = {"__name__": f"guide_{b.id.replace('-', '_')}"}
    ns.update(namespace or {})
    await asyncio.to_thread(exec, _compile(b), ns)
    return ns


class Printed:
    """A ``print`` stand-in that records lines (for fragments that print forever)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.event = asyncio.Event()

    def __call__(self, *args: Any, sep: str = " ", **_: Any) -> None:
        self.lines.append(sep.join(str(a) for a in args))
        self.event.set()
