/*
 * Guest test, area files: fadvise64 (posix_fadvise), which coreutils' cat,
 * sort and wc call on their inputs: a hint, so every valid advice on a
 * file, a directory or /dev/null is 0; Linux's errors in its order
 * (generic_fadvise): EBADF (no descriptor, or O_PATH), ESPIPE on a pipe
 * before any other check, EINVAL for a negative length or unknown advice.
 * Raw calls, since posix_fadvise returns the error instead of setting errno.
 */
#include "guest.h"

#include <fcntl.h>
#include <stdlib.h>

#define ADVICE_MAX 5 /* POSIX_FADV_NOREUSE, the last on x86-64 */

static long fadvise(int fd, long off, long len, int advice)
{
	return syscall(SYS_fadvise64, fd, off, len, advice);
}

int main(void)
{
	char path[] = "/tmp/fadviseXXXXXX";
	int fd = mkstemp(path), dir = open("/", O_RDONLY | O_DIRECTORY);
	int null = open("/dev/null", O_RDONLY), opath = open(path, O_PATH), p[2];
	int all_ok = 1;

	if (fd < 0 || dir < 0 || null < 0 || opath < 0 || pipe(p))
		return 2;
	unlink(path);
	for (int a = 0; a <= ADVICE_MAX; a++)
		all_ok &= !fadvise(fd, 0, 0, a) && !fadvise(dir, 0, 4096, a) &&
			  !fadvise(null, 100, 1, a);
	guest_check("every advice on a file, a directory, /dev/null", all_ok);
	guest_check_err("unknown advice", fadvise(fd, 0, 0, ADVICE_MAX + 1), EINVAL);
	guest_check_err("negative length", fadvise(fd, 0, -1, 0), EINVAL);
	guest_check_err("a pipe", fadvise(p[0], 0, 0, 0), ESPIPE);
	guest_check_err("a pipe, unknown advice", fadvise(p[1], 0, 0, 99), ESPIPE);
	guest_check_err("a closed descriptor", fadvise(1000, 0, 0, 0), EBADF);
	guest_check_err("an O_PATH descriptor", fadvise(opath, 0, 0, 0), EBADF);
	return guest_bad != 0;
}
