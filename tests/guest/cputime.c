/*
 * Guest test, area time: the CPU-time clocks, per thread and per process
 * (issue 8).  CLOCK_THREAD_CPUTIME_ID and pthread_getcpuclockid's clocks count
 * only their own thread's running time; CLOCK_PROCESS_CPUTIME_ID and
 * clock_getcpuclockid's count the whole process's; clock_getres on them;
 * POSIX timers on them fire after that much CPU time; bad clock ids fail.
 *
 * Only facts print, never times: a sleeping thread's clock does not advance
 * by its sleep or by another thread's spinning, a spinning thread's does.
 * Bounds are loose (tens of ms against 200-300 ms), and every spin has a wall
 * clock limit, so a loaded machine slows the test without failing it.
 */
#include "guest.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#define MS	       1000000ll
#define SPIN_LIMIT_NS  (20000 * MS) /* give up a spin after 20 s of wall time */
#define CPUCLOCK_SCHED 2
#define CLOCKFD	       3
/* Linux's MAKE_THREAD_CPUCLOCK and MAKE_PROCESS_CPUCLOCK
 * (include/linux/posix-timers.h): ids for which no thread or process exists
 * (beyond any pid_max, 2^22, and small enough to keep the id negative), and a clock on a closed file descriptor. */
#define THREAD_CLOCK(tid)  ((clockid_t)(~(unsigned)(tid) << 3 | 4 | CPUCLOCK_SCHED))
#define PROCESS_CLOCK(pid) ((clockid_t)(~(unsigned)(pid) << 3 | CPUCLOCK_SCHED))
#define FD_CLOCK(fd)	   ((clockid_t)(~(unsigned)(fd) << 3 | CLOCKFD))
#define NO_SUCH_ID	   0x0ffffff0

static long long now(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) != 0)
		return -1;
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Spin until clock `clk` has advanced `ns` (or the wall-clock limit);
 * returns whether it did. */
static int spin_on(clockid_t clk, long long ns)
{
	long long start = now(clk), wall = now(CLOCK_MONOTONIC);

	while (now(clk) - start < ns)
		if (now(CLOCK_MONOTONIC) - wall > SPIN_LIMIT_NS)
			return 0;
	return 1;
}

static volatile sig_atomic_t fired;
static void on_alarm(int sig)
{
	(void)sig;
	fired++;
}

/* The sleeper: reports its own clock across a 300 ms sleep. */
static pthread_barrier_t started;
static long long sleeper_before, sleeper_after, sleeper_rusage;
static void *sleeper(void *arg)
{
	struct timespec ts = { 0, 300 * MS };

	(void)arg;
	sleeper_before = now(CLOCK_THREAD_CPUTIME_ID);
	pthread_barrier_wait(&started);
	nanosleep(&ts, NULL);
	sleeper_after = now(CLOCK_THREAD_CPUTIME_ID);
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	sleeper_rusage = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ll +
			 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ll;
	return NULL;
}

static void check_clocks(void)
{
	clockid_t mine, proc;
	struct timespec res;
	long long a, b;

	guest_check("pthread_getcpuclockid(self)",
		    pthread_getcpuclockid(pthread_self(), &mine) == 0);
	guest_check("clock_getcpuclockid(0)", clock_getcpuclockid(0, &proc) == 0);
	a = now(mine);
	b = now(mine);
	guest_check("the thread's clock reads and never goes back", a >= 0 && b >= a);
	guest_check("CLOCK_THREAD_CPUTIME_ID and the thread's clock agree",
		    now(CLOCK_THREAD_CPUTIME_ID) >= b && now(mine) >= b);
	guest_check("the process clock reads", now(proc) >= 0);
	guest_check("a thread's time is within the process's",
		    now(CLOCK_THREAD_CPUTIME_ID) <= now(CLOCK_PROCESS_CPUTIME_ID));
	guest_check("clock_getres(CLOCK_THREAD_CPUTIME_ID) is 1 ns",
		    clock_getres(CLOCK_THREAD_CPUTIME_ID, &res) == 0 && res.tv_sec == 0 &&
			    res.tv_nsec == 1);
	guest_check("clock_getres(CLOCK_PROCESS_CPUTIME_ID) is 1 ns",
		    clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res) == 0 && res.tv_sec == 0 &&
			    res.tv_nsec == 1);
	guest_check("clock_getres(the thread's clock) is 1 ns",
		    clock_getres(mine, &res) == 0 && res.tv_sec == 0 && res.tv_nsec == 1);
	guest_check("clock_getres(the process's clock) is 1 ns",
		    clock_getres(proc, &res) == 0 && res.tv_sec == 0 && res.tv_nsec == 1);
}

static void check_bad_ids(void)
{
	struct timespec ts;
	static const struct {
		const char *name;
		clockid_t clk;
	} bad[] = {
		{ "a thread that does not exist", THREAD_CLOCK(NO_SUCH_ID) },
		{ "a process that does not exist", PROCESS_CLOCK(NO_SUCH_ID) },
		{ "a closed file descriptor", FD_CLOCK(999) },
		{ "clock id 100", 100 },
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[96];

		snprintf(name, sizeof(name), "clock_gettime on %s", bad[i].name);
		guest_check_err(name, syscall(SYS_clock_gettime, bad[i].clk, &ts), EINVAL);
		snprintf(name, sizeof(name), "clock_getres on %s", bad[i].name);
		guest_check_err(name, syscall(SYS_clock_getres, bad[i].clk, &ts), EINVAL);
	}
	ts = (struct timespec){ 0, MS };
	guest_check("clock_nanosleep on CLOCK_THREAD_CPUTIME_ID is EINVAL",
		    clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL) == EINVAL);
}

/* A sleeping thread's clock stands still while it sleeps, and while
 * another thread (this one) spins; the spinner's advances. */
static void check_per_thread(void)
{
	pthread_t t;
	clockid_t theirs;
	long long before, spun;

	pthread_barrier_init(&started, NULL, 2);
	pthread_create(&t, NULL, sleeper, NULL);
	pthread_barrier_wait(&started);
	guest_check("pthread_getcpuclockid(another thread)",
		    pthread_getcpuclockid(t, &theirs) == 0);
	before = now(theirs);
	spun = spin_on(CLOCK_THREAD_CPUTIME_ID, 200 * MS);
	guest_check("a spinning thread's clock advances by its spin", spun);
	guest_check("a sleeping thread's clock does not advance by another's spin",
		    now(theirs) - before < 50 * MS);
	pthread_join(t, NULL);
	guest_check("a sleeping thread's clock does not advance by its sleep",
		    sleeper_after >= sleeper_before && sleeper_after - sleeper_before < 50 * MS);
	guest_check("getrusage(RUSAGE_THREAD) of the sleeper: not the spinner's time",
		    sleeper_rusage < 50 * MS);
}

/* A timer on clock `clk` fires after 100 ms of that clock, not before. */
static void check_timer(const char *name, clockid_t clk)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
	struct itimerspec its = { .it_value = { 0, 100 * MS } }, left;
	long long start = now(clk), wall = now(CLOCK_MONOTONIC), at = -1;
	char what[128];
	timer_t id;

	snprintf(what, sizeof(what), "timer_create on %s", name);
	if (timer_create(clk, &sev, &id) != 0) {
		printf("BAD %s -> %s\n", what, guest_errname(errno));
		guest_bad++;
		return;
	}
	guest_check(what, 1);
	fired = 0;
	timer_settime(id, 0, &its, NULL);
	timer_gettime(id, &left);
	/* Armed, unless it fired already: in a VM, time the host takes the
	 * CPU away counts as the guest's CPU time. */
	snprintf(what, sizeof(what), "timer_gettime on %s: at most 100 ms left", name);
	guest_check(what, left.it_value.tv_sec == 0 && left.it_value.tv_nsec <= 100 * MS &&
				  (left.it_value.tv_nsec || fired));
	while (!fired && now(CLOCK_MONOTONIC) - wall < SPIN_LIMIT_NS)
		;
	at = now(clk) - start;
	snprintf(what, sizeof(what), "a timer on %s fires after 100 ms of it", name);
	guest_check(what, fired == 1 && at >= 100 * MS);
	timer_gettime(id, &left);
	snprintf(what, sizeof(what), "a one-shot timer on %s is disarmed after", name);
	guest_check(what, left.it_value.tv_sec == 0 && left.it_value.tv_nsec == 0);
	timer_delete(id);
}

/* A timer on a sleeping thread's clock does not fire while it sleeps. */
static void check_timer_on_sleeper(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
	struct itimerspec its = { .it_value = { 0, 20 * MS } };
	clockid_t theirs;
	pthread_t t;
	timer_t id;

	pthread_barrier_init(&started, NULL, 2);
	pthread_create(&t, NULL, sleeper, NULL);
	pthread_barrier_wait(&started);
	pthread_getcpuclockid(t, &theirs);
	fired = 0;
	guest_check("timer_create on another thread's clock",
		    timer_create(theirs, &sev, &id) == 0 && timer_settime(id, 0, &its, NULL) == 0);
	spin_on(CLOCK_THREAD_CPUTIME_ID, 100 * MS);
	guest_check("it does not fire while that thread sleeps", fired == 0);
	pthread_join(t, NULL);
	timer_delete(id);
}

static void *spinner(void *arg)
{
	(void)arg;
	spin_on(CLOCK_THREAD_CPUTIME_ID, 300 * MS);
	return NULL;
}

/* Sleeping on the process's CPU clock ends once the process (another
 * thread, spinning) has used that much CPU time. */
static void check_process_sleep(void)
{
	struct timespec ts = { 0, 100 * MS };
	pthread_t t;
	long long before = now(CLOCK_PROCESS_CPUTIME_ID);
	int r;

	pthread_create(&t, NULL, spinner, NULL);
	r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ts, NULL);
	guest_check("clock_nanosleep on CLOCK_PROCESS_CPUTIME_ID returns 0", r == 0);
	guest_check("... after the process used 100 ms of CPU time",
		    now(CLOCK_PROCESS_CPUTIME_ID) - before >= 100 * MS);
	pthread_join(t, NULL);
}

/* A process whose only thread sleeps on the process's own CPU clock uses
 * no CPU time, so only a signal ends the sleep, however short: Linux checks
 * CPU timers while the process runs (sysfuzz seed 2006 hung here: the
 * sleeper's own wake-ups crept the clock on by a nanosecond at a time). */
static void check_lone_process_sleep(void)
{
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } }, off = { { 0, 0 }, { 0, 0 } };
	long ns[] = { 1, 1000, 100000 };

	setitimer(ITIMER_REAL, &it, NULL);
	for (unsigned i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct timespec ts = { 0, ns[i] };
		int r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ts, NULL);

		printf("lone sleep on the process clock, %ld ns: %s\n", ns[i],
		       r == EINTR ? "EINTR"
		       : r	  ? "another error"
				  : "0");
	}
	setitimer(ITIMER_REAL, &off, NULL);
}

int main(void)
{
	clockid_t mine;

	signal(SIGALRM, on_alarm);
	check_clocks();
	check_bad_ids();
	check_per_thread();
	check_timer("CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID);
	check_timer("CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID);
	pthread_getcpuclockid(pthread_self(), &mine);
	check_timer("pthread_getcpuclockid(self)", mine);
	check_timer_on_sleeper();
	check_process_sleep();
	check_lone_process_sleep();
	return guest_bad != 0;
}
