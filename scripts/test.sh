#!/usr/bin/env bash
# Quick start, step 2: install what is missing, build monos, run every test.
# Ends with "N passed, N failed" and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
make -j"$(nproc)" all
# tests/run.sh also builds `make SAN=1` (build/san) for its san/ stage.
exec bash tests/run.sh "$@"
