#!/usr/bin/env bash
# CLI test (issue 12): a detached instance whose monitor is killed with
# SIGKILL.  Nothing may stay listed as running (liveness is the monitor's
# flock, never a pid), its QEMU ends with it (PR_SET_PDEATHSIG), wait says
# the status is unknown, and rm cleans up.
. "$(dirname "$0")/lib/common.bash"
export XDG_RUNTIME_DIR=$scratch/rt
mkdir -m 700 "$XDG_RUNTIME_DIR"
trap '"$MONOS" rm -f $("$MONOS" ps -aq) >/dev/null 2>&1; rm -rf "$scratch"' EXIT

run "$MONOS" run -d --name lost "$GUEST/sleeper"
id=$out
dir=$XDG_RUNTIME_DIR/monos/instances/$id
for _ in $(seq 600); do # the program runs (60 s at most)
	"$MONOS" logs lost 2>/dev/null | grep -q ready && break
	sleep 0.1
done
mon=$(sed -n 's/^monitor_pid=//p' "$dir/record")
qemu=$(sed -n 's/^qemu_pid=//p' "$dir/record")
run "$MONOS" ps
check "the instance runs" grep -q "lost .* Up " "$scratch/out"
check "its monitor and QEMU are known" test "${mon:-0}" -gt 0 -a "${qemu:-0}" -gt 0

kill -KILL "$mon"
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
for _ in $(seq 100); do gone "$qemu" && break; sleep 0.1; done
check "QEMU ended with its monitor" gone "$qemu"
run "$MONOS" ps
check "ps lists nothing as running" test "$(wc -l <"$scratch/out")" -eq 1
run "$MONOS" ps -a
check "ps -a shows it lost, not up" grep -q "lost .* Exited (monitor lost)" "$scratch/out"
run "$MONOS" inspect lost
check "inspect: exited, status unknown" \
	bash -c "grep -q '\"state\": \"exited\"' '$scratch/out' && grep -q '\"status\": null' '$scratch/out'"
run "$MONOS" wait lost
check "wait says no status is known" err_matches "ended without a status"
run "$MONOS" stop lost
check "stop of it is a no-op" status_is 0
run "$MONOS" rm lost
check "rm cleans up without -f" status_is 0
check "... its directory" test ! -e "$dir"
run "$MONOS" ps -aq
check "... and ps -a lists nothing" test -z "$out"
# The name is free again.
run "$MONOS" run -d --name lost "$GUEST/exit" exit 0
check "the name can be taken again" status_is 0
run "$MONOS" wait lost
check "... by an instance that runs" out_has 0
"$MONOS" rm lost >/dev/null
# A program that cannot run leaves no instance behind, as docker's exit
# statuses say.
run "$MONOS" run -d --name nope "$scratch/no-such-program"
check "run -d of a missing program: 127" status_is 127
run "$MONOS" ps -aq
check "... and no instance is left" test -z "$out"
# SIGTERM to a monitor with nothing running (at its gate) ends the instance
# as `monos stop` would: it never runs.
run "$MONOS" create --name gate "$GUEST/exit" exit 7
gdir=$XDG_RUNTIME_DIR/monos/instances/$out
for _ in $(seq 100); do
	gmon=$(sed -n 's/^monitor_pid=//p' "$gdir/record")
	[ "${gmon:-0}" -gt 0 ] && break
	sleep 0.1
done
kill -TERM "$gmon"
run "$MONOS" wait gate
check "SIGTERM to an idle monitor stops its instance" out_has 0
check "... which never ran" test -z "$("$MONOS" logs gate)"
"$MONOS" rm gate >/dev/null

# SIGTERM to the monitor of a running program reaches the program, and the
# restart policy does not bring it back: the monitor was told to stop.
run "$MONOS" run -d --name busy --restart always "$GUEST/sleeper"
bdir=$XDG_RUNTIME_DIR/monos/instances/$out
for _ in $(seq 600); do
	"$MONOS" logs busy 2>/dev/null | grep -q ready && break
	sleep 0.1
done
kill -TERM "$(sed -n 's/^monitor_pid=//p' "$bdir/record")"
run "$MONOS" wait busy
check "SIGTERM to a monitor: the program's status" out_has 143
check "... and no restart despite --restart always" grep -qx "restarts=0" "$bdir/record"
"$MONOS" rm busy >/dev/null

# A runtime directory too deep for a socket's 108-byte path still works.
export XDG_RUNTIME_DIR=$scratch/rt/$(printf 'deep%.0s' $(seq 20))
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
run "$MONOS" run -d --name deep "$GUEST/exit" exit 6
run "$MONOS" wait deep
check "a long state path: the control socket answers" out_has 6
"$MONOS" rm deep >/dev/null
finish
