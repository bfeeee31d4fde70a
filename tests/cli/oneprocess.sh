#!/usr/bin/env bash
# CLI test: monos runs one process (issue 4, item 5).  fork, vfork, execve
# and wait4 fail with ENOSYS instead of hanging or crashing, and the first
# call of each is named in the kernel log (-v), so a user learns why a
# program stopped.  Natively these calls succeed, so this cannot be a guest
# program compared with the host: it runs in monos only.
. "$(dirname "$0")/lib/common.bash"

RUN_TIMEOUT=120 # seconds per guest run (design 13)
MUSL_CC=${MUSL_CC:-musl-gcc}

command -v "$MUSL_CC" >/dev/null || { echo "ok skipped: $MUSL_CC is not installed"; finish; }

# Raw system calls: libc's fork() may take other paths (clone), and each
# call must be made exactly as a program would make it.  The second fork
# shows the log names a call once.
cat >"$scratch/oneproc.c" <<'EOF'
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

static void show(const char *name, long r)
{
	printf("%s: %s\n", name, r == -1 && errno == ENOSYS ? "ENOSYS" : "other");
}

int main(int argc, char **argv_)
{
	char *argv[] = { "/bin/true", NULL }, *envp[] = { NULL };
	int status;

	if (argc > 1 && argv_[1][0] == 'k') { /* an unknown call, then killed */
		syscall(999);
		raise(SIGTERM);
	}
	if (argc > 1) { /* as bash does: "fork: Function not implemented", 254 */
		if (syscall(SYS_fork) < 0)
			perror("fork");
		if (argc > 2)
			syscall(999);
		return 254;
	}
	show("fork", syscall(SYS_fork));
	show("fork again", syscall(SYS_fork));
	show("vfork", syscall(SYS_vfork));
	show("execve", syscall(SYS_execve, argv[0], argv, envp));
	show("wait4", syscall(SYS_wait4, -1, &status, 0, NULL));
	printf("still here\n");
	return 0;
}
EOF
"$MUSL_CC" -static -O2 -o "$scratch/oneproc" "$scratch/oneproc.c" ||
	{ echo "FAILED building the test program"; exit 1; }

run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -v "$scratch/oneproc"
check "the program ends normally" status_is 0
for call in fork "fork again" vfork execve wait4; do
	check "$call gives ENOSYS" out_has "$call: ENOSYS"
done
check "the program goes on after them" out_has "still here"
for call in fork vfork execve wait4; do
	check "the log names $call" err_matches "called $call \([0-9]+\).*ENOSYS"
	check "the log names $call once" \
		eval '[ "$(grep -cE "called $call \(" "$scratch/err")" = 1 ]'
done

run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$scratch/oneproc"
check "without -v: the same output" out_has "wait4: ENOSYS"
check "without -v: nothing logged" eval '! err_matches "called fork"'

# A program that gives up on ENOSYS: monos names the call, and says it is
# by design (once bash's "fork: Function not implemented", status 254, came
# without a word from monos); no kernel log.
run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$scratch/oneproc" fail
check "gives up: the program's status" status_is 254
check "gives up: the program's own message" err_matches '^fork: (Function not implemented|No error information)'
check "gives up: monos names fork, by design" \
	err_matches '^monos: the program got ENOSYS from fork \(monos runs one process per instance'
check "gives up: two lines, no kernel log" eval '[ "$(wc -l <"$scratch/err")" = 2 ]'
run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$scratch/oneproc" fail unknown
check "an unknown call: named as not implemented" \
	err_matches 'and from system call 999 \(not implemented in monos\)$'

# Killed by a signal: the ENOSYS line and one line for the signal, not the
# kernel log (whose lines once landed on the user's stderr).
run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$scratch/oneproc" kill
check "killed: status 143" status_is 143
check "killed: names the call" err_matches '^monos: the program got ENOSYS from system call 999 '
check "killed: says killed by SIGTERM" err_matches '^monos: program killed by SIGTERM$'
check "killed: two lines, no kernel log" \
	eval '[ "$(wc -l <"$scratch/err")" = 2 ] && ! err_matches "made unknown system call"'
finish
