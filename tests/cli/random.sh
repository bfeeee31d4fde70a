#!/usr/bin/env bash
# CLI test: two runs of the same image never see the same random bytes
# (getrandom and AT_RANDOM), and neither matches a native run.
. "$(dirname "$0")/lib/common.bash"

run "$MONOS" run "$GUEST/random"
first=$out
check "first run: status 0" status_is 0
check "first run: prints getrandom bytes" grep -qE '^getrandom: [0-9a-f]{64}$' "$scratch/out"
run "$MONOS" run "$GUEST/random"
check "second run: status 0" status_is 0
check "the two runs differ" [ "$first" != "$out" ]
check "getrandom lines differ" \
	[ "$(grep getrandom <<<"$first")" != "$(grep getrandom <<<"$out")" ]
check "AT_RANDOM lines differ" \
	[ "$(grep AT_RANDOM <<<"$first")" != "$(grep AT_RANDOM <<<"$out")" ]
check "differs from native" [ "$("$GUEST/random")" != "$out" ]
finish
