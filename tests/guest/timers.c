/*
 * Guest test, area timers: alarm and pause, setitimer(ITIMER_REAL) firing
 * periodically, getitimer, and POSIX timers (timer_create with a signal and
 * a value, periodic expiry, SIGEV_NONE with timer_gettime, absolute
 * timer_settime, timer_delete).  Only counts and bounds are printed.
 */
#include "guest.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t alarms, usr1s;
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

int main(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);

	guest_check("alarm: none pending", alarm(1) == 0);
	guest_check("alarm: about 1 s left", alarm(1) == 1);
	pause();
	guest_check("pause woke by SIGALRM", alarms == 1);

	struct itimerval it = {{0, 20000}, {0, 20000}}, cur;
	guest_check("setitimer", setitimer(ITIMER_REAL, &it, NULL) == 0);
	while (alarms < 4)
		pause();
	guest_check("getitimer: interval kept", getitimer(ITIMER_REAL, &cur) == 0 &&
							 cur.it_interval.tv_usec == 20000);
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	getitimer(ITIMER_REAL, &cur);
	guest_check("setitimer: disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

	timer_t t;
	struct sigevent sev = {0};
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	sev.sigev_value.sival_int = 77;
	guest_check("timer_create", timer_create(CLOCK_MONOTONIC, &sev, &t) == 0);
	struct itimerspec ts = {{0, 10000000}, {0, 10000000}};
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
	struct itimerspec abs = {{0, 0}, {now.tv_sec + 10, now.tv_nsec}}, left;
	guest_check("timer_settime TIMER_ABSTIME", timer_settime(t, TIMER_ABSTIME, &abs, NULL) == 0);
	timer_gettime(t, &left);
	guest_check("SIGEV_NONE: 9-10 s left", left.it_value.tv_sec >= 9 && left.it_value.tv_sec <= 10);
	timer_delete(t);
	return guest_bad != 0;
}
