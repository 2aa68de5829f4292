"""``python -m src.cli``: the same as the ``ktrade`` console script."""

import sys

from src.cli.main import main

sys.exit(main())
