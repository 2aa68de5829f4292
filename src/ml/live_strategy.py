"""The ML strategy: the registered model scores live candles with the training features.

Features come from the pipeline's own ``build_features`` with the exact spec stored next to the
model, so live and training cannot drift apart: the strategy keeps each pair's candles (up to
``history``) and recomputes the batch features on them. It waits for
:func:`src.ml.features.lookback.required_lookback` bars before its first target, enough for
the exponential averages (RSI, ATR, MACD, on resampled timeframes too) to have forgotten where
the window starts; a shorter window moved the 4 h RSI by up to 30 % against training. Scores
become target weights with the same hysteresis as the vectorized backtest (long above
``long_threshold``, flat or short below ``short_threshold``, unchanged in between). The
strategy knows nothing of brokers or mode.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

import numpy as np
import polars as pl

from src.core.market_data import Candle
from src.core.sizing import Target
from src.ml.data.schema import parse_interval
from src.ml.features import FeatureSpec, build_features
from src.ml.features.lookback import required_lookback
from src.ml.policy import DecisionPolicy, PolicyState, primary_side, trailing_vol

log = logging.getLogger(__name__)
_Bar = tuple[float, float, float, float, float]
_OHLCV = ("open", "high", "low", "close", "volume")


class Scorer(Protocol):
    """Anything with the models' ``score`` (P(up) or predicted return per row)."""

    def score(self, x: np.ndarray) -> np.ndarray:
        """Return one score per row of the feature matrix ``x`` (n, k)."""
        ...


def warmup_bars(spec: FeatureSpec, interval_minutes: int) -> int:
    """Base bars needed before every feature of ``spec`` is defined (not yet converged).

    The strategy waits for :func:`required_lookback` instead, which is longer.
    """
    bars = 1
    groups = [spec.features] + [ref.features for ref in spec.cross_pairs]
    for configs in groups:
        for cfg in configs:
            factor = parse_interval(cfg.timeframe) // interval_minutes if cfg.timeframe else 1
            for column in cfg.columns():
                bars = max(bars, (column.warmup + 1) * max(factor, 1))
    return bars


class ModelStrategy:
    """Target weights per pair from a trained model, one decision per closed candle.

    Args:
        symbols: pairs to trade (every pair the spec's cross-pair features need must be here).
        model: the fitted model (``score``).
        spec: the feature spec the model was trained with.
        feature_names: the model's column order.
        interval_minutes: candle interval the model was trained on.
        long_threshold / short_threshold: score thresholds (hysteresis in between) of the
            threshold policy used when ``policy`` is None.
        allow_short: map "below short_threshold" to -1 instead of 0 (same).
        policy: the decision policy the model was trained with (see
            :meth:`from_run`); None: the threshold policy from the three arguments above.
        feature_tolerance: weight the features may still give to bars before the window
            (sets ``warmup_candles``; see :func:`required_lookback`).
        history: candles kept per pair (default 4 x the warm-up). Until a pair holds more,
            its features are bit-identical to the batch pipeline's on the same candles; after
            that the window slides and they agree to within ``feature_tolerance``.
    """

    def __init__(
        self,
        symbols: Sequence[str],
        model: Scorer,
        spec: FeatureSpec,
        feature_names: Sequence[str],
        *,
        interval_minutes: int = 60,
        long_threshold: float = 0.55,
        short_threshold: float = 0.50,
        allow_short: bool = False,
        feature_tolerance: float = 1e-9,
        history: int | None = None,
        policy: DecisionPolicy | None = None,
    ) -> None:
        if short_threshold > long_threshold:
            raise ValueError("short_threshold: must not exceed long_threshold")
        self.symbols: Sequence[str] = list(symbols)
        self.model, self.spec, self.feature_names = model, spec, list(feature_names)
        self.interval_minutes = interval_minutes
        self.policy = policy or DecisionPolicy(
            long_threshold=long_threshold, short_threshold=short_threshold, allow_short=allow_short
        )
        self.long_threshold = self.policy.long_threshold
        self.short_threshold = self.policy.short_threshold
        self.allow_short = self.policy.allow_short
        self._states = {s: PolicyState() for s in self.symbols}
        self.warmup_candles = required_lookback(spec, interval_minutes, feature_tolerance)
        self.history = history or self.warmup_candles * 4
        if self.history < self.warmup_candles:
            raise ValueError(
                f"history: {self.history} candles cannot hold the {self.warmup_candles}-candle "
                "warm-up the feature spec needs"
            )
        self._references = [ref.pair for ref in spec.cross_pairs]
        missing = [pair for pair in self._references if pair not in self.symbols]
        if missing:
            # Without the reference pair's candles its features are never defined: say so now
            # rather than never trading.
            raise ValueError(f"symbols: the spec's cross-pair features need {missing} too")
        self._bars: dict[str, OrderedDict[datetime, _Bar]] = {s: OrderedDict() for s in symbols}
        self.weights: dict[str, Decimal] = dict.fromkeys(self.symbols, Decimal(0))
        self.last_score: dict[str, float] = {}
        self.last_features: dict[str, np.ndarray] = {}
        #: First and last candle the model learned from (set when loaded from a run that
        #: recorded them), so a backtest over them can be called in-sample.
        self.trained_on: tuple[datetime, datetime] | None = None

    @classmethod
    def from_registry(
        cls,
        symbols: Sequence[str],
        name: str = "kraken-signal",
        *,
        alias: str = "champion",
        tracking_uri: str | None = None,
        feature_tolerance: float = 1e-9,
    ) -> ModelStrategy:
        """Load the model registered as ``name@alias`` (default the champion) from MLflow."""
        from src.ml.registry import CHAMPION, load_champion

        if alias != CHAMPION:
            raise ValueError(
                f"alias: only {CHAMPION!r} is published by the pipeline, got {alias!r}"
            )
        champion = load_champion(name, tracking_uri)
        params = _run_params(champion.run_id, tracking_uri)
        strategy = cls(
            symbols,
            champion.model,
            champion.feature_spec,
            champion.feature_names,
            interval_minutes=int(params.get("data.interval_minutes", 60)),
            feature_tolerance=feature_tolerance,
            policy=_policy(_spec_doc(champion.run_id, tracking_uri), params),
        )
        strategy.trained_on = training_span(params)
        return strategy

    @classmethod
    def from_run(
        cls,
        symbols: Sequence[str],
        run_id: str,
        *,
        tracking_uri: str | None = None,
        feature_tolerance: float = 1e-9,
    ) -> ModelStrategy:
        """Load the model logged by one training run (registered as champion or not)."""
        import json
        import tempfile
        from pathlib import Path

        from mlflow.tracking import MlflowClient

        from src.ml.models import load_model
        from src.ml.tracking import MODEL_ARTIFACT, NATIVE_DIR, SPEC_FILE, resolve_tracking_uri

        client = MlflowClient(tracking_uri=resolve_tracking_uri(tracking_uri))
        with tempfile.TemporaryDirectory() as tmp:
            local = Path(client.download_artifacts(run_id, MODEL_ARTIFACT, tmp))
            model = load_model(local / "artifacts" / NATIVE_DIR)
            doc = json.loads((local / "artifacts" / SPEC_FILE).read_text("utf-8"))
        params = _run_params(run_id, tracking_uri)
        strategy = cls(
            symbols,
            model,
            FeatureSpec.from_dict(doc["spec"]),
            doc.get("feature_names", []),
            interval_minutes=int(params.get("data.interval_minutes", 60)),
            feature_tolerance=feature_tolerance,
            policy=_policy(doc, params),
        )
        strategy.trained_on = training_span(params)
        return strategy

    def prime(self, candles: Iterable[Candle]) -> None:
        """Load past candles (e.g. from a candle store) without scoring them.

        Use it when the venue serves less history than ``warmup_candles`` (Kraken's REST OHLC
        returns at most 720 bars); the candles must end where the live stream starts.
        """
        for candle in candles:
            self._add(candle)

    def _add(self, candle: Candle) -> bool:
        bars = self._bars.get(candle.symbol)
        if bars is None:
            return False
        c = candle
        bars[c.timestamp] = (float(c.open), float(c.high), float(c.low), float(c.close),
                             float(c.volume))  # fmt: skip
        while len(bars) > self.history:
            bars.popitem(last=False)
        return True

    def _warm(self, symbol: str) -> bool:
        needed = [symbol, *self._references]
        return all(len(self._bars.get(s, ())) >= self.warmup_candles for s in needed)

    def on_candle(self, candle: Candle) -> list[Target]:
        """Score the pair's newest features and return the policy's target weight.

        The threshold policy: 1 above ``long_threshold``; below ``short_threshold`` -1 if
        ``allow_short`` else 0; unchanged in between; 0 on a NaN score. The cost-aware one:
        see :class:`src.ml.policy.DecisionPolicy`. Returns no target for a pair not in
        ``symbols`` or while warming up, so whatever is held stays held.
        """
        if not self._add(candle) or not self._warm(candle.symbol):
            return []
        row = self._features(candle)
        if row is None:  # a feature is undefined here (e.g. the reference pair has no bar)
            return []
        self.last_features[candle.symbol] = row
        score = float(self.model.score(row.reshape(1, -1))[0])
        self.last_score[candle.symbol] = score
        weight = self._decide(candle.symbol, score)
        self.weights[candle.symbol] = weight
        return [Target(candle.symbol, weight)]

    def _decide(self, symbol: str, score: float) -> Decimal:
        policy = self.policy
        closes = np.fromiter((bar[3] for bar in self._bars[symbol].values()), dtype=np.float64)
        window = policy.config.vol_window
        vol = trailing_vol(closes[-window - 1 :]) if len(closes) > window else math.nan
        side = primary_side(closes, policy.primary_window) if policy.meta else 1.0
        signal = float(policy.signal(np.array([score]))[0])
        weight = policy.decide(self._states[symbol], signal, vol, side)
        return Decimal(repr(weight)) if weight else Decimal(0)

    def candle_frame(self) -> pl.DataFrame:
        """The candles held, as the batch pipeline's input (``pair, timestamp, OHLCV``)."""
        pairs: list[str] = []
        stamps: list[datetime] = []
        values: list[_Bar] = []
        for symbol, bars in self._bars.items():
            pairs += [symbol] * len(bars)
            stamps += list(bars)
            values += list(bars.values())
        matrix = np.asarray(values, dtype=np.float64).reshape(len(values), len(_OHLCV))
        data: dict[str, Any] = {"pair": pairs, "timestamp": stamps}
        data.update({name: matrix[:, i] for i, name in enumerate(_OHLCV)})
        return pl.DataFrame(data)

    def _features(self, candle: Candle) -> np.ndarray | None:
        features = build_features(self.candle_frame(), self.spec)
        mine = features.filter(
            (pl.col("pair") == candle.symbol) & (pl.col("timestamp") == candle.timestamp)
        )
        if mine.height != 1:
            return None
        x = mine.select(self.feature_names).to_numpy().astype(np.float64)[0]
        return x if np.isfinite(x).all() else None


def _policy(doc: dict[str, Any], params: dict[str, str]) -> DecisionPolicy:
    """The run's decision policy: logged with its model, else (older runs) its thresholds."""
    if doc.get("policy"):
        return DecisionPolicy.from_dict(doc["policy"])
    return DecisionPolicy(
        long_threshold=float(params.get("strategy.long_threshold", 0.55)),
        short_threshold=float(params.get("strategy.short_threshold", 0.50)),
        allow_short=str(params.get("strategy.allow_short", "False")).lower() == "true",
    )


def _spec_doc(run_id: str, tracking_uri: str | None) -> dict[str, Any]:
    import json
    import tempfile
    from pathlib import Path

    from mlflow.tracking import MlflowClient

    from src.ml.tracking import MODEL_ARTIFACT, SPEC_FILE, resolve_tracking_uri

    client = MlflowClient(tracking_uri=resolve_tracking_uri(tracking_uri))
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{MODEL_ARTIFACT}/artifacts/{SPEC_FILE}"
        local = Path(client.download_artifacts(run_id, path, tmp))
        doc: dict[str, Any] = json.loads(local.read_text("utf-8"))
    return doc


def training_span(params: dict[str, str]) -> tuple[datetime, datetime] | None:
    """The first and last candle time a run's model learned from, or None if not recorded.

    They are the run's ``data_start`` and ``data_end`` params; without them nothing is claimed.
    """
    try:
        first, last = (datetime.fromisoformat(params[k]) for k in ("data_start", "data_end"))
    except (KeyError, ValueError):
        return None
    # The pipeline's candles are UTC; an older run may have logged them without the offset.
    return first.replace(tzinfo=first.tzinfo or UTC), last.replace(tzinfo=last.tzinfo or UTC)


def _run_params(run_id: str, tracking_uri: str | None) -> dict[str, str]:
    from mlflow.tracking import MlflowClient

    from src.ml.tracking import resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri)
    return dict(MlflowClient(tracking_uri=uri).get_run(run_id).data.params)
