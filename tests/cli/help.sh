#!/usr/bin/env bash
# sanitizers: this script boots no guest
# CLI test: `monos --help` and `monos run --help` succeed and document every
# option of `monos run`.
. "$(dirname "$0")/lib/common.bash"

# Every option cli/options.c accepts; keep in step with it.
FLAGS=(-m --memory -e --env --file --accel --trace-syscalls -v --volume --rootfs --verbose -h --help
	-d --detach --name --restart -f --manifest)

for cmd in "--help" "run --help"; do
	# shellcheck disable=SC2086 # $cmd is two words on purpose
	run "$MONOS" $cmd
	check "monos $cmd: status 0" status_is 0
	check "monos $cmd: prints usage" grep -qi 'usage' "$scratch/out"
	for f in "${FLAGS[@]}"; do
		check "monos $cmd mentions $f" grep -qe "$f\\b" "$scratch/out"
	done
done
# The top-level help once said programs must be static.
run "$MONOS" --help
check "monos --help: dynamic programs run too" grep -qi 'dynamic' "$scratch/out"
check "monos --help: no claim that programs must be static" \
	eval '! grep -qi "unmodified static" "$scratch/out"'
# The instance commands (cmd_*.c), each in the top-level help and its own.
for c in create start ps logs stop kill wait rm inspect stats; do
	check "monos --help lists $c" grep -qE "(^|[ ,])$c([ ,]|\$)" "$scratch/out"
	run "$MONOS" help "$c"
	check "monos help $c" grep -qE "^  $c " "$scratch/out"
done
finish
