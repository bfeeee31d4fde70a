/*
 * Guest test: O_ASYNC and the owner of a file's signals, as nginx's master
 * sets them on each worker's channel (a socketpair) before it forks the
 * worker: ioctl FIOASYNC, then fcntl F_SETOWN with its own pid; both failing
 * made it refuse to start workers.  Checks that the flag shows in F_GETFL
 * and goes with FIOASYNC 0 or F_SETFL, F_GETOWN's answers, and the errors,
 * on a socket and a pipe (Linux's files with a fasync operation).
 * Nothing is written while O_ASYNC is on, so no SIGIO is due here (monos
 * records O_ASYNC but does not send SIGIO yet).
 */
#include "guest.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int async_on(int fd)
{
	return (fcntl(fd, F_GETFL) & O_ASYNC) != 0;
}

static void on_file(const char *what, int fd)
{
	int on = 1, off = 0;
	char name[96];

	snprintf(name, sizeof(name), "%s: FIOASYNC 1 sets O_ASYNC", what);
	guest_check(name, ioctl(fd, FIOASYNC, &on) == 0 && async_on(fd));
	snprintf(name, sizeof(name), "%s: FIOASYNC 0 clears it", what);
	guest_check(name, ioctl(fd, FIOASYNC, &off) == 0 && !async_on(fd));
	snprintf(name, sizeof(name), "%s: F_SETFL O_ASYNC sets it", what);
	guest_check(name, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC) == 0 && async_on(fd));
	snprintf(name, sizeof(name), "%s: F_SETFL without O_ASYNC clears it", what);
	guest_check(name, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_ASYNC) == 0 && !async_on(fd));
	snprintf(name, sizeof(name), "%s: F_GETOWN of a new file is 0", what);
	guest_check(name, fcntl(fd, F_GETOWN) == 0);
	snprintf(name, sizeof(name), "%s: F_SETOWN getpid(), F_GETOWN gives it back", what);
	guest_check(name, fcntl(fd, F_SETOWN, getpid()) == 0 && fcntl(fd, F_GETOWN) == getpid());
	snprintf(name, sizeof(name), "%s: F_SETOWN -getpgrp(), F_GETOWN gives it back", what);
	guest_check(name,
		    fcntl(fd, F_SETOWN, -getpgrp()) == 0 && fcntl(fd, F_GETOWN) == -getpgrp());
	snprintf(name, sizeof(name), "%s: F_SETOWN 0 clears the owner", what);
	guest_check(name, fcntl(fd, F_SETOWN, 0) == 0 && fcntl(fd, F_GETOWN) == 0);
}

int main(void)
{
	int sv[2], p[2], on = 1;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(p))
		return 1;
	on_file("socketpair", sv[0]);
	on_file("pipe", p[0]);
	guest_check_err("F_SETOWN a pid no process has", fcntl(sv[0], F_SETOWN, 0x3fffffff), ESRCH);
	guest_check_err("F_SETOWN a group no process has", fcntl(sv[0], F_SETOWN, -0x3fffffff),
			ESRCH);
	guest_check_err("F_SETOWN INT_MIN", fcntl(sv[0], F_SETOWN, INT_MIN), EINVAL);
	guest_check_err("FIOASYNC, bad pointer", ioctl(sv[0], FIOASYNC, (int *)8), EFAULT);
	guest_check_err("FIOASYNC, bad fd", ioctl(-1, FIOASYNC, &on), EBADF);
	guest_check_err("F_SETOWN, bad fd", fcntl(-1, F_SETOWN, getpid()), EBADF);
	return guest_bad != 0;
}
