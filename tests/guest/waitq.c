/*
 * Wait queues (design.md contract 14): the wake-ups that per-object queues
 * could lose.  A thread blocked in poll, select, epoll_wait or read on one
 * object while another thread or process changes it; poll on many
 * descriptors where only the last becomes ready; epoll's level, edge and
 * one-shot triggers fed by another process; a reader woken by the close of
 * its peer; and a signal ending each kind of wait (EINTR), or restarting
 * the ones SA_RESTART restarts.  Each over a pipe, a loopback TCP
 * connection and an eventfd where it applies.  A lost wake-up shows as a
 * timeout (printed as a count of 0 or an error), never as a hang: every
 * wait has a bound.
 */
#include "guest.h"
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#define BOUND_MS 5000 /* no wait here should come near this */
#define NMANY	 64   /* descriptors in the "only the last" poll */

/* A pair of connected descriptors: [0] is read, [1] written. */
struct chan {
	const char *name;
	int fd[2];
};

static void tcp_pair(int fd[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		exit(2);
	fd[1] = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd[1], (struct sockaddr *)&a, sizeof(a)) || (fd[0] = accept(l, NULL, NULL)) < 0)
		exit(2);
	setsockopt(fd[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(l);
}

static void chan_open(struct chan *c, const char *name)
{
	c->name = name;
	if (!strcmp(name, "pipe")) {
		if (pipe(c->fd))
			exit(2);
	} else if (!strcmp(name, "unix")) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, c->fd))
			exit(2);
	} else {
		tcp_pair(c->fd);
	}
}

static void chan_close(struct chan *c)
{
	close(c->fd[0]);
	close(c->fd[1]);
}

static void msleep(int ms)
{
	usleep(ms * 1000);
}

/* ---- another thread acts after a delay ---- */

struct later {
	int fd, ms;
	bool close_it; /* close fd instead of writing a byte to it */
	bool counter;  /* an eventfd: write a count of 1 */
};

static void *later_main(void *arg)
{
	struct later *l = arg;

	uint64_t one = 1;

	msleep(l->ms);
	if (l->close_it)
		close(l->fd);
	else if (l->counter ? write(l->fd, &one, sizeof(one)) != sizeof(one)
			    : write(l->fd, "x", 1) != 1)
		exit(3);
	return NULL;
}

static pthread_t later(struct later *l)
{
	pthread_t t;

	if (pthread_create(&t, NULL, later_main, l))
		exit(2);
	return t;
}

static void drain(int fd)
{
	char buf[64];
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	fcntl(fd, F_SETFL, fl);
}

/* A thread blocked in poll (and select) on A while another writes A. */
static void test_poll_thread(struct chan *c)
{
	struct later l = { c->fd[1], 50, false, false };
	struct pollfd p = { c->fd[0], POLLIN, 0 };
	char name[64];
	pthread_t t = later(&l);
	int r = poll(&p, 1, BOUND_MS);

	pthread_join(t, NULL);
	snprintf(name, sizeof(name), "%s: poll woken by another thread's write", c->name);
	guest_check(name, r == 1 && (p.revents & POLLIN));
	drain(c->fd[0]);

	fd_set in;
	struct timeval tv = { BOUND_MS / 1000, 0 };
	FD_ZERO(&in);
	FD_SET(c->fd[0], &in);
	t = later(&l);
	r = select(c->fd[0] + 1, &in, NULL, NULL, &tv);
	pthread_join(t, NULL);
	snprintf(name, sizeof(name), "%s: select woken by another thread's write", c->name);
	guest_check(name, r == 1 && FD_ISSET(c->fd[0], &in));
	drain(c->fd[0]);
}

/* poll on NMANY pipes where only the last becomes ready. */
static void test_poll_many(void)
{
	int fds[NMANY][2], r, others = 0;
	struct pollfd p[NMANY];
	struct later l;
	pthread_t t;

	for (int i = 0; i < NMANY; i++) {
		if (pipe(fds[i]))
			exit(2);
		p[i] = (struct pollfd){ fds[i][0], POLLIN, 0 };
	}
	l = (struct later){ fds[NMANY - 1][1], 50, false, false };
	t = later(&l);
	r = poll(p, NMANY, BOUND_MS);
	pthread_join(t, NULL);
	for (int i = 0; i < NMANY - 1; i++)
		others += p[i].revents != 0;
	guest_check("poll on many: only the last ready",
		    r == 1 && !others && (p[NMANY - 1].revents & POLLIN));
	for (int i = 0; i < NMANY; i++)
		close(fds[i][0]), close(fds[i][1]);
}

/* A reader blocked in read, woken by the close of the peer: EOF. */
static void test_close_wakes(struct chan *c)
{
	struct later l = { c->fd[1], 50, true, false };
	char buf[4], name[64];
	pthread_t t = later(&l);
	long r = read(c->fd[0], buf, sizeof(buf));

	pthread_join(t, NULL);
	snprintf(name, sizeof(name), "%s: read woken by the peer's close: %ld", c->name, r);
	guest_check(name, r == 0);
	close(c->fd[0]);
}

/* A thread blocked in accept (and one in poll on the listener) while
 * another connects. */
struct connector {
	struct sockaddr_in addr;
};

static void *connect_main(void *arg)
{
	struct connector *c = arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	msleep(50);
	if (connect(fd, (struct sockaddr *)&c->addr, sizeof(c->addr))) {
		printf("connect: %s\n", guest_errname(errno));
		exit(3);
	}
	close(fd);
	return NULL;
}

static void test_accept(void)
{
	struct connector c = { .addr = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) } };
	socklen_t len = sizeof(c.addr);
	struct pollfd p;
	pthread_t t;
	int l = socket(AF_INET, SOCK_STREAM, 0), fd, r;

	if (bind(l, (struct sockaddr *)&c.addr, len) || listen(l, 4) ||
	    getsockname(l, (struct sockaddr *)&c.addr, &len))
		exit(2);
	pthread_create(&t, NULL, connect_main, &c);
	fd = accept(l, NULL, NULL);
	pthread_join(t, NULL);
	guest_check("tcp: accept woken by a connect", fd >= 0);
	close(fd);
	p = (struct pollfd){ l, POLLIN, 0 };
	pthread_create(&t, NULL, connect_main, &c);
	r = poll(&p, 1, BOUND_MS);
	pthread_join(t, NULL);
	guest_check("tcp: poll on a listener woken by a connect", r == 1 && (p.revents & POLLIN));
	close(l); /* with that connection never accepted: this used to hang the kernel */
	guest_check("tcp: a listener closed with a connection never accepted", true);
}

/* The same over a unix stream socket with an abstract name (with the pid
 * in it: the native runs of the three builds may run at once). */
static struct sockaddr_un unix_addr = { .sun_family = AF_UNIX };
static socklen_t unix_addr_len;

static void *unix_connect_main(void *arg)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)arg;
	msleep(50);
	if (connect(fd, (struct sockaddr *)&unix_addr, unix_addr_len)) {
		printf("connect: %s\n", guest_errname(errno));
		exit(3);
	}
	return (void *)(intptr_t)fd;
}

static void test_accept_unix(void)
{
	int l = socket(AF_UNIX, SOCK_STREAM, 0), fd;
	int n = snprintf(unix_addr.sun_path + 1, sizeof(unix_addr.sun_path) - 1, "monos-waitq-%d",
			 (int)getpid());
	pthread_t t;
	void *cfd;

	unix_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);

	if (bind(l, (struct sockaddr *)&unix_addr, unix_addr_len) || listen(l, 4))
		exit(2);
	pthread_create(&t, NULL, unix_connect_main, NULL);
	fd = accept(l, NULL, NULL);
	pthread_join(t, &cfd);
	guest_check("unix: accept woken by a connect", fd >= 0);
	close(fd);
	close((int)(intptr_t)cfd);
	close(l);
}

/* ---- epoll, with the writer in another process ---- */

/* The child: for each byte on `cmd`, sleep a little (so the parent is
 * asleep by then) and write one byte to `out`; ends at EOF. */
static void writer_child(int cmd, int out)
{
	char b;

	while (read(cmd, &b, 1) == 1) {
		msleep(30);
		if (write(out, "y", 1) != 1)
			_exit(3);
	}
	_exit(0);
}

static int epoll_events(int ep, int ms)
{
	struct epoll_event ev[4];
	return epoll_wait(ep, ev, 4, ms);
}

static void test_epoll_process(struct chan *c)
{
	int cmd[2], ep = epoll_create1(0), fd = c->fd[0];
	struct epoll_event ev = { .events = EPOLLIN };
	char name[96];
	pid_t pid;

	if (pipe(cmd))
		exit(2);
	if ((pid = fork()) == 0) {
		close(cmd[1]);
		writer_child(cmd[0], c->fd[1]);
	}
	close(cmd[0]);
#define STEP(what, cond)                                                                           \
	do {                                                                                       \
		snprintf(name, sizeof(name), "%s: epoll %s", c->name, what);                       \
		guest_check(name, cond);                                                           \
	} while (0)
	/* Level-triggered: reported while unread. */
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	write(cmd[1], "c", 1);
	STEP("LT woken by another process", epoll_events(ep, BOUND_MS) == 1);
	STEP("LT again while unread", epoll_events(ep, 0) == 1);
	drain(fd);
	STEP("LT quiet once read", epoll_events(ep, 0) == 0);
	/* Edge-triggered: once per change. */
	ev.events = EPOLLIN | EPOLLET;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	write(cmd[1], "c", 1);
	STEP("ET woken by another process", epoll_events(ep, BOUND_MS) == 1);
	STEP("ET quiet without a new edge", epoll_events(ep, 100) == 0);
	write(cmd[1], "c", 1);
	STEP("ET woken by the next write", epoll_events(ep, BOUND_MS) == 1);
	drain(fd);
	/* One-shot: one report until re-armed. */
	ev.events = EPOLLIN | EPOLLONESHOT;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	write(cmd[1], "c", 1);
	STEP("ONESHOT woken by another process", epoll_events(ep, BOUND_MS) == 1);
	write(cmd[1], "c", 1);
	STEP("ONESHOT quiet after firing", epoll_events(ep, 200) == 0);
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	STEP("ONESHOT re-armed reports", epoll_events(ep, BOUND_MS) == 1);
	close(cmd[1]);
	waitpid(pid, NULL, 0);
	close(ep);
#undef STEP
}

/* An epoll inside poll, and inside another epoll; a loop is refused. */
static void test_epoll_nested(void)
{
	int p[2], ep = epoll_create1(0), outer = epoll_create1(0), r;
	struct epoll_event ev = { .events = EPOLLIN };
	struct pollfd pf = { ep, POLLIN, 0 };
	struct later l;
	pthread_t t;

	if (pipe(p))
		exit(2);
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	l = (struct later){ p[1], 50, false, false };
	t = later(&l);
	r = poll(&pf, 1, BOUND_MS);
	pthread_join(t, NULL);
	guest_check("poll on an epoll woken by its item", r == 1 && (pf.revents & POLLIN));
	drain(p[0]);
	epoll_ctl(outer, EPOLL_CTL_ADD, ep, &ev);
	t = later(&l);
	r = epoll_events(outer, BOUND_MS);
	pthread_join(t, NULL);
	guest_check("epoll in epoll woken by the inner item", r == 1);
	guest_check_err("epoll loop refused", epoll_ctl(ep, EPOLL_CTL_ADD, outer, &ev), ELOOP);
	close(outer), close(ep), close(p[0]), close(p[1]);
}

/* ---- signals ending waits ---- */

static void on_alarm(int sig)
{
	(void)sig;
}

/* SIGALRM in `ms`, with or without SA_RESTART. */
static void alarm_in(int ms, bool restart)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0 };
	struct itimerval it = { { 0, 0 }, { 0, ms * 1000 } };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

/* The wait kinds: each blocks on `fd` (nothing to read) until a signal. */
static long wait_read(int fd)
{
	char b[8];
	return read(fd, b, sizeof(b));
}

static long wait_poll(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, BOUND_MS);
}

static long wait_select(int fd)
{
	fd_set in;
	struct timeval tv = { BOUND_MS / 1000, 0 };
	FD_ZERO(&in);
	FD_SET(fd, &in);
	return select(fd + 1, &in, NULL, NULL, &tv);
}

static long wait_epoll(int fd)
{
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	long r;

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	r = epoll_events(ep, BOUND_MS);
	int e = errno;
	close(ep);
	errno = e;
	return r;
}

static void test_signals(struct chan *c, int efd)
{
	static const struct {
		const char *name;
		long (*fn)(int fd);
		bool restarts; /* with SA_RESTART (man 7 signal) */
	} kinds[] = {
		{ "read", wait_read, true },
		{ "poll", wait_poll, false },
		{ "select", wait_select, false },
		{ "epoll_wait", wait_epoll, false },
	};
	char name[96];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		for (int fdi = 0; fdi < 2; fdi++) {
			int fd = fdi ? efd : c->fd[0];
			const char *on = fdi ? "eventfd" : c->name;
			long r;
			alarm_in(50, false);
			r = kinds[i].fn(fd);
			snprintf(name, sizeof(name), "%s: %s ended by a signal", on, kinds[i].name);
			guest_check_err(name, r, EINTR);
			if (!kinds[i].restarts)
				continue;
			/* SA_RESTART: the read goes on and takes what comes later. */
			struct later l = { fdi ? efd : c->fd[1], 150, false, fdi == 1 };
			pthread_t t = later(&l);
			alarm_in(50, true);
			r = kinds[i].fn(fd);
			pthread_join(t, NULL);
			snprintf(name, sizeof(name), "%s: %s restarted after SA_RESTART: %s", on,
				 kinds[i].name, r > 0 ? "data" : guest_errname(errno));
			guest_check(name, r > 0);
		}
	}
}

int main(void)
{
	static const char *kinds[] = { "pipe", "tcp", "unix" };
	struct chan c;

	setvbuf(stdout, NULL, _IOLBF, 0); /* a hang shows where it is */
	for (int i = 0; i < 3; i++) {
		chan_open(&c, kinds[i]);
		test_poll_thread(&c);
		chan_close(&c);
		chan_open(&c, kinds[i]);
		test_epoll_process(&c);
		chan_close(&c);
		chan_open(&c, kinds[i]);
		int efd = eventfd(0, 0);
		test_signals(&c, efd);
		close(efd);
		chan_close(&c);
		chan_open(&c, kinds[i]);
		test_close_wakes(&c);
	}
	test_accept();
	test_accept_unix();
	test_poll_many();
	test_epoll_nested();
	return guest_finish();
}
