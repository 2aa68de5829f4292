"""Where the shipped configuration lives, independent of the directory a program runs from."""

from __future__ import annotations

from pathlib import Path

#: The repository (or installed source tree) root: ``src/app/paths.py`` -> two levels up.
PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: The risk limits shipped with the project (safe defaults); ``--risk-config`` overrides it.
DEFAULT_RISK_CONFIG = PROJECT_ROOT / "config" / "risk.toml"
