#!/usr/bin/env bash
# CLI test: the program's exit status is monos' exit status, whichever way
# the program exits.
. "$(dirname "$0")/lib/common.bash"

for n in 0 3 255; do
	run "$MONOS" run "$GUEST/exit" exit "$n"
	check "exit($n) gives status $n" status_is "$n"
	check "exit($n): stdout relayed" out_has "exiting with exit($n)"
done
run "$MONOS" run "$GUEST/exit" raw 3
check "exit_group(3) gives status 3" status_is 3
run "$MONOS" run "$GUEST/crash" segv
check "a NULL dereference gives 139" status_is 139
check "... and says killed by SIGSEGV" err_matches 'killed by SIGSEGV'
finish
