#!/usr/bin/env bash
# CLI test: the program's own terminal.  When `monos run` is started on a
# terminal (a pty made by script(1)), fds 0-2 in the guest are the console
# on the shared tty layer (kernel/fs/tty.c): the guest program pty_console
# must print the same natively under script(1) as inside monos under it,
# the terminal's size included, and a resize of that terminal from outside
# (stty on the pty) must reach the program as SIGWINCH and a new size.
. "$(dirname "$0")/lib/common.bash"
rc=0

PROG=$GUEST/pty_console
RUN_TIMEOUT=120 # seconds: the watchdog of every run (design 13)
READY_WAIT=600  # tenths of a second to wait for the program (boot under TCG)

if ! command -v script >/dev/null; then
	echo "ok the console as a terminal: skipped, script(1) is not installed"
	finish
fi

# on_terminal OUT NAME CMD...: run CMD with a pty of 33 rows and 111 columns
# as its terminal, output to OUT; once it waits, resize that pty (fd 0 of
# CMD, the process NAME that script(1) started) to 40 rows: one change, one
# SIGWINCH (stty sets rows and columns one at a time).
on_terminal() {
	local out=$1 name=$2 pid= tty i
	shift 2
	timeout -k 5 "$RUN_TIMEOUT" script -qec "stty rows 33 cols 111 && exec $(printf '%q ' "$@")" \
		/dev/null </dev/null >"$out" 2>&1 &
	for ((i = 0; i < READY_WAIT; i++)); do
		grep -qs 'waiting for a resize' "$out" && break
		sleep 0.1
	done
	# timeout -> script -> CMD: never another user's process of that name.
	for i in $(pgrep -P "$(pgrep -P $!)"); do
		[ "$(cat "/proc/$i/comm" 2>/dev/null)" = "$name" ] && pid=$i
	done
	tty=$(readlink "/proc/$pid/fd/0" 2>/dev/null)
	[ -n "$pid" ] && [[ $tty == /dev/pts/* ]] && stty -F "$tty" rows 40
	wait $!
}

on_terminal "$scratch/native" pty_console "$PROG" resize
check "natively: the program ran on a terminal" grep -q '^ok  isatty on fds 0, 1 and 2' "$scratch/native"
check "natively: the resize came" grep -q 'after a resize: 40 rows, 111 columns, SIGWINCH 1' "$scratch/native"
on_terminal "$scratch/monos" monos "$MONOS" run "$PROG" resize
rc=$?
out=$(cat -v "$scratch/monos")
err=""
check "in monos: status 0" status_is 0
check "in monos: the same output as natively" cmp -s "$scratch/native" "$scratch/monos"
if ! cmp -s "$scratch/native" "$scratch/monos"; then
	diff "$scratch/native" "$scratch/monos" | head -20 | cat -v | sed 's/^/    | /'
fi
finish
