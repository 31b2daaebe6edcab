#!/usr/bin/env bash
# Set up and run the demo hall: hub (SQLite), broker, simulated devices, dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/hallkeeper demo "$@"
