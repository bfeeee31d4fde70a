#!/usr/bin/env bash
# CLI test: `monos run -w DIR` and `--hostname NAME` (the OCI runtime's
# process.cwd and hostname go through them): the program starts in DIR,
# and uname, /proc/sys/kernel/hostname and $HOSTNAME give NAME; the
# defaults stay the host's cwd and "monos".
. "$(dirname "$0")/lib/common.bash"

busybox=/bin/busybox
if ! file -L "$busybox" 2>/dev/null | grep -q static; then
	echo "skip: needs a static busybox at $busybox (busybox-static)"
	finish
fi
show='pwd; hostname; cat /proc/sys/kernel/hostname; echo "$HOSTNAME"'
run timeout -k 5 120 "$MONOS" run -w /tmp --hostname box-1.example "$busybox" sh -c "$show"
check "-w --hostname: status 0" status_is 0
check "-w /tmp: the program starts there" eval '[ "$(sed -n 1p "$scratch/out")" = /tmp ]'
check "--hostname: uname, /proc and HOSTNAME agree" \
	eval '[ "$(sed -n 2,4p "$scratch/out" | sort -u)" = box-1.example ]'
mkdir -p "$scratch/here"
cd "$scratch/here" || exit 1
run timeout -k 5 120 "$MONOS" run "$busybox" sh -c "$show"
check "defaults: the host's cwd and monos" \
	eval '[ "$(sed -n 1p "$scratch/out")" = "$scratch/here" ] && [ "$(sed -n 2,4p "$scratch/out" | sort -u)" = monos ]'
run "$MONOS" run --hostname 'a b' "$busybox" true
check "--hostname with a blank: refused, status 125" status_is 125
finish
