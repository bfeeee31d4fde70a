/*
 * Guest helper for the disk tests (tests/cli/disk*.sh), not a compared test
 * (a host has no /dev/vda to compare with: the host checks the disk file's
 * bytes instead).  DEV is a block device such as /dev/vda.
 *   blkio info DEV           stat, lseek SEEK_END, the BLK* ioctls and
 *                            /sys/block/NAME/{size,ro}
 *   blkio write DEV SEED [hold]
 *                            write the pattern of SEED at odd offsets and
 *                            lengths (RANGES), read each back, fsync, print
 *                            "synced"; with hold, then sleep until killed
 *   blkio check DEV SEED     read RANGES back and compare with SEED's pattern
 *   blkio ro DEV             what a write to a read-only disk gets
 *   blkio threads DEV        two threads write and read back their own
 *                            halves at once, 64 rounds
 *   blkio big DEV BYTES      one read of BYTES from 0, checked against the
 *                            host's pattern (byte i is i * 7 % 251)
 *   blkio signals DEV        reads of the host's pattern under a stream of
 *                            signals: none is cut short
 *   blkio end DEV            the last sector, and reads and writes at and
 *                            across the end
 *   blkio direct DEV         O_DIRECT: aligned works, unaligned is EINVAL
 *   blkio errors DEV         a read, a write and an fsync: their results
 *   blkio fault DEV          reads into read-only memory and NULL
 *   blkio sendfile DEV       sendfile into the disk and out of it
 *   blkio dsync DEV [rwf]    a write and a pwritev2, then (with rwf, a
 *                            pwritev2 with RWF_DSYNC,) a write with
 *                            O_DSYNC, one with O_SYNC
 *   blkio bench DEV MIB      sequential write then read of MIB MiB in 1 MiB
 *                            calls with O_DIRECT (no page cache on either
 *                            side), fsync after the writes; prints MB/s
 * The pattern of SEED: byte at offset o is (o * 131 + SEED * 17 + (o >> 12)) % 256.
 * Exit status 0 when every check passed, 1 otherwise.
 */
#include "guest.h"
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#define MIB (1 << 20)
/* include/uapi/linux/fs.h (musl-gcc has no kernel headers) */
#define BLKROGET     _IO(0x12, 94)
#define BLKGETSIZE   _IO(0x12, 96)
#define BLKFLSBUF    _IO(0x12, 97)
#define BLKSSZGET    _IO(0x12, 104)
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#ifndef RWF_DSYNC
#define RWF_DSYNC 0x2 /* include/uapi/linux/fs.h */
#endif

/* Offsets and lengths that cross sectors and 4 KiB pages on both sides,
 * and whole sectors (which go straight to the program's pages); the last
 * one is from the end of the disk. */
static const struct {
	long long off;
	long len;
} ranges[] = {
	{ 1, 1 },	 { 511, 2 },	   { 1000, 3000 },
	{ 4095, 4098 },	 { 65541, 70001 }, { 300000, 1 << 20 },
	{ 8192, 16384 }, { 2 << 20, 512 }, { -3, 3 },
};
#define NRANGES (sizeof(ranges) / sizeof(ranges[0]))

static unsigned char pat(long long o, int seed)
{
	return (unsigned char)((o * 131 + seed * 17 + (o >> 12)) % 256);
}

static void fill(unsigned char *b, long long off, long len, int seed)
{
	for (long i = 0; i < len; i++)
		b[i] = pat(off + i, seed);
}

static int bad(const char *what)
{
	printf("BAD %s: %s\n", what, guest_errname(errno));
	guest_bad++;
	return 1;
}

/* One call's result: the count, or -1 and the errno's name. */
static void report(const char *what, ssize_t r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, guest_errname(errno));
	else
		printf("%s: %zd\n", what, r);
}

static long long disk_size(int fd)
{
	unsigned long long size = 0;

	if (ioctl(fd, BLKGETSIZE64, &size))
		bad("BLKGETSIZE64");
	return (long long)size;
}

static int info(int fd)
{
	struct stat st;
	unsigned long sectors = 0;
	int ssz = 0, ro = -1;

	if (fstat(fd, &st))
		return bad("fstat");
	printf("block device %d, st_size %lld, rdev %u:%u\n", S_ISBLK(st.st_mode),
	       (long long)st.st_size, major(st.st_rdev), minor(st.st_rdev));
	printf("SEEK_END %lld, BLKGETSIZE64 %lld\n", (long long)lseek(fd, 0, SEEK_END),
	       disk_size(fd));
	if (ioctl(fd, BLKGETSIZE, &sectors) || ioctl(fd, BLKSSZGET, &ssz) ||
	    ioctl(fd, BLKROGET, &ro) || ioctl(fd, BLKFLSBUF, 0))
		return bad("ioctl");
	printf("BLKGETSIZE %lu, BLKSSZGET %d, BLKROGET %d\n", sectors, ssz, ro);
	printf("fsync %d, fdatasync %d\n", fsync(fd), fdatasync(fd));
	return 0;
}

/* /sys/block/NAME/size and ro, NAME being DEV's last component. */
static void sys_block(const char *dev)
{
	const char *name = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
	char path[128], size[32] = "", ro[8] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/size", name);
	if ((f = fopen(path, "r")))
		fscanf(f, "%31s", size), fclose(f);
	snprintf(path, sizeof(path), "/sys/block/%s/ro", name);
	if ((f = fopen(path, "r")))
		fscanf(f, "%7s", ro), fclose(f);
	printf("sysfs: size %s, ro %s\n", size, ro);
}

/* Write (or only check) RANGES with SEED's pattern. */
static int ranges_io(int fd, int seed, int write_too)
{
	long long size = disk_size(fd);
	unsigned char *want = malloc(2 * MIB), *got = want + MIB;

	for (unsigned i = 0; i < NRANGES && want; i++) {
		long long off = ranges[i].off < 0 ? size + ranges[i].off : ranges[i].off;
		long len = ranges[i].len;
		char what[64];

		snprintf(what, sizeof(what), "range %u at %lld", i, off);
		fill(want, off, len, seed);
		if (write_too && pwrite(fd, want, len, off) != len)
			return bad(what);
		memset(got, 0, len);
		if (pread(fd, got, len, off) != len || memcmp(got, want, len))
			return bad(what);
	}
	free(want);
	return 0;
}

static int do_write(int fd, int seed, int hold)
{
	if (ranges_io(fd, seed, 1))
		return 1;
	if (fsync(fd))
		return bad("fsync");
	printf("synced\n");
	fflush(stdout);
	while (hold)
		pause();
	return 0;
}

static int do_ro(const char *dev)
{
	int fd = open(dev, O_RDWR);
	char c = 0;

	if (fd < 0)
		return bad("open O_RDWR");
	report("write", write(fd, &c, 1));
	report("pwrite at 4096", pwrite(fd, &c, 1, 4096));
	report("read", read(fd, &c, 1));
	close(fd);
	return 0;
}

struct half {
	int fd, seed;
	long long base;
	int bad;
};

/* 64 rounds of: write 128 KiB + 5 at an odd offset of this half, read back. */
static void *half_main(void *arg)
{
	struct half *h = arg;
	long len = 128 * 1024 + 5;
	unsigned char *w = malloc(len), *r = malloc(len);

	for (int round = 0; round < 64 && w && r && !h->bad; round++) {
		long long off = h->base + round * 3001 + 7;
		fill(w, off, len, h->seed + round);
		if (pwrite(h->fd, w, len, off) != len || pread(h->fd, r, len, off) != len ||
		    memcmp(w, r, len))
			h->bad = 1;
	}
	free(w);
	free(r);
	return NULL;
}

static int do_threads(int fd)
{
	struct half a = { fd, 1, 0, 0 }, b = { fd, 2, 4 * MIB, 0 };
	pthread_t t;

	if (pthread_create(&t, NULL, half_main, &b))
		return bad("pthread_create");
	half_main(&a);
	pthread_join(t, NULL);
	printf("threads: %s\n", a.bad || b.bad ? "BAD" : "ok");
	return a.bad || b.bad;
}

static int do_big(int fd, long bytes)
{
	unsigned char *b = malloc(bytes);
	long got = b ? pread(fd, b, bytes, 0) : -1;

	if (got != bytes)
		return bad("big read");
	for (long i = 0; i < bytes; i++)
		if (b[i] != i * 7 % 251) {
			printf("BAD byte %ld\n", i);
			return ++guest_bad;
		}
	printf("big read of %ld bytes: ok\n", bytes);
	free(b);
	return 0;
}

static volatile int alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Reads of the host's pattern while SIGALRM arrives every 100 us with a
 * handler and no SA_RESTART: a disk wait is not interrupted (Linux's
 * uninterruptible I/O), so every read is whole and right. */
static int do_signals(int fd)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 100 }, { 0, 100 } };
	long len = MIB + 1000;
	unsigned char *b = malloc(len);
	int bad_reads = 0;

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 32 && b; i++) {
		long off = i % 2 ? 512 * i : 333 * i; /* whole sectors, then not */
		long n = i % 2 ? MIB : len;
		if (pread(fd, b, n, off) != n)
			bad_reads++;
		for (long j = 0; j < n && !bad_reads; j++)
			bad_reads += b[j] != (off + j) * 7 % 251;
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	printf("reads under signals: %s, signals %s\n", bad_reads ? "BAD" : "ok",
	       alarms ? "arrived" : "none");
	return bad_reads;
}

static int do_end(int fd)
{
	long long size = disk_size(fd);
	char buf[1024];

	printf("size %lld\n", size);
	report("pread of the last 512", pread(fd, buf, 512, size - 512));
	printf("last sector says: %.16s\n", buf + 512 - 16);
	report("pread across the end", pread(fd, buf, 1024, size - 512));
	report("pread at the end", pread(fd, buf, 1, size));
	report("pwrite at the end", pwrite(fd, buf, 1, size));
	report("pwrite across the end", pwrite(fd, buf, 1024, size - 512));
	return 0;
}

static int do_direct(const char *dev)
{
	int fd = open(dev, O_RDWR | O_DIRECT);
	void *buf;

	if (fd < 0 || posix_memalign(&buf, 4096, 8192))
		return bad("open O_DIRECT");
	report("aligned", pread(fd, buf, 4096, 8192));
	report("aligned write", pwrite(fd, buf, 4096, 8192));
	report("aligned write of 8 KiB", pwrite(fd, buf, 8192, 0));
	report("odd offset", pread(fd, buf, 4096, 8193));
	report("odd length", pread(fd, buf, 100, 0));
	report("odd buffer", pread(fd, (char *)buf + 1, 512, 0));
	close(fd);
	return 0;
}

/* Reads into memory the program may not write: whole sectors (the
 * zero-copy path) and a partial one (the bounce buffer) alike. */
static int do_fault(int fd)
{
	char *ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *volatile null = NULL; /* hidden from the compiler's nonnull check */

	report("read of 4096 into PROT_READ", pread(fd, ro, 4096, 0));
	report("read of 100 into PROT_READ", pread(fd, ro, 100, 0));
	report("read of 4096 into NULL", pread(fd, null, 4096, 0));
	report("write of 4096 from NULL", pwrite(fd, null, 4096, 0));
	report("write of 4096 from PROT_READ", pwrite(fd, ro, 4096, 0));
	return 0;
}

/* sendfile into the disk from a file in /tmp, and out of it into another:
 * the block device's kernel-buffer forms.  Partial sectors both ways. */
static int do_sendfile(int fd)
{
	long len = 10000;
	off_t off = 777;
	unsigned char *want = malloc(len), *got = malloc(len);
	int src = open("/tmp/blkio.src", O_RDWR | O_CREAT | O_TRUNC, 0600),
	    dst = open("/tmp/blkio.dst", O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (!want || !got || src < 0 || dst < 0)
		return bad("setup");
	fill(want, off, len, 6);
	if (write(src, want, len) != len || lseek(src, 0, SEEK_SET) ||
	    lseek(fd, off, SEEK_SET) != off)
		return bad("setup");
	report("sendfile to the disk", sendfile(fd, src, NULL, len));
	printf("the disk holds it: %s\n",
	       pread(fd, got, len, off) == len && !memcmp(got, want, len) ? "ok" : "BAD");
	report("sendfile from the disk", sendfile(dst, fd, &off, len));
	printf("the file holds it: %s, offset now %lld\n",
	       pread(dst, got, len, 0) == len && !memcmp(got, want, len) ? "ok" : "BAD",
	       (long long)off);
	unlink("/tmp/blkio.src");
	unlink("/tmp/blkio.dst");
	return 0;
}

/* Writes with and without O_DSYNC, on a device whose flushes fail: only
 * the O_DSYNC one flushes, so only it fails. */
static int do_dsync(const char *dev, int rwf_first)
{
	char buf[512] = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	int plain = open(dev, O_RDWR), dsync = open(dev, O_RDWR | O_DSYNC),
	    sync = open(dev, O_RDWR | O_SYNC);

	/* The plain ones first: after a failed flush, QEMU fails writes too,
	 * so only the first syncing write of a run tells anything. */
	report("write", pwrite(plain, buf, sizeof(buf), 0));
	report("pwritev2 without", syscall(SYS_pwritev2, plain, &iov, 1, 0L, 0L, 0));
	if (rwf_first)
		report("pwritev2 with RWF_DSYNC",
		       syscall(SYS_pwritev2, plain, &iov, 1, 0L, 0L, RWF_DSYNC));
	report("write with O_DSYNC", pwrite(dsync, buf, sizeof(buf), 0));
	report("write with O_SYNC", pwrite(sync, buf, sizeof(buf), 0));
	return 0;
}

/* What a device that fails every request makes of a read, a write and a
 * flush. */
static int do_errors(int fd)
{
	char buf[4096] = { 0 };

	report("pread", pread(fd, buf, sizeof(buf), 0));
	report("pwrite", pwrite(fd, buf, sizeof(buf), 0));
	report("fsync", fsync(fd));
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sequential MIB MiB written then read, 1 MiB a call: MB/s (10^6) of each. */
static int do_bench(int fd, long mib)
{
	unsigned char *b;
	double t0, t1, t2;

	if (posix_memalign((void **)&b, 4096, MIB)) /* O_DIRECT's alignment */
		return bad("posix_memalign");
	fill(b, 0, MIB, 3);
	t0 = now();
	for (long i = 0; i < mib; i++)
		if (pwrite(fd, b, MIB, i * (long long)MIB) != MIB)
			return bad("bench write");
	if (fsync(fd))
		return bad("bench fsync");
	t1 = now();
	for (long i = 0; i < mib; i++)
		if (pread(fd, b, MIB, i * (long long)MIB) != MIB)
			return bad("bench read");
	t2 = now();
	printf("write %.1f MB/s, read %.1f MB/s\n", mib * MIB / 1e6 / (t1 - t0),
	       mib * MIB / 1e6 / (t2 - t1));
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 2 ? argv[1] : "", *dev = argc > 2 ? argv[2] : "";
	int fd = -1;

	if (strcmp(cmd, "ro") && strcmp(cmd, "direct") && strcmp(cmd, "dsync") &&
	    (fd = open(dev, O_RDWR | (!strcmp(cmd, "bench") ? O_DIRECT : 0))) < 0)
		return bad("open");
	if (!strcmp(cmd, "info"))
		info(fd), sys_block(dev);
	else if (!strcmp(cmd, "write") && argc > 3)
		do_write(fd, atoi(argv[3]), argc > 4);
	else if (!strcmp(cmd, "check") && argc > 3)
		printf("check: %s\n", ranges_io(fd, atoi(argv[3]), 0) ? "BAD" : "ok");
	else if (!strcmp(cmd, "ro"))
		do_ro(dev);
	else if (!strcmp(cmd, "threads"))
		do_threads(fd);
	else if (!strcmp(cmd, "big") && argc > 3)
		do_big(fd, atol(argv[3]));
	else if (!strcmp(cmd, "end"))
		do_end(fd);
	else if (!strcmp(cmd, "signals"))
		do_signals(fd);
	else if (!strcmp(cmd, "fault"))
		do_fault(fd);
	else if (!strcmp(cmd, "sendfile"))
		do_sendfile(fd);
	else if (!strcmp(cmd, "dsync"))
		do_dsync(dev, argc > 3 && !strcmp(argv[3], "rwf"));
	else if (!strcmp(cmd, "errors"))
		do_errors(fd);
	else if (!strcmp(cmd, "direct"))
		do_direct(dev);
	else if (!strcmp(cmd, "bench") && argc > 3)
		do_bench(fd, atol(argv[3]));
	else
		return fprintf(stderr, "blkio: bad arguments\n"), 2;
	return guest_bad != 0;
}
