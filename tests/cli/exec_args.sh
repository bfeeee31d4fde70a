#!/usr/bin/env bash
# CLI test: `monos run` starts a program with as many arguments and variables
# as Linux's execve accepts, and refuses more with E2BIG (status 126 and a
# message) where Linux's execve says "Argument list too long".  The guest
# program (tests/guest/args.c) prints a fingerprint of what it got; each case
# runs it natively and in monos.  Regression test for the exec panic with
# 2,000-8,000 arguments (the pointer array was a VLA on the boot stack).
. "$(dirname "$0")/lib/common.bash"

PROG=$GUEST/args
ENVS=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "HOSTNAME=monos"
	"HOME=/root")
# Linux's limit on exec's strings and pointers with the default 8 MiB stack
# rlimit: a quarter of it (fs/exec.c bprm_stack_limits).
ARG_LIMIT=$((8 * 1024 * 1024 / 4))
PTR=8           # bytes of one argv/envp pointer
ARG_LEN=1000    # bytes of most arguments of the big cases
BIG_STACK=65536 # KiB: the host stack rlimit that lets monos itself take them

# monos_run ARGS...: run PROG in monos with ENVS (in that order) and ARGS.
monos_run() {
	local e opts=()
	for e in "${ENVS[@]}"; do
		opts+=(-e "$e")
	done
	run "$MONOS" run "${opts[@]}" "$PROG" "$@"
}

# native_run ARGS...: the same natively, with env -i.
native_run() {
	env -i "${ENVS[@]}" "$PROG" "$@" >"$scratch/native.out" 2>"$scratch/native.err"
	native_rc=$?
}

same_as_native() {
	[ "$rc" = "$native_rc" ] && cmp -s "$scratch/out" "$scratch/native.out"
}

# 8,000 short arguments, 4,000 variables, then both.
mapfile -t many < <(seq 8000)
native_run "${many[@]}"
monos_run "${many[@]}"
check "8000 arguments: as natively" same_as_native
vars=()
for i in $(seq 4000); do
	vars+=("VAR_$i=value number $i")
done
ENVS+=("${vars[@]}")
native_run one two
monos_run one two
check "4000 variables: as natively" same_as_native
native_run "${many[@]}"
monos_run "${many[@]}"
check "8000 arguments and 4000 variables: as natively" same_as_native
ENVS=("${ENVS[@]:0:3}")

# fill_args TOTAL: set `big` to arguments that bring what Linux counts for
# exec'ing PROG with ENVS (the file name, argv[0], the other arguments, the
# variables, with their NULs, and one pointer per string of argv and envp)
# to exactly TOTAL bytes.
fill_args() {
	local total=$1 used e last arg
	used=$(((${#PROG} + 1) * 2 + PTR))
	for e in "${ENVS[@]}"; do
		used=$((used + ${#e} + 1 + PTR))
	done
	big=()
	while [ $((total - used)) -gt $((2 * (ARG_LEN + 1 + PTR))) ]; do
		printf -v arg "%0${ARG_LEN}d" ${#big[@]}
		big+=("$arg")
		used=$((used + ARG_LEN + 1 + PTR))
	done
	last=$((total - used - 1 - PTR))
	big+=("$(printf "%${last}s" "" | tr ' ' x)")
}

# native_exec: execve PROG with exactly ENVS and big (argv[0] = PROG) from a
# process whose own arguments are small, under the default stack rlimit.
native_exec() {
	printf '%s\0' "${ENVS[@]}" >"$scratch/env.list"
	printf '%s\0' "${big[@]}" >"$scratch/args.list"
	(
		ulimit -s 8192
		perl -e 'local $/ = "\0";
			open(my $e, "<", $ARGV[1]) or die; open(my $a, "<", $ARGV[2]) or die;
			%ENV = map { chomp; split /=/, $_, 2 } <$e>;
			my @args = map { chomp; $_ } <$a>;
			exec { $ARGV[0] } $ARGV[0], @args;
			print STDERR "exec: $!\n"; exit 126' "$PROG" "$scratch/env.list" "$scratch/args.list"
	) >"$scratch/native.out" 2>"$scratch/native.err"
	native_rc=$?
}

# monos_big: monos_run with big, the host's stack rlimit raised so that
# monos' own exec takes them.
monos_big() {
	(
		ulimit -s $BIG_STACK && monos_run "${big[@]}"
		echo "$rc" >"$scratch/rc"
	)
	rc=$(cat "$scratch/rc")
	err=$(cat -v "$scratch/err")
}

first_line_same() {
	[ "$rc" = "$native_rc" ] &&
		[ "$(head -n 1 "$scratch/out")" = "$(head -n 1 "$scratch/native.out")" ]
}

if (ulimit -s $BIG_STACK) 2>/dev/null; then
	# Exactly at the limit: Linux runs it, and so must monos.
	fill_args $ARG_LIMIT
	native_exec
	monos_big
	check "arguments at the limit: natively they run" [ "$native_rc" = 0 ]
	check "arguments at the limit: runs, same arguments as natively" first_line_same
	# One byte more: E2BIG both ways.
	fill_args $((ARG_LIMIT + 1))
	native_exec
	monos_big
	check "one byte past the limit: natively E2BIG" grep -q 'Argument list too long' \
		"$scratch/native.err"
	check "one byte past the limit: status 126" status_is 126
	check "one byte past the limit: message says E2BIG" err_matches 'E2BIG'
	check "one byte past the limit: message says argument list too long" \
		err_matches 'argument list too long'
	check "one byte past the limit: no panic" eval '! err_matches panic'
	# Well past it (3 MiB).
	fill_args $((3 * 1024 * 1024))
	monos_big
	check "3 MiB of arguments: status 126" status_is 126
	check "3 MiB of arguments: message says E2BIG" err_matches 'E2BIG'
else
	echo "skip: the host's stack rlimit cannot be raised to $BIG_STACK KiB"
fi
finish
