"""Candle data: parquet store, Kraken file/REST/trade sources, validation and resampling."""

from src.ml.data.gaps import Gap, find_gaps
from src.ml.data.remote import candles_to_frame, fetch_candle_history
from src.ml.data.resample import ohlcv_aggregations, resample
from src.ml.data.schema import (
    CANDLE_COLUMNS,
    CANDLE_SCHEMA,
    interval_label,
    parse_interval,
    to_candle_schema,
)
from src.ml.data.sources import (
    candles_from_trades,
    read_kraken_ohlcvt_csv,
    read_kraken_rest_ohlc_csv,
    read_kraken_trades_csv,
    trades_to_frame,
)
from src.ml.data.store import CandleStore, UpdateResult
from src.ml.data.validation import CandleDataError, Repair, ValidationReport, clean_candles

__all__ = [
    "CANDLE_COLUMNS",
    "CANDLE_SCHEMA",
    "CandleDataError",
    "CandleStore",
    "Gap",
    "Repair",
    "UpdateResult",
    "ValidationReport",
    "candles_from_trades",
    "candles_to_frame",
    "clean_candles",
    "fetch_candle_history",
    "find_gaps",
    "interval_label",
    "ohlcv_aggregations",
    "parse_interval",
    "read_kraken_ohlcvt_csv",
    "read_kraken_rest_ohlc_csv",
    "read_kraken_trades_csv",
    "resample",
    "to_candle_schema",
    "trades_to_frame",
]
