"""Kraken Futures: the rest layer (see docs/kraken_futures.md)."""
