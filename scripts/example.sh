#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build monos, and run the
# built-in example (examples/hello.c, a static program) inside monos.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
make -j"$(nproc)" all "$PWD/build/examples/hello"
exec build/monos run build/examples/hello
