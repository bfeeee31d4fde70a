#!/usr/bin/env bash
# sanitizers: this script boots no guest
# CLI test: the instance commands with no instance, and their bad input:
# empty listings, one clear line and status 125 for unknown names and
# flags.  Runs again under ASan/UBSan (tests/run.sh's san/cli/).
. "$(dirname "$0")/lib/common.bash"
export XDG_RUNTIME_DIR=$scratch/rt
mkdir -m 700 "$XDG_RUNTIME_DIR"

for args in "ps" "ps -a" "stats"; do
	# shellcheck disable=SC2086 # two words on purpose
	run "$MONOS" $args
	check "$args with no instance: status 0" status_is 0
	check "$args with no instance: a header only" test "$(wc -l <"$scratch/out")" -eq 1
done
run "$MONOS" ps -aq
check "ps -aq with no instance: nothing" test "$rc" -eq 0 -a -z "$out"
for c in logs stop kill wait rm inspect start "stats --raw"; do
	# shellcheck disable=SC2086
	run "$MONOS" $c nosuch
	check "$c of an unknown name: 125" status_is 125
	check "$c of an unknown name: says so" err_matches "no such (instance|image or instance): nosuch"
done
for c in "ps -x" "logs --tail x a" "stop -t x a" "kill -s NOSIG a" "rm -x a" "stats --bogus"; do
	# shellcheck disable=SC2086
	run "$MONOS" $c
	check "monos $c: refused" status_is 125
done
for c in logs stop kill wait rm start; do
	run "$MONOS" "$c"
	check "$c without a name: refused" err_matches "no instance given"
done
# The runtime directory must be private: a shared one is refused.
chmod 755 "$XDG_RUNTIME_DIR/monos"
run "$MONOS" ps
check "a runtime directory others may read is refused" err_matches "not a private directory"
finish
