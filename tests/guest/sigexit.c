/*
 * Guest test, area signals: a signal whose action ends the program ends it
 * as that signal (128 + N), whatever the other threads are doing, and never
 * comes out as a fault.  argv[1] picks the case:
 *   resethand  node's way (src/node.cc SignalExit): a SIGTERM handler with
 *              SA_RESETHAND and every signal blocked re-raises the signal;
 *              the default action must then end the program, 143
 *   threads    SIGTERM without a handler arrives while other threads wait
 *              in futex, epoll_wait and nanosleep; 143
 *   altstack   the re-raising handler runs on a sigaltstack; 143
 *   directed   SIGTERM without a handler goes to one thread only
 *              (pthread_kill), the one waiting in futex: the default action
 *              still ends the whole program; 143
 * Each case writes its lines with write(2) before the end.  The signal comes
 * from a second thread (kill(2) to the whole process) while the main thread
 * waits in epoll_wait, as node's event loop does.  monos adds "killed by
 * SIGTERM" on stderr, so the runner compares stdout and the status only.
 */
#include "guest.h"
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <sys/epoll.h>

#define WAITERS 3 /* threads blocked in futex, epoll_wait and nanosleep */

static int epfd;
static bool directed; /* the killer signals one thread, not the process */
static pthread_t futex_waiter;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void say(const char *s)
{
	write(1, s, strlen(s));
}

/* src/node.cc SignalExit: undo terminal changes, then re-raise. */
static void reraise(int sig)
{
	say("handler ran\n");
	raise(sig);
}

static void *in_futex(void *arg)
{
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
	return arg;
}

static void *in_epoll(void *arg)
{
	struct epoll_event ev;
	for (;;)
		epoll_wait(epfd, &ev, 1, -1);
	return arg;
}

static void *in_sleep(void *arg)
{
	struct timespec ts = { 60, 0 };
	for (;;)
		nanosleep(&ts, NULL);
	return arg;
}

/* Send SIGTERM to the process once the main thread waits. */
static void *killer(void *arg)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	if (directed)
		pthread_kill(futex_waiter, SIGTERM);
	else
		kill(getpid(), SIGTERM);
	return arg;
}

static pthread_t start(void *(*fn)(void *))
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, NULL)) {
		say("pthread_create failed\n");
		exit(1);
	}
	return t;
}

static void handle(bool on_altstack)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = reraise;
	sa.sa_flags = SA_RESETHAND | (on_altstack ? SA_ONSTACK : 0);
	sigfillset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if (on_altstack) {
		static char alt[64 * 1024];
		stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) };
		sigaltstack(&ss, NULL);
	}
}

int main(int argc, char **argv)
{
	void *(*waiters[WAITERS])(void *) = { in_futex, in_epoll, in_sleep };
	struct epoll_event ev;

	if (argc < 2) {
		fprintf(stderr, "usage: sigexit resethand|threads|altstack|directed\n");
		return 2;
	}
	epfd = epoll_create1(0);
	if (!strcmp(argv[1], "resethand"))
		handle(false);
	else if (!strcmp(argv[1], "altstack"))
		handle(true);
	else if (!strcmp(argv[1], "directed"))
		directed = true;
	else if (strcmp(argv[1], "threads"))
		return 2;
	futex_waiter = start(waiters[0]);
	for (int i = 1; i < WAITERS; i++)
		start(waiters[i]);
	say("waiting\n");
	start(killer);
	for (int i = 0; i < 100; i++)
		epoll_wait(epfd, &ev, 1, 100);
	say("still alive after SIGTERM\n");
	return 1;
}
