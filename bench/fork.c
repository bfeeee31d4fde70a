/*
 * fork: the process figure's program.  It times N iterations of each way a
 * program starts another: fork then _exit then waitpid; fork then execve of
 * itself (this small static program, in its "noop" mode) then waitpid;
 * posix_spawn of the same then waitpid; and fork of a process that has
 * touched BIG_MB MiB (then _exit, waitpid), which shows whether fork copies
 * data or only page-table entries.  Per operation it prints the wall time
 * (clock_gettime around the loop) and the TSC ticks (rdtsc around it): under
 * QEMU's `-icount shift=0` the TSC counts guest instructions, so the second
 * column is instructions per operation (parent and child together, as the
 * one CPU runs both); natively it is cycles.
 *
 * Usage: fork [N [BIG_MB]]   (default 200 and 256; the big fork runs N/10
 *        times, at least 3)   fork noop: exit at once (the exec'ed image)
 * Output: "NAME ns_per_op tsc_per_op" per operation; exit status 1 when a
 * call fails.
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

extern char **environ;
static const char *self;

static int reap(pid_t pid)
{
	int st;

	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

static int op_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return reap(pid);
}

static int op_exec(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		execve(self, (char *[]){ (char *)self, "noop", NULL }, environ);
		_exit(127);
	}
	return reap(pid);
}

static int op_spawn(void)
{
	pid_t pid;

	if (posix_spawn(&pid, self, NULL, NULL, (char *[]){ (char *)self, "noop", NULL }, environ))
		return -1;
	return reap(pid);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int timed(const char *name, int (*op)(void), long n)
{
	double t0 = now_ns();
	unsigned long long c0 = __rdtsc();

	for (long i = 0; i < n; i++)
		if (op())
			return fprintf(stderr, "fork: %s failed\n", name), 1;
	unsigned long long c1 = __rdtsc();
	double t1 = now_ns();
	printf("%s %.2f %.2f\n", name, (t1 - t0) / n, (double)(c1 - c0) / n);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200, big = argc > 2 ? atol(argv[2]) : 256;
	char *mem;

	if (argc > 1 && !strcmp(argv[1], "noop"))
		return 0;
	if (n <= 0 || big <= 0)
		return fprintf(stderr, "usage: fork [N [BIG_MB]]\n"), 2;
	/* The program execs itself by the path it was started with. */
	self = strchr(argv[0], '/') ? argv[0] : "/proc/self/exe";
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int i = 0; i < n / 10; i++) /* warm-up */
		if (op_fork() || op_exec())
			return fprintf(stderr, "fork: warm-up failed\n"), 1;
	if (timed("fork_exit_wait", op_fork, n) || timed("fork_exec_wait", op_exec, n) ||
	    timed("posix_spawn_wait", op_spawn, n))
		return 1;
	mem = mmap(NULL, big << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fprintf(stderr, "fork: cannot map %ld MiB\n", big), 1;
	memset(mem, 1, big << 20);
	char name[48];
	snprintf(name, sizeof(name), "fork_%ldM_touched", big);
	return timed(name, op_fork, n / 10 > 3 ? n / 10 : 3);
}
