#!/usr/bin/env bash
# Figure 7, an idle instance: host CPU-seconds QEMU uses, and guest wake-ups
# a second, while the epoll HTTP server waits for clients that never come
# (--net user, one forwarded port), over a window of SECONDS.  QEMU's CPU
# time is utime + stime of its process (/proc/PID/stat fields 14 and 15, all
# its threads) at the window's start and end, taken 2 s after the start so
# that boot is outside the window.  The wake-ups come from monos' own count,
# printed with --verbose at exit ("monos: net: at exit after MS ms: N wake-ups
# (R/s)"): the whole run, boot and the SIGTERM included.  The Linux guest
# (httpd from its initramfs, hostfwd) idles in the same window, started at
# the same moment: idle instances barely compete for the CPU.  Its wake-ups
# cannot be counted from outside the guest (that needs an agent inside it,
# reading /proc/interrupts); only its CPU time is measured.
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/idle.sh [SECONDS]   (default 60)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
. bench/linux.sh

SECS=${1:-60}
HTTPD=${BENCH_HTTPD:-$BUILD/tests/guest/musl/httpd}
GUEST_PORT=8080
SETTLE=2 # seconds after the start, before the window opens
CLK_TCK=$(getconf CLK_TCK)

bench_check_inputs
[[ -x $HTTPD ]] || bench_die "$HTTPD is missing (make guest-programs)"
bench_linux_init

# CPU ticks (user + system) of process $1 so far.
ticks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mport=$(bench_free_port)
lport=$(bench_free_port)
taskset -c 0 "$BENCH_MONOS" run --verbose -p "$mport:$GUEST_PORT" -- "$HTTPD" $GUEST_PORT \
	</dev/null >/dev/null 2>"$tmp/monos.log" &
cli=$!
bench_linux_cmd default "$(bench_linux_net "$lport" $GUEST_PORT)" httpd $GUEST_PORT
taskset -c 0 "${BENCH_LINUX_CMD[@]}" </dev/null >"$tmp/linux.log" 2>&1 &
lq=$!
sleep $SETTLE
mq=$(pgrep -P $cli | head -1)
[[ -n $mq ]] || bench_die "monos' QEMU is not running: $(tail -3 "$tmp/monos.log")"
m0=$(ticks "$mq")
l0=$(ticks $lq)
sleep "$SECS"
m1=$(ticks "$mq")
l1=$(ticks $lq)
# Both must have been up through the window (the Linux guest boots for
# seconds: that it answers now proves it was serving, not booting, at the end).
curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$lport/" || bench_die "the Linux guest's httpd does not answer"
kill -TERM $cli $lq
wait $cli $lq 2>/dev/null
log=$(cat "$tmp/monos.log")
[[ $log =~ at\ exit\ after\ ([0-9]+)\ ms:\ ([0-9]+)\ wake-ups\ \(([0-9.]+)/s\) ]] ||
	bench_die "no wake-up count in monos' log: $(tail -3 "$tmp/monos.log")"
ms=${BASH_REMATCH[1]} wakes=${BASH_REMATCH[2]} rate=${BASH_REMATCH[3]}
cpu()
{
	awk -v t="$1" -v k="$CLK_TCK" -v s="$SECS" 'BEGIN { printf "%.2f s (%.2f%% of a CPU)", t / k, 100 * t / k / s }'
}

bench_linux_cmd default "$(bench_linux_net PORT $GUEST_PORT)" httpd $GUEST_PORT
cat <<EOF
## 7. An idle instance

The epoll HTTP server waiting for clients (none come), user networking with
one forwarded port; one window of $SECS s, opened $SETTLE s after the start.
QEMU's CPU time from /proc/PID/stat (utime + stime, all threads, resolution
1/$CLK_TCK s).  One sample each: this is a rate over a long window, not a
repeated run.

| instance | QEMU CPU time over $SECS s | guest wake-ups |
|---|---|---|
| monos | $(cpu $((m1 - m0))) | $wakes in $ms ms ($rate/s, whole run) |
| Linux guest, default | $(cpu $((l1 - l0))) | not measured: not countable from outside the guest |

Commands:
\`\`\`
taskset -c 0 $BENCH_MONOS run --verbose -p PORT:$GUEST_PORT -- $HTTPD $GUEST_PORT 2>LOG & cli=\$!
taskset -c 0 $(bench_linux_cmd_text) & lq=\$!
sleep $SETTLE; q=\$(pgrep -P \$cli); c0=\$(awk '{print \$14+\$15}' /proc/\$q/stat)    # and /proc/\$lq/stat
sleep $SECS; c1=\$(awk '{print \$14+\$15}' /proc/\$q/stat); kill -TERM \$cli \$lq
grep 'at exit after' LOG
\`\`\`

EOF
bench_summary "idle httpd over ${SECS} s: QEMU CPU (monos; Linux guest), guest wake-ups/s (monos)" \
	"$(awk -v t=$((m1 - m0)) -v k="$CLK_TCK" 'BEGIN { printf "%.2f s", t / k }'); $(awk -v t=$((l1 - l0)) -v k="$CLK_TCK" 'BEGIN { printf "%.2f s", t / k }'); $rate/s" "-" "-"
