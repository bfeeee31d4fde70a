/*
 * hello-tsc: the hello program of the start-up figures, with one addition
 * for counting guest instructions in the Linux guest: the first thing main
 * does is read the TSC, which under QEMU's `-icount shift=0` counts guest
 * instructions plus time spent halted (facts.md).  It then prints that TSC
 * and the halted part as Linux itself accounts it: the idle time in
 * /proc/uptime (its second field, in seconds with two decimals: 10 ms
 * resolution; under icount one guest nanosecond is one TSC tick), so that
 * bench/icount.sh can subtract it.  monos reports the same two numbers in
 * its kernel log instead, so this program only runs in the Linux guest.
 *
 * Output: "tsc T idle_ns I" (I is -1 when /proc/uptime is unreadable), then
 * a greeting.
 */
#include <stdio.h>
#include <x86intrin.h>

/* The idle time of /proc/uptime in nanoseconds, or -1. */
static long long bench_idle_ns(void)
{
	double up, idle;
	FILE *f = fopen("/proc/uptime", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%lf %lf", &up, &idle);
	fclose(f);
	return n == 2 ? (long long)(idle * 1e9 + 0.5) : -1;
}

int main(void)
{
	/* First, before anything of main can add instructions. */
	unsigned long long tsc = __rdtsc();

	printf("tsc %llu idle_ns %lld\n", tsc, bench_idle_ns());
	printf("Hello from the Linux guest!\n");
	return 0;
}
