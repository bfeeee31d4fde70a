/*
 * ext4 write throughput (docs/benchmarks.md section 14c): write MIB MiB to
 * FILE in 64 KiB write() calls, with fsync after every EVERY calls (0:
 * only at the end), and print the MB/s (10^6 bytes a second) it timed with
 * CLOCK_MONOTONIC.  "over" overwrites FILE's blocks instead of starting a
 * new file (no allocation).  A measuring tool, not a test compared with
 * the host: it prints a time.
 *
 *   ext4write FILE MIB EVERY [over]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char buf[CHUNK];
	size_t total, calls = 0;
	long every;
	double t0, t;
	int fd;

	if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "over"))) {
		fprintf(stderr, "usage: ext4write FILE MIB EVERY [over]\n");
		return 2;
	}
	total = (size_t)strtoul(argv[2], NULL, 10) << 20;
	every = strtol(argv[3], NULL, 10);
	memset(buf, 'a', sizeof(buf));
	fd = open(argv[1], O_WRONLY | O_CREAT | (argc == 5 ? 0 : O_TRUNC), 0644);
	if (fd < 0)
		return 1;
	t0 = now();
	for (size_t off = 0; off < total; off += CHUNK) {
		if (write(fd, buf, CHUNK) != CHUNK)
			return 1;
		if (every > 0 && ++calls % (size_t)every == 0 && fsync(fd))
			return 1;
	}
	if (fsync(fd))
		return 1;
	t = now() - t0;
	printf("%zu MiB, fsync every %ld: %.2f s, %.1f MB/s\n", total >> 20, every, t,
	       (double)total / 1e6 / t);
	return close(fd) ? 1 : 0;
}
