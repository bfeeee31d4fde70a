/*
 * Guest test: a descriptor table of a million.  RLIMIT_NOFILE is raised to
 * 2^20 (Linux's fs.nr_open default; a host that refuses, e.g. a container
 * without CAP_SYS_RESOURCE, gives its hard limit instead), the table is
 * filled with dup() to the limit, and then the allocation rules are checked
 * where a table this big makes a linear scan or a wrong hint show: the
 * lowest free number is always the one handed out (after closes scattered
 * across words of the open-fds bitmap, and at its ends), F_DUPFD takes the
 * lowest free at or above its minimum, dup2/dup3 replace or refuse.  Only
 * ok/BAD lines are printed: the limit may differ between hosts.
 */
#include "guest.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>

#define WANT (1u << 20) /* fs.nr_open's default */

/* Close what the caller may have left open above 0-2 (a test harness's
 * descriptors), then raise the soft and hard limits to WANT, or the soft
 * one to the hard. */
static unsigned raise_limit(void)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	for (unsigned fd = 3; fd < rl.rlim_cur && fd < WANT; fd++)
		close((int)fd);
	rl.rlim_cur = rl.rlim_max = WANT;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur > WANT ? WANT : (unsigned)rl.rlim_cur;
}

/* dup(base) until it fails; whether each was one above the one before. */
static int fill(int base, unsigned limit)
{
	int fd, last = base, ordered = 1;

	while ((fd = dup(base)) >= 0) {
		ordered &= fd == last + 1;
		last = fd;
	}
	guest_check_err("dup at the limit", fd, EMFILE);
	guest_check("the last one is limit - 1", (unsigned)last == limit - 1);
	return ordered;
}

/* Close `fds` (ascending), then dup them back: they must return in order. */
static void reuse(int base, const int *fds, int n, const char *what)
{
	int ok = 1;

	for (int i = 0; i < n; i++)
		ok &= close(fds[i]) == 0;
	for (int i = 0; i < n; i++)
		ok &= dup(base) == fds[i];
	printf("%s %s\n", ok ? "ok " : "BAD", what);
	guest_bad += !ok;
	guest_check_err("and then the table is full again", dup(base), EMFILE);
}

static void dup_rules(int base, unsigned limit)
{
	int top = (int)limit - 1, mid = (int)limit / 2;

	close(10), close(12), close(mid), close(top);
	guest_check("F_DUPFD 11 skips to 12", fcntl(base, F_DUPFD, 11) == 12);
	guest_check("F_DUPFD 0 takes 10", fcntl(base, F_DUPFD, 0) == 10);
	guest_check("F_DUPFD_CLOEXEC 13 finds the middle",
		    fcntl(base, F_DUPFD_CLOEXEC, 13) == mid && fcntl(mid, F_GETFD) == FD_CLOEXEC);
	guest_check("F_DUPFD limit - 1 takes the top", fcntl(base, F_DUPFD, top) == top);
	guest_check_err("F_DUPFD with nothing free above", fcntl(base, F_DUPFD, 5), EMFILE);
	guest_check_err("F_DUPFD at the limit", fcntl(base, F_DUPFD, limit), EINVAL);
	guest_check("dup2 onto an open one replaces it", dup2(base, 7) == 7);
	guest_check("dup3 O_CLOEXEC onto the top",
		    dup3(base, top, O_CLOEXEC) == top && fcntl(top, F_GETFD) == FD_CLOEXEC);
	guest_check("dup2 onto itself", dup2(top, top) == top && fcntl(top, F_GETFD) == FD_CLOEXEC);
	guest_check_err("dup3 onto itself", dup3(top, top, 0), EINVAL);
	guest_check_err("dup2 to the limit", dup2(base, limit), EBADF);
	guest_check_err("dup2 to -1", syscall(SYS_dup2, base, -1), EBADF);
	guest_check_err("dup3 to -1", syscall(SYS_dup3, base, -1, 0), EBADF);
	guest_check_err("dup at the limit still", dup(base), EMFILE);
	guest_check("close the top, dup gets it", close(top) == 0 && dup(base) == top);
}

int main(void)
{
	unsigned limit = raise_limit();
	int base = open("/dev/null", O_RDONLY);
	int scattered[] = { 4, 63, 64, 65, 127, 128, 1000, 4095, 4096, 65535, 65536, 100000, 0 };
	int n = 0;

	guest_check("a limit above 4,097", limit > 4097);
	guest_check("base is 3", base == 3);
	guest_check("dup hands out the lowest free number, in order", fill(base, limit));
	while (scattered[n] && (unsigned)scattered[n] < limit - 1) /* the limit differs */
		n++;
	scattered[n++] = (int)limit - 1;
	reuse(base, scattered, n, "closed descriptors come back lowest first");
	dup_rules(base, limit);
	return guest_finish();
}
