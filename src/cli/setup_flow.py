"""``ktrade setup``: the questions, the key check, and where the answers are kept.

The config goes to the user config directory (``--config`` or ``KTRADE_CONFIG`` elsewhere);
the keys go to the OS keyring when one is usable, else to an encrypted credentials file
(Scrypt-derived key, Fernet), never into the config. Every prompt goes through
``Context.ask``/``ask_secret``, so a test can answer them from a script.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from pydantic import SecretStr

from src.app.venue import KeyReport
from src.cli.config import RiskSection, TradingSection, UserConfig, load_config
from src.cli.context import Context
from src.cli.errors import CliError

T = TypeVar("T")
TRIES = 3
TIERS = ("starter", "intermediate", "pro")


def ask_until(ctx: Context, prompt: str, parse: Callable[[str], T], secret: bool = False) -> T:
    """Ask until ``parse`` accepts the answer (it raises ValueError with the reason).

    Raises:
        CliError: no acceptable answer after a few tries.
    """
    for _ in range(TRIES):
        answer = (ctx.ask_secret if secret else ctx.ask)(prompt).strip()
        try:
            return parse(answer)
        except ValueError as exc:
            ctx.print(f"  {exc}")
    raise CliError("setup stopped: no valid answer", "run `ktrade setup` again")


def yes(default: bool) -> Callable[[str], bool]:
    """A parser of yes/no answers with a default for an empty one."""

    def parse(text: str) -> bool:
        if not text:
            return default
        if text.lower() in ("y", "yes"):
            return True
        if text.lower() in ("n", "no"):
            return False
        raise ValueError("answer y or n")

    return parse


def pairs(default: list[str]) -> Callable[[str], list[str]]:
    """A parser of a space- or comma-separated list of BASE/QUOTE pairs."""

    def parse(text: str) -> list[str]:
        found = [p.upper() for p in text.replace(",", " ").split()] or default
        bad = [p for p in found if p.count("/") != 1 or not all(p.split("/"))]
        if bad:
            raise ValueError(f"{bad[0]} is not BASE/QUOTE: write pairs like BTC/USD ETH/USD")
        return found

    return parse


def amount(default: Decimal, low: Decimal, high: Decimal, what: str) -> Callable[[str], Decimal]:
    """A parser of a number within ``[low, high]`` (an empty answer is ``default``)."""

    def parse(text: str) -> Decimal:
        try:
            value = Decimal(text) if text else default
        except InvalidOperation:
            raise ValueError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise ValueError(f"{what} must be between {low} and {high}")
        return value

    return parse


def kraken_secret(text: str) -> str:
    """Accept a base64 private key (as Kraken shows it)."""
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "that is not the private key: it is base64 (letters, digits, '+', '/', ending "
            "in '='); paste it exactly as Kraken showed it"
        ) from None
    if not text:
        raise ValueError("the private key is empty")
    return text


def check_key(api_key: SecretStr, api_secret: SecretStr, tier: str) -> KeyReport:
    """Probe the key on the exchange (``KRAKEN_API_URL`` or Kraken) with harmless calls."""
    from src.app.venue import check_key as probe
    from src.brokers.kraken.settings import KrakenSettings
    from src.brokers.kraken_adapter import KrakenAdapter

    async def run() -> KeyReport:
        settings = KrakenSettings(tier=tier)
        async with KrakenAdapter(
            api_key=api_key.get_secret_value(),
            api_secret=api_secret.get_secret_value(),
            settings=settings,
        ) as adapter:
            return await probe(adapter)

    return asyncio.run(run())


def keyring_usable() -> bool:
    """Whether the OS offers a real keyring (not keyring's "fail" backend)."""
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    return not isinstance(backend, fail.Keyring) and float(getattr(backend, "priority", 0)) > 0


def existing_config(ctx: Context) -> UserConfig:
    """The config to start from: the existing one (if the user may replace it), else defaults."""
    if not ctx.config_path.exists():
        return UserConfig()
    if not ctx.args.force and not ask_until(
        ctx,
        f"{ctx.config_path} exists. Replace it (your answers start from it)? [y/N] ",
        yes(False),
    ):
        raise CliError("nothing changed", None, exit_code=1)
    try:
        return load_config(ctx.config_path, required=True)
    except CliError:
        ctx.warn(f"{ctx.config_path} is not valid: starting from the defaults")
        return UserConfig()


def ask_trading(ctx: Context, current: UserConfig) -> UserConfig:
    """Pairs, capital and the two loss limits."""
    t, r = current.trading, current.risk
    chosen = ask_until(ctx, f"Pairs to trade [{' '.join(t.pairs)}]: ", pairs(t.pairs))
    quote = chosen[0].split("/")[1]
    capital = ask_until(
        ctx,
        f"Capital per pair, in {quote} [{t.capital_per_pair}]: ",
        amount(t.capital_per_pair, Decimal("0.01"), Decimal(10_000_000), "the capital"),
    )
    drawdown = ask_until(
        ctx,
        f"Stop trading after falling how many % from the peak (0: never) [{r.max_drawdown_pct}]: ",
        amount(r.max_drawdown_pct, Decimal(0), Decimal(100), "the drawdown limit"),
    )
    daily = ask_until(
        ctx,
        f"Stop trading after losing how much in a day, in {quote} (0: never) "
        f"[{r.daily_loss_limit}]: ",
        amount(r.daily_loss_limit, Decimal(0), Decimal(10_000_000), "the daily loss limit"),
    )
    trading = TradingSection.model_validate(
        {**t.model_dump(), "pairs": chosen, "capital_per_pair": capital}
    )
    risk = RiskSection.model_validate(
        {**r.model_dump(), "max_drawdown_pct": drawdown, "daily_loss_limit": daily}
    )
    return current.model_copy(update={"trading": trading, "risk": risk})
