# Helpers for the application tests (tests/apps/*.sh): an unmodified Debian
# program runs natively and inside monos, and both must agree.  Sourced after
# tests/cli/lib/common.bash (run, check, finish, $scratch, $MONOS).

# app_compare DESC [MONOS-OPTION]... -- CMD ARGS...
#   Runs CMD ARGS natively and as `monos run [MONOS-OPTION]... -- CMD ARGS`,
#   both with stdin from $APP_STDIN (default /dev/null), and checks that
#   stdout and the exit status are the same.  stderr is not compared (monos
#   runs programs with an empty environment, as docker does: no HOME).
app_compare() {
	local desc=$1 opts=() nrc mrc in=${APP_STDIN:-/dev/null}
	shift
	while [ "$1" != "--" ]; do
		opts+=("$1")
		shift
	done
	shift
	env -i PATH=/usr/bin:/bin "$@" <"$in" >"$scratch/native.out" 2>"$scratch/native.err"
	nrc=$?
	timeout -k 5 300 "$MONOS" run "${opts[@]}" -- "$@" <"$in" >"$scratch/monos.out" \
		2>"$scratch/monos.err"
	mrc=$?
	if [ "$nrc" -eq "$mrc" ] && cmp -s "$scratch/native.out" "$scratch/monos.out" &&
		[ -s "$scratch/native.out" ]; then
		echo "ok $desc"
		return
	fi
	echo "FAILED $desc"
	echo "    exit status: native $nrc, monos $mrc"
	diff <(head -c 4000 "$scratch/native.out") <(head -c 4000 "$scratch/monos.out") |
		head -n 20 | sed 's/^/    | /'
	tail -n 8 "$scratch/monos.err" | sed 's/^/    monos stderr: /'
	fails=$((fails + 1))
}

# need PROGRAM: the test cannot run without the Debian package's program.
need() {
	if [ ! -x "$1" ]; then
		echo "FAILED $1 is not installed (scripts/deps.sh installs it)"
		fails=$((fails + 1))
		finish
	fi
}

# wait_http PORT: until a server answers HTTP on 127.0.0.1:PORT (the guest
# boots first); status 1 after about a minute.
wait_http() {
	for _ in $(seq 300); do
		curl -s -m 2 -o /dev/null "http://127.0.0.1:$1/" && return 0
		sleep 0.2
	done
	return 1
}

# wait_redis PORT: until redis answers PING, as wait_http.
wait_redis() {
	for _ in $(seq 300); do
		[ "$(timeout 2 redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.2
	done
	return 1
}
