"""``ktrade setup``'s run: the questions in order, then the config and the keys."""

from __future__ import annotations

from src.cli import setup_flow as flow
from src.cli.config import save_config
from src.cli.context import Context
from src.cli.setup_keys import ask_keys, store_keys

NEXT = """next steps:
  ktrade check        the connection{keys}
  ktrade download     candles into the candle store
  ktrade train        a model (MLflow)
  ktrade backtest     --compare, with an HTML report
  ktrade paper        the strategy on the paper exchange
  ktrade live         real money, after a paper session"""


def run_setup(ctx: Context) -> int:
    """Ask, write the config, store the keys; 0 when done."""
    ctx.print(
        f"ktrade setup: your config goes to {ctx.config_path}",
        "(another place: --config FILE or KTRADE_CONFIG)",
        "",
    )
    current = flow.existing_config(ctx)
    config = flow.ask_trading(ctx, current)
    where = None
    if flow.ask_until(
        ctx, "Connect a Kraken account now (paper trading needs none)? [y/N] ", flow.yes(False)
    ):
        key, secret, tier = ask_keys(ctx)
        trading = config.trading.model_copy(update={"tier": tier})
        config = config.model_copy(update={"trading": trading})
        where = store_keys(ctx, key, secret)
    save_config(ctx.config_path, config)
    ctx.log("operator.setup_done", config=str(ctx.config_path), keys=where is not None)
    ctx.print("", f"config written: {ctx.config_path}")
    ctx.print(f"keys stored in {where}" if where else "no keys stored: paper trading only")
    ctx.print(NEXT.format(keys=" and your key" if where else " (the paper exchange)"))
    return 0
