"""Kraken Futures: the ws layer (see docs/kraken_futures.md)."""
