#!/usr/bin/env bash
# CLI test: sethostname and setdomainname change what uname, gethostname
# and /proc/sys/kernel report, with Linux's rules (tests/guest/hostname.c).
# The guest program changes its UTS namespace's names, so natively it runs
# only under `unshare --uts` (a private namespace), and its output there must
# equal monos'; where the host cannot make one, monos' run is still checked
# line by line.
. "$(dirname "$0")/lib/common.bash"

BUILD_DIR=${BUILD:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
native=false
unshare --uts true 2>/dev/null && native=true

for variant in musl glibc; do
	prog=$BUILD_DIR/tests/guest/$variant/hostname
	run "$MONOS" run "$prog"
	check "$variant: status 0" status_is 0
	check "$variant: no failed check" eval '! grep -q "^BAD" "$scratch/out"'
	check "$variant: uname shows the new names" \
		out_has 'nodename "monos-test-host" (15), domainname "example.org"'
	check "$variant: 64 bytes" out_has "nodename \"$(printf 'h%.0s' $(seq 64))\" (64), domainname \"example.org\""
	check "$variant: EPERM without CAP_SYS_ADMIN" out_has "ok  sethostname without it -> EPERM"
	if $native; then
		unshare --uts "$prog" >"$scratch/native.out" 2>&1
		check "$variant: the same as Linux" cmp -s "$scratch/native.out" "$scratch/out"
	fi
done
$native || echo "skip: no private UTS namespace on this host (unshare --uts)"
finish
