"""A clock that runs faster than real time (re-exported from ``src.core.clock``).

It lives in ``src.core`` so the paper exchange, a venue that may not import ``src.app``, can
run on it too; this module keeps the import path the app and its tests use.
"""

from __future__ import annotations

from src.core.clock import ScaledClock

__all__ = ["ScaledClock"]
