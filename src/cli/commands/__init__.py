"""One module per ``ktrade`` subcommand: ``add_arguments(parser)`` and ``run(ctx) -> int``.

A command module imports only argparse and the standard library at its top: its heavy
dependencies (polars, MLflow, httpx...) are imported inside ``run`` or by the helper modules
``run`` calls, so ``ktrade <command> --help`` stays under a second.
"""
