#!/usr/bin/env bash
# monos' one test runner, called by `make test`, scripts/test.sh and .ci/run
# after `make all`.  It runs, in order:
#   unit/   every host unit test binary (tests/unit/test_*.c, `make unit-test`)
#   guest/  every guest program (tests/guest/*.c) in three builds (musl,
#           glibc, glibc-pie), natively and inside monos with the same argv,
#           environment and stdin; stdout, stderr and exit status are each one
#           counted test ("PASS guest/musl/io stdout")
#   fuzz/   each host fuzz target over its corpus (tests/fuzz/corpus/TARGET,
#           replayed, no new fuzzing) and the syscall fuzzer over a fixed set
#           of seeds in monos: a panic, a hang or no exit status fails
#   cli/    every tests/cli/*.sh: one counted test per script, exit 0 = pass
#   apps/   every tests/apps/*.sh, the same way
#   san/    the unit tests and the CLI scripts that boot no guest again,
#           built with `make SAN=1` (ASan and UBSan, every report fatal)
# and ends with exactly one line "N passed, N failed"; exit status 1 if any
# test failed.
#
# Usage: tests/run.sh [-j N] [FILTER]
#   -j N    run up to N guest tests at once (default 2: guests are CPU-heavy
#           under TCG)
#   FILTER  run only tests whose name contains FILTER (e.g. "guest/musl/io",
#           "cli/", "unit/")
# Environment: MONOS (default build/monos) names the CLI under test, so the
# runner itself can be tested with a stand-in; BUILD (default build).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
MONOS=${MONOS:-$BUILD/monos}
[[ $MONOS == /* ]] || MONOS=$ROOT/$MONOS
BUILD_ABS=$BUILD
[[ $BUILD_ABS == /* ]] || BUILD_ABS=$ROOT/$BUILD
GUEST_TIMEOUT=${GUEST_TIMEOUT:-120} # seconds per run, native or monos (design 13)
CLI_TIMEOUT=600   # seconds per CLI script: each runs several guests
DIFF_LINES=20     # lines of a diff shown for a mismatch
LOG_LINES=40      # lines of kernel log shown for a failed guest

jobs=2
filter=""
while [ $# -gt 0 ]; do
	case $1 in
	-j) jobs=${2:?-j needs a number}; shift ;;
	-j*) jobs=${1#-j} ;;
	-h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) filter=$1 ;;
	esac
	shift
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: -j $jobs: not a positive number" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/monos-test.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
ulimit -c 0 # the crash tests must not leave core files
passed=0
failed=0

# Is test NAME selected by the filter?
selected() {
	[[ -z $filter || $1 == *"$filter"* ]]
}

# Print a log, counting its PASS and FAIL lines into the totals.
tally() {
	local p f
	cat "$1"
	p=$(grep -c '^PASS ' "$1")
	f=$(grep -c '^FAIL ' "$1")
	passed=$((passed + p))
	failed=$((failed + f))
}

# Report one test: result NAME OK? (OK is a command status: 0 passes).
result() {
	if [ "$2" -eq 0 ]; then
		echo "PASS $1"
	else
		echo "FAIL $1"
	fi
}

# The first lines of a file, indented, for failure reports.
show() {
	local label=$1 file=$2 lines=${3:-$DIFF_LINES}
	echo "    --- $label (first $lines lines):"
	head -n "$lines" "$file" | cat -v | sed 's/^/    | /'
}

# ---------------------------------------------------------------- unit tests
# run_units [PREFIX [BUILD [MAKE-ARGS...]]]: every unit test binary of BUILD
# (default $BUILD), built by `make MAKE-ARGS unit-test`, named PREFIX/unit/...
run_units() {
	local prefix=${1:-} dir=${2:-$BUILD} bin name log=$work/unit${1:-}.log rc
	shift $(($# < 2 ? $# : 2))
	[ -z "$prefix" ] || prefix=$prefix/
	: >"$log"
	if ! make --no-print-directory "$@" unit-test >"$work/unit-build.log" 2>&1 &&
		selected "${prefix}unit/build"; then
		echo "FAIL ${prefix}unit/build" >>"$log"
		show "make $* unit-test" "$work/unit-build.log" 40 >>"$log"
	fi
	for bin in "$dir"/tests/unit/test_*; do
		[ -x "$bin" ] && [[ $bin != *.d ]] || continue
		name=${prefix}unit/$(basename "$bin")
		selected "$name" || continue
		timeout -k 5 "$GUEST_TIMEOUT" "$bin" >"$work/unit.out" 2>&1
		rc=$?
		# Name each result after its binary so a filter can find it.
		sed -E "s|^(PASS\|FAIL) |\1 $name: |" "$work/unit.out" >>"$log"
		if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$work/unit.out"; then
			echo "FAIL $name (exit status $rc without a FAIL line)" >>"$log"
			show "$name output" "$work/unit.out" "$LOG_LINES" >>"$log"
		fi
	done
	tally "$log"
}

run_units

# --------------------------------------------------------------- guest tests
# One case per line: NAME PROGRAM STDIN KIND ARGS..., split as shell words.
# STDIN: none (/dev/null), empty, small, big (1 MiB holding every byte value).
# KIND: same (stdout, stderr and status must match), crash:SIGNAME (stdout
# and status match, monos says "killed by SIGNAME"), random (two monos runs
# and the native run must all differ).  @DATA@ is the data directory:
# tests/guest/data natively, /data in monos (packed with --file).  @SHARE@
# is an empty host directory made for each run: itself natively, shared at
# /share in monos (-v DIR:/share, a virtio-9p share).
GUEST_CASES=(
	"io io big same"
	"count-empty count empty same"
	"count-small count small same"
	"count-1m count big same"
	"readsizes readsizes big same"
	"file file none same @DATA@"
	"mm mm none same @DATA@"
	"time time none same"
	"cputime cputime none same"
	"dev dev none same"
	"threads threads none same"
	"fork fork none same"
	"forkmem forkmem none same"
	"exec exec none same"
	"nproc nproc none same"
	"jobctl jobctl none same"
	"signals signals none same"
	"sigregs sigregs none same"
	"timers timers none same"
	"locks locks none same"
	"locks2 locks2 none same"
	"poll poll none same"
	"misc misc none same one 'two words' '' 'tab	and * glob'"
	"exit-0 exit none same exit 0"
	"exit-1 exit none same exit 1"
	"exit-42 exit none same exit 42"
	"exit-255 exit none same exit 255"
	"exit-return exit none same return 3"
	"exit-raw exit none same raw 7"
	"exit-flush exit none same flush"
	"random random none random"
	"crash-segv crash none crash:SIGSEGV segv"
	"crash-ill crash none crash:SIGILL ill"
	"crash-fpe crash none crash:SIGFPE fpe"
	"fs_tmp fs_tmp none same"
	"fs_big fs_big none same"
	"fs_proc fs_proc none same a 'b c'"
	"procpid procpid none same"
	"pipe pipe none same"
	"procfd procfd none same"
	"fadvise fadvise none same"
	"jobctl2 jobctl2 none same"
	"proc_stopped proc_stopped none same"
	"tty_jobctl tty_jobctl none same"
	"pipe-sigpipe pipe none crash:SIGPIPE sigpipe"
	"proc_misc proc_misc none same"
	"unix_stream unix_stream none same"
	"unix_dgram unix_dgram none same"
	"waitq waitq none same"
	"mm2 mm2 none same"
	"mm_range mm_range none same"
	"mm_reserve mm_reserve none same"
	"copy copy none same"
	"fdtable fdtable none same"
	"uio uio none same"
	"netlink netlink none same"
	"goruntime goruntime none same"
	"rtsignals rtsignals none same"
	"procnet procnet none same"
	"vdso vdso none same"
	"fdclose fdclose none same"
	"timerfd timerfd none same"
	"signalfd signalfd none same"
	"tmpfs_huge tmpfs_huge none same"
	"tmpfs_fallocate tmpfs_fallocate none same"
	"tmpfs_holes tmpfs_holes none same"
	"tmpfs_full tmpfs_full none same"
	"timer_storm timer_storm none same"
	"timer_huge timer_huge none same"
	"opath_io opath_io none same"
	"args args none same one 'two words' '' last"
	"fdmany fdmany none same"
	"statfs statfs none same"
	"pty pty none same"
	"futex_pi futex_pi none same"
	"futex_robust futex_robust none same"
	"sysv_shm sysv_shm none same"
	"sysv_sem sysv_sem none same"
	"sysv_msg sysv_msg none same"
	"posix_shm posix_shm none same"
	"thread_spin thread_spin none same"
	"sigexit-resethand sigexit none crash:SIGTERM resethand"
	"sigexit-threads sigexit none crash:SIGTERM threads"
	"sigexit-altstack sigexit none crash:SIGTERM altstack"
	"sigexit-directed sigexit none crash:SIGTERM directed"
	"inet_any inet_any none same"
	"backlog backlog none same"
	"udp_cmsg udp_cmsg none same"
	"udplite udplite none same"
	"creds creds none same"
	"filesync filesync none same"
	"filecache filecache none same"
	"fasync fasync none same"
	"sharefs sharefs none same @SHARE@"
)
GUEST_VARIANTS=(musl glibc glibc-pie)
# The whole environment of every guest run (natively via `env -i`).  PATH,
# HOSTNAME and HOME are the defaults `monos run` would add (cli/rundata.c):
# given here, the native run has them too and the order is the -e order.
GUEST_ENV=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "HOSTNAME=monos"
	"MONOS_TEST=1" "GREETING=hello, world" "EMPTY=" "HOME=/root")
GUEST_DATA=tests/guest/data

make_inputs() {
	local i
	: >"$work/in.empty"
	printf 'hello\nworld\n\nno newline at the end' >"$work/in.small"
	for i in $(seq 0 255); do
		printf "\\$(printf %03o "$i")"
	done >"$work/in.big"
	for i in $(seq 12); do # 256 B doubled 12 times: 1 MiB
		cat "$work/in.big" "$work/in.big" >"$work/in.tmp"
		mv "$work/in.tmp" "$work/in.big"
	done
}

# run_native DIR BIN STDIN ARGS...: results in DIR/native.{out,err,rc}.
# The braces catch the shell's own "Segmentation fault" notice.
run_native() {
	local d=$1 bin=$2 in=$3
	shift 3
	{
		timeout -k 5 "$GUEST_TIMEOUT" env -i "${GUEST_ENV[@]}" "$bin" "$@" \
			<"$in" >"$d/native.out" 2>"$d/native.err"
		echo $? >"$d/native.rc"
	} 2>/dev/null
}

# run_monos DIR TAG STDIN [OPTIONS...] -- BIN ARGS...: DIR/TAG.{out,err,rc}.
run_monos() {
	local d=$1 tag=$2 in=$3 e opts=()
	shift 3
	for e in "${GUEST_ENV[@]}"; do
		opts+=(-e "$e")
	done
	timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run "${opts[@]}" "$@" \
		<"$in" >"$d/$tag.out" 2>"$d/$tag.err"
	echo $? >"$d/$tag.rc"
}

# compare NAME WHAT DIR TAG: one counted test comparing native and TAG.
compare() {
	local name=$1 what=$2 d=$3 tag=$4
	if cmp -s "$d/native.$what" "$d/$tag.$what"; then
		echo "PASS $name $what"
		return 0
	fi
	echo "FAIL $name $what"
	if [ "$what" = rc ]; then
		echo "    exit status: native $(cat "$d/native.rc"), monos $(cat "$d/$tag.rc")"
		return 1
	fi
	diff -a "$d/native.$what" "$d/$tag.$what" >"$d/diff"
	show "diff native monos of $what" "$d/diff"
	return 1
}

# A monos run that timed out fails with its output attached.
timed_out() {
	local name=$1 d=$2 tag=$3
	[ "$(cat "$d/$tag.rc")" = 124 ] || return 1
	echo "FAIL $name timeout (${GUEST_TIMEOUT}s)"
	show "monos stdout" "$d/$tag.out"
	show "monos stderr" "$d/$tag.err" "$LOG_LINES"
	return 0
}

# Rerun a failed case with -v to show the kernel log.
show_kernel_log() {
	local d=$1 in=$2
	shift 2
	run_monos "$d" verbose "$in" --verbose "$@"
	echo "    --- kernel log of a rerun with --verbose (last $LOG_LINES lines of stderr):"
	tail -n "$LOG_LINES" "$d/verbose.err" | cat -v | sed 's/^/    | /'
}

# Check the kind-specific expectations of a case whose runs are done; the
# return status tells whether anything failed.
check_same() {
	local name=$1 d=$2 bad=0
	compare "$name" out "$d" monos || bad=1
	compare "$name" err "$d" monos || bad=1
	compare "$name" rc "$d" monos || bad=1
	return $bad
}

check_crash() {
	local name=$1 d=$2 sig=$3 bad=0
	compare "$name" out "$d" monos || bad=1
	compare "$name" rc "$d" monos || bad=1
	grep -q "killed by $sig" "$d/monos.err"
	result "$name says killed by $sig" $? || bad=1
	[ $bad -eq 0 ] || show "monos stderr" "$d/monos.err"
	return $bad
}

# Two monos runs of the random program and the native run all differ, and
# look alike (same lines, same lengths).
check_random() {
	local name=$1 d=$2 bad=0 shape
	shape='^(getrandom: [0-9a-f]{64}|AT_RANDOM: [0-9a-f]{32})$'
	[ "$(cat "$d/monos.rc" "$d/again.rc")" = $'0\n0' ] &&
		[ "$(grep -cE "$shape" "$d/monos.out")" = 2 ] &&
		[ "$(grep -cE "$shape" "$d/again.out")" = 2 ]
	result "$name output shape" $? || bad=1
	! cmp -s "$d/monos.out" "$d/again.out" && ! cmp -s "$d/monos.out" "$d/native.out" &&
		! cmp -s "$d/again.out" "$d/native.out"
	result "$name runs differ" $? || bad=1
	if [ $bad -ne 0 ]; then
		show "first monos run" "$d/monos.out"
		show "second monos run" "$d/again.out"
		show "monos stderr" "$d/monos.err"
	fi
	return $bad
}

# run_case DIR VARIANT NAME PROGRAM STDIN KIND ARGS...
run_case() {
	local d=$1 variant=$2 case=$3 prog=$4 stdin=$5 kind=$6
	shift 6
	local name=guest/$variant/$case bin=$BUILD/tests/guest/$variant/$prog
	local in=$work/in.$stdin nargs=() margs=() opts=() a ok=0
	[ "$stdin" = none ] && in=/dev/null
	for a in "$@"; do
		if [ "$a" = @DATA@ ]; then
			nargs+=("$GUEST_DATA")
			margs+=(/data)
			opts=(--file "$GUEST_DATA:/data")
		elif [ "$a" = @SHARE@ ]; then
			mkdir -p "$d/share.native" "$d/share.monos"
			nargs+=("$d/share.native")
			margs+=(/share)
			opts=(-v "$d/share.monos:/share")
		else
			nargs+=("$a")
			margs+=("$a")
		fi
	done
	if [ ! -x "$bin" ]; then
		echo "FAIL $name (not built: $bin)"
		return
	fi
	mkdir -p "$d"
	run_native "$d" "$bin" "$in" "${nargs[@]}"
	run_monos "$d" monos "$in" "${opts[@]}" -- "$bin" "${margs[@]}"
	timed_out "$name" "$d" monos && return
	case $kind in
	same) check_same "$name" "$d" || ok=1 ;;
	crash:*) check_crash "$name" "$d" "${kind#crash:}" || ok=1 ;;
	random)
		run_monos "$d" again "$in" -- "$bin"
		timed_out "$name" "$d" again && return
		check_random "$name" "$d" || ok=1
		;;
	esac
	[ $ok -eq 0 ] || show_kernel_log "$d" "$in" "${opts[@]}" -- "$bin" "${margs[@]}"
}

# Run every selected case, up to $jobs at once; print the logs in order.
run_guests() {
	local n=0 i c variant logs=()
	if ! make --no-print-directory guest-programs >"$work/guest-build.log" 2>&1; then
		echo "FAIL guest/build" >"$work/guest-build.result"
		show "make guest-programs" "$work/guest-build.log" 40 >>"$work/guest-build.result"
		tally "$work/guest-build.result"
	fi
	[ -x "$MONOS" ] || echo "run.sh: $MONOS is missing: every guest test will fail" >&2
	make_inputs
	for variant in "${GUEST_VARIANTS[@]}"; do
		for c in "${GUEST_CASES[@]}"; do
			eval "set -- $c"
			selected "guest/$variant/$1" || continue
			n=$((n + 1))
			logs+=("$work/case.$n.log")
			run_case "$work/case.$n" "$variant" "$@" >"$work/case.$n.log" 2>&1 &
			while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
				wait -n
			done
		done
	done
	wait
	for i in "${logs[@]}"; do
		tally "$i"
	done
}

# -------------------------------------------------------------- fuzz tests
# Seeds of the syscall fuzzer (tests/fuzz/sysfuzz.c) that CI replays, each
# for FUZZ_CALLS calls: under a minute in all under TCG.  Each once found a
# kernel bug (docs/fuzzing.md): 1 the heap's cursor, 2 timers of 2^63 s,
# 3 mremap, 4 fallocate, 7 tmpfs holes, 102 I/O on O_PATH, 2006 a sleep on
# the process CPU clock that spun.  `make fuzz`
# fuzzes for longer, with new seeds.
FUZZ_SEEDS=(1 2 3 4 7 102 2006)
FUZZ_CALLS=20000

# One seed in monos: a panic, a hang or no exit status fails; the program's
# own end (killed, out of memory) is the fuzzer's business, shown as a note.
run_sys_seed() {
	local s=$1 d=$work/fuzz.$1 name=fuzz/sys/seed-$1 rc
	mkdir -p "$d"
	timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run "$BUILD/tests/fuzz/sysfuzz" "$s" "$FUZZ_CALLS" \
		</dev/null >"$d/out" 2>"$d/err"
	rc=$?
	if [ $rc -ne 124 ] && [ $rc -ne 125 ]; then
		echo "PASS $name"
		[ $rc -eq 0 ] || echo "    note: the fuzzer ended early (status $rc): $(tail -n 1 "$d/out")"
		return
	fi
	echo "FAIL $name ($([ $rc -eq 124 ] && echo "timeout ${GUEST_TIMEOUT}s" || echo "kernel panic or no exit status"))"
	echo "    after: $(grep 'sysfuzz: seed' "$d/out" | tail -n 1)"
	echo "    replay, printing every call from FROM: monos run $BUILD/tests/fuzz/sysfuzz $s $FUZZ_CALLS FROM"
	[ $rc -eq 124 ] && run_monos "$d" verbose /dev/null --verbose -- "$BUILD/tests/fuzz/sysfuzz" "$s" "$FUZZ_CALLS" &&
		cp "$d/verbose.err" "$d/err"
	echo "    --- kernel log (last $LOG_LINES lines):"
	grep -v 'does not implement\|unknown system call' "$d/err" | tail -n "$LOG_LINES" | cat -v |
		sed 's/^/    | /'
}

# Each host fuzz target replays its corpus (every file once).
run_corpus() {
	local t=$1 name=fuzz/corpus/$1 bin=$BUILD/tests/fuzz/fuzz_$1 files
	files=(tests/fuzz/corpus/"$t"/*)
	timeout -k 5 "$GUEST_TIMEOUT" "$bin" "${files[@]}" >"$work/corpus.$t" 2>&1
	if [ $? -eq 0 ]; then
		echo "PASS $name (${#files[@]} inputs)"
	else
		echo "FAIL $name"
		show "libFuzzer" "$work/corpus.$t" "$LOG_LINES"
	fi
}

run_fuzz() {
	local t s log=$work/fuzz.log
	: >"$log"
	if ! make --no-print-directory fuzz-programs >"$work/fuzz-build.log" 2>&1; then
		selected fuzz/build && echo "FAIL fuzz/build" >>"$log" &&
			show "make fuzz-programs (clang with libFuzzer: scripts/deps.sh)" \
				"$work/fuzz-build.log" 40 >>"$log"
	fi
	for t in tests/fuzz/corpus/*/; do
		t=$(basename "$t")
		selected "fuzz/corpus/$t" && run_corpus "$t" >>"$log"
	done
	for s in "${FUZZ_SEEDS[@]}"; do
		selected "fuzz/sys/seed-$s" && run_sys_seed "$s" >>"$log"
	done
	tally "$log"
}

# ------------------------------------------------- CLI and application tests
# Each tests/cli/*.sh and tests/apps/*.sh is one test; it gets MONOS, BUILD and
# GUEST (the musl guest programs) in its environment and a fresh TMPDIR.
# run_scripts DIR [PREFIX [MARK]]: the scripts of tests/DIR (only those with
# the line MARK, when given), named PREFIX/DIR/NAME.
run_scripts() {
	local dir=$1 prefix=${2:-} mark=${3:-} script name log rc
	[ -z "$prefix" ] || prefix=$prefix/
	mkdir -p "$work/$prefix"
	for script in tests/$dir/*.sh; do
		[ -f "$script" ] || continue
		[ -z "$mark" ] || grep -qxF "$mark" "$script" || continue
		name=$prefix$dir/$(basename "$script" .sh)
		selected "$name" || continue
		log=$work/$prefix$dir.$(basename "$script").log
		mkdir -p "$work/tmp.$name" "$(dirname "$log")"
		MONOS=$MONOS BUILD=$BUILD GUEST=$BUILD_ABS/tests/guest/musl TMPDIR=$work/tmp.$name \
			timeout -k 5 "$CLI_TIMEOUT" bash "$script" >"$log" 2>&1 </dev/null
		rc=$?
		result "$name" $rc
		if [ $rc -ne 0 ]; then
			[ $rc -eq 124 ] && echo "    (timed out after ${CLI_TIMEOUT}s)"
			echo "    --- failed checks (first 30 lines):"
			grep -A2 '^FAILED' "$log" | head -n 30 | cat -v | sed 's/^/    | /'
			echo "    --- end of output:"
			tail -n 5 "$log" | cat -v | sed 's/^/    | /'
		fi
	done >"$work/$prefix$dir.log"
	tally "$work/$prefix$dir.log"
}

# ------------------------------------------------------------ sanitizer stage
# `make SAN=1` builds the CLI and the unit tests with ASan and UBSan into
# $BUILD/san (every report is fatal).  They run again from there as san/unit/
# and san/cli/ tests: every unit test, and the CLI scripts that boot no guest
# (those holding the line SAN_MARK).  The guest programs and the kernel are
# the normal build's.
SAN_MARK="# sanitizers: this script boots no guest"
san_selected() {
	local f
	selected san/build && return 0
	for f in tests/unit/test_*.c; do
		selected "san/unit/$(basename "$f" .c)" && return 0
	done
	for f in tests/cli/*.sh; do
		grep -qxF "$SAN_MARK" "$f" && selected "san/cli/$(basename "$f" .sh)" && return 0
	done
	return 1
}

run_san() {
	local MONOS=$BUILD_ABS/san/monos
	san_selected || return 0
	if ! make --no-print-directory SAN=1 BUILD="$BUILD/san" all >"$work/san-build.log" 2>&1; then
		if selected san/build; then
			echo "FAIL san/build" >"$work/san-build.result"
			show "make SAN=1" "$work/san-build.log" 40 >>"$work/san-build.result"
			tally "$work/san-build.result"
		fi
		return
	fi
	run_units san "$BUILD/san" SAN=1 BUILD="$BUILD/san"
	MONOS_KERNEL=${MONOS_KERNEL:-$BUILD_ABS/monos-kernel} run_scripts cli san "$SAN_MARK"
}

run_guests
run_fuzz
run_scripts cli
run_scripts apps
run_san
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
