"""Broker adapters; each translates between its venue's wire format and `src.core` types."""
