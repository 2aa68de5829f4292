"""Wiring of the trading runtime to real venues: clocks, quotes, key checks, session summary."""
