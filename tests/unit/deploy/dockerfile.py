"""A small reader of the project's Dockerfile: its stages' instructions, as the tests need them."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Stage:
    """One ``FROM`` stage: its base image, and its instructions in order as (keyword, rest)."""

    base: str
    steps: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        """The arguments of every ``keyword`` instruction, in order."""
        return [rest for k, rest in self.steps if k == keyword]

    def env(self) -> dict[str, str]:
        """Every ``ENV key=value`` of the stage."""
        out: dict[str, str] = {}
        for rest in self.all("ENV"):
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                out[key] = value
        return out

    def copies(self) -> list[tuple[list[str], str]]:
        """``COPY`` sources and destination, for copies from the build context only."""
        out = []
        for rest in self.all("COPY"):
            if "--from=" in rest:
                continue
            *sources, dest = shlex.split(rest)
            out.append((sources, dest))
        return out


def stages(path: Path) -> list[Stage]:
    """The Dockerfile's stages, with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    args: dict[str, str] = {}
    found: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "ARG" and not found:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            base = rest.split(" AS ")[0].split(" as ")[0].strip()
            found.append(Stage(re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], ""), base)))
        elif found:
            found[-1].steps.append((keyword, rest))
    return found
