#!/usr/bin/env bash
# CLI test: /tmp is a tmpfs of half the instance's memory, as Linux's
# default, whose statfs counts the pages its files use and whose free
# blocks are exactly what a file can take before ENOSPC
# (tests/guest/statfs.c, `statfs fill DIR`).  Where the host lets us mount a
# small tmpfs in a private mount namespace, the same run there must print
# the same lines (but the size).  Regression test for statfs reporting
# f_blocks = 0 and tmpfs taking all of the memory.
. "$(dirname "$0")/lib/common.bash"

PROG=$GUEST/statfs
MEMORY_MIB=64

run "$MONOS" run --memory ${MEMORY_MIB}M "$PROG" fill /tmp
check "fill /tmp: status 0" status_is 0
check "fill /tmp: every check ok" eval '! grep -q "^BAD" "$scratch/out"'
check "fill /tmp: ENOSPC when full" out_has "ok  filling it ends with -> ENOSPC"
# Half of the memory, less what the kernel itself took.
half_the_memory() {
	local size
	size=$(sed -n 's/^size: \([0-9]*\) MiB$/\1/p' "$scratch/out")
	[ -n "$size" ] && [ "$size" -le $((MEMORY_MIB / 2)) ] && [ "$size" -ge $((MEMORY_MIB * 3 / 8)) ]
}
check "/tmp's size is about half the memory" half_the_memory
grep -v '^size: ' "$scratch/out" >"$scratch/monos.lines"

mnt=$scratch/tmpfs
mkdir -p "$mnt"
if unshare -m sh -c "mount -t tmpfs -o size=8m tmpfs '$mnt' && '$PROG' fill '$mnt'" \
	>"$scratch/native" 2>&1; then
	grep -v '^size: ' "$scratch/native" >"$scratch/native.lines"
	check "the same as Linux's tmpfs" cmp -s "$scratch/native.lines" "$scratch/monos.lines"
else
	echo "skip: no private tmpfs mount on this host"
fi
finish
