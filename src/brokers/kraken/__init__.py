"""Kraken spot adapter package: REST client, signing, symbols, parsing and errors."""

from src.brokers.kraken.adapter import KrakenAdapter
from src.brokers.kraken.limits.gate import NullGate, RequestGate
from src.brokers.kraken.rest.client import KrakenRestClient

__all__ = ["KrakenAdapter", "KrakenRestClient", "NullGate", "RequestGate"]
