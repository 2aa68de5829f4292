"""Kraken Futures: the streams layer (see docs/kraken_futures.md)."""
