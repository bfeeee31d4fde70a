#!/usr/bin/env bash
# CLI test: the program's own terminal.  When `monos run` is started on a
# terminal (a pty made by script(1)), fds 0-2 in the guest are the console
# on the shared tty layer (kernel/fs/tty.c): the guest program pty_console
# must print the same natively under script(1) as inside monos under it,
# the terminal's size included.
. "$(dirname "$0")/lib/common.bash"

PROG=$GUEST/pty_console
RUN_TIMEOUT=60 # seconds: the watchdog of every run (design 13)

if ! command -v script >/dev/null; then
	echo "ok the console as a terminal: skipped, script(1) is not installed"
	finish
fi
# on_terminal OUT CMD...: run CMD with a pty of 33 rows and 111 columns as
# its terminal, output to OUT.
on_terminal() {
	local out=$1
	shift
	timeout -k 5 "$RUN_TIMEOUT" script -qec "stty rows 33 cols 111 && exec $(printf '%q ' "$@")" \
		/dev/null </dev/null >"$out" 2>&1
}

on_terminal "$scratch/native" "$PROG"
check "natively: the program ran on a terminal" grep -q '^ok  isatty on fds 0, 1 and 2' "$scratch/native"
run on_terminal "$scratch/monos" "$MONOS" run "$PROG"
check "in monos: status 0" status_is 0
check "in monos: the same output as natively" cmp -s "$scratch/native" "$scratch/monos"
if ! cmp -s "$scratch/native" "$scratch/monos"; then
	diff "$scratch/native" "$scratch/monos" | head -20 | cat -v | sed 's/^/    | /'
fi
finish
