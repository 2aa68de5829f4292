"""Periodic retraining as a runtime option: ``--retrain-every`` / ``--retrain-window``."""

from __future__ import annotations

import argparse
import logging
import math
from pathlib import Path

import pytest

import src.cli.strategies as strategies
from src.app.strategy_choice import make_strategy
from src.cli.config import MLSection, UserConfig
from src.cli.errors import CliError
from src.cli.options import add_strategy_arguments
from src.core.strategy import MovingAverageCross
from src.ml import config as ml_config
from src.ml.config import DEFAULT_CONFIG_PATH, load_config
from src.ml.live_strategy import ModelStrategy
from src.ml.retraining import RetrainingStrategy, minimum_window, with_retraining
from src.ml.train import TrainResult
from tests.unit.ml.conftest import ConfigFactory, Store
from tests.unit.ml.test_retraining import _candles, _feed


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_strategy_arguments(parser)
    return parser.parse_args(list(argv))


def _user(uri: str) -> UserConfig:
    return UserConfig(ml=MLSection(tracking_uri=uri))


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("--strategy", "ma", "--retrain-every", "24"), "needs --strategy model"),
        (("--strategy", "model", "--retrain-window", "900"), "without --retrain-every"),
        (("--strategy", "model", "--retrain-every", "0"), "hours > 0"),
        (("--strategy", "model", "--retrain-every", "24", "--retrain-window", "-1"), "hours > 0"),
    ],
)
def test_bad_retraining_options_are_refused(argv: tuple[str, ...], says: str) -> None:
    with pytest.raises(CliError, match=says):
        strategies.strategy_choice(_args(*argv), UserConfig())


def _experiment(monkeypatch: pytest.MonkeyPatch, small_config: ConfigFactory, uri: str) -> None:
    config = small_config(uri)
    # The CLI reads the experiment named in [ml]; here the small test experiment.
    monkeypatch.setattr(
        strategies, "ml_settings", lambda cfg: (Path("small.toml"), uri, "test", "test-signal")
    )
    monkeypatch.setattr(ml_config, "load_config", lambda path: config)


def test_model_with_retrain_every_is_wrapped_in_hours_of_its_interval(
    store: Store, small_config: ConfigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, first, _ = store
    _experiment(monkeypatch, small_config, uri)
    argv = ("--strategy", "model", "--model", first.run_id, "--retrain-every", "12")
    choice = strategies.strategy_choice(_args(*argv, "--retrain-window", "1600"), _user(uri))
    resolved = strategies.resolve(choice, _user(uri))
    wrapped = resolved.strategy
    assert isinstance(wrapped, RetrainingStrategy)
    assert isinstance(wrapped.strategy, ModelStrategy)  # the named model trades until a retrain
    assert (wrapped.every, wrapped.window) == (12, 1600)  # hourly model: hours are bars
    assert wrapped.config.tracking.tracking_uri == uri
    assert "retrain every=12 window=1600" in resolved.identity
    fixed = strategies.strategy_choice(_args(*argv[:4]), _user(uri))
    plain = strategies.resolve(fixed, _user(uri))
    assert plain.identity != resolved.identity
    assert not isinstance(plain.strategy, RetrainingStrategy)


def test_a_window_too_short_for_the_experiment_is_refused(
    store: Store, small_config: ConfigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, first, _ = store
    _experiment(monkeypatch, small_config, uri)
    least = minimum_window(small_config(uri))
    argv = ["--strategy", "model", "--model", first.run_id, "--retrain-every", "12"]
    choice = strategies.strategy_choice(
        _args(*argv, "--retrain-window", str(least - 1)), _user(uri)
    )
    with pytest.raises(CliError, match=f"shorter than the {least}"):
        strategies.resolve(choice, _user(uri))


def test_minimum_window_is_what_the_walk_forward_needs(
    small_config: ConfigFactory, tracking_uri: str
) -> None:
    # The walk-forward's own need, then the holdout's share and gap on top of it.
    config = small_config(tracking_uri)
    least = minimum_window(config)
    splits = config.splits
    walk = splits.train_size + config.label.horizon + splits.embargo
    walk += splits.n_folds * splits.test_size
    gap = config.label.horizon + splits.embargo
    assert least - math.ceil(least * splits.holdout_fraction) - gap >= walk
    no_holdout = config.model_copy(
        update={"splits": splits.model_copy(update={"holdout_fraction": 0.0})}
    )
    assert minimum_window(no_holdout) == walk < least


def test_example_make_strategy_wraps_the_model(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, first, _ = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setattr(strategies, "alias_run_id", lambda *a: None)
    monkeypatch.setattr(strategies, "newest_model_run", lambda *a: (first.run_id, "test-run"))
    args = argparse.Namespace(
        strategy="model", symbols=["BTC/USD", "ETH/USD"], model_name="test-signal",
        alias="champion", interval=60, retrain_every=6.0, retrain_window=None,
    )  # fmt: skip
    wrapped = make_strategy(args)
    assert isinstance(wrapped, RetrainingStrategy)
    shipped = load_config(DEFAULT_CONFIG_PATH)
    assert wrapped.every == 6
    assert wrapped.window == max(shipped.data.max_rows or 0, minimum_window(shipped))
    args.retrain_every = None
    assert isinstance(make_strategy(args), ModelStrategy)


def test_a_retrain_that_raises_keeps_the_model_and_the_session(
    small_config: ConfigFactory, tracking_uri: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = small_config(tracking_uri)
    first = MovingAverageCross(config.data.pairs, fast=5, slow=20, interval_minutes=60)

    def broken(config: object, tracker: object) -> TrainResult:
        raise ValueError("walk-forward needs at least 9999 bars")

    wrapper = with_retraining(first, config, every_hours=1500, window_hours=1500)
    wrapper._trainer = broken  # the failure under test
    with caplog.at_level(logging.ERROR, logger="src.ml.retraining"):
        _feed(wrapper, _candles(config.data)[: 2 * 1500])
    [done] = wrapper.retrains
    assert not done.promoted and wrapper.strategy is first
    assert done.reasons == ["FAIL retrain raised ValueError: walk-forward needs at least 9999 bars"]
    assert "keeping the model in use" in caplog.text


def test_live_example_takes_the_flags_and_refuses_them_without_a_model(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from examples.live_trading_kraken import parse_args

    args = parse_args(["--strategy", "model", "--retrain-every", "24", "--retrain-window", "7000"])
    assert (args.retrain_every, args.retrain_window) == (24.0, 7000.0)
    assert parse_args([]).retrain_every is None
    for argv in (["--retrain-every", "24"], ["--strategy", "model", "--retrain-window", "10"]):
        with pytest.raises(SystemExit):
            parse_args(argv)
    shipped = minimum_window(load_config(DEFAULT_CONFIG_PATH))
    with pytest.raises(SystemExit):
        parse_args(["--strategy", "model", "--retrain-every", "24", "--retrain-window", "100"])
    assert f"at least {shipped} hourly bars" in capsys.readouterr().err
