/*
 * Guest test: the calls about a file's data and its medium (fsync,
 * fdatasync, sync_file_range, posix_fadvise) succeed on a regular file and
 * a directory and fail as Linux's do elsewhere.  redis-server calls
 * sync_file_range every 4 MB of an RDB or AOF it writes in the background
 * (rio.c's autosync); PostgreSQL's initdb calls posix_fadvise.
 * Run in /tmp (the host's may be tmpfs or ext4: the answers are the same).
 */
#include "guest.h"
#include <fcntl.h>
#include <stdlib.h>

static long sfr(int fd, long long off, long long n, unsigned int flags)
{
	return syscall(SYS_sync_file_range, fd, off, n, flags);
}

int main(void)
{
	char path[] = "/tmp/filesync.XXXXXX";
	char buf[8192];
	int fd = mkstemp(path), dir = open("/tmp", O_RDONLY | O_DIRECTORY), p[2];
	unsigned int all =
		SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;

	if (fd < 0 || dir < 0 || pipe(p))
		return 1;
	memset(buf, 'r', sizeof(buf));
	guest_check("write 8 KB", write(fd, buf, sizeof(buf)) == sizeof(buf));
	guest_check("sync_file_range WRITE of the first 4 KB",
		    sfr(fd, 0, 4096, SYNC_FILE_RANGE_WRITE) == 0);
	guest_check("sync_file_range all flags, to the end", sfr(fd, 4096, 0, all) == 0);
	guest_check("sync_file_range no flags", sfr(fd, 0, 0, 0) == 0);
	guest_check("sync_file_range past the end", sfr(fd, 1 << 20, 4096, all) == 0);
	guest_check("sync_file_range on a directory", sfr(dir, 0, 0, all) == 0);
	guest_check("fsync", fsync(fd) == 0);
	guest_check("fdatasync", fdatasync(fd) == 0);
	guest_check("fsync on a directory", fsync(dir) == 0);

	guest_check_err("sync_file_range bad fd", sfr(-1, 0, 0, 0), EBADF);
	guest_check_err("sync_file_range bad fd, bad flags", sfr(-1, 0, 0, 8), EBADF);
	guest_check_err("sync_file_range unknown flag", sfr(fd, 0, 0, 8), EINVAL);
	guest_check_err("sync_file_range negative offset", sfr(fd, -1, 0, 0), EINVAL);
	guest_check_err("sync_file_range negative length", sfr(fd, 0, -4096, 0), EINVAL);
	guest_check_err("sync_file_range end overflows", sfr(fd, 1, 0x7fffffffffffffffLL, 0),
			EINVAL);
	guest_check_err("sync_file_range on a pipe", sfr(p[1], 0, 0, 0), ESPIPE);
	guest_check_err("fsync on a pipe", fsync(p[1]), EINVAL);
	guest_check_err("fsync bad fd", fsync(-1), EBADF);
	guest_check("posix_fadvise DONTNEED", posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0);
	guest_check("posix_fadvise SEQUENTIAL past the end",
		    posix_fadvise(fd, 1 << 20, 4096, POSIX_FADV_SEQUENTIAL) == 0);
	guest_check("posix_fadvise on a directory",
		    posix_fadvise(dir, 0, 0, POSIX_FADV_WILLNEED) == 0);
	/* posix_fadvise returns the error instead of setting errno */
	guest_check("posix_fadvise bad fd: EBADF", posix_fadvise(-1, 0, 0, 0) == EBADF);
	guest_check("posix_fadvise on a pipe: ESPIPE", posix_fadvise(p[0], 0, 0, 0) == ESPIPE);
	guest_check("posix_fadvise unknown advice: EINVAL", posix_fadvise(fd, 0, 0, 6) == EINVAL);
	guest_check("posix_fadvise negative length: EINVAL", posix_fadvise(fd, 0, -1, 0) == EINVAL);
	unlink(path);
	return guest_bad != 0;
}
