/*
 * Timers with an interval far below a tick (found by tests/fuzz/sysfuzz,
 * seed 2, around call 11500: the kernel spent all its time in cpu_check).
 * A CPU-time itimer of 1 us sent a signal after every microsecond of CPU
 * time, and a POSIX timer of 1 ns whose signal is ignored (or that has no
 * signal) re-armed itself at once after each expiry: every return to the
 * program met the next timer interrupt.  Linux looks at CPU timers at each
 * tick, so it sends at most one signal a tick (HZ is at most 1000), and
 * re-arms a timer nobody sees expire a tick later at the earliest.
 *
 * ITIMER_REAL and POSIX timers whose signal is caught are left out: with a
 * period below the cost of a signal, Linux starves the program too.
 */
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "guest.h"

#define WORK   20000000ul /* loop iterations: ~15 ms natively, ~0.1 s in monos */
#define TRIES  3	  /* runs of each kind; the fastest counts, to ride out load */
#define SLOWER 1.4	  /* the work may take this much longer under the timers */

static volatile sig_atomic_t hits;

static void on_signal(int sig)
{
	(void)sig;
	hits++;
}

static double ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The fixed work, volatile so the loop is not folded away; its wall time. */
static double work(void)
{
	volatile unsigned long n = 0;
	double t0 = ms(CLOCK_MONOTONIC);

	for (unsigned long i = 0; i < WORK; i++)
		n += i;
	return ms(CLOCK_MONOTONIC) - t0;
}

static void itimer(int which, int sig, const char *name)
{
	struct itimerval on = { { 0, 1 }, { 0, 1 } }, off = { { 0, 0 }, { 0, 0 } };
	double cpu;

	signal(sig, on_signal);
	hits = 0;
	cpu = ms(CLOCK_PROCESS_CPUTIME_ID);
	guest_check(name, setitimer(which, &on, NULL) == 0);
	work();
	setitimer(which, &off, NULL);
	cpu = ms(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	guest_check("at most one signal a millisecond of CPU time", hits >= 1 && hits <= cpu + 2);
}

/* Make `n` timers of 1 ns with `ev`; delete them when `n` is negative. */
static void posix_timers(struct sigevent *ev, timer_t *t, int n)
{
	struct itimerspec on = { { 0, 1 }, { 0, 1 } };

	for (int i = 0; i < n; i++)
		if (timer_create(CLOCK_MONOTONIC, ev, &t[i]) || timer_settime(t[i], 0, &on, NULL))
			guest_check("timer_create and timer_settime", 0);
	for (int i = 0; i < -n; i++)
		timer_delete(t[i]);
}

/* The work with and without 8 timers of 1 ns nobody sees expire, fastest
 * of TRIES each (interleaved, so a burst of load hits both alike). */
static void unseen_timers(int notify, const char *name)
{
	struct sigevent ev = { .sigev_notify = notify, .sigev_signo = SIGUSR2 };
	double alone = 1e9, under = 1e9, t;
	timer_t tm[8];

	signal(SIGUSR2, SIG_IGN);
	for (int i = 0; i < TRIES; i++) {
		t = work();
		alone = t < alone ? t : alone;
		posix_timers(&ev, tm, 8);
		t = work();
		under = t < under ? t : under;
		posix_timers(&ev, tm, -8);
	}
	guest_check(name, under < alone * SLOWER);
}

int main(void)
{
	itimer(ITIMER_PROF, SIGPROF, "ITIMER_PROF every 1 us");
	itimer(ITIMER_VIRTUAL, SIGVTALRM, "ITIMER_VIRTUAL every 1 us");
	unseen_timers(SIGEV_SIGNAL, "1 ns POSIX timers of an ignored signal: the work runs");
	unseen_timers(SIGEV_NONE, "1 ns POSIX timers without a signal: the work runs");
	return guest_bad != 0;
}
