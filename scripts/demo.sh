#!/usr/bin/env bash
# Set up and run the main job: train a model on the shipped Kraken data (tracked in MLflow), trade it
# for about a minute on the local Kraken-compatible paper exchange, then print a reconciled summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python examples/paper_demo.py "$@"
