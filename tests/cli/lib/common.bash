# Helpers sourced by every tests/cli/*.sh.  tests/run.sh runs each script
# from the repository root with MONOS (the CLI, absolute), GUEST (the musl
# guest programs, absolute) and a fresh TMPDIR; a script passes by exiting 0.
# Each check prints "ok ..." or "FAILED ..." so a failure says which check.
set -u
MONOS=${MONOS:-$PWD/build/monos}
GUEST=${GUEST:-$PWD/build/tests/guest/musl}
TMPDIR=${TMPDIR:-/tmp}
scratch=$(mktemp -d "$TMPDIR/cli.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
fails=0

# run CMD...: runs CMD, leaving $rc, $out (stdout) and $err (stderr).
run() {
	"$@" >"$scratch/out" 2>"$scratch/err"
	rc=$?
	out=$(cat -v "$scratch/out")
	err=$(cat -v "$scratch/err")
}

# check DESCRIPTION CMD...: one named check; CMD's status decides.
check() {
	local desc=$1
	shift
	if "$@"; then
		echo "ok $desc"
	else
		echo "FAILED $desc"
		echo "    status $rc; stdout: ${out:0:160}"
		echo "    stderr: ${err:0:160}"
		fails=$((fails + 1))
	fi
}

# status_is N: the last run exited with N.
status_is() {
	[ "$rc" -eq "$1" ]
}

# err_matches REGEX: the last run's stderr matches REGEX (extended, any case).
err_matches() {
	grep -qiE "$1" "$scratch/err"
}

# out_has TEXT: the last run's stdout holds the line TEXT exactly.
out_has() {
	grep -qxF -- "$1" "$scratch/out"
}

# Exit with the script's verdict.
finish() {
	echo "$fails failed checks"
	[ "$fails" -eq 0 ]
	exit
}
