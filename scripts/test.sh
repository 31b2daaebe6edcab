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
# Two workers (pytest-xdist), each test file on one of them (module fixtures built once): the
# suite waits on brokers, databases and subprocesses much of the time, so two workers on two
# cores take about two thirds of the serial time. HK_TEST_WORKERS=0 runs it in one process.
.venv/bin/pytest -n "${HK_TEST_WORKERS:-2}" --dist loadfile "$@"
