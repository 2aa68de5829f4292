"""ML signal pipeline: candles, features, labels, walk-forward training, tracking, backtest."""
