/*
 * Guest test, area files (locks): POSIX record locks through fcntl and BSD
 * locks through flock, on a file in a fresh directory under /tmp.  Record
 * locks of one process never conflict; flock locks of two open file
 * descriptions do.
 */
#include "guest.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>

int main(void)
{
	char dir[] = "/tmp/monos-locks-XXXXXX", path[64];
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100};
	int a, b, ro;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/f", dir);
	a = open(path, O_RDWR | O_CREAT, 0600);
	b = open(path, O_RDWR);
	ro = open(path, O_RDONLY);
	guest_check("open three times", a >= 0 && b >= 0 && ro >= 0);

	guest_check("F_SETLK write lock", fcntl(a, F_SETLK, &fl) == 0);
	guest_check("F_SETLK again from another fd of the same process", fcntl(b, F_SETLK, &fl) == 0);
	fl.l_type = F_WRLCK;
	guest_check("F_GETLK: no conflicting lock", fcntl(a, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK);
	fl.l_type = F_WRLCK;
	guest_check_err("write lock on a read-only fd", fcntl(ro, F_SETLK, &fl), EBADF);
	fl.l_type = 99;
	guest_check_err("bad lock type", fcntl(a, F_SETLK, &fl), EINVAL);
	fl.l_type = F_UNLCK;
	guest_check("F_SETLKW unlock", fcntl(a, F_SETLKW, &fl) == 0);

	guest_check("flock LOCK_EX", flock(a, LOCK_EX) == 0);
	guest_check_err("flock LOCK_EX|LOCK_NB from another open", flock(b, LOCK_EX | LOCK_NB),
			EWOULDBLOCK);
	guest_check_err("flock LOCK_SH|LOCK_NB from another open", flock(b, LOCK_SH | LOCK_NB),
			EWOULDBLOCK);
	guest_check("flock LOCK_EX again on the same open", flock(a, LOCK_EX | LOCK_NB) == 0);
	guest_check("flock LOCK_UN", flock(a, LOCK_UN) == 0);
	guest_check("shared locks coexist", flock(a, LOCK_SH) == 0 && flock(b, LOCK_SH | LOCK_NB) == 0);
	guest_check_err("exclusive against a shared one", flock(ro, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	close(a);
	close(b);
	guest_check("close releases the lock", flock(ro, LOCK_EX | LOCK_NB) == 0);
	guest_check_err("flock bad operation", flock(ro, 0), EINVAL);
	close(ro);
	unlink(path);
	rmdir(dir);
	return guest_bad != 0;
}
