"""Kraken Futures: the orders layer (see docs/kraken_futures.md)."""
