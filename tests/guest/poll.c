/*
 * Guest test, area poll: poll, select and epoll (level, edge, oneshot) on
 * pipes and eventfds, their timeouts, a wake-up from another thread, and the
 * errors Linux gives.  Output is deterministic.
 */
#include "guest.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <time.h>

static int late_fd;

static void *late_writer(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	if (write(late_fd, "x", 1) != 1)
		return arg;
	return NULL;
}

static int epoll_count(int ep, int timeout)
{
	struct epoll_event ev[8];
	return epoll_wait(ep, ev, 8, timeout);
}

static void test_poll(void)
{
	int p[2];
	char c;

	pipe(p);
	struct pollfd fds[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
	guest_check("poll: only the write end ready", poll(fds, 2, 0) == 1 && fds[0].revents == 0 &&
							  fds[1].revents == POLLOUT);
	write(p[1], "a", 1);
	guest_check("poll: data makes the read end ready", poll(fds, 1, 0) == 1 &&
								 fds[0].revents == POLLIN);
	read(p[0], &c, 1);
	close(p[1]);
	guest_check("poll: POLLHUP once the writer is gone",
		    poll(fds, 1, 0) == 1 && (fds[0].revents & POLLHUP));
	struct pollfd bad = {999, POLLIN, 0};
	guest_check("poll: POLLNVAL for a closed fd", poll(&bad, 1, 0) == 1 && bad.revents == POLLNVAL);
	close(p[0]);

	pipe(p);
	late_fd = p[1];
	pthread_t th;
	pthread_create(&th, NULL, late_writer, NULL);
	struct pollfd one = {p[0], POLLIN, 0};
	guest_check("poll: another thread's write wakes it", poll(&one, 1, 5000) == 1);
	pthread_join(th, NULL);
	struct timespec t0, t1;
	read(p[0], &c, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	guest_check("poll: times out with 0", poll(&one, 1, 100) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	guest_check("poll: the timeout lasted about 100 ms", ms >= 100 && ms < 1000);

	fd_set rd, wr;
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[0], &rd);
	FD_SET(p[1], &wr);
	struct timeval tv = {0, 0};
	guest_check("select: the write end only", select(p[1] + 1, &rd, &wr, NULL, &tv) == 1 &&
							!FD_ISSET(p[0], &rd) && FD_ISSET(p[1], &wr));
	write(p[1], "b", 1);
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	guest_check("select: readable after a write",
		    select(p[0] + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(p[0], &rd));
	FD_ZERO(&rd);
	FD_SET(20, &rd); /* closed, and inside the fd table: EBADF */
	guest_check_err("select: EBADF", select(21, &rd, NULL, NULL, &tv), EBADF);
	close(p[0]), close(p[1]);
}

static void test_eventfd(void)
{
	uint64_t v;
	int e = eventfd(3, EFD_NONBLOCK | EFD_SEMAPHORE);

	guest_check("eventfd semaphore reads 1", read(e, &v, 8) == 8 && v == 1);
	read(e, &v, 8), read(e, &v, 8);
	guest_check_err("eventfd empty: EAGAIN", read(e, &v, 8), EAGAIN);
	v = 5;
	write(e, &v, 8);
	close(e);
	e = eventfd(0, 0);
	v = 7, write(e, &v, 8);
	v = 8, write(e, &v, 8);
	guest_check("eventfd sums writes", read(e, &v, 8) == 8 && v == 15);
	guest_check_err("eventfd short read", read(e, &v, 4), EINVAL);
	close(e);
}

static void test_epoll(void)
{
	int p[2], ep = epoll_create1(EPOLL_CLOEXEC), e = eventfd(0, EFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, out;
	uint64_t v = 1;

	pipe(p);
	guest_check("epoll_ctl ADD", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0);
	guest_check_err("epoll_ctl ADD twice", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
	guest_check_err("epoll_ctl MOD unknown", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), ENOENT);
	guest_check_err("epoll_ctl on itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	guest_check_err("epoll_ctl bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
	guest_check("epoll_wait: nothing yet", epoll_count(ep, 0) == 0);
	write(p[1], "ab", 2);
	guest_check("level: reported", epoll_wait(ep, &out, 1, 0) == 1 && out.data.u64 == 42 &&
					       out.events == EPOLLIN);
	guest_check("level: reported again", epoll_count(ep, 0) == 1);

	ev.events = EPOLLIN | EPOLLET;
	epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
	guest_check("edge: reported once", epoll_count(ep, 0) == 1);
	guest_check("edge: not again without new data", epoll_count(ep, 0) == 0);
	write(p[1], "c", 1);
	guest_check("edge: new data reports again", epoll_count(ep, 0) == 1);

	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.fd = e;
	epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
	write(e, &v, 8);
	ev.events = EPOLLIN | EPOLLET;
	int n = epoll_count(ep, 0); /* the pipe (edge, nothing new) stays quiet */
	guest_check("oneshot: reported", n == 1);
	guest_check("oneshot: then quiet", epoll_count(ep, 0) == 0);
	ev.events = EPOLLIN | EPOLLONESHOT;
	epoll_ctl(ep, EPOLL_CTL_MOD, e, &ev);
	guest_check("oneshot: rearmed by MOD", epoll_count(ep, 0) == 1);

	close(p[1]);
	guest_check("epoll: EPOLLHUP when the writer goes", epoll_wait(ep, &out, 1, 0) >= 1);
	close(p[0]);
	epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL);
	guest_check("epoll: a closed fd leaves the set", epoll_count(ep, 0) == 0);
	guest_check("epoll_wait times out", epoll_count(ep, 50) == 0);

	char dir[] = "/tmp/monos-poll-XXXXXX", path[64];
	mkdtemp(dir);
	snprintf(path, sizeof(path), "%s/f", dir);
	int f = open(path, O_RDWR | O_CREAT, 0600);
	ev.events = EPOLLIN;
	guest_check_err("epoll on a regular file", epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM);
	close(f), unlink(path), rmdir(dir);
	close(e), close(ep);
}

int main(void)
{
	test_poll();
	test_eventfd();
	test_epoll();
	return guest_bad != 0;
}
