/*
 * Timers set to 2^63 - 1 seconds (found by tests/fuzz/sysfuzz, seed 2, call
 * 11568: setitimer(ITIMER_VIRTUAL) of that value hung the instance).  The
 * kernel turned seconds into nanoseconds without a limit: the value wrapped
 * to a time in the past, the timer was due again as soon as it was re-armed
 * and the timer interrupt never ended.  Linux saturates at KTIME_MAX (about
 * 292 years, include/linux/ktime.h ktime_set), so such a timer never fires
 * and reports about 2^63 ns left.
 *
 * Setting the wall clock to such a time is refused (EINVAL) before any
 * permission check, as Linux's timespec64_valid_settod: monos took it and
 * wrapped.  Only refused values are tried, so the host's clock never moves.
 */
#include <limits.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#include "guest.h"

#define KTIME_SEC_MAX 9223372036L /* INT64_MAX ns in whole seconds */
/* Linux's clock timers saturate their expiry, not the value: what is left
 * is 2^63 ns less the host's uptime.  So anything above 285 years. */
#define LEFT_MIN 9000000000L

/* Whether `sec` seconds left are what such a timer shows. */
static int huge_left(long sec)
{
	return sec >= LEFT_MIN && sec <= KTIME_SEC_MAX;
}

static volatile sig_atomic_t hits;

static void on_signal(int sig)
{
	(void)sig;
	hits++;
}

/* Some CPU time, for the CPU timers to count. */
static void work(void)
{
	volatile unsigned long n = 0;

	for (unsigned long i = 0; i < 10000000ul; i++)
		n += i;
}

static void itimer(int which, const char *name)
{
	struct itimerval huge = { { LONG_MAX, 0 }, { LONG_MAX, 1 } }, cur,
			 off = { { 0, 0 }, { 0, 0 } };

	guest_check(name, setitimer(which, &huge, NULL) == 0);
	work();
	/* Linux pads a CPU timer by a tick, so until a tick of CPU time has
	 * been counted what is left passes 2^63 ns and reads as negative. */
	for (int i = 0; i < 100 && getitimer(which, &cur) == 0 && cur.it_value.tv_sec < 0; i++)
		work();
	guest_check("  getitimer: about 2^63 ns left, as Linux's limit",
		    getitimer(which, &cur) == 0 && huge_left(cur.it_value.tv_sec));
	setitimer(which, &off, NULL);
}

static void posix_timer(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	struct itimerspec huge = { { LONG_MAX, 0 }, { LONG_MAX, 999999999 } }, cur;
	timer_t t;

	guest_check("timer_settime of 2^63 - 1 s", timer_create(CLOCK_MONOTONIC, &ev, &t) == 0 &&
							   timer_settime(t, 0, &huge, NULL) == 0);
	work();
	guest_check("  timer_gettime: about 2^63 ns left",
		    timer_gettime(t, &cur) == 0 && huge_left(cur.it_value.tv_sec));
	timer_delete(t);
}

static void timerfd(void)
{
	struct itimerspec huge = { { LONG_MAX, 0 }, { LONG_MAX, 0 } }, cur;
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);

	guest_check("timerfd_settime of 2^63 - 1 s",
		    fd >= 0 && timerfd_settime(fd, 0, &huge, NULL) == 0);
	work();
	guest_check("  timerfd_gettime: about 2^63 ns left",
		    timerfd_gettime(fd, &cur) == 0 && huge_left(cur.it_value.tv_sec));
	close(fd);
}

/* Linux's limit for a wall-clock time (include/linux/time64.h
 * TIME_SETTOD_SEC_MAX: KTIME_SEC_MAX less 30 years of uptime). */
#define SETTOD_SEC_MAX (KTIME_SEC_MAX - 30L * 365 * 86400)

static void set_clock(void)
{
	struct timespec at_max = { SETTOD_SEC_MAX, 0 }, huge = { LONG_MAX, 0 };
	struct timeval tv_max = { SETTOD_SEC_MAX, 0 }, tv_huge = { LONG_MAX, 999999 };

	guest_check_err("clock_settime at the settable limit",
			clock_settime(CLOCK_REALTIME, &at_max), EINVAL);
	guest_check_err("clock_settime of 2^63 - 1 s", clock_settime(CLOCK_REALTIME, &huge),
			EINVAL);
	guest_check_err("settimeofday at the settable limit", settimeofday(&tv_max, NULL), EINVAL);
	guest_check_err("settimeofday of 2^63 - 1 s", settimeofday(&tv_huge, NULL), EINVAL);
}

int main(void)
{
	signal(SIGALRM, on_signal);
	signal(SIGVTALRM, on_signal);
	signal(SIGPROF, on_signal);
	signal(SIGUSR1, on_signal);
	itimer(ITIMER_VIRTUAL, "ITIMER_VIRTUAL of 2^63 - 1 s");
	itimer(ITIMER_PROF, "ITIMER_PROF of 2^63 - 1 s");
	itimer(ITIMER_REAL, "ITIMER_REAL of 2^63 - 1 s");
	posix_timer();
	timerfd();
	set_clock();
	guest_check("no timer fired", hits == 0);
	return guest_bad != 0;
}
