#!/usr/bin/env bash
# CLI test: signals sent to monos reach the program in the instance.  The
# sleeper guest prints "ready" and sleeps 60 s; SIGINT, SIGTERM or SIGHUP to
# the monos process must end it promptly with the shell's status for that
# signal (128 + N) and say "killed by SIGxxx", as if the program had been a
# local process, with one line from monos and no kernel log.  A program
# that ignores SIGINT must survive one, and a Ctrl-C typed on a terminal (a
# pty made by script(1)) must act as SIGINT.  The second SIGINT, SIGTERM or
# SIGHUP kills the instance (a program that ignores them, blocked or
# spinning, once kept `monos run` alive for minutes).
. "$(dirname "$0")/lib/common.bash"

SLEEPER=$GUEST/sleeper
RUN_TIMEOUT=60   # seconds: the watchdog of every monos run (design 13)
READY_WAIT=600   # tenths of a second to wait for "ready" (boot under TCG, a loaded host)
PROMPT=100       # tenths of a second a signalled run may take to end
SURVIVE=2        # seconds an ignored SIGINT must leave the program running

# start ARGS...: start `monos run sleeper ARGS` in the background under a
# watchdog; sets $wpid (the watchdog) and $mpid (monos itself) once the
# program printed "ready", or returns 1.  A background job of a script starts
# with SIGINT ignored, so env restores the default first: the test is about
# the relay, not about an inherited disposition.
start() {
	local i
	: >"$scratch/out"
	: >"$scratch/err"
	timeout -k 5 "$RUN_TIMEOUT" env --default-signal=INT,QUIT \
		"$MONOS" run "${PROG:-$SLEEPER}" "$@" >"$scratch/out" 2>"$scratch/err" &
	wpid=$!
	for ((i = 0; i < READY_WAIT; i++)); do
		grep -qx ready "$scratch/out" && break
		kill -0 "$wpid" 2>/dev/null || break
		sleep 0.1
	done
	mpid=$(pgrep -P "$wpid")
	grep -qx ready "$scratch/out" && [ -n "$mpid" ]
}

# finish_run: wait for the watchdog (which exits with monos' status) and set
# $rc, $out, $err, $tenths (how long the run took to end after the signal).
# A run still alive after PROMPT is killed and counts as a failure.
finish_run() {
	for ((tenths = 0; tenths < PROMPT; tenths++)); do
		kill -0 "$wpid" 2>/dev/null || break
		sleep 0.1
	done
	[ "$tenths" -lt "$PROMPT" ] || kill -KILL "$mpid" 2>/dev/null
	wait "$wpid"
	rc=$?
	out=$(cat -v "$scratch/out")
	err=$(cat -v "$scratch/err")
}

# prompt: the last signalled run ended within PROMPT.
prompt() {
	[ "$tenths" -lt "$PROMPT" ]
}

# not_woken: the sleeper never returned from nanosleep (it prints why if so).
not_woken() {
	! grep -q '^nanosleep' "$scratch/out" && ! grep -q '^slept' "$scratch/out"
}

alive() {
	kill -0 "$mpid" 2>/dev/null
}

one_line() {
	[ "$(wc -l <"$scratch/err")" = 1 ]
}

[ -x "$SLEEPER" ] || { echo "FAILED not built: $SLEEPER (make guest-programs)"; exit 1; }

for pair in INT:130 TERM:143 HUP:129; do
	sig=${pair%:*}
	want=${pair#*:}
	rc=-1 out="" err=""
	if ! start; then
		check "SIG$sig: the program started and said ready" false
		finish_run
		continue
	fi
	kill -"$sig" "$mpid"
	finish_run
	check "SIG$sig: monos ends promptly (< $((PROMPT / 10)) s)" prompt
	check "SIG$sig: status $want" status_is "$want"
	check "SIG$sig: says killed by SIG$sig" err_matches "killed by SIG$sig"
	check "SIG$sig: one line on stderr, no kernel log" one_line
	check "SIG$sig: killed in its sleep" not_woken
done

# SIGINT set to SIG_IGN in the program: the host's SIGINT is delivered and
# ignored there; neither the program nor its sleep may end.
rc=-1 out="" err=""
if start ignore; then
	kill -INT "$mpid"
	sleep "$SURVIVE"
	check "SIG_IGN: still running ${SURVIVE} s after SIGINT" alive
	check "SIG_IGN: its sleep was not interrupted" not_woken
	kill -TERM "$mpid" 2>/dev/null
	finish_run
	check "SIG_IGN: then SIGTERM, the second signal, ends it promptly" prompt
	check "SIG_IGN: then SIGTERM gives 143" status_is 143
	check "SIG_IGN: says SIGTERM killed the instance" err_matches 'SIGTERM again: the instance was killed'
else
	check "SIG_IGN: the program started and said ready" false
	finish_run
fi

# A program that ignores SIGINT, SIGTERM and SIGHUP, blocked in a sleep or
# spinning: the first signal changes nothing, the second kills the instance
# with 128 + its number and one line.
cat >"$scratch/stubborn.c" <<'CEOF'
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	volatile unsigned long n = 0;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	printf("ready\n");
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "spin"))
		for (;;)
			n++;
	for (;;)
		pause();
}
CEOF
if musl-gcc -static -O2 -o "$scratch/stubborn" "$scratch/stubborn.c"; then
	# The same signal twice within a few ms (as timeout(1) sends it: to its
	# child, then to its process group) is one request, not two.
	rc=-1 out="" err=""
	if PROG=$scratch/stubborn start block; then
		kill -TERM "$mpid"
		sleep 0.05
		kill -TERM "$mpid"
		sleep "$SURVIVE"
		check "repeat: SIGTERM twice within 50 ms is one request: still running" alive
		kill -TERM "$mpid"
		finish_run
		check "repeat: a SIGTERM seconds later kills it (143)" status_is 143
	else
		check "repeat: the program started and said ready" false
		finish_run
	fi
	for how in block:TERM:TERM:143 spin:TERM:INT:130; do
		IFS=: read -r mode first second want <<<"$how"
		rc=-1 out="" err=""
		if ! PROG=$scratch/stubborn start "$mode"; then
			check "$mode: the program started and said ready" false
			finish_run
			continue
		fi
		kill -"$first" "$mpid"
		sleep "$SURVIVE"
		check "$mode: still running ${SURVIVE} s after SIG$first (ignored)" alive
		kill -"$second" "$mpid"
		finish_run
		check "$mode: SIG$second after SIG$first ends it promptly" prompt
		check "$mode: status $want" status_is "$want"
		check "$mode: one line says SIG$second killed the instance" eval \
			'one_line && err_matches "^monos: SIG$second again: the instance was killed"'
	done
else
	check "the stubborn program builds" false
fi

# Ctrl-C typed on a terminal: script(1) gives monos a pty, whose input we
# feed through a FIFO kept open until the byte 0x03 has been written.
if command -v script >/dev/null; then
	mkfifo "$scratch/keys"
	timeout -k 5 "$RUN_TIMEOUT" script -qec "$(printf '%q ' "$MONOS" run "$SLEEPER")" /dev/null \
		<"$scratch/keys" >"$scratch/out" 2>"$scratch/err" &
	wpid=$!
	exec 3>"$scratch/keys"
	for ((i = 0; i < READY_WAIT; i++)); do
		grep -q ready "$scratch/out" && break
		sleep 0.1
	done
	printf '\003' >&3
	mpid=$(pgrep -P "$wpid")
	finish_run
	exec 3>&-
	check "Ctrl-C on a terminal: ends promptly" prompt
	check "Ctrl-C on a terminal: status 130" status_is 130
	check "Ctrl-C on a terminal: says killed by SIGINT" grep -q 'killed by SIGINT' "$scratch/out"
else
	echo "ok Ctrl-C on a terminal: skipped, script(1) is not installed"
fi
# A guest that never gets as far as the program (QEMU started paused with
# -S stands for a kernel that hangs at boot): SIGTERM to monos kills the
# instance at once instead of waiting for a READY that never comes.
MONOS_QEMU_ARGS=-S "$MONOS" run "$GUEST/exit" exit 0 >"$scratch/out" 2>"$scratch/err" &
pid=$!
sleep 2
start=$(date +%s)
kill -TERM $pid
timeout 20 tail --pid=$pid -f /dev/null
alive=no
kill -0 $pid 2>/dev/null && alive=yes && pkill -KILL -P $pid && kill -KILL $pid
wait $pid
rc=$?
out= err=$(cat "$scratch/err")
check "SIGTERM before the program started: monos exits at once" \
	eval '[ $alive = no ] && [ $(($(date +%s) - start)) -lt 10 ]'
check "... status 130, the instance killed" status_is 130
check "... and says so" err_matches 'interrupted: the instance was killed'
finish
