#!/usr/bin/env bash
# CLI test: out of memory with several processes (issue 13).  The OOM
# killer picks the process with the most resident pages: a child that eats
# memory dies of SIGKILL, its parent sees that and the instance goes on; when
# PID 1 is the largest, the instance ends as an OOM kill (status 137).  Runs
# in monos only: natively this would exhaust the host's memory.
. "$(dirname "$0")/lib/common.bash"

RUN_TIMEOUT=120 # seconds per guest run (design 13)
MUSL_CC=${MUSL_CC:-musl-gcc}

command -v "$MUSL_CC" >/dev/null || { echo "ok skipped: $MUSL_CC is not installed"; finish; }

cat >"$scratch/oom.c" <<'PROG'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Touch 1 MiB after 1 MiB until the kernel stops us. */
static void eat(void)
{
	for (;;) {
		char *p = malloc(1 << 20);
		if (!p) {
			printf("malloc failed\n");
			exit(3);
		}
		memset(p, 2, 1 << 20);
	}
}

int main(int argc, char **argv)
{
	char *mine = malloc(4 << 20);
	int st;

	memset(mine, 1, 4 << 20);
	pid_t pid = fork();
	if (pid == 0) {
		if (argc > 1) /* "parent": the child stays small and waits */
			pause();
		eat();
	}
	if (argc > 1)
		eat();
	waitpid(pid, &st, 0);
	printf("child: signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
	printf("parent goes on, its memory intact: %d\n", mine[(4 << 20) - 1]);
	pid = fork(); /* and can still make processes */
	if (pid == 0)
		_exit(7);
	waitpid(pid, &st, 0);
	printf("a new child: %d\n", WEXITSTATUS(st));
	return 0;
}
PROG
"$MUSL_CC" -static -O2 -o "$scratch/oom" "$scratch/oom.c" ||
	{ echo "FAILED building the test program"; exit 1; }

run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --verbose -m 48M "$scratch/oom"
check "a child eating memory: the instance goes on" status_is 0
check "the child died of SIGKILL" out_has "child: signaled 1 sig 9"
check "the parent's memory is intact" out_has "parent goes on, its memory intact: 1"
check "fork works after the kill" out_has "a new child: 7"
check "the kernel log names the process killed" err_matches "out of memory: killed process [0-9]+ "

run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -m 48M "$scratch/oom" parent
check "PID 1 the largest: the instance ends as an OOM kill" status_is 137
check "monos says so" err_matches "out of memory"
finish
