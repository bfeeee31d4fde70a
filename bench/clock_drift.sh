#!/usr/bin/env bash
# The wall clock's drift over a long run (docs/benchmarks.md, "Clock drift"):
# a guest (tests/guest/clockecho.c) answers its CLOCK_REALTIME on request for
# SECONDS (default 3600), sampled every INTERVAL (default 60) s by round trips
# through stdin/stdout, the shortest of 40 kept (tests/cli/lib/clock_offset.py
# explains the bracketing).  Prints the offset at each sample and the drift:
# the last offset minus the first.  The constant offset at start is the
# CLI-to-boot latency (the per-run time is taken before QEMU starts), not
# drift.
# Usage: bench/clock_drift.sh [SECONDS [INTERVAL]]   (after make)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exec nice python3 tests/cli/lib/clock_offset.py "${MONOS:-$BUILD/monos}" \
	"$BUILD/tests/guest/musl/clockecho" "${1:-3600}" "${2:-60}"
