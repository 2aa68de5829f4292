"""``ktrade setup``'s key questions: ask, check on the exchange, store safely."""

from __future__ import annotations

import os

from pydantic import SecretStr

from src.app.venue import KeyReport
from src.brokers.credentials import credentials_file, store_in_keyring, write_credentials_file
from src.cli import setup_flow as flow
from src.cli.context import Context
from src.cli.errors import CliError
from src.core.errors import AuthenticationError, BrokerError
from src.utils.logging import register_secret

MIN_PASSPHRASE = 8


def _report(ctx: Context, report: KeyReport) -> None:
    ctx.print("Key check:", *report.lines())
    if report.can_withdraw:
        ctx.warn(
            "this key may WITHDRAW funds. A trading bot never needs that: create a key without "
            "'Withdraw funds' on Kraken (Settings > API) and run `ktrade setup` again"
        )
    elif report.can_withdraw is None:
        ctx.warn(
            "could not tell whether this key may withdraw funds: check on Kraken (Settings > "
            "API) that 'Withdraw funds' is off for it"
        )
    if report.missing:
        ctx.warn(f"the key lacks {', '.join(report.missing)}: the bot will refuse to start")


def _checked(ctx: Context, key: SecretStr, secret: SecretStr, tier: str) -> bool:
    """Check the key; False when Kraken refused it (the caller asks again)."""
    try:
        report = flow.check_key(key, secret, tier)
    except AuthenticationError as exc:
        ctx.print(f"Kraken refused this key: {exc}")
        return False
    except BrokerError as exc:
        ctx.warn(f"could not check the key ({exc})")
        if not flow.ask_until(ctx, "Store it unchecked? [y/N] ", flow.yes(False)):
            raise CliError("keys not stored", "run `ktrade setup` again when online") from None
        return True
    _report(ctx, report)
    return True


def ask_keys(ctx: Context) -> tuple[SecretStr, SecretStr, str]:
    """The API key, private key and tier, checked on the exchange unless ``--no-check``.

    Raises:
        CliError: the keys were refused every time.
    """
    for _ in range(flow.TRIES):
        key = SecretStr(flow.ask_until(ctx, "Kraken API key: ", _nonempty, secret=True))
        secret = SecretStr(
            flow.ask_until(ctx, "Kraken private key: ", flow.kraken_secret, secret=True)
        )
        for value in (key, secret):  # never in a log line, whatever happens next
            register_secret(value.get_secret_value())
        tier = flow.ask_until(
            ctx, "Verification tier: starter, intermediate or pro [starter]: ", _tier
        )
        if ctx.args.no_check or _checked(ctx, key, secret, tier):
            return key, secret, tier
    raise CliError("Kraken refused the keys", "copy both again from Kraken (Settings > API)")


def _nonempty(text: str) -> str:
    if not text:
        raise ValueError("the API key is empty")
    return text


def _tier(text: str) -> str:
    chosen = text.lower() or "starter"
    if chosen not in flow.TIERS:
        raise ValueError("answer starter, intermediate or pro")
    return chosen


def _passphrase(ctx: Context) -> SecretStr:
    for _ in range(flow.TRIES):
        first = ctx.ask_secret(
            f"Passphrase for the credentials file ({MIN_PASSPHRASE}+ characters): "
        )
        if len(first) < MIN_PASSPHRASE:
            ctx.print(f"  too short: at least {MIN_PASSPHRASE} characters")
            continue
        if ctx.ask_secret("The same passphrase again: ") != first:
            ctx.print("  the two passphrases differ")
            continue
        return SecretStr(first)
    raise CliError("setup stopped: no passphrase", "run `ktrade setup` again")


def store_keys(ctx: Context, key: SecretStr, secret: SecretStr) -> str:
    """Keep the keys in the keyring or the encrypted file, as chosen; say where."""
    values = {"KRAKEN_API_KEY": key, "KRAKEN_API_SECRET": secret}
    storage = ctx.args.storage
    if storage == "auto":
        usable = flow.keyring_usable()
        storage = (
            "keyring"
            if usable
            and flow.ask_until(
                ctx,
                "Store the keys in your OS keyring (else an encrypted file)? [Y/n] ",
                flow.yes(True),
            )
            else "file"
        )
    if storage == "keyring":
        note = store_in_keyring(values)
        where = f"the OS keyring (service kraken-ml-trader; note in {note})"
    else:
        path = credentials_file()
        write_credentials_file(path, values, _passphrase(ctx))
        where = f"the encrypted file {path} (ktrade asks for its passphrase)"
    if os.environ.get("KRAKEN_API_KEY") or os.environ.get("KRAKEN_API_SECRET"):
        ctx.warn(
            "KRAKEN_API_KEY/KRAKEN_API_SECRET are set in the environment: they win over "
            "the stored keys until you unset them"
        )
    ctx.log("operator.keys_stored", storage=storage)
    return where
