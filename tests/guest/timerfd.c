/*
 * Guest test, area timerfd: timerfd_create's checks, relative, absolute
 * (CLOCK_MONOTONIC and CLOCK_REALTIME) and periodic timers, expirations
 * counted across a late read and from an absolute start in the past,
 * TFD_NONBLOCK's EAGAIN, timerfd_gettime's remaining time within bounds,
 * settime's old value, disarming, and readiness through poll and epoll.
 * Only counts, bounds and errno names are printed.
 */
#include "guest.h"
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>

#define MS 1000000ll
#define S  1000000000ll

static int64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * S + ts.tv_nsec;
}

static struct itimerspec spec(int64_t value, int64_t interval)
{
	struct itimerspec its = { { interval / S, interval % S }, { value / S, value % S } };
	return its;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * S + ts->tv_nsec;
}

/* read() the expiration count: the count, or -errno. */
static int64_t expirations(int fd)
{
	uint64_t n;
	ssize_t r = read(fd, &n, sizeof(n));

	return r == sizeof(n) ? (int64_t)n : r < 0 ? -errno : -1000;
}

static void create_checks(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = spec(0, 0), cur;

	guest_check("create CLOCK_MONOTONIC", fd >= 0);
	guest_check("TFD_CLOEXEC sets FD_CLOEXEC", fcntl(fd, F_GETFD) == FD_CLOEXEC);
	guest_check("gettime of a new timer is zero", timerfd_gettime(fd, &cur) == 0 &&
							      ts_ns(&cur.it_value) == 0 &&
							      ts_ns(&cur.it_interval) == 0);
	guest_check_err("create bad clock", timerfd_create(42, 0), EINVAL);
	guest_check_err("create bad flags", timerfd_create(CLOCK_MONOTONIC, 0x1234), EINVAL);
	its.it_value.tv_nsec = S;
	guest_check_err("settime nsec out of range", timerfd_settime(fd, 0, &its, NULL), EINVAL);
	its = spec(MS, 0);
	guest_check_err("settime bad flags", timerfd_settime(fd, 0x100, &its, NULL), EINVAL);
	guest_check_err("settime bad fd", timerfd_settime(999, 0, &its, NULL), EBADF);
	int pfd[2];
	pipe(pfd);
	guest_check_err("gettime on a pipe", timerfd_gettime(pfd[0], &cur), EINVAL);
	close(pfd[0]);
	close(pfd[1]);
	guest_check_err("settime bad pointer", timerfd_settime(fd, 0, (void *)8, NULL), EFAULT);
	char small[4];
	guest_check_err("read into 4 bytes", read(fd, small, sizeof(small)), EINVAL);
	close(fd);
}

static void relative_checks(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec its = spec(50 * MS, 0), cur;
	int64_t t0 = now_ns(CLOCK_MONOTONIC), n;

	guest_check_err("nonblocking read, unarmed", read(fd, &n, sizeof(n)), EAGAIN);
	guest_check("arm 50 ms", timerfd_settime(fd, 0, &its, NULL) == 0);
	guest_check_err("nonblocking read before expiry", read(fd, &n, sizeof(n)), EAGAIN);
	guest_check("gettime within (0, 50 ms]", timerfd_gettime(fd, &cur) == 0 &&
							 ts_ns(&cur.it_value) > 0 &&
							 ts_ns(&cur.it_value) <= 50 * MS);
	struct pollfd p = { fd, POLLIN, 0 };
	guest_check("poll waits for the expiry", poll(&p, 1, 5000) == 1 && p.revents == POLLIN);
	guest_check("not before 50 ms", now_ns(CLOCK_MONOTONIC) - t0 >= 50 * MS);
	guest_check("one expiration", expirations(fd) == 1);
	guest_check("gettime after a one-shot is zero",
		    timerfd_gettime(fd, &cur) == 0 && ts_ns(&cur.it_value) == 0);
	guest_check_err("drained", read(fd, &n, sizeof(n)), EAGAIN);
	close(fd);

	/* A blocking read. */
	fd = timerfd_create(CLOCK_BOOTTIME, 0);
	its = spec(30 * MS, 0);
	t0 = now_ns(CLOCK_MONOTONIC);
	timerfd_settime(fd, 0, &its, NULL);
	guest_check("blocking read: one expiration", expirations(fd) == 1);
	guest_check("blocking read: not before 30 ms", now_ns(CLOCK_MONOTONIC) - t0 >= 30 * MS);
	close(fd);
}

static void periodic_checks(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = spec(20 * MS, 20 * MS), old, cur;
	struct timespec nap = { 0, 110 * MS };
	int64_t t0 = now_ns(CLOCK_MONOTONIC), n, t1;

	timerfd_settime(fd, 0, &its, NULL);
	nanosleep(&nap, NULL);
	n = expirations(fd);
	t1 = now_ns(CLOCK_MONOTONIC);
	/* Every period that passed counts, however late the read. */
	guest_check("periodic: late read counts every period",
		    n >= 5 && n <= (t1 - t0) / (20 * MS));
	/* The next read blocks until the next period: one expiration, or more
	 * when the reader was kept off the CPU past further periods (a loaded
	 * host: as many as have passed since the first read). */
	n = expirations(fd);
	guest_check("periodic: next read waits one period",
		    n >= 1 && n <= (now_ns(CLOCK_MONOTONIC) - t1) / (20 * MS) + 1);
	guest_check("gettime: interval kept", timerfd_gettime(fd, &cur) == 0 &&
						      ts_ns(&cur.it_interval) == 20 * MS &&
						      ts_ns(&cur.it_value) <= 20 * MS);
	its = spec(10 * S, 0);
	guest_check("settime returns the old setting", timerfd_settime(fd, 0, &its, &old) == 0 &&
							       ts_ns(&old.it_interval) == 20 * MS &&
							       ts_ns(&old.it_value) <= 20 * MS);
	guest_check("gettime within (9 s, 10 s]",
		    timerfd_gettime(fd, &cur) == 0 && ts_ns(&cur.it_value) > 9 * S &&
			    ts_ns(&cur.it_value) <= 10 * S && ts_ns(&cur.it_interval) == 0);
	its = spec(0, 0);
	guest_check("disarm", timerfd_settime(fd, 0, &its, NULL) == 0 &&
				      timerfd_gettime(fd, &cur) == 0 && ts_ns(&cur.it_value) == 0);
	close(fd);
}

static void absolute_checks(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	int64_t target = now_ns(CLOCK_MONOTONIC) + 40 * MS, t0, t1, n;
	struct itimerspec its = spec(target, 0);
	struct pollfd p = { fd, POLLIN, 0 };

	guest_check("absolute monotonic", timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == 0);
	poll(&p, 1, 5000);
	guest_check("absolute: not before the target", now_ns(CLOCK_MONOTONIC) >= target);
	guest_check("absolute: one expiration", expirations(fd) == 1);

	close(fd);

	/* A start 1 s in the past, every 400 ms: three periods are due now.
	 * (On CLOCK_REALTIME: the monotonic clock of a fresh VM is not 1 s old.) */
	fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	t0 = now_ns(CLOCK_REALTIME);
	its = spec(t0 - S, 400 * MS);
	timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
	n = expirations(fd);
	t1 = now_ns(CLOCK_REALTIME);
	guest_check("absolute start in the past counts the missed periods",
		    n >= 3 && n <= 1 + (t1 - t0 + S) / (400 * MS));
	close(fd);

	fd = timerfd_create(CLOCK_REALTIME, 0);
	target = now_ns(CLOCK_REALTIME) + 40 * MS;
	its = spec(target, 0);
	guest_check("absolute realtime", timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == 0);
	guest_check("absolute realtime: one expiration", expirations(fd) == 1);
	guest_check("absolute realtime: not before the target", now_ns(CLOCK_REALTIME) >= target);
	close(fd);
}

static void epoll_checks(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 }, out[2];
	struct itimerspec its = spec(30 * MS, 0);

	guest_check("epoll_ctl add timerfd", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	guest_check("epoll: unarmed is not ready", epoll_wait(ep, out, 2, 0) == 0);
	timerfd_settime(fd, 0, &its, NULL);
	guest_check("epoll: armed is not ready yet", epoll_wait(ep, out, 2, 0) == 0);
	guest_check("epoll: ready at expiry", epoll_wait(ep, out, 2, 5000) == 1 &&
						      out[0].events == EPOLLIN &&
						      out[0].data.u32 == 7);
	guest_check("epoll: read one", expirations(fd) == 1);
	guest_check("epoll: quiet after the read", epoll_wait(ep, out, 2, 0) == 0);

	/* Edge-triggered on a periodic timer: as on Linux, one edge until the
	 * count is read (the timer re-arms at the read), however many
	 * periods pass meanwhile. */
	ev.events = EPOLLIN | EPOLLET;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	its = spec(20 * MS, 20 * MS);
	timerfd_settime(fd, 0, &its, NULL);
	guest_check("epoll ET: first edge", epoll_wait(ep, out, 2, 5000) == 1);
	guest_check("epoll ET: no new edge while unread", epoll_wait(ep, out, 2, 100) == 0);
	guest_check("epoll ET: the periods accumulated", expirations(fd) >= 5);
	guest_check("epoll ET: an edge again after the read", epoll_wait(ep, out, 2, 5000) == 1);
	close(fd);
	close(ep);
}

int main(void)
{
	create_checks();
	relative_checks();
	periodic_checks();
	absolute_checks();
	epoll_checks();
	return guest_finish();
}
