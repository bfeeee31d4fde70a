/*
 * syscall: the system-call figure's program.  It times N iterations of four
 * calls a server makes all the time: getppid (the cheapest round trip into
 * the kernel), clock_gettime(CLOCK_MONOTONIC) (a vDSO call where the kernel
 * offers one), a 1-byte read from /dev/zero and a 4 KiB write to /dev/null.
 * For each it prints the wall time per call (clock_gettime around the loop)
 * and the TSC ticks per call (rdtsc around the loop).  Under QEMU's
 * `-icount shift=0` the TSC counts guest instructions (plus halted time,
 * which a busy loop does not have), so the second column is instructions per
 * call; natively and without icount it is TSC cycles.  Each figure includes
 * the loop's own few instructions.
 *
 * Usage: syscall [N]   (default 20000; one untimed warm-up pass of N/10)
 * Output: one line per call: "NAME ns_per_call tsc_per_call", values with two
 * decimals; exit status 1 when a call fails.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define BENCH_WRITE_BYTES 4096

static int zero_fd, null_fd;
static char buf[BENCH_WRITE_BYTES];

/* getppid cannot fail; in monos the program's parent is 0. */
static int op_getppid(void)
{
	return getppid() >= 0 ? 0 : -1;
}

static int op_clock(void)
{
	struct timespec ts;

	return clock_gettime(CLOCK_MONOTONIC, &ts);
}

static int op_read(void)
{
	return read(zero_fd, buf, 1) == 1 ? 0 : -1;
}

static int op_write(void)
{
	return write(null_fd, buf, BENCH_WRITE_BYTES) == BENCH_WRITE_BYTES ? 0 : -1;
}

static const struct {
	const char *name;
	int (*op)(void);
} ops[] = {
	{ "getppid", op_getppid },
	{ "clock_gettime", op_clock },
	{ "read_dev_zero_1B", op_read },
	{ "write_dev_null_4KiB", op_write },
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Time n calls of op; print the line; -1 when a call failed. */
static int bench_one(const char *name, int (*op)(void), long n)
{
	long long t0, t1;
	unsigned long long c0, c1;
	long i;

	for (i = 0; i < n / 10; i++) /* warm-up: caches, first faults */
		if (op())
			return -1;
	t0 = now_ns();
	c0 = __rdtsc();
	for (i = 0; i < n; i++)
		if (op())
			return -1;
	c1 = __rdtsc();
	t1 = now_ns();
	printf("%s %.2f %.2f\n", name, (double)(t1 - t0) / n, (double)(c1 - c0) / n);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	size_t k;

	zero_fd = open("/dev/zero", O_RDONLY);
	null_fd = open("/dev/null", O_WRONLY);
	if (n <= 0 || zero_fd < 0 || null_fd < 0) {
		fprintf(stderr, "syscall: bad N or cannot open /dev/zero, /dev/null\n");
		return 1;
	}
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (bench_one(ops[k].name, ops[k].op, n)) {
			fprintf(stderr, "syscall: %s failed\n", ops[k].name);
			return 1;
		}
	return 0;
}
