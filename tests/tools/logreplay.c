/*
 * logreplay: replay a QEMU blklogwrites log (the guest's writes and flushes
 * to one volume, recorded by `MONOS_BLKLOG=LOG monos run -v IMG:...`) onto
 * a copy of the volume's starting image, for tests/cli/volume_blklog.sh.
 *
 *   logreplay LOG --entries           the log's entry count (the super's)
 *   logreplay LOG --list-flushes      each flush point K, one a line: the
 *                                     entries 0..K-1 end with a flush
 *   logreplay LOG IMG --upto K        write entries 0..K-1 onto IMG
 *
 * The format is dm-log-writes' (Linux's Documentation/admin-guide/
 * device-mapper/log-writes.rst; QEMU's block/blklogwrites.c writes it), all
 * little endian: sector 0 holds the super {magic, version, nr_entries,
 * sectorsize}; from sector 1 each entry is one sector {sector, nr_sectors,
 * flags, data_len} followed by its nr_sectors sectors of data (none for a
 * discard; a mark's data_len bytes of text instead).  Sectors are the
 * super's sectorsize.  QEMU rewrites the super at each flush, so entries
 * past nr_entries (writes after the last flush) are not read.
 *
 * Nothing in the log is trusted: every size is checked against the log's
 * and the image's length before use; a bad log is one line on stderr and
 * status 1 (2 for a wrong command line).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MAGIC	     0x6a736677736872ull /* "rhswfsj": dm-log-writes' */
#define LOG_VERSION	     1
#define LOG_FLUSH	     1u
#define LOG_FUA		     2u
#define LOG_DISCARD	     4u
#define LOG_MARK	     8u
#define LOG_FLAGS	     (LOG_FLUSH | LOG_FUA | LOG_DISCARD | LOG_MARK)
#define LOG_SUPER_SIZE	     28		/* u64 magic, version, nr_entries; u32 sectorsize */
#define LOG_ENTRY_SIZE	     32		/* u64 sector, nr_sectors, flags, data_len */
#define LOG_SECTOR_MAX	     (1u << 23) /* QEMU: a power of 2 below 1 << 24 */
#define LOGREPLAY_ZERO_CHUNK 65536

struct logreplay_entry {
	uint64_t sector, nr_sectors, flags;
	const unsigned char *data; /* nr_sectors sectors; NULL for a discard or mark */
};

struct logreplay {
	const unsigned char *log;
	size_t len;
	uint64_t nr_entries, ss; /* ss: the sector size */
	size_t pos;		 /* the next entry's offset */
};

static uint64_t logreplay_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Check the super of `log` (`len` bytes): 0 with `r` ready, or -1 with `why`. */
static int logreplay_open(struct logreplay *r, const unsigned char *log, size_t len,
			  const char **why)
{
	*r = (struct logreplay){ .log = log, .len = len };
	if (len < LOG_SUPER_SIZE)
		return *why = "shorter than its super block", -1;
	if (logreplay_le(log, 8) != LOG_MAGIC)
		return *why = "not a blklogwrites log (bad magic)", -1;
	if (logreplay_le(log + 8, 8) != LOG_VERSION)
		return *why = "unknown log version", -1;
	r->nr_entries = logreplay_le(log + 16, 8);
	r->ss = logreplay_le(log + 24, 4);
	if (r->ss < LOG_ENTRY_SIZE || r->ss > LOG_SECTOR_MAX || (r->ss & (r->ss - 1)))
		return *why = "bad sector size", -1;
	r->pos = r->ss;
	return 0;
}

/* The next entry into `e`: 0, or -1 with `why` (the log ends or lies). */
static int logreplay_next(struct logreplay *r, struct logreplay_entry *e, const char **why)
{
	const unsigned char *h = r->log + r->pos;
	uint64_t room, data_len, skip;

	if (r->pos > r->len || r->len - r->pos < r->ss)
		return *why = "an entry past the log's end", -1;
	e->sector = logreplay_le(h, 8);
	e->nr_sectors = logreplay_le(h + 8, 8);
	e->flags = logreplay_le(h + 16, 8);
	data_len = logreplay_le(h + 24, 8);
	e->data = NULL;
	if (e->flags & ~(uint64_t)LOG_FLAGS)
		return *why = "an entry with unknown flags", -1;
	room = (r->len - r->pos) / r->ss - 1; /* whole sectors after the header */
	if (e->flags & LOG_DISCARD)
		skip = 0;
	else if (e->flags & LOG_MARK) /* dm: the mark's text, data_len bytes */
		skip = data_len / r->ss + (data_len % r->ss != 0);
	else
		skip = e->nr_sectors;
	if (skip > room)
		return *why = "an entry's data past the log's end", -1;
	if (!(e->flags & (LOG_DISCARD | LOG_MARK)))
		e->data = h + r->ss;
	r->pos += (size_t)(skip + 1) * r->ss;
	return 0;
}

/* Zero `n` bytes of `fd` at `off` (a discard: its contents are undefined). */
static int logreplay_zero(int fd, uint64_t off, uint64_t n)
{
	static const unsigned char zero[LOGREPLAY_ZERO_CHUNK];

	while (n) {
		size_t k = n < sizeof(zero) ? (size_t)n : sizeof(zero);
		if (pwrite(fd, zero, k, (off_t)off) != (ssize_t)k)
			return -1;
		off += k, n -= k;
	}
	return 0;
}

/* Apply `e` to the image `fd` of `size` bytes: 0, or -1 with `why`. */
static int logreplay_apply(const struct logreplay *r, const struct logreplay_entry *e, int fd,
			   uint64_t size, const char **why)
{
	uint64_t sectors = size / r->ss, off, n;

	if (e->flags & LOG_MARK || !e->nr_sectors)
		return 0;
	if (e->sector > sectors || e->nr_sectors > sectors - e->sector)
		return *why = "an entry past the image's end", -1;
	off = e->sector * r->ss;
	n = e->nr_sectors * r->ss;
	if (!e->data)
		return logreplay_zero(fd, off, n) ? (*why = strerror(errno), -1) : 0;
	if (pwrite(fd, e->data, (size_t)n, (off_t)off) != (ssize_t)n)
		return *why = "a short write to the image", -1;
	return 0;
}

/*
 * Walk the first `upto` entries (at most the super's count): print each
 * flush point if `list`, write each entry to `fd` if >= 0.  0 or -1.
 */
static int logreplay_walk(struct logreplay *r, uint64_t upto, bool list, int fd, uint64_t size,
			  const char **why)
{
	struct logreplay_entry e;

	if (upto > r->nr_entries)
		return *why = "--upto past the log's entries", -1;
	for (uint64_t i = 0; i < upto; i++) {
		if (logreplay_next(r, &e, why))
			return -1;
		if (list && e.flags & LOG_FLUSH)
			printf("%" PRIu64 "\n", i + 1);
		if (fd >= 0 && logreplay_apply(r, &e, fd, size, why))
			return -1;
	}
	return 0;
}

#ifndef LOGREPLAY_NO_MAIN
static int usage(void)
{
	fputs("usage: logreplay LOG --entries | LOG --list-flushes | LOG IMG --upto K\n", stderr);
	return 2;
}

/* Map file `path` read-only into *p, *len; 0 or -1. */
static int map(const char *path, const unsigned char **p, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*len = (size_t)st.st_size;
	*p = *len ? mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0) : (const void *)"";
	close(fd);
	return *p == MAP_FAILED ? -1 : 0;
}

int main(int argc, char **argv)
{
	const unsigned char *log;
	const char *why = NULL;
	struct logreplay r;
	struct stat st;
	size_t len;
	char *end;
	int fd = -1, ret;

	if (argc != 3 && argc != 5)
		return usage();
	if (map(argv[1], &log, &len))
		return fprintf(stderr, "logreplay: %s: %s\n", argv[1], strerror(errno)), 1;
	if (logreplay_open(&r, log, len, &why))
		return fprintf(stderr, "logreplay: %s: %s\n", argv[1], why), 1;
	if (argc == 3 && !strcmp(argv[2], "--entries"))
		return printf("%" PRIu64 "\n", r.nr_entries), 0;
	if (argc == 3 && !strcmp(argv[2], "--list-flushes"))
		ret = logreplay_walk(&r, r.nr_entries, true, -1, 0, &why);
	else if (argc == 5 && !strcmp(argv[3], "--upto")) {
		errno = 0;
		unsigned long long upto = strtoull(argv[4], &end, 10);
		if (errno || *end || end == argv[4] || argv[4][0] == '-')
			return usage();
		fd = open(argv[2], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return fprintf(stderr, "logreplay: %s: %s\n", argv[2], strerror(errno)), 1;
		ret = logreplay_walk(&r, upto, false, fd, (uint64_t)st.st_size, &why);
		if (!ret && fsync(fd))
			ret = -1, why = strerror(errno);
		close(fd);
	} else
		return usage();
	if (ret)
		fprintf(stderr, "logreplay: %s: %s\n", argv[1], why);
	return ret ? 1 : 0;
}
#endif
