/*
 * Guest test, area time: clock_gettime (every clock an unmodified program
 * may use), clock_getres, gettimeofday, time, nanosleep, clock_nanosleep.
 *
 * Times themselves differ between runs, so only relations are printed:
 * monotonic never goes backwards, a sleep lasts at least what was asked and
 * less than that plus SLEEP_SLACK, the wall clock is past 2026-01-01, and the
 * clocks agree with each other.  libc may answer clock_gettime from the vDSO
 * natively, so each clock is also read through the raw system call.
 */
#include "guest.h"

#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#define NSEC	    1000000000ll
#define SLEEP_NS    (20 * 1000000ll) /* 20 ms */
#define SLEEP_SLACK (2 * NSEC)	     /* generous: TCG and loaded CI hosts */
#define EPOCH_2026  1767225600ll     /* 2026-01-01T00:00:00Z */
#define MAX_RES	    (10 * 1000000ll) /* coarse clocks tick at >= 100 Hz */

static long long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NSEC + ts->tv_nsec;
}

/* Read `clock` through the raw syscall; -1 on failure. */
static long long raw_now(clockid_t clock)
{
	struct timespec ts;

	if (syscall(SYS_clock_gettime, clock, &ts) != 0)
		return -1;
	return ts_ns(&ts);
}

static long long libc_now(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) != 0)
		return -1;
	return ts_ns(&ts);
}

static void time_clocks(void)
{
	static const struct {
		clockid_t id;
		const char *name;
	} clocks[] = {
	    {CLOCK_REALTIME, "REALTIME"},
	    {CLOCK_MONOTONIC, "MONOTONIC"},
	    {CLOCK_BOOTTIME, "BOOTTIME"},
	    {CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"},
	    {CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID"},
	    {CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID"},
	    {CLOCK_REALTIME_COARSE, "REALTIME_COARSE"},
	    {CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE"},
	};
	struct timespec res;
	char name[80];

	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		long long raw = raw_now(clocks[i].id), lib = libc_now(clocks[i].id);
		long r = syscall(SYS_clock_getres, clocks[i].id, &res);

		snprintf(name, sizeof(name), "%s: readable (raw and libc)", clocks[i].name);
		guest_check(name, raw >= 0 && lib >= 0 && raw / NSEC <= lib / NSEC + 1);
		snprintf(name, sizeof(name), "%s: resolution in (0, 10 ms]", clocks[i].name);
		guest_check(name, r == 0 && ts_ns(&res) > 0 && ts_ns(&res) <= MAX_RES);
	}
	guest_check_err("clock_gettime bad clock", syscall(SYS_clock_gettime, 12345, &res), EINVAL);
	guest_check_err("clock_gettime bad pointer",
			syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)1), EFAULT);
	guest_check("clock_getres NULL is fine",
		    syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL) == 0);
}

static void time_relations(void)
{
	long long mono = raw_now(CLOCK_MONOTONIC), boot = raw_now(CLOCK_BOOTTIME);
	long long real = raw_now(CLOCK_REALTIME), coarse = raw_now(CLOCK_REALTIME_COARSE);
	long long mcoarse = raw_now(CLOCK_MONOTONIC_COARSE), mono2 = raw_now(CLOCK_MONOTONIC);
	struct timeval tv;
	time_t t = time(NULL);
	long long traw = syscall(SYS_time, NULL);

	guest_check("realtime is after 2026-01-01", real / NSEC > EPOCH_2026);
	guest_check("boottime >= monotonic", boot >= mono);
	guest_check("coarse realtime within 1 s of realtime", llabs(coarse - real) < NSEC);
	guest_check("coarse monotonic <= monotonic, within 1 s",
		    mcoarse <= mono2 && mono2 - mcoarse < NSEC);
	guest_check("gettimeofday", syscall(SYS_gettimeofday, &tv, NULL) == 0);
	guest_check("gettimeofday within 1 s of realtime",
		    llabs(tv.tv_sec * NSEC + tv.tv_usec * 1000ll - real) < NSEC);
	guest_check("gettimeofday usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	guest_check("time() within 2 s of realtime", llabs(t - real / NSEC) <= 2);
	guest_check("raw time syscall within 2 s", llabs(traw - real / NSEC) <= 2);
}

/* Monotonic never goes backwards; the CPU clocks advance while we spin. */
static void time_monotonic(void)
{
	long long prev = raw_now(CLOCK_MONOTONIC), now;
	long long cpu0 = raw_now(CLOCK_PROCESS_CPUTIME_ID), thr0 = raw_now(CLOCK_THREAD_CPUTIME_ID);
	int backwards = 0;

	for (int i = 0; i < 10000; i++) {
		now = i & 1 ? raw_now(CLOCK_MONOTONIC) : libc_now(CLOCK_MONOTONIC);
		backwards += now < prev;
		prev = now;
	}
	guest_check("monotonic never went backwards in 10000 reads", backwards == 0);
	guest_check("process CPU time advanced", raw_now(CLOCK_PROCESS_CPUTIME_ID) > cpu0);
	guest_check("thread CPU time advanced", raw_now(CLOCK_THREAD_CPUTIME_ID) > thr0);
}

/* Print whether a sleep measured as `slept` ns lasted >= want, < want + slack. */
static void time_check_sleep(const char *name, long long slept, long long want)
{
	char label[80];

	snprintf(label, sizeof(label), "%s lasted >= 20 ms and < 2 s more", name);
	guest_check(label, slept >= want && slept < want + SLEEP_SLACK);
}

static void time_sleeps(void)
{
	struct timespec req = {0, SLEEP_NS}, abs;
	long long start;

	start = raw_now(CLOCK_MONOTONIC);
	guest_check("nanosleep", syscall(SYS_nanosleep, &req, NULL) == 0);
	time_check_sleep("nanosleep", raw_now(CLOCK_MONOTONIC) - start, SLEEP_NS);

	start = raw_now(CLOCK_MONOTONIC);
	guest_check("clock_nanosleep relative",
		    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL) == 0);
	time_check_sleep("clock_nanosleep relative", raw_now(CLOCK_MONOTONIC) - start, SLEEP_NS);

	start = raw_now(CLOCK_MONOTONIC);
	abs.tv_sec = (start + SLEEP_NS) / NSEC;
	abs.tv_nsec = (start + SLEEP_NS) % NSEC;
	guest_check("clock_nanosleep TIMER_ABSTIME",
		    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0);
	time_check_sleep("clock_nanosleep TIMER_ABSTIME", raw_now(CLOCK_MONOTONIC) - start,
			 SLEEP_NS);

	/* An absolute time in the past returns at once. */
	abs.tv_sec = 1;
	start = raw_now(CLOCK_MONOTONIC);
	guest_check("clock_nanosleep to a past time",
		    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0 &&
			raw_now(CLOCK_MONOTONIC) - start < SLEEP_SLACK);
	req.tv_nsec = NSEC;
	guest_check_err("nanosleep tv_nsec = 1e9", syscall(SYS_nanosleep, &req, NULL), EINVAL);
	req.tv_nsec = 0;
	guest_check("nanosleep zero", syscall(SYS_nanosleep, &req, NULL) == 0);
}

int main(void)
{
	time_clocks();
	time_relations();
	time_monotonic();
	time_sleeps();
	return guest_finish();
}
