/*
 * Guest test: read(), write() and MAP_SHARED mappings of one file stay
 * coherent through the page cache (kernel/fs/pcache.c, ext4fs_file.c):
 * a write() seen through a mapping and a store through the mapping seen by
 * read(), both with the pages already cached; a truncation that shrinks a
 * cached file (the cut tail reads as zeros when it grows again); reads in
 * odd sizes across readahead windows; and, with DIR given, O_DIRECT after
 * buffered I/O and the reverse.  Prints one line per check.
 *
 *   filecache [DIR [MIB]]   (default /tmp, without the O_DIRECT checks:
 *                      Linux's tmpfs refuses O_DIRECT, which monos'
 *                      accepts; the big file is MIB MiB and 1234 bytes,
 *                      default 3: more than the cache's bound, a quarter
 *                      of RAM, makes it drop pages as it reads)
 * tests/cli/volume_cache.sh runs it on ext4 volumes against the native run.
 * Its files are named after its pid: the native runs of its three builds
 * may share /tmp at once.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE	 4096
#define BIG_MIB	 3    /* MiB: past several readahead windows */
#define BIG_TAIL 1234 /* bytes past them: not page-aligned */
#define SMALL	 (3 * PAGE + 100)
#define ODD_READ 100003 /* a read size that straddles pages and windows */

static int failures;
static size_t big_size = (size_t)BIG_MIB << 20 | BIG_TAIL;

/* The pattern of `seed`: byte at offset o. */
static unsigned char pat(uint64_t o, int seed)
{
	return (unsigned char)((o * 131 + (uint64_t)seed * 17 + (o >> 12)) % 251);
}

static void fill(unsigned char *p, uint64_t off, size_t n, int seed)
{
	for (size_t k = 0; k < n; k++)
		p[k] = pat(off + k, seed);
}

static void check(const char *what, bool ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	failures += !ok;
}

/* Whether [off, off + n) of `p` holds the pattern of `seed` (-1: zeros). */
static bool holds(const unsigned char *p, uint64_t off, size_t n, int seed)
{
	for (size_t k = 0; k < n; k++)
		if (p[k] != (seed < 0 ? 0 : pat(off + k, seed)))
			return false;
	return true;
}

static bool pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite(fd, buf, n, off) == (ssize_t)n;
}

static bool pread_is(int fd, off_t off, size_t n, int seed)
{
	unsigned char *buf = malloc(n);
	bool ok = buf && pread(fd, buf, n, off) == (ssize_t)n && holds(buf, (uint64_t)off, n, seed);

	free(buf);
	return ok;
}

/* write() then the mapping, a store then read(), pwrite into a mapped page. */
static void mapped(int fd)
{
	unsigned char buf[SMALL], *m;

	fill(buf, 0, SMALL, 1);
	check("small file written", pwrite_all(fd, buf, SMALL, 0));
	check("read() before mapping", pread_is(fd, 0, SMALL, 1));
	m = mmap(NULL, SMALL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		check("mmap", false);
		return;
	}
	check("the mapping sees write()", holds(m, 0, SMALL, 1));
	fill(m + PAGE + 10, PAGE + 10, 2 * PAGE, 2);
	check("read() sees stores through the mapping",
	      pread_is(fd, PAGE + 10, 2 * PAGE, 2) && pread_is(fd, 0, PAGE + 10, 1));
	fill(buf, 2 * PAGE, 500, 3);
	check("pwrite into a mapped page", pwrite_all(fd, buf, 500, 2 * PAGE));
	check("the mapping sees it", holds(m + 2 * PAGE, 2 * PAGE, 500, 3));
	check("msync", msync(m, SMALL, MS_SYNC) == 0);
	munmap(m, SMALL);
	check("read() after munmap",
	      pread_is(fd, 2 * PAGE, 500, 3) && pread_is(fd, 2 * PAGE + 500, PAGE + 10 - 500, 2));
}

/* A cached file cut in a page, then grown: zeros past the cut. */
static void truncated(int fd)
{
	unsigned char buf[SMALL];
	ssize_t n;

	fill(buf, 0, SMALL, 4);
	pwrite_all(fd, buf, SMALL, 0);
	check("cached before the cut", pread_is(fd, 0, SMALL, 4));
	check("ftruncate shrinks", ftruncate(fd, PAGE + 300) == 0);
	n = pread(fd, buf, SMALL, 0);
	check("read() stops at the cut", n == PAGE + 300 && holds(buf, 0, PAGE + 300, 4));
	check("ftruncate grows", ftruncate(fd, SMALL) == 0);
	check("the cut tail reads as zeros",
	      pread_is(fd, PAGE + 300, SMALL - PAGE - 300, -1) && pread_is(fd, 0, PAGE + 300, 4));
}

/* A big file read back in odd sizes, sequentially and at odd offsets. */
static void big(const char *path)
{
	unsigned char *buf = malloc(big_size);
	bool ok = true;
	size_t done = 0;
	int fd;

	if (!buf)
		return check("malloc", false);
	fill(buf, 0, big_size, 5);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	check("big file written", fd >= 0 && pwrite_all(fd, buf, big_size, 0) && fsync(fd) == 0);
	close(fd);
	memset(buf, 0, big_size);
	fd = open(path, O_RDONLY);
	for (ssize_t n; ok && (n = read(fd, buf + done, ODD_READ)) > 0;)
		done += (size_t)n;
	check("read back in odd sizes", done == big_size && holds(buf, 0, big_size, 5));
	for (uint64_t off = 7; ok && off < big_size; off += 397 * 1021)
		ok = pread_is(fd, (off_t)off, big_size - off < 5000 ? big_size - off : 5000, 5);
	check("preads at odd offsets", ok);
	close(fd);
	free(buf);
}

/* O_DIRECT after buffered I/O on a cached page, and the reverse, on a file
 * never mapped (so every cached page is a clean one). */
static void direct(const char *path)
{
	unsigned char *buf;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	int dfd = open(path, O_RDWR | O_DIRECT);

	if (dfd < 0 || posix_memalign((void **)&buf, PAGE, 2 * PAGE))
		return check("open O_DIRECT", false);
	fill(buf, 0, 2 * PAGE, 6);
	pwrite_all(fd, buf, 2 * PAGE, 0);
	check("buffered read caches", pread_is(fd, 0, 2 * PAGE, 6));
	fill(buf, PAGE, 100, 7);
	check("buffered write of a cached page", pwrite_all(fd, buf, 100, PAGE));
	memset(buf, 0, 2 * PAGE);
	check("O_DIRECT read sees it", pread(dfd, buf, 2 * PAGE, 0) == 2 * PAGE &&
					       holds(buf, 0, PAGE, 6) &&
					       holds(buf + PAGE, PAGE, 100, 7));
	fill(buf, 0, PAGE, 8);
	check("O_DIRECT write", pwrite(dfd, buf, PAGE, 0) == PAGE);
	check("buffered read sees it", pread_is(fd, 0, PAGE, 8) && pread_is(fd, PAGE, 100, 7));
	/* A partial write reads its block first: after an O_DIRECT write of
	 * that block it must not find the bytes from before it. */
	fill(buf, PAGE + 50, 100, 9);
	pwrite_all(fd, buf, 100, PAGE + 50);
	fill(buf, PAGE, PAGE, 10);
	check("O_DIRECT write of a block read before", pwrite(dfd, buf, PAGE, PAGE) == PAGE);
	fill(buf, PAGE + 2000, 10, 11);
	pwrite_all(fd, buf, 10, PAGE + 2000);
	check("a partial write after it keeps its bytes",
	      pread(dfd, buf, PAGE, PAGE) == PAGE && holds(buf, PAGE, 2000, 10) &&
		      holds(buf + 2000, PAGE + 2000, 10, 11) &&
		      holds(buf + 2010, PAGE + 2010, PAGE - 2010, 10));
	close(dfd);
	close(fd);
	unlink(path);
	free(buf);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char path[512], bigpath[512], dpath[512];
	int fd;

	if (argc > 2)
		big_size = (size_t)strtoul(argv[2], NULL, 10) << 20 | BIG_TAIL;
	snprintf(path, sizeof(path), "%s/filecache.%d.small", dir, (int)getpid());
	snprintf(bigpath, sizeof(bigpath), "%s/filecache.%d.big", dir, (int)getpid());
	snprintf(dpath, sizeof(dpath), "%s/filecache.%d.direct", dir, (int)getpid());
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) < 0) {
		perror(path);
		return 1;
	}
	mapped(fd);
	truncated(fd);
	close(fd);
	if (argc > 1)
		direct(dpath);
	big(bigpath);
	unlink(path);
	unlink(bigpath);
	printf("%s\n", failures ? "FAILED" : "all ok");
	return failures != 0;
}
