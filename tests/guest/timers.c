/*
 * Guest test, area timers: alarm and pause, setitimer(ITIMER_REAL) firing
 * periodically, getitimer, and POSIX timers (timer_create with a signal and
 * a value, periodic expiry, SIGEV_NONE with timer_gettime, absolute
 * timer_settime, timer_delete); a POSIX timer's real-time signal queued
 * once with the expiries missed in si_overrun; setitimer ITIMER_PROF and
 * ITIMER_VIRTUAL firing after that much CPU time; EFAULT for a bad timer id
 * address.  Only counts and bounds are printed.
 */
#include "guest.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t alarms, usr1s, profs, vtalrms;
static volatile int usr1_value;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	usr1s++;
	usr1_value = si->si_value.sival_int;
}

static void on_prof(int sig)
{
	if (sig == SIGPROF)
		profs++;
	else
		vtalrms++;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Spin in user mode until the process has used `ms` more of CPU time, or
 * `stop` becomes non-zero; returns the CPU time used, in ms. */
static uint64_t spin(uint64_t ms, volatile sig_atomic_t *stop)
{
	uint64_t start = cpu_ns();

	while (cpu_ns() - start < ms * 1000000 && !(stop && *stop))
		for (volatile int i = 0; i < 10000; i++)
			;
	return (cpu_ns() - start) / 1000000;
}

/* A periodic timer whose (blocked) real-time signal waits: one signal,
 * carrying the expiries missed meanwhile in si_overrun. */
static void test_overrun(void)
{
	struct sigevent sev = { 0 };
	struct itimerspec ts = { { 0, 10000000 }, { 0, 10000000 } };
	struct timespec nap = { 0, 105000000 }, wait = { 2, 0 };
	sigset_t set;
	siginfo_t si;
	timer_t t;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN + 1;
	sev.sigev_value.sival_int = 99;
	timer_create(CLOCK_MONOTONIC, &sev, &t);
	timer_settime(t, 0, &ts, NULL);
	nanosleep(&nap, NULL);
	int sig = sigtimedwait(&set, &si, &wait);
	guest_check("RT timer signal: SI_TIMER with its value",
		    sig == SIGRTMIN + 1 && si.si_code == SI_TIMER && si.si_value.sival_int == 99);
	guest_check("queued once: the missed expiries in si_overrun (5..20)",
		    si.si_overrun >= 5 && si.si_overrun <= 20);
	guest_check("timer_getoverrun agrees", timer_getoverrun(t) == si.si_overrun);
	guest_check("the timer runs on",
		    sigtimedwait(&set, &si, &wait) == SIGRTMIN + 1 && si.si_overrun <= 20);
	timer_delete(t);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* setitimer on CPU time: SIGPROF every 10 ms of it, SIGVTALRM once. */
static void test_cpu_timers(void)
{
	struct sigaction sa = { .sa_handler = on_prof };
	struct itimerval prof = { { 0, 10000 }, { 0, 10000 } }, vt = { { 0, 0 }, { 0, 50000 } },
			 cur;
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	sigaction(SIGPROF, &sa, NULL);
	sigaction(SIGVTALRM, &sa, NULL);
	guest_check("setitimer ITIMER_PROF", setitimer(ITIMER_PROF, &prof, NULL) == 0);
	uint64_t used = spin(300, NULL);
	setitimer(ITIMER_PROF, &off, &cur);
	guest_check("getitimer-on-set ITIMER_PROF: interval kept",
		    cur.it_interval.tv_usec == 10000);
	/* About 30, but Linux checks CPU timers at its tick and only while the
	 * process runs: on a loaded host expiries merge into fewer signals, or
	 * its accounting gives a few more. */
	guest_check("SIGPROF: 3..45 in 300 ms of CPU time",
		    profs >= 3 && profs <= 45 && used < 500);
	int before = profs;
	spin(30, NULL);
	guest_check("disarmed: no more SIGPROF", profs == before);

	guest_check("setitimer ITIMER_VIRTUAL", setitimer(ITIMER_VIRTUAL, &vt, NULL) == 0);
	getitimer(ITIMER_VIRTUAL, &cur);
	/* Linux rounds CPU timers up to its tick (up to 10 ms at HZ=100). */
	guest_check("getitimer ITIMER_VIRTUAL: about 50 ms left",
		    cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 &&
			    cur.it_value.tv_usec <= 60000);
	used = spin(2000, &vtalrms);
	/* Bounds wide for Linux's tick-sampled user time on a loaded host. */
	guest_check("SIGVTALRM after about 50 ms of CPU time (10..400)",
		    vtalrms == 1 && used >= 10 && used <= 400);
	getitimer(ITIMER_VIRTUAL, &cur);
	guest_check("one-shot: disarmed after",
		    cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
	guest_check_err("setitimer bad which", setitimer(7, &vt, NULL), EINVAL);
}

int main(void)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);

	guest_check("alarm: none pending", alarm(1) == 0);
	guest_check("alarm: about 1 s left", alarm(1) == 1);
	pause();
	guest_check("pause woke by SIGALRM", alarms == 1);

	struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, cur;
	guest_check("setitimer", setitimer(ITIMER_REAL, &it, NULL) == 0);
	while (alarms < 4)
		pause();
	guest_check("getitimer: interval kept",
		    getitimer(ITIMER_REAL, &cur) == 0 && cur.it_interval.tv_usec == 20000);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	getitimer(ITIMER_REAL, &cur);
	guest_check("setitimer: disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

	timer_t t;
	struct sigevent sev = { 0 };
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	sev.sigev_value.sival_int = 77;
	guest_check("timer_create", timer_create(CLOCK_MONOTONIC, &sev, &t) == 0);
	struct itimerspec ts = { { 0, 10000000 }, { 0, 10000000 } };
	guest_check("timer_settime", timer_settime(t, 0, &ts, NULL) == 0);
	while (usr1s < 3)
		pause();
	guest_check("POSIX timer: periodic, value arrives", usr1s >= 3 && usr1_value == 77);
	guest_check("timer_getoverrun", timer_getoverrun(t) >= 0);
	guest_check("timer_delete", timer_delete(t) == 0);

	sev.sigev_notify = SIGEV_NONE;
	timer_create(CLOCK_REALTIME, &sev, &t);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct itimerspec abs = { { 0, 0 }, { now.tv_sec + 10, now.tv_nsec } }, left;
	guest_check("timer_settime TIMER_ABSTIME",
		    timer_settime(t, TIMER_ABSTIME, &abs, NULL) == 0);
	timer_gettime(t, &left);
	guest_check("SIGEV_NONE: 9-10 s left",
		    left.it_value.tv_sec >= 9 && left.it_value.tv_sec <= 10);
	timer_delete(t);
	/* The id is stored after the timer is made: a bad address gives
	 * EFAULT and no timer (raw: glibc's wrapper stores the id itself). */
	guest_check_err("timer_create: bad id address",
			syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, (void *)8), EFAULT);
	test_overrun();
	test_cpu_timers();
	return guest_bad != 0;
}
