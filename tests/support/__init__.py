"""Helpers shared by every kind of test: waiting for a condition, a paper exchange, clocks."""
