#!/usr/bin/env bash
# CLI test: monos leaves nothing behind in $TMPDIR, after a good run, a
# failed program, a crash and a refused program (design 12).
. "$(dirname "$0")/lib/common.bash"

tmp=$scratch/tmpdir
mkdir "$tmp"
leftovers() {
	[ -z "$(ls -A "$tmp")" ]
}

run env TMPDIR="$tmp" "$MONOS" run "$GUEST/exit" exit 0
check "good run: status 0" status_is 0
check "good run: nothing left in TMPDIR" leftovers
run env TMPDIR="$tmp" "$MONOS" run "$GUEST/exit" exit 3
check "failed program: nothing left in TMPDIR" leftovers
run env TMPDIR="$tmp" "$MONOS" run "$GUEST/crash" segv
check "crash: nothing left in TMPDIR" leftovers
run env TMPDIR="$tmp" "$MONOS" run /bin/true
check "refused program: nothing left in TMPDIR" leftovers
run env TMPDIR="$tmp" "$MONOS" run --file "$PWD/tests/guest/data:/data" "$GUEST/exit" exit 0
check "run with --file: nothing left in TMPDIR" leftovers
ls -A "$tmp"
finish
