"""The user's config: where it is, range checks with the key named, and a faithful round trip."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from src.cli.config import (
    RiskSection,
    TradingSection,
    UserConfig,
    default_config_path,
    load_config,
    render_config,
    save_config,
)
from src.cli.errors import CliError


def _refusal(tmp_path: Path, text: str) -> CliError:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CliError) as info:
        load_config(path, required=True)
    return info.value


@pytest.mark.parametrize(
    ("text", "where", "why"),
    [
        (
            "[risk]\nmax_drawdown_pct = 150\n",
            "[risk] max_drawdown_pct = 150",
            "less than or equal to 100",
        ),
        ("[risk]\nprice_band_bps = -5\n", "[risk] price_band_bps = -5", "greater than 0"),
        ("[trading]\ncapital_per_pair = 0\n", "[trading] capital_per_pair = 0", "greater than 0"),
        (
            "[trading]\ninterval_minutes = 7\n",
            "[trading]",
            "interval_minutes = 7: use one of Kraken's",
        ),
        ("[trading]\nfast = 9\nslow = 4\n", "[trading]", "fast = 9 must be below slow = 4"),
        ('[trading]\nstrategy = "rsi"\n', "[trading] strategy = 'rsi'", "'ma' or 'model'"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_key(
    tmp_path: Path, text: str, where: str, why: str
) -> None:
    error = _refusal(tmp_path, text)
    assert error.message.startswith(f"{tmp_path / 'config.toml'}: {where}")
    assert why in error.message
    assert error.fix is not None and "edit" in error.fix


def test_a_misspelt_key_gets_a_suggestion(tmp_path: Path) -> None:
    error = _refusal(tmp_path, "[risk]\nmax_drawdwn_pct = 5\n")
    assert error.message.endswith(
        "unknown key [risk] max_drawdwn_pct; did you mean max_drawdown_pct?"
    )
    table = _refusal(tmp_path, "[riks]\nmax_drawdown_pct = 5\n")
    assert table.message.endswith("unknown key [riks]; did you mean risk?")


def test_several_problems_say_how_many_more(tmp_path: Path) -> None:
    error = _refusal(tmp_path, "[risk]\nmax_drawdown_pct = 150\nprice_band_bps = 0\n")
    assert error.message.endswith("(and 1 more)")


def test_not_toml_is_refused(tmp_path: Path) -> None:
    error = _refusal(tmp_path, "[risk\n")
    assert "not valid TOML" in error.message


def test_missing_default_file_gives_defaults_but_a_named_one_is_required(tmp_path: Path) -> None:
    assert load_config(tmp_path / "absent.toml", required=False) == UserConfig()
    with pytest.raises(CliError, match="config file not found"):
        load_config(tmp_path / "absent.toml", required=True)


def test_environment_moves_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KTRADE_CONFIG", str(tmp_path / "mine.toml"))
    assert default_config_path() == tmp_path / "mine.toml"
    monkeypatch.delenv("KTRADE_CONFIG")
    assert default_config_path().name == "config.toml"
    assert default_config_path().parent.name == "kraken-ml-trader"


def test_written_config_reads_back_the_same(tmp_path: Path) -> None:
    config = UserConfig(
        trading=TradingSection(
            pairs=["SOL/USD"], capital_per_pair=Decimal("150.5"), fast=4, slow=12, tier="pro"
        ),
        risk=RiskSection(
            max_drawdown_pct=Decimal("7.5"), allowed_pairs=["SOL/USD", "BTC/USD"], kill_file=""
        ),
    )
    path = tmp_path / "out" / "config.toml"
    save_config(path, config)
    assert load_config(path, required=True) == config
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text(encoding="utf-8")
    assert "# max_drawdown_pct: trips the kill switch" not in text  # comments are sentences
    assert "# trips the kill switch (% from the equity peak, 0-100; 0: off)" in text
    assert 'kill_file = ""' in text
    assert load_config(path, required=True).limits().kill_file is None
    tomllib.loads(text)


def test_risk_limits_default_to_the_traded_pairs() -> None:
    config = UserConfig(trading=TradingSection(pairs=["SOL/USD", "XRP/USD"]))
    limits = config.limits()
    assert limits.allowed_pairs == frozenset({"SOL/USD", "XRP/USD"})
    assert limits.max_drawdown_pct == Decimal(10)
    named = UserConfig(risk=RiskSection(allowed_pairs=["BTC/USD"])).limits()
    assert named.allowed_pairs == frozenset({"BTC/USD"})


def test_data_dir_follows_config_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KTRADE_DATA_DIR", str(tmp_path / "env"))
    assert UserConfig().data_dir() == tmp_path / "env"
    config = UserConfig.model_validate({"paths": {"data_dir": str(tmp_path / "cfg")}})
    assert config.data_dir() == tmp_path / "cfg"
    monkeypatch.delenv("KTRADE_DATA_DIR")
    assert UserConfig().data_dir().name == "kraken-ml-trader"


def test_written_config_names_the_data_dir_default_in_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KTRADE_DATA_DIR", str(tmp_path / "env"))
    text = render_config(UserConfig())
    assert f"(default: {tmp_path / 'env'})" in text
    assert "{data_dir}" not in text
    assert "# data_dir =" in text  # left out, so the default stays in force
