#!/usr/bin/env bash
# CLI test: --trace-syscalls prints the program's system calls on stderr the
# way strace does ("name(args) = result", "= -1 ENAME" for an error), while
# stdout still carries exactly the program's output; and a system call the
# kernel does not know is logged once per number in the kernel log (-v),
# naming ENOSYS, however often the program makes it (design 4).
. "$(dirname "$0")/lib/common.bash"

BUILD=${BUILD:-build}
HELLO=$BUILD/examples/hello
DATA=tests/guest/data
RUN_TIMEOUT=120 # seconds per guest run (design 13)
MUSL_CC=${MUSL_CC:-musl-gcc}

# monos ARGS...: one guest run under the watchdog.
monos() {
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$@"
}

# err_has_line REGEX: some line of stderr matches REGEX (extended) entirely.
err_has_line() {
	grep -qxE -- "$1" "$scratch/err"
}

# count_err REGEX: how many stderr lines match REGEX (extended).
count_err() {
	grep -cE -- "$1" "$scratch/err"
}

# The bytes the traced writes to fd 1 returned, summed.
written_to_stdout() {
	sed -nE 's/^writev?\(1, .*\) = ([0-9]+)$/\1/p' "$scratch/err" | paste -sd+ | sed 's/^$/0/' | bc
}

[ -x "$HELLO" ] && [ -x "$GUEST/file" ] ||
	{ echo "FAILED not built: $HELLO, $GUEST/file (make guest-programs)"; exit 1; }

# 1. hello: stdout unchanged by tracing, the writes and the exit traced.
monos "$HELLO" a
cp "$scratch/out" "$scratch/plain.out"
check "hello without tracing: status 0" status_is 0
check "hello without tracing: no trace lines" eval '! err_matches "^(writev?|exit_group)\("'
monos --trace-syscalls "$HELLO" a
check "traced hello: status 0" status_is 0
check "traced hello: stdout is exactly the program's output" cmp -s "$scratch/plain.out" "$scratch/out"
check "traced hello: stdout holds no trace line" eval '! grep -q "^exit_group(" "$scratch/out"'
check "traced hello: a write to fd 1 traced as 'write(1, 0x..., N) = N'" \
	err_has_line 'writev?\(1, 0x[0-9a-f]+, [0-9]+\) = [0-9]+'
check "traced hello: the traced writes to fd 1 returned stdout's size" \
	eval '[ "$(written_to_stdout)" = "$(wc -c <"$scratch/out")" ]'
check "traced hello: exit_group(0) traced" err_has_line 'exit_group\(0\)( = \?)?'
check "traced hello: exit_group is the last call" \
	eval '[ "$(grep -E "^[a-z_0-9]+\(" "$scratch/err" | tail -n 1 | cut -d"(" -f1)" = exit_group ]'

# 2. Failing calls end in "= -1 ENAME".  musl's open() is SYS_open, glibc's
# is openat(AT_FDCWD, ...): the file guest opens "missing" in both.
monos --file "$DATA:/data" "$GUEST/file" /data
cp "$scratch/out" "$scratch/plain.out"
monos --trace-syscalls --file "$DATA:/data" "$GUEST/file" /data
check "traced file (musl): status 0" status_is 0
check "traced file (musl): stdout unchanged by tracing" cmp -s "$scratch/plain.out" "$scratch/out"
check "traced file (musl): failing open gives '= -1 ENOENT'" \
	err_has_line 'open\("missing", [^)]*\) = -1 ENOENT'
check "traced file (musl): a successful open gives its fd" \
	err_has_line 'open\("hello\.txt", [^)]*\) = [0-9]+'
glibc_file=$BUILD/tests/guest/glibc/file
if [ -x "$glibc_file" ]; then
	monos --trace-syscalls --file "$DATA:/data" "$glibc_file" /data
	check "traced file (glibc): failing openat gives '= -1 ENOENT'" \
		err_has_line 'openat\((AT_FDCWD|-100), "missing", [^)]*\) = -1 ENOENT'
	check "traced file (glibc): openat with a bad fd gives '= -1 EBADF'" \
		err_has_line 'openat\(99, "x", [^)]*\) = -1 EBADF'
fi

# 3. An unknown system call: the misc guest makes number 500 once.
monos --verbose "$GUEST/misc"
check "misc -v: unknown syscall 500 logged with ENOSYS" err_matches 'system call 500.*ENOSYS'
check "misc -v: logged once" eval '[ "$(count_err "system call 500")" = 1 ]'
monos "$GUEST/misc"
check "misc without -v: not logged" eval '! err_matches "system call 500"'

# Once per number, however often: a small program makes 500 three times and
# 501 once (built here: tests/guest programs are compared with a native run,
# where these calls have no meaning worth comparing).
if command -v "$MUSL_CC" >/dev/null; then
	cat >"$scratch/nosys.c" <<-'EOF'
		#include <errno.h>
		#include <stdio.h>
		#include <unistd.h>
		int main(void)
		{
			static const long nr[] = { 500, 500, 500, 501 };
			for (int i = 0; i < 4; i++) {
				long r = syscall(nr[i], 1, 2, 3);
				printf("%ld: %s\n", nr[i], r == -1 && errno == ENOSYS ? "ENOSYS" : "other");
			}
			return 0;
		}
	EOF
	"$MUSL_CC" -static -O2 -o "$scratch/nosys" "$scratch/nosys.c"
	monos --verbose --trace-syscalls "$scratch/nosys"
	check "nosys: every call got ENOSYS" \
		eval '[ "$(grep -c ": ENOSYS$" "$scratch/out")" = 4 ] && status_is 0'
	check "nosys: 500 logged once though made 3 times" \
		eval '[ "$(count_err "unknown system call 500")" = 1 ]'
	check "nosys: 501 logged once too" eval '[ "$(count_err "unknown system call 501")" = 1 ]'
	check "nosys: each call traced, '= -1 ENOSYS'" \
		eval '[ "$(count_err "^[a-z_]*500\(.*\) = -1 ENOSYS$")" = 3 ]'
	grep -E "system call|ENOSYS" "$scratch/err" | sed 's/^/    | /'
else
	echo "ok nosys: skipped, $MUSL_CC is not installed"
fi
finish
