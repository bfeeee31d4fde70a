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
 * The CPU timers' signals are counted, which fails without the fix.  The
 * POSIX timers' cost shows only in time, too noisy on a loaded machine to
 * compare (their storm slowed the work 1.5 to 2 times here): that part only
 * checks the work ends, as it did not in the fuzzer.  ITIMER_REAL and POSIX
 * timers whose signal is caught are left out: with a period below the cost
 * of a signal, Linux starves the program too.
 */
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "guest.h"

#define WORK	20000000ul /* loop iterations: ~15 ms natively, ~0.1 s in monos */
#define NTIMERS 8

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

/* The fixed work, volatile so the loop is not folded away. */
static void work(void)
{
	volatile unsigned long n = 0;

	for (unsigned long i = 0; i < WORK; i++)
		n += i;
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
	guest_check("at most one signal a millisecond of CPU time", hits <= cpu + 2);
}

/* The work under NTIMERS timers of 1 ns nobody sees expire. */
static void unseen_timers(int notify, const char *name)
{
	struct sigevent ev = { .sigev_notify = notify, .sigev_signo = SIGUSR2 };
	struct itimerspec on = { { 0, 1 }, { 0, 1 } };
	timer_t t[NTIMERS];
	int made = 0;

	signal(SIGUSR2, SIG_IGN);
	for (int i = 0; i < NTIMERS; i++)
		made += !timer_create(CLOCK_MONOTONIC, &ev, &t[i]) &&
			!timer_settime(t[i], 0, &on, NULL);
	guest_check(name, made == NTIMERS);
	work();
	for (int i = 0; i < NTIMERS; i++)
		timer_delete(t[i]);
	guest_check("the work got done under them", 1);
}

int main(void)
{
	itimer(ITIMER_PROF, SIGPROF, "ITIMER_PROF every 1 us");
	itimer(ITIMER_VIRTUAL, SIGVTALRM, "ITIMER_VIRTUAL every 1 us");
	unseen_timers(SIGEV_SIGNAL, "8 POSIX timers of 1 ns, their signal ignored");
	unseen_timers(SIGEV_NONE, "8 POSIX timers of 1 ns without a signal");
	return guest_bad != 0;
}
