"""Tests that run the code of KRAKEN_INTEGRATION.md."""
