"""Venues: the exchanges themselves, run locally (paper Kraken, simulated Alpaca, in-memory sim).

Nothing here talks to a real exchange, and nothing here imports an adapter from
``src.brokers``: a venue and the adapter tested against it must not share a bug.
"""
