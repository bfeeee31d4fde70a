#!/usr/bin/env bash
# CLI test: mount(2) and umount2(2) of tmpfs, the mount table's crossing,
# busy and error cases, and /proc/mounts and /proc/self/mountinfo
# (tests/guest/mount.c).  The guest program changes its mount namespace's
# table, so natively it runs only under `unshare --mount` (a private
# namespace), and its output there must equal monos'; where the host cannot
# make one, monos' run is still checked line by line.
. "$(dirname "$0")/lib/common.bash"

BUILD_DIR=${BUILD:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
native=false
unshare --mount true 2>/dev/null && native=true

for variant in musl glibc; do
	prog=$BUILD_DIR/tests/guest/$variant/mount
	run "$MONOS" run "$prog"
	check "$variant: status 0" status_is 0
	check "$variant: no failed check" eval '! grep -q "^BAD" "$scratch/out"'
	check "$variant: the mount hides what was there" out_has "ok  what was there is hidden"
	check "$variant: its own device and mode" out_has "mode 40750, a device of its own: 1"
	check "$variant: EBUSY with a file open" out_has "ok  umount with a file open -> EBUSY"
	check "$variant: size=1m" out_has "type 1021994, blocks 256 of 4096 bytes"
	check "$variant: EPERM without CAP_SYS_ADMIN" \
		out_has "ok  mount without CAP_SYS_ADMIN -> EPERM"
	if $native; then
		unshare --mount "$prog" >"$scratch/native.out" 2>&1
		check "$variant: the same as Linux" cmp -s "$scratch/native.out" "$scratch/out"
	fi
done
$native || echo "skip: no private mount namespace on this host (unshare --mount)"
finish
