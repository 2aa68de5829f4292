"""``python -m src.ml`` is an alias of ``python -m src.ml.train``."""

import sys

from src.ml.train import main

sys.exit(main())
