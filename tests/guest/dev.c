/*
 * Guest test, area files (/dev): the character devices every program may
 * open.  null swallows writes and reads as empty; zero reads zeros; full
 * fails writes with ENOSPC; urandom and random give bytes; their stat shows
 * Linux's device numbers; /dev/stdout reopens fd 1.
 */
#include "guest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void check_dev(const char *path, unsigned major, unsigned minor)
{
	struct stat st;
	char name[64];

	snprintf(name, sizeof(name), "stat %s: char device %u:%u", path, major, minor);
	guest_check(name, stat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
				  major(st.st_rdev) == major && minor(st.st_rdev) == minor);
}

int main(void)
{
	char buf[4096], zeros[4096] = {0};
	int fd;

	check_dev("/dev/null", 1, 3);
	check_dev("/dev/zero", 1, 5);
	check_dev("/dev/full", 1, 7);
	check_dev("/dev/random", 1, 8);
	check_dev("/dev/urandom", 1, 9);

	fd = open("/dev/null", O_RDWR);
	guest_check("open /dev/null", fd >= 0);
	guest_check("write /dev/null takes all", write(fd, buf, sizeof(buf)) == sizeof(buf));
	guest_check("read /dev/null is empty", read(fd, buf, sizeof(buf)) == 0);
	close(fd);

	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 0x55, sizeof(buf));
	guest_check("read /dev/zero", read(fd, buf, sizeof(buf)) == sizeof(buf));
	guest_check("/dev/zero gives zeros", memcmp(buf, zeros, sizeof(buf)) == 0);
	guest_check("read 1 byte of /dev/zero", read(fd, buf, 1) == 1 && buf[0] == 0);
	close(fd);

	fd = open("/dev/full", O_WRONLY);
	guest_check_err("write /dev/full", write(fd, buf, 16), ENOSPC);
	close(fd);

	fd = open("/dev/urandom", O_RDONLY);
	guest_check("read /dev/urandom",
		    read(fd, buf, 64) == 64 && memcmp(buf, zeros, 64) != 0);
	close(fd);

	guest_check_err("open /dev/nonexistent", open("/dev/nonexistent", O_RDONLY), ENOENT);
	/* Last, as nothing may follow it through fd 1: natively stdout may be
	 * a file, where fd 1's own offset would overwrite what we append. */
	fflush(stdout);
	fd = open("/dev/stdout", O_WRONLY | O_APPEND);
	if (fd < 0)
		return 1;
	static const char line[] = "written through /dev/stdout\n";
	if (write(fd, line, sizeof(line) - 1) != sizeof(line) - 1)
		return 1;
	return guest_bad != 0;
}
