"""Before the run: the workdir, free ports, the account's keys, the risk limits file."""

from __future__ import annotations

import base64
import random
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from src.app.soak.config import SoakConfig
from src.venues.kraken_paper.exchange import PaperExchange

MARKER = ".soak-workdir"
#: The audit's key may read everything and change nothing (as a read-only key on Kraken).
AUDIT_PERMISSIONS = frozenset({"query_funds", "query_open_orders", "query_closed_orders"})


@dataclass(frozen=True)
class Layout:
    """Where everything of one run lives, and the credentials it uses."""

    workdir: Path
    exchange_db: Path
    runtime_db: Path
    risk_config: Path
    exchange_port: int
    proxy_port: int
    key: str
    secret: str
    audit_key: str
    audit_secret: str

    @property
    def exchange_url(self) -> str:
        """The exchange's REST root, direct (the audit's way in)."""
        return f"http://127.0.0.1:{self.exchange_port}"


def prepare_workdir(path: Path) -> Path:
    """Create ``path``, or empty it if an earlier soak made it; refuse anything else non-empty."""
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise SystemExit(f"{path} is not empty and was not made by the soak: pick another")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("made by python -m src.app.soak; emptied at each run\n")
    return path.resolve()


def free_port() -> int:
    """A port nothing listens on now (the exchange keeps it across its restarts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _credentials(rng: random.Random, prefix: str) -> tuple[str, str]:
    key = f"{prefix}-{rng.getrandbits(64):016x}"
    return key, base64.b64encode(rng.randbytes(64)).decode()


async def provision_exchange(db: Path, key: str, secret: str) -> tuple[str, str]:
    """Create the exchange's state file with the trading key and a read-only audit key.

    Done in-process before the standalone exchange first starts on ``db``, the way one makes
    a second, read-only API key on Kraken's site: the audit gets its own nonce sequence and
    its own rate-limit counter, so it never disturbs the runtime's.
    """
    ex = PaperExchange(market="replay", db_path=db, api_key=key, api_secret=secret)
    audit = ex.create_api_key(AUDIT_PERMISSIONS)
    ex.persist()
    if ex.store is not None:
        ex.store.close()
    return audit


RISK_TOML = """# Written by the soak harness: wide enough for a month of churn, checks still on.
allowed_pairs = {pairs}
max_order_notional = "{order}"
max_position_notional = "{position}"
max_gross_exposure = "{gross}"
allow_leverage = false
price_band_bps = 1000
max_orders_per_minute = 5000
max_data_age_seconds = 60.0
daily_loss_limit = "0"   # off: a month of fees would trip it; the run is about plumbing
max_drawdown_pct = "0"   # off, likewise
kill_file = "KILL"
"""


def write_risk(path: Path, cfg: SoakConfig) -> Path:
    """The risk limits file the worker loads through the example's ``--risk-config`` path."""
    pairs = "[" + ", ".join(f'"{p}"' for p in cfg.pairs) + "]"
    cap = cfg.capital_per_pair
    path.write_text(RISK_TOML.format(pairs=pairs, order=cap * 3, position=cap * 5, gross=cap * 20))
    return path


async def make_layout(cfg: SoakConfig, rng: random.Random) -> Layout:
    """Workdir, ports, keys and files for one run."""
    workdir = prepare_workdir(cfg.workdir)
    key, secret = _credentials(rng, "soak")
    exchange_db = workdir / "exchange.sqlite"
    audit_key, audit_secret = await provision_exchange(exchange_db, key, secret)
    return Layout(
        workdir=workdir,
        exchange_db=exchange_db,
        runtime_db=workdir / "runtime.sqlite",
        risk_config=write_risk(workdir / "risk.toml", cfg),
        exchange_port=free_port(),
        proxy_port=free_port(),
        key=key,
        secret=secret,
        audit_key=audit_key,
        audit_secret=audit_secret,
    )
