"""Symbols and asset codes resolve from AssetPairs payloads: the real 2021 one and a current one."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken.symbols import SymbolMap
from src.core.errors import MalformedResponseError, UnknownSymbolError
from tests.unit.brokers.kraken.kraken_helpers import FIXTURES, load


def _pairs_2021() -> dict[str, Any]:
    # Format: "<url> -> <ts>: <json>" on the first line (cryptofeed sample data).
    first = (FIXTURES / "cryptofeed_KRAKEN.0").read_text().splitlines()[0]
    result: dict[str, Any] = json.loads(first.split(": ", 1)[1])["result"]
    return result


@pytest.fixture(scope="module")
def map_2021() -> SymbolMap:
    return SymbolMap(_pairs_2021())


@pytest.fixture(scope="module")
def map_now() -> SymbolMap:
    return SymbolMap(load("http_asset_pairs.json")["result"])


@pytest.mark.parametrize(
    "name", ["BTC/USD", "XBT/USD", "XBTUSD", "XXBTZUSD", "btc/usd", " BTCUSD "]
)
def test_every_name_of_bitcoin_resolves_to_one_instrument(
    map_2021: SymbolMap, map_now: SymbolMap, name: str
) -> None:
    for symbols in (map_2021, map_now):
        info = symbols.resolve(name)
        assert info.key == "XXBTZUSD"
        assert info.altname == "XBTUSD"
        assert info.instrument.symbol == "BTC/USD"
        assert (info.instrument.base, info.instrument.quote) == ("BTC", "USD")


@pytest.mark.parametrize(
    ("names", "key", "symbol"),
    [
        (("DOGE/USD", "XDG/USD", "XDGUSD"), "XDGUSD", "DOGE/USD"),
        (("ETH/USD", "XETHZUSD", "ETHUSD"), "XETHZUSD", "ETH/USD"),
        (("XRP/USD", "XXRPZUSD", "XRPUSD"), "XXRPZUSD", "XRP/USD"),
        (("ETH/BTC", "ETH/XBT", "XETHXXBT", "ETHXBT"), "XETHXXBT", "ETH/BTC"),
    ],
)
def test_pairs_resolve_in_both_payloads(
    map_2021: SymbolMap, map_now: SymbolMap, names: tuple[str, ...], key: str, symbol: str
) -> None:
    for symbols in (map_2021, map_now):
        for name in names:
            assert symbols.resolve(name).key == key
            assert symbols.instrument(name).symbol == symbol


def test_tickers_that_really_start_with_x_or_z_are_left_alone(map_2021: SymbolMap) -> None:
    assert map_2021.instrument("XLM/USD").venue_symbol == "XXLMZUSD"
    assert map_2021.instrument("ZEC/USD").venue_symbol == "XZECZUSD"
    assert map_2021.instrument("XTZ/USD").venue_symbol == "XTZUSD"
    assert map_2021.instrument("XTZUSD").base == "XTZ"


def test_current_pair_sol_and_precision(map_now: SymbolMap) -> None:
    sol = map_now.instrument("SOL/USD")
    assert sol.venue_symbol == "SOLUSD"
    assert (sol.price_tick, sol.lot_step) == (Decimal("0.01"), Decimal("0.00000001"))
    assert (sol.min_quantity, sol.min_cost) == (Decimal("0.05"), Decimal("0.5"))
    doge = map_now.instrument("DOGE/USD")
    assert doge.price_tick == Decimal("0.0000001")
    assert doge.min_quantity == Decimal("60")


def test_2021_payload_without_tick_size_uses_pair_decimals(map_2021: SymbolMap) -> None:
    btc = map_2021.instrument("BTC/USD")
    assert btc.price_tick == Decimal("0.1")
    assert btc.min_quantity == Decimal("0.0002")
    assert btc.min_cost == 0
    assert map_2021.instrument("DOGE/USD").price_tick == Decimal("0.0000001")


@pytest.mark.parametrize(
    ("code", "normalized"),
    [
        ("XXBT", "BTC"),
        ("XBT", "BTC"),
        ("ZUSD", "USD"),
        ("XXDG", "DOGE"),
        ("XETH", "ETH"),
        ("ZEUR", "EUR"),
        ("XXRP", "XRP"),
        ("XXLM", "XLM"),
        ("XZEC", "ZEC"),
        ("XTZ", "XTZ"),
        ("SOL", "SOL"),
        ("USDT", "USDT"),
        ("XBT.M", "BTC.M"),
        ("ETH2.S", "ETH2.S"),
        ("USDT.F", "USDT.F"),
        ("DOT.P", "DOT.P"),
        ("USD.HOLD", "USD.HOLD"),
        ("XXBT.B", "BTC.B"),
    ],
)
def test_asset_code_normalization(map_2021: SymbolMap, code: str, normalized: str) -> None:
    assert map_2021.codes.normalize(code) == normalized


def test_suffix_variants_stay_apart(map_now: SymbolMap) -> None:
    names = {map_now.codes.normalize(c) for c in ("XXBT", "XBT.M", "XBT.F", "XBT.S", "XBT.B")}
    assert names == {"BTC", "BTC.M", "BTC.F", "BTC.S", "BTC.B"}


def test_unknown_symbol_names_close_matches(map_2021: SymbolMap) -> None:
    with pytest.raises(UnknownSymbolError) as info:
        map_2021.resolve("BTC/USDD")
    assert "BTC/USD" in info.value.suggestions
    assert "did you mean" in str(info.value)


def test_darkpool_pairs_do_not_shadow_the_real_book(map_2021: SymbolMap) -> None:
    assert all(not p.key.endswith(".d") for p in map_2021.pairs())
    assert map_2021.resolve("BTC/USD").key == "XXBTZUSD"


def test_malformed_asset_pairs_is_a_clear_error() -> None:
    with pytest.raises(MalformedResponseError, match="XXBTZUSD"):
        SymbolMap({"XXBTZUSD": {"altname": "XBTUSD", "base": "XXBT", "quote": "ZUSD"}})
