"""The import paths the user's guide names still work, as re-exports of where the code lives."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    ("public", "home", "names"),
    [
        (
            "src.brokers.paper",
            "src.venues.kraken_paper",
            ["PaperExchange", "KrakenError", "FaultConfig", "EventBus", "create_app"],
        ),
        ("src.brokers.paper.__main__", "src.venues.kraken_paper.__main__", ["main"]),
        ("src.brokers.alpaca_sim", "src.venues.alpaca_sim", ["AlpacaSim"]),
        ("src.brokers.alpaca_sim.__main__", "src.venues.alpaca_sim.__main__", ["main"]),
        ("src.brokers.alpaca_adapter", "src.brokers.alpaca.adapter", ["AlpacaAdapter"]),
    ],
)
def test_guide_path_re_exports_the_real_thing(public: str, home: str, names: list[str]) -> None:
    shim, real = importlib.import_module(public), importlib.import_module(home)
    for name in names:
        assert getattr(shim, name) is getattr(real, name), f"{public}.{name}"


def test_sim_engine_left_core() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("src.core.sim_engine")
    assert importlib.import_module("src.venues.sim_engine").SimEngine.__name__ == "SimEngine"
