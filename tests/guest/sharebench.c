/*
 * Guest helper for the share benchmark (bench/share.sh), not a compared
 * test: throughput of a host directory share, timed with CLOCK_MONOTONIC.
 *   sharebench DIR MIB FILES [TAG]
 *     with TAG, first mount the virtio-9p share TAG at DIR (the Linux
 *     guest: 9p2000.L, cache=none, msize 64 KiB + header, as monos asks);
 *     then write a file of MIB MiB in 1 MiB calls (fsync), read it back in
 *     1 MiB calls, and create FILES files of 4 KiB (create, write, close),
 *     then remove them.  Prints "read R MB/s, write W MB/s, create C
 *     files/s" (MB = 10^6 bytes).
 * Exit status 0 on success, 1 on an error (printed).
 */
#include "guest.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#define CHUNK	  (1 << 20)
#define SMALL	  4096
#define MSIZE_OPT "trans=virtio,version=9p2000.L,cache=none,msize=65560"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	printf("sharebench: %s: %s\n", what, guest_errname(errno));
	return 1;
}

int main(int argc, char **argv)
{
	char path[4096], *buf = malloc(CHUNK);
	long mib, files;
	double t0, w, r, c;
	int fd;

	if (argc < 4 || argc > 5 || !buf)
		return 2;
	mib = atol(argv[2]);
	files = atol(argv[3]);
	if (argc == 5) {
		mkdir(argv[1], 0755);
		if (mount(argv[4], argv[1], "9p", 0, MSIZE_OPT))
			return fail("mount");
	}
	memset(buf, 'x', CHUNK);
	snprintf(path, sizeof(path), "%s/big", argv[1]);
	t0 = now();
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		return fail("create");
	for (long i = 0; i < mib; i++)
		if (write(fd, buf, CHUNK) != CHUNK)
			return fail("write");
	if (fsync(fd) || close(fd))
		return fail("fsync");
	w = now() - t0;
	t0 = now();
	if ((fd = open(path, O_RDONLY)) < 0)
		return fail("open");
	for (long i = 0; i < mib; i++)
		if (read(fd, buf, CHUNK) != CHUNK)
			return fail("read");
	close(fd);
	r = now() - t0;
	unlink(path);
	t0 = now();
	for (long i = 0; i < files; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", argv[1], i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0 ||
		    write(fd, buf, SMALL) != SMALL || close(fd))
			return fail("create a small file");
	}
	c = now() - t0;
	for (long i = 0; i < files; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", argv[1], i);
		unlink(path);
	}
	printf("read %.1f MB/s, write %.1f MB/s, create %.0f files/s\n", mib * (CHUNK / 1e6) / r,
	       mib * (CHUNK / 1e6) / w, files / c);
	return 0;
}
