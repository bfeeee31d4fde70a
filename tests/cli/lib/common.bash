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

# until_ok SECONDS CMD...: retry CMD every 0.1 s until it succeeds; its status.
until_ok() {
	local n=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

# A free TCP port on the host's loopback interface, for a forwarded port
# that no one else's run on the same machine is using.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pattern_fnv N: the FNV-1a hash tests/guest/tcp_echo prints of N bytes of
# its pattern (byte i is i * 7 % 251).
pattern_fnv() {
	python3 -c '
import sys
h = 0xcbf29ce484222325
for i in range(int(sys.argv[1])):
    h ^= (i * 7 % 251); h = (h * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$1"
}

# Exit with the script's verdict.
finish() {
	echo "$fails failed checks"
	[ "$fails" -eq 0 ]
	exit
}
