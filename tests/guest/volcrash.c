/*
 * The guest side of tests/cli/volume_crash.sh: a writer that the host kills
 * (SIGKILL of QEMU) mid-write, and the checker that reads back what it
 * acknowledged.
 *
 *   volcrash write DIR N   append records to DIR/log, fsync after each, and
 *                          every FILE_EVERY-th also make DIR/d/NUMBER (written
 *                          as a temporary name, fsync'ed, renamed, the
 *                          directory fsync'ed); print "ack I" (or "ackfile
 *                          I") once durable.  It starts after the records
 *                          already there and stops after N more.
 *   volcrash rename DIR I  make DIR/d/I as the writer does, say "ackfile I",
 *                          then wait to be killed (a rename made durable
 *                          by fsync of its directory alone).
 *   volcrash msync DIR     write MSYNC_PAGES pages of DIR/m through a
 *                          MAP_SHARED mapping, msync(MS_SYNC), say
 *                          "ackmsync", then wait to be killed.
 *   volcrash lazy DIR      write DIR/lazy (a new file, LAZY_SIZE bytes) with
 *                          no fsync, say "written", sleep LAZY_WAIT s
 *                          (ext4's 5 s commit interval and some), say
 *                          "waited", then wait to be killed.
 *   volcrash sync DIR      append SYNC_WRITES writes to DIR/dsync opened
 *                          O_DSYNC and to DIR/osync opened O_SYNC (each
 *                          write grows the file: its size must be
 *                          durable too), say "acksync", then wait to be
 *                          killed.
 *   volcrash check DIR     print "records R" (the log's whole, valid
 *                          records, 0..R-1), "file I ok" for each intact
 *                          file of d/, "msync ok" if DIR/m is whole,
 *                          "lazy ok" if DIR/lazy is, "dsync ok" and
 *                          "osync ok" if those are, and "BAD ..." for anything else
 *                          (a torn or wrong record, a bad file); status 1
 *                          if any.
 *
 * Records are RECORD_SIZE bytes, so they straddle block boundaries.  A
 * file that was never acknowledged may be missing, empty or short (its
 * creation may be committed before its data): check reports only files
 * whose bytes are all there and right, and the host asks only for the
 * acknowledged ones.  Any other argument is refused.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "guest.h"

#define RECORD_SIZE 96
#define FILE_EVERY  8
#define FILE_BASE   1000 /* a file's size: FILE_BASE + I % FILE_SPREAD bytes */
#define FILE_SPREAD 3000
#define MSYNC_PAGES 3
#define PAGE	    4096
#define LAZY_SIZE   10000
#define LAZY_WAIT   7
#define SYNC_WRITES 5
#define SYNC_CHUNK  3000 /* not a block: each write ends inside one */

static char path[3][4096];

static const char *at(int slot, const char *dir, const char *name)
{
	if ((size_t)snprintf(path[slot], sizeof(path[slot]), "%s/%s", dir, name) >=
	    sizeof(path[slot]))
		exit(2); /* a path too long: a wrong argument */
	return path[slot];
}

/* Record @i: "rec NNNNNNNN " then letters from @i, then a newline. */
static void record(unsigned i, char *r)
{
	int n = snprintf(r, RECORD_SIZE, "rec %08u ", i);

	for (int k = n; k < RECORD_SIZE - 1; k++)
		r[k] = (char)('a' + (i * 7 + (unsigned)k) % 26);
	r[RECORD_SIZE - 1] = '\n';
}

/* File @i's bytes, in @b (room for FILE_BASE + FILE_SPREAD); its size. */
static size_t file_bytes(unsigned i, char *b)
{
	size_t n = FILE_BASE + i % FILE_SPREAD;

	for (size_t k = 0; k < n; k++)
		b[k] = (char)('A' + (i + k * 3) % 26);
	return n;
}

static void say(const char *fmt, unsigned i)
{
	char line[64];
	int n = snprintf(line, sizeof(line), fmt, i);

	if (write(1, line, (size_t)n) != n) /* unbuffered: the host sees it now */
		exit(3);
}

/* A check that prints only when it fails (the writer makes thousands). */
static void need(const char *name, int cond)
{
	if (!cond) {
		printf("BAD %s: %s\n", name, guest_errname(errno));
		fflush(stdout);
		guest_bad++;
	}
}

/* The number of whole valid records at the log's start; BAD lines for a
 * wrong record or a torn tail. */
static unsigned check_log(const char *dir)
{
	char want[RECORD_SIZE], got[RECORD_SIZE];
	int fd = open(at(0, dir, "log"), O_RDONLY);
	unsigned i = 0;
	ssize_t n = 0;

	if (fd < 0)
		return 0;
	while ((n = read(fd, got, RECORD_SIZE)) == RECORD_SIZE) {
		record(i, want);
		if (memcmp(got, want, RECORD_SIZE)) {
			say("BAD record %u\n", i);
			guest_bad++;
			break;
		}
		i++;
	}
	if (n > 0 && n < RECORD_SIZE) {
		say("BAD torn record %u\n", i);
		guest_bad++;
	}
	close(fd);
	return i;
}

/* "file I ok" for each whole, right file of DIR/d. */
static void check_files(const char *dir)
{
	static char want[FILE_BASE + FILE_SPREAD], got[FILE_BASE + FILE_SPREAD + 1];
	DIR *d = opendir(at(0, dir, "d"));
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *end;
		unsigned long i = strtoul(e->d_name, &end, 10);
		if (*end || end == e->d_name)
			continue; /* ".", "..", a temporary name */
		int fd = open(at(1, at(0, dir, "d"), e->d_name), O_RDONLY);
		size_t n = file_bytes((unsigned)i, want);
		if (fd >= 0 && read(fd, got, sizeof(got)) == (ssize_t)n && !memcmp(got, want, n))
			say("file %u ok\n", (unsigned)i);
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
}

/* Byte @k of DIR/m. */
static char msync_byte(size_t k)
{
	return (char)('a' + (k * 5 + k / PAGE) % 26);
}

static void msync_write(const char *dir)
{
	size_t n = MSYNC_PAGES * PAGE;
	int fd = open(at(0, dir, "m"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *m;

	need("open m", fd >= 0 && ftruncate(fd, (off_t)n) == 0);
	m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	need("mmap m", m != MAP_FAILED);
	if (m == MAP_FAILED)
		return;
	for (size_t k = 0; k < n; k++)
		m[k] = msync_byte(k);
	need("msync", msync(m, n, MS_SYNC) == 0);
	say("ackmsync\n", 0);
	pause(); /* the host kills the instance here, the mapping still up */
}

static void msync_check(const char *dir)
{
	static char got[MSYNC_PAGES * PAGE + 1];
	int fd = open(at(0, dir, "m"), O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, got, sizeof(got)) : -1;
	size_t k = 0;

	while (n == MSYNC_PAGES * PAGE && k < (size_t)n && got[k] == msync_byte(k))
		k++;
	if (n == MSYNC_PAGES * PAGE && k == (size_t)n)
		say("msync ok\n", 0);
	if (fd >= 0)
		close(fd);
}

static void lazy_write(const char *dir)
{
	static char b[LAZY_SIZE];
	int fd = open(at(0, dir, "lazy"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	for (size_t k = 0; k < LAZY_SIZE; k++)
		b[k] = msync_byte(k + 1);
	need("write lazy", fd >= 0 && write(fd, b, LAZY_SIZE) == LAZY_SIZE);
	say("written\n", 0);
	sleep(LAZY_WAIT);
	say("waited\n", 0);
	pause(); /* the host kills the instance here, the file still open */
}

static void lazy_check(const char *dir)
{
	static char got[LAZY_SIZE + 1];
	int fd = open(at(0, dir, "lazy"), O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, got, sizeof(got)) : -1;
	size_t k = 0;

	while (n == LAZY_SIZE && k < LAZY_SIZE && got[k] == msync_byte(k + 1))
		k++;
	if (k == LAZY_SIZE)
		say("lazy ok\n", 0);
	if (fd >= 0)
		close(fd);
}

/* Write DIR/NAME (opened with `flags` added) in SYNC_WRITES appends, no
 * fsync: O_DSYNC and O_SYNC make each durable when it returns. */
static void sync_write(const char *dir, const char *name, int flags)
{
	static char b[SYNC_CHUNK];
	int fd = open(at(0, dir, name), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | flags, 0644);

	need("open sync", fd >= 0);
	for (int w = 0; w < SYNC_WRITES && fd >= 0; w++) {
		for (size_t k = 0; k < SYNC_CHUNK; k++)
			b[k] = msync_byte((size_t)w * SYNC_CHUNK + k + 2);
		need("write sync", write(fd, b, SYNC_CHUNK) == SYNC_CHUNK);
	}
}

static void sync_check(const char *dir, const char *name)
{
	static char got[SYNC_WRITES * SYNC_CHUNK + 1];
	int fd = open(at(0, dir, name), O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, got, sizeof(got)) : -1;
	size_t k = 0;

	while (n == SYNC_WRITES * SYNC_CHUNK && k < (size_t)n && got[k] == msync_byte(k + 2))
		k++;
	if (k == SYNC_WRITES * SYNC_CHUNK)
		say(!strcmp(name, "dsync") ? "dsync ok\n" : "osync ok\n", 0);
	if (fd >= 0)
		close(fd);
}

/* Make DIR/d/I durably: a temporary name, fsync, rename, fsync of d. */
static void make_file(const char *dir, unsigned i)
{
	static char b[FILE_BASE + FILE_SPREAD];
	char name[32];
	size_t n = file_bytes(i, b);
	int fd, dfd;

	snprintf(name, sizeof(name), "%u.tmp", i);
	fd = open(at(1, at(0, dir, "d"), name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	need("file write", fd >= 0 && write(fd, b, n) == (ssize_t)n && !fsync(fd));
	close(fd);
	snprintf(name, sizeof(name), "%u", i);
	need("rename", rename(path[1], at(2, path[0], name)) == 0);
	dfd = open(path[0], O_RDONLY | O_DIRECTORY);
	need("fsync d", dfd >= 0 && !fsync(dfd));
	close(dfd);
}

static void writer(const char *dir, unsigned count)
{
	char r[RECORD_SIZE];
	unsigned start = check_log(dir);
	int fd;

	mkdir(at(0, dir, "d"), 0755);
	fd = open(at(0, dir, "log"), O_WRONLY | O_CREAT, 0644);
	need("open log", fd >= 0 && lseek(fd, (off_t)start * RECORD_SIZE, SEEK_SET) >= 0);
	say("start %u\n", start);
	for (unsigned i = start; i < start + count && !guest_bad; i++) {
		record(i, r);
		need("append", write(fd, r, RECORD_SIZE) == RECORD_SIZE && !fsync(fd));
		say("ack %u\n", i);
		if (i % FILE_EVERY == 0) {
			make_file(dir, i);
			say("ackfile %u\n", i);
		}
	}
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "write")) {
		writer(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	} else if (argc == 4 && !strcmp(argv[1], "rename")) {
		mkdir(at(0, argv[2], "d"), 0755);
		make_file(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
		say("ackfile %u\n", (unsigned)strtoul(argv[3], NULL, 10));
		pause(); /* the host kills the instance here */
	} else if (argc == 3 && !strcmp(argv[1], "msync")) {
		msync_write(argv[2]);
	} else if (argc == 3 && !strcmp(argv[1], "lazy")) {
		lazy_write(argv[2]);
	} else if (argc == 3 && !strcmp(argv[1], "sync")) {
		sync_write(argv[2], "dsync", O_DSYNC);
		sync_write(argv[2], "osync", O_SYNC);
		say("acksync\n", 0);
		pause(); /* the host kills the instance here, the files still open */
	} else if (argc == 3 && !strcmp(argv[1], "check")) {
		say("records %u\n", check_log(argv[2]));
		check_files(argv[2]);
		msync_check(argv[2]);
		lazy_check(argv[2]);
		sync_check(argv[2], "dsync");
		sync_check(argv[2], "osync");
	} else {
		fprintf(stderr, "usage: volcrash write DIR N | rename DIR I | msync DIR | lazy DIR "
				"| sync DIR | check DIR\n");
		return 2;
	}
	return guest_bad ? 1 : 0;
}
