/*
 * File I/O throughput on one file (docs/benchmarks.md section 14d,
 * bench/disk.sh): each OP in order on FILE of MIB MiB, each printing one
 * line "OP VALUE UNIT" (MB/s are 10^6 bytes a second, IOPS operations a
 * second, timed with CLOCK_MONOTONIC).  A measuring tool, not a test
 * compared with the host: it prints times (without arguments it prints its
 * usage and exits 2, which is what the host does too).
 *
 *   diskbench FILE MIB OP...
 *   write     FILE anew (O_TRUNC): MIB MiB in 1 MiB write() calls, then fsync
 *   read      read FILE in 1 MiB read() calls
 *   rread=N   N random 4 KiB pread()s at 4 KiB-aligned offsets of FILE
 *   rwrite=N  N random 4 KiB pwrite()s, then fsync (timed with them)
 * A "d" before an OP (dwrite, dread, drread=N, drwrite=N) opens FILE with
 * O_DIRECT.  The offsets come from a fixed generator, the same every run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SEQ_CHUNK  (1024 * 1024) /* bytes a sequential call moves */
#define RAND_CHUNK 4096		 /* bytes a random call moves */
#define ALIGN	   4096		 /* O_DIRECT's buffer alignment (Linux asks the block size) */

static char *buf;
static uint64_t rng = 88172645463325252ull;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* xorshift64 (Marsaglia 2003): offsets spread over the file, reproducible. */
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int fail(const char *what)
{
	fprintf(stderr, "diskbench: %s: %s\n", what, strerror(errno));
	return -1;
}

/* Sequential write (+fsync) or read of `total` bytes: elapsed seconds, or -1. */
static double sequential(int fd, bool write_it, size_t total)
{
	double t0 = now();

	for (size_t done = 0; done < total;) {
		ssize_t n = write_it ? write(fd, buf, SEQ_CHUNK) : read(fd, buf, SEQ_CHUNK);

		if (n <= 0)
			return n ? fail(write_it ? "write" : "read")
				 : (errno = EIO, fail("short file"));
		done += (size_t)n;
	}
	if (write_it && fsync(fd))
		return fail("fsync");
	return now() - t0;
}

/* `count` random 4 KiB preads or pwrites (+fsync): elapsed seconds, or -1. */
static double random_io(int fd, bool write_it, size_t total, long count)
{
	uint64_t blocks = total / RAND_CHUNK;
	double t0 = now();

	for (long k = 0; k < count; k++) {
		off_t off = (off_t)(next_rand() % blocks) * RAND_CHUNK;
		ssize_t n = write_it ? pwrite(fd, buf, RAND_CHUNK, off)
				     : pread(fd, buf, RAND_CHUNK, off);

		if (n != RAND_CHUNK)
			return fail(write_it ? "pwrite" : "pread");
	}
	if (write_it && fsync(fd))
		return fail("fsync");
	return now() - t0;
}

static int run_op(const char *file, size_t total, const char *op)
{
	bool direct = op[0] == 'd'; /* every plain OP starts with r or w */
	const char *name = direct ? op + 1 : op;
	bool create = !strcmp(name, "write");
	bool rand = !strncmp(name, "rread=", 6) || !strncmp(name, "rwrite=", 7);
	bool write_it = create || !strncmp(name, "rwrite=", 7);
	long count = rand ? strtol(strchr(name, '=') + 1, NULL, 10) : 0;
	int flags = (create	? O_WRONLY | O_CREAT | O_TRUNC
		     : write_it ? O_RDWR
				: O_RDONLY) |
		    (direct ? O_DIRECT : 0);
	double t;
	int fd;

	if (!create && !rand && strcmp(name, "read"))
		return errno = EINVAL, fail(op);
	if (rand && count <= 0)
		return errno = EINVAL, fail(op);
	if ((fd = open(file, flags, 0644)) < 0)
		return fail(file);
	t = rand ? random_io(fd, write_it, total, count) : sequential(fd, write_it, total);
	close(fd);
	if (t < 0)
		return -1;
	if (rand)
		printf("%.*s %.0f IOPS\n", (int)(strchr(op, '=') - op), op, count / t);
	else
		printf("%s %.1f MB/s\n", op, total / t / 1e6);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	size_t total;

	if (argc < 4) {
		fprintf(stderr, "usage: diskbench FILE MIB OP...\n");
		return 2;
	}
	total = (size_t)strtoul(argv[2], NULL, 10) << 20;
	if (!total || posix_memalign((void **)&buf, ALIGN, SEQ_CHUNK))
		return 2;
	for (size_t k = 0; k < SEQ_CHUNK; k++)
		buf[k] = (char)(k * 7 % 251);
	for (int k = 3; k < argc; k++)
		if (run_op(argv[1], total, argv[k]))
			return 1;
	return 0;
}
