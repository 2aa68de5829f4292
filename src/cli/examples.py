"""The example scripts ``ktrade`` runs: imported from the source checkout, by one function.

``check``, ``paper`` and ``live`` reuse the code of ``examples/test_kraken_connection.py`` and
``examples/live_trading_kraken.py`` (which stay, as the user's guide names them) instead of a
second copy. Those files are not part of the installed package; from a wheel the import fails
and the error says so.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from src.cli.errors import CliError

CONNECTION = "examples.test_kraken_connection"
LIVE_TRADING = "examples.live_trading_kraken"


def load_example(module: str) -> ModuleType:
    """Import ``module`` (one of the constants above).

    Raises:
        CliError: the examples are not importable (an installed wheel outside the checkout).
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name not in ("examples", module):
            raise
        path = module.replace(".", "/") + ".py"
        raise CliError(
            f"this command runs {path}, which ships with the source checkout, not the wheel",
            "run ktrade from a clone of the repository (pip install -e .)",
        ) from None
