"""Kraken orders layer (see src/brokers/kraken/__init__.py for the ladder)."""
