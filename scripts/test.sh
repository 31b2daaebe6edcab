#!/usr/bin/env bash
# Set up and run every check: ruff (lint + format), mypy, the import-linter layering contracts
# (pyproject.toml [tool.importlinter]), and the pytest suite on the real
# parts (private Mosquitto brokers, SQLite and PostgreSQL, pty serial peers, recorded frames,
# headless Chromium). Extra arguments go to pytest. Benchmarks: `.venv/bin/hallkeeper bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check models edge hub tests
.venv/bin/ruff format --check models edge hub tests
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
.venv/bin/pytest "$@"
