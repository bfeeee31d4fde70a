/*
 * Guest test: the descriptor table against RLIMIT_NOFILE.  The soft limit
 * caps every way of making a descriptor (open, dup, F_DUPFD, dup2), raising
 * it within the hard limit gives more descriptors (the table grows: redis
 * asks for 10,032), lowering it leaves open descriptors alone, and poll
 * refuses more entries than the limit.  Only what any Linux host agrees on
 * is printed: the hard limit differs between hosts, so it is only checked
 * to be at least what the test raises the soft one to.
 */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>

#define RAISED 3000 /* a soft limit above the usual 1,024; every host's hard one allows it */

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

int main(void)
{
	struct rlimit rl, low;
	int fd, base = open("/dev/null", O_RDONLY), last = -1, n = 0;

	guest_check("getrlimit", getrlimit(RLIMIT_NOFILE, &rl) == 0);
	guest_check("hard limit allows the test", rl.rlim_max >= RAISED);
	rl.rlim_cur = RAISED;
	guest_check("raise the soft limit", setrlimit(RLIMIT_NOFILE, &rl) == 0);
	/* Fill the table: every dup gets the lowest free number, up to the limit. */
	while ((fd = dup(base)) >= 0) {
		n += fd == last + 1 || last < 0;
		last = fd;
	}
	guest_check_err("dup at the limit", fd, EMFILE);
	guest_check("the last descriptor is limit - 1", last == RAISED - 1);
	guest_check("they were handed out in order", n > RAISED - 10);
	guest_check("/proc/self/fd lists them all",
		    open_fds() == RAISED - 1 || open_fds() == -1 /* EMFILE for opendir */);
	guest_check_err("open at the limit", open("/dev/null", O_RDONLY), EMFILE);
	guest_check_err("F_DUPFD at the limit", fcntl(base, F_DUPFD, RAISED), EINVAL);
	guest_check_err("dup2 to the limit", dup2(base, RAISED), EBADF);
	guest_check("close one and reuse it", close(2000) == 0 && dup(base) == 2000);
	for (fd = base + 1; fd < RAISED; fd++)
		close(fd);
	guest_check("/proc/self/fd after closing", open_fds() == 4); /* 0-2 and base */
	guest_check("dup2 to limit - 1", dup2(base, RAISED - 1) == RAISED - 1);
	guest_check("F_DUPFD from 2500", fcntl(base, F_DUPFD, 2500) == 2500);
	/* Lowering the limit keeps what is open and caps what comes next. */
	low = rl;
	low.rlim_cur = 64;
	guest_check("lower the soft limit", setrlimit(RLIMIT_NOFILE, &low) == 0);
	guest_check("descriptors above it stay open", fcntl(RAISED - 1, F_GETFD) == 0);
	guest_check_err("dup2 above it", dup2(base, 100), EBADF);
	guest_check_err("F_DUPFD above it", fcntl(base, F_DUPFD, 64), EINVAL);
	{
		struct pollfd *p = calloc(65, sizeof(*p));
		for (int i = 0; i < 65; i++)
			p[i].fd = base, p[i].events = POLLIN;
		guest_check_err("poll with more entries than the limit", poll(p, 65, 0), EINVAL);
		guest_check("poll with as many as the limit", poll(p, 64, 0) == 64);
		free(p);
	}
	low.rlim_cur = low.rlim_max + 1;
	guest_check_err("soft above hard", setrlimit(RLIMIT_NOFILE, &low), EINVAL);
	return guest_finish();
}
