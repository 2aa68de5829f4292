#!/usr/bin/env bash
# Set up and run every check: ruff, mypy --strict, and the whole test suite. Fails on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh dev
bash scripts/browser.sh
echo "==> ruff" >&2
.venv/bin/ruff check src tests examples benchmarks
echo "==> mypy --strict" >&2
.venv/bin/mypy src examples tests benchmarks
echo "==> pytest" >&2
.venv/bin/pytest -q -p no:cacheprovider "$@"
