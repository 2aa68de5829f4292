"""Alpaca adapter tests."""
