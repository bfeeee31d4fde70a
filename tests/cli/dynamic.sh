#!/usr/bin/env bash
# CLI test: dynamic programs.  `monos run` packs the interpreter and every
# shared library a program needs (cli/deps.c); the program must then behave
# as it does natively: Debian's /bin/echo and /usr/bin/env, a glibc dynamic
# build of tests/guest/misc.c, a musl dynamic program, and a program with a
# library of its own found through DT_RUNPATH $ORIGIN.  A missing library is
# refused before anything boots.
#
# Until the kernel runs dynamic programs this prints a SKIP line and passes,
# but only if the kernel itself says so in its log; any other failure of the
# probe fails the test, so it cannot pass silently once they are supported.
. "$(dirname "$0")/lib/common.bash"

GUEST_TIMEOUT=${GUEST_TIMEOUT:-120}
# As tests/run.sh: docker's defaults (PATH, HOSTNAME, HOME) given explicitly.
GUEST_ENV=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "HOSTNAME=monos"
	"MONOS_TEST=1" "GREETING=hello, world" "EMPTY=" "HOME=/root")

# same NAME BIN ARGS...: run BIN natively (env -i) and in monos (-e) with the
# same environment and empty stdin; stdout and status must match.
same() {
	local name=$1 e opts=()
	shift
	for e in "${GUEST_ENV[@]}"; do
		opts+=(-e "$e")
	done
	timeout -k 5 "$GUEST_TIMEOUT" env -i "${GUEST_ENV[@]}" "$@" </dev/null \
		>"$scratch/native.out" 2>/dev/null
	native_rc=$?
	run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run "${opts[@]}" "$@" </dev/null
	check "$name: same status (native $native_rc)" status_is "$native_rc"
	check "$name: same stdout" cmp -s "$scratch/native.out" "$scratch/out"
}

# The probe: the log (-v) says why a dynamic program did not run.
run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run --verbose /bin/echo hi
if [ "$out" != hi ]; then
	if [ "$rc" -ne 0 ] && err_matches 'dynamic programs are not supported'; then
		echo "SKIP dynamic programs: the kernel does not support them yet"
		exit 0
	fi
	check "probe: /bin/echo hi prints hi" false
	finish
fi
check "--verbose names the interpreter" err_matches 'packing /lib64/ld-linux-x86-64\.so\.2'
check "--verbose names libc and where it was found" err_matches 'packing libc\.so\.6: /.*/libc\.so\.6'

same "echo" /bin/echo hello 'two words' ''
same "env" /usr/bin/env

# tests/guest/misc.c, linked dynamically against glibc.
if gcc -std=c11 -D_GNU_SOURCE -O2 -o "$scratch/misc" tests/guest/misc.c 2>"$scratch/cc.err"; then
	same "glibc dynamic misc" "$scratch/misc" one 'two words' '' 'tab	and * glob'
else
	check "gcc builds a dynamic tests/guest/misc.c" false
fi

# A musl dynamic program: libc.so is musl's interpreter.
printf '#include <stdio.h>\nint main(int c, char **v) { printf("%%d %%s\\n", c, v[c - 1]); return 5; }\n' \
	>"$scratch/m.c"
if musl-gcc -o "$scratch/musl-dyn" "$scratch/m.c" 2>/dev/null; then
	same "musl dynamic" "$scratch/musl-dyn" a 'b c'
else
	echo "SKIP musl dynamic: musl-gcc cannot link dynamically here"
fi

# A library of the program's own, beside it, found through $ORIGIN.
mkdir -p "$scratch/app/lib"
printf 'int monos_answer(void) { return 42; }\n' >"$scratch/answer.c"
printf '#include <stdio.h>\nint monos_answer(void);\nint main(void) { printf("%%d\\n", monos_answer()); return 0; }\n' \
	>"$scratch/main.c"
gcc -shared -fPIC -Wl,-soname,libmonosanswer.so.1 -o "$scratch/app/lib/libmonosanswer.so.1.0" \
	"$scratch/answer.c"
ln -s libmonosanswer.so.1.0 "$scratch/app/lib/libmonosanswer.so.1"
ln -s libmonosanswer.so.1 "$scratch/app/lib/libmonosanswer.so"
gcc -o "$scratch/app/answer" "$scratch/main.c" -L"$scratch/app/lib" -lmonosanswer \
	-Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib'
same "own library through RUNPATH \$ORIGIN" "$scratch/app/answer"

# The same program without its RUNPATH: refused, naming what is missing.
gcc -o "$scratch/app/noanswer" "$scratch/main.c" -L"$scratch/app/lib" -lmonosanswer
run "$MONOS" run "$scratch/app/noanswer"
check "missing library: status 126" status_is 126
check "missing library: says which and where it looked" \
	err_matches 'needs libmonosanswer\.so\.1, which was not found \(searched: .*/usr/lib'

finish
