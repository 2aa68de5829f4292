"""``ktrade``, the project's command line: setup, data, training, backtests, paper and live trading.

Every subcommand lives in ``src/cli/commands/<name>.py`` with ``add_arguments`` and ``run``;
``src/cli/main.py`` imports only the one asked for, so ``--help`` stays fast.
"""
