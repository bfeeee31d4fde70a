/*
 * Guest test, area signalfd: blocked signals read through a signalfd with
 * their siginfo (ssi_signo, ssi_code, ssi_pid, ssi_uid, sigqueue's value),
 * from raise, kill, sigqueue and an interval timer; a blocked signal
 * outside the mask staying pending until the mask is changed on the same
 * fd; several signals in one read; poll and epoll readiness; a blocking
 * read woken by a timer; blocked default-ignored signals kept while an
 * unblocked ignored one is dropped; the errors.  Pids are printed only as
 * comparisons with getpid().
 */
#include "guest.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/time.h>

static const char *code_name(int code)
{
	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_TKILL:
		return "SI_TKILL";
	case SI_QUEUE:
		return "SI_QUEUE";
	case SI_KERNEL:
		return "SI_KERNEL";
	case SI_TIMER:
		return "SI_TIMER";
	}
	return "other";
}

/* Read one signal from `fd` and print what it carried. */
static int read_one(int fd, const char *what)
{
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof(si));

	if (n != (ssize_t)sizeof(si)) {
		printf("BAD %s: read -> %s\n", what, n < 0 ? guest_errname(errno) : "short");
		guest_bad++;
		return -1;
	}
	printf("%s: signo %u code %s pid-is-self %d uid-is-self %d\n", what, si.ssi_signo,
	       code_name(si.ssi_code), si.ssi_pid == (uint32_t)getpid(),
	       si.ssi_uid == (uint32_t)getuid());
	return (int)si.ssi_signo;
}

static sigset_t set_of(int a, int b)
{
	sigset_t s;

	sigemptyset(&s);
	if (a)
		sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	return s;
}

static void basic_checks(void)
{
	sigset_t usr1 = set_of(SIGUSR1, 0), both = set_of(SIGUSR1, SIGUSR2), pend;
	int fd = signalfd(-1, &usr1, SFD_NONBLOCK | SFD_CLOEXEC);
	struct signalfd_siginfo si;
	struct pollfd p = { fd, POLLIN, 0 };

	guest_check("signalfd created", fd >= 0);
	guest_check("SFD_CLOEXEC sets FD_CLOEXEC", fcntl(fd, F_GETFD) == FD_CLOEXEC);
	guest_check_err("nothing pending: EAGAIN", read(fd, &si, sizeof(si)), EAGAIN);
	guest_check("poll: not ready", poll(&p, 1, 0) == 0);

	raise(SIGUSR1);
	guest_check("poll: ready after raise", poll(&p, 1, 0) == 1 && p.revents == POLLIN);
	read_one(fd, "raise");
	guest_check("poll: quiet after the read", poll(&p, 1, 0) == 0);

	kill(getpid(), SIGUSR1);
	read_one(fd, "kill");

	union sigval v = { .sival_int = 42 };
	sigqueue(getpid(), SIGUSR1, v);
	guest_check("sigqueue: value", read(fd, &si, sizeof(si)) == sizeof(si) &&
					       si.ssi_int == 42 && si.ssi_code == SI_QUEUE);

	/* SIGUSR2 is blocked but not in the mask: it waits, pending. */
	raise(SIGUSR2);
	guest_check_err("outside the mask: EAGAIN", read(fd, &si, sizeof(si)), EAGAIN);
	guest_check("still pending", sigpending(&pend) == 0 && sigismember(&pend, SIGUSR2));
	guest_check("new mask on the same fd", signalfd(fd, &both, 0) == fd);
	read_one(fd, "after the mask change");
	guest_check("taken by the read", sigpending(&pend) == 0 && !sigismember(&pend, SIGUSR2));

	/* Two at once, lowest number first. */
	struct signalfd_siginfo two[3];
	raise(SIGUSR2);
	raise(SIGUSR1);
	ssize_t n = read(fd, two, sizeof(two));
	guest_check("two signals in one read", n == 2 * (ssize_t)sizeof(si) &&
						       two[0].ssi_signo == SIGUSR1 &&
						       two[1].ssi_signo == SIGUSR2);
	char small[64];
	raise(SIGUSR1);
	guest_check_err("read into 64 bytes", read(fd, small, sizeof(small)), EINVAL);
	read_one(fd, "after the short read");
	close(fd);
}

static void epoll_checks(void)
{
	sigset_t usr1 = set_of(SIGUSR1, 0);
	int fd = signalfd(-1, &usr1, SFD_NONBLOCK), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 5 }, out[2];

	guest_check("epoll_ctl add signalfd", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	guest_check("epoll: not ready", epoll_wait(ep, out, 2, 0) == 0);
	raise(SIGUSR1);
	guest_check("epoll: ready", epoll_wait(ep, out, 2, 0) == 1 && out[0].data.u32 == 5);
	read_one(fd, "epoll");
	guest_check("epoll: quiet after the read", epoll_wait(ep, out, 2, 0) == 0);

	ev.events = EPOLLIN | EPOLLET;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	raise(SIGUSR1);
	guest_check("epoll ET: an edge", epoll_wait(ep, out, 2, 0) == 1);
	guest_check("epoll ET: one edge only", epoll_wait(ep, out, 2, 0) == 0);
	read_one(fd, "epoll ET");
	close(ep);
	close(fd);
}

/* A blocking read woken by ITIMER_REAL's SIGALRM (SI_KERNEL on Linux). */
static void blocking_checks(void)
{
	sigset_t alrm = set_of(SIGALRM, 0);
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	int fd;

	sigprocmask(SIG_BLOCK, &alrm, NULL);
	fd = signalfd(-1, &alrm, 0);
	setitimer(ITIMER_REAL, &it, NULL);
	read_one(fd, "blocking read, SIGALRM");
	close(fd);
}

/* Linux keeps a blocked signal even when its action ignores it; an unblocked
 * ignored one is dropped at once. */
static void ignored_checks(void)
{
	sigset_t chld = set_of(SIGCHLD, SIGWINCH), urg = set_of(SIGURG, 0);
	struct signalfd_siginfo si;
	int fd;

	sigprocmask(SIG_BLOCK, &chld, NULL);
	fd = signalfd(-1, &chld, SFD_NONBLOCK);
	raise(SIGCHLD);
	read_one(fd, "blocked default-ignored SIGCHLD");
	signal(SIGWINCH, SIG_IGN);
	raise(SIGWINCH);
	read_one(fd, "blocked SIG_IGN SIGWINCH");
	close(fd);

	fd = signalfd(-1, &urg, SFD_NONBLOCK);
	raise(SIGURG); /* not blocked, ignored by default: gone */
	guest_check_err("unblocked ignored SIGURG dropped", read(fd, &si, sizeof(si)), EAGAIN);
	close(fd);
}

static void error_checks(void)
{
	sigset_t s = set_of(SIGUSR1, 0);
	int pfd[2];

	guest_check_err("bad flags", signalfd(-1, &s, 0x1234), EINVAL);
	guest_check_err("sizemask 4", syscall(SYS_signalfd4, -1, &s, 4, 0), EINVAL);
	guest_check_err("bad fd", signalfd(999, &s, 0), EBADF);
	pipe(pfd);
	guest_check_err("a pipe is no signalfd", signalfd(pfd[0], &s, 0), EINVAL);
	close(pfd[0]);
	close(pfd[1]);
	guest_check_err("bad mask pointer", syscall(SYS_signalfd4, -1, 8, 8, 0), EFAULT);
}

int main(void)
{
	sigset_t both = set_of(SIGUSR1, SIGUSR2);

	sigprocmask(SIG_BLOCK, &both, NULL);
	basic_checks();
	epoll_checks();
	blocking_checks();
	ignored_checks();
	error_checks();
	return guest_finish();
}
