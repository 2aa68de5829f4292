"""Fixtures for the alert delivery tests: instruments, a manual clock, a SimEngine."""

from tests.support.runtime import btc, clock, engine, eth

__all__ = ["btc", "clock", "engine", "eth"]
