#!/usr/bin/env bash
# CLI test: monos exec starts a second process in a running instance, as
# docker exec does (cli/cmd_exec.c, cli/monitor_exec.c, kernel/init/exec.c).
# The instance is busybox's shell printing a line a second; each exec runs
# busybox (static, the instance's own program) beside it.
. "$(dirname "$0")/lib/common.bash"
export XDG_RUNTIME_DIR=$scratch/rt
mkdir -m 700 "$XDG_RUNTIME_DIR"
trap '"$MONOS" rm -f $("$MONOS" ps -aq) >/dev/null 2>&1; rm -rf "$scratch"' EXIT
BB=/bin/busybox
[ -x $BB ] || { echo "skip: no $BB (busybox-static)"; exit 0; }

logs_have() { "$MONOS" logs "$1" | grep -qF -- "$2"; }
# rc_err N REGEX, rc_out N TEXT: the last run's status and its stderr or stdout.
rc_err() { status_is "$1" && err_matches "$2"; }
rc_out() { status_is "$1" && out_has "$2"; }

run "$MONOS" run -d --name box -e INST=yes $BB sh -c \
	'echo ready; i=0; while true; do echo main-$i; i=$((i+1)); sleep 1; done'
check "the instance starts" status_is 0
check "its program runs" until_ok 60 logs_have box ready

run "$MONOS" exec box $BB echo hello there
check "exec: output and status 0" rc_out 0 "hello there"
check "... and only the exec's output (not the program's)" bash -c "! grep -q main- '$scratch/out'"
run "$MONOS" exec box $BB sh -c 'echo to-err >&2; exit 3'
check "exec: status 3, stderr apart" rc_err 3 "^to-err$"
run "$MONOS" exec box $BB sh -c 'kill -TERM $$'
check "exec: killed by SIGTERM gives 143" status_is 143
run "$MONOS" exec box busybox true
check "exec: a name is found in the instance's PATH" status_is 0
run "$MONOS" exec box no-such-program
check "exec: a missing program gives 127 and says so" rc_err 127 "no-such-program: executable file not found"
run "$MONOS" exec -w /no/such/dir box $BB true
check "exec: a missing -w directory gives 126" rc_err 126 "working directory"

run "$MONOS" exec -e FOO=bar -e INST=over -w /proc box $BB sh -c 'echo $FOO $INST $PWD'
check "exec -e (over the instance's environment) and -w" out_has "bar over /proc"
run "$MONOS" exec box $BB sh -c 'echo $INST'
check "exec: the instance's environment is the base" out_has "yes"
run "$MONOS" exec -u 1000:1001 box $BB id
check "exec -u UID:GID" out_has "uid=1000 gid=1001"
run "$MONOS" exec box $BB id -u
check "exec: the program's user by default" out_has "0"

printf 'one\ntwo\nthree\n' >"$scratch/in"
run bash -c "\"$MONOS\" exec -i box $BB wc -l <'$scratch/in'"
check "exec -i: stdin is relayed, EOF ends it" out_has "3"
run bash -c "\"$MONOS\" exec box $BB cat <'$scratch/in'"
check "exec without -i: stdin is empty" bash -c "[ $rc -eq 0 ] && [ ! -s '$scratch/out' ]"
head -c 300000 /dev/urandom >"$scratch/big"
want=$(md5sum <"$scratch/big" | cut -d' ' -f1)
run bash -c "\"$MONOS\" exec -i box $BB md5sum <'$scratch/big'"
check "exec -i: 300 KB of stdin arrive whole (beyond the 64 KiB window)" \
	grep -q "^$want " "$scratch/out"

# Two at once, interleaved in time: each gets its own output.
"$MONOS" exec box $BB sh -c 'echo a1; sleep 1; echo a2' >"$scratch/a" 2>&1 &
pa=$!
"$MONOS" exec box $BB sh -c 'echo b1; sleep 1; echo b2; exit 4' >"$scratch/b" 2>&1
rb=$?
wait $pa
ra=$?
check "two execs at once: each its output and status" bash -c \
	"[ $ra -eq 0 ] && [ $rb -eq 4 ] && [ \"\$(cat '$scratch/a')\" = \$'a1\na2' ] && [ \"\$(cat '$scratch/b')\" = \$'b1\nb2' ]"

# SIGTERM to the client reaches the process.
"$MONOS" exec box $BB sh -c 'trap "echo got-term; exit 7" TERM; echo up; while true; do sleep 1; done' \
	>"$scratch/t" 2>&1 &
pt=$!
check "a long exec runs" until_ok 30 grep -q up "$scratch/t"
kill -TERM $pt
wait $pt
rt=$?
check "SIGTERM to monos exec is forwarded to the process" \
	bash -c "[ $rt -eq 7 ] && grep -q got-term '$scratch/t'"

run "$MONOS" exec -t box $BB sh -c '[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo a-terminal; exit 4'
check "exec -t: fds 0-2 are a terminal (its output CRLF, as a tty's)" \
	bash -c "[ $rc -eq 4 ] && grep -q \$'^a-terminal\r\$' '$scratch/out'"
if command -v script >/dev/null; then
	# -it under a terminal (script's pty): typed lines reach the guest's line
	# discipline, which echoes them; Ctrl-C there interrupts the foreground.
	printf 'read x; echo got-$x\nhello\nexit 6\n' >"$scratch/typed"
	run script -qec "\"$MONOS\" exec -it box $BB sh" /dev/null <"$scratch/typed"
	check "exec -it: an interactive shell on the guest's terminal" \
		bash -c "[ $rc -eq 6 ] && grep -q got-hello '$scratch/out'"
fi
run "$MONOS" exec nobody-here $BB true
check "exec: an unknown instance" rc_err 125 "nobody-here"
run "$MONOS" exec box
check "exec: no command" rc_err 125 "give an instance and a command"

# An exec at once after run -d: it waits for the guest (the channel's READY,
# the program's mounts) rather than failing: ctr and conmon exec so.
"$MONOS" run -d --name early $BB sleep 1000 >/dev/null
run "$MONOS" exec early $BB echo at-once
check "exec right after run -d waits for the boot" rc_out 0 at-once

# The program writes all the time while an exec writes: each stream keeps
# its own bytes (the exec's output is exactly its own, in order).
"$MONOS" run -d --name noisy $BB sh -c 'while :; do echo main-noise; done' >/dev/null
check "a program that writes all the time" until_ok 60 logs_have noisy main-noise
run "$MONOS" exec noisy $BB seq 1 3000
check "exec beside a writing program: its output whole and apart" \
	bash -c "[ $rc -eq 0 ] && cmp -s '$scratch/out' <(seq 1 3000)"
"$MONOS" rm -f noisy early >/dev/null

check "the program ran on beside them" logs_have box main-2
"$MONOS" stop -t 0 box >/dev/null
run "$MONOS" exec box $BB true
check "exec in a stopped instance: a clear error" rc_err 125 "not running"
finish
