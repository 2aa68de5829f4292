"""Kraken Futures: the limits layer (see docs/kraken_futures.md)."""
