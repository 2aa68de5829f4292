"""Trading system: ML signal pipeline plus broker adapters (Kraken first)."""
