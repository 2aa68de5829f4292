#!/usr/bin/env bash
# Set up the project's virtualenv (.venv) from the lock file on a machine that has only Python 3.11+.
# uv is used when present; otherwise it is installed from PyPI into a private bootstrap venv.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=("$@")
if command -v uv >/dev/null 2>&1; then
  UV=uv
else
  if [ ! -x .uv-bootstrap/bin/uv ]; then
    echo "==> installing uv from PyPI into .uv-bootstrap/" >&2
    python3 -m venv .uv-bootstrap
    .uv-bootstrap/bin/python -m pip install --quiet --disable-pip-version-check uv
  fi
  UV=.uv-bootstrap/bin/uv
fi
args=()
for e in "${extras[@]}"; do args+=(--extra "$e"); done
echo "==> syncing .venv from uv.lock (${extras[*]:-runtime only})" >&2
"$UV" sync --locked --inexact "${args[@]}" >&2
