/*
 * A hash-indexed directory under change (issue 9: directories of 100,000
 * entries), the guest side of tests/cli/volume_htree.sh:
 *
 *   ext4htree DIR N [BUF]
 *                     in DIR/h: create N files; list them with getdents64
 *                     (BUF bytes a call, default 4096; 32 holds one entry)
 *                     while creating more between calls (each first name
 *                     must come exactly once, also when a call ends
 *                     between names of one hash); seek back to a position
 *                     a listing gave (telldir/seekdir); stat each; rename
 *                     every third into DIR/h2; unlink every other one
 *                     left; list both; print the counts.
 *
 * Prints only counts and "ok"/"BAD", so the native run is the oracle.  Any
 * other argument is refused.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "guest.h"

#define LATE_PER_CALL 7 /* names created between two getdents64 calls */

static char path[4096], path2[4096];
static char buf[4096] __attribute__((aligned(8)));

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static const char *name_in(const char *dir, const char *sub, const char *prefix, unsigned i)
{
	snprintf(path, sizeof(path), "%s/%s/%s%07u", dir, sub, prefix, i);
	return path;
}

static int touch(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);

	return fd >= 0 && close(fd) == 0;
}

/* List DIR/h with getdents64 (@room bytes a call), creating names between
 * calls: each of the n first names once? */
static void list_while_inserting(const char *dir, unsigned n, size_t room)
{
	unsigned char *seen = calloc(n, 1);
	unsigned once = 0, twice = 0, late = 0, i;
	long got;
	int fd;

	snprintf(path2, sizeof(path2), "%s/h", dir);
	fd = open(path2, O_RDONLY | O_DIRECTORY);
	guest_check("open h", fd >= 0 && seen);
	while ((got = syscall(SYS_getdents64, fd, buf, room)) > 0) {
		for (long off = 0; off < got;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);

			if (!strncmp(e->d_name, "f", 1) && (i = (unsigned)atoi(e->d_name + 1)) < n)
				seen[i]++ ? twice++ : once++;
			off += e->d_reclen;
		}
		for (i = 0; i < LATE_PER_CALL && late < n / 4; i++)
			late += touch(name_in(dir, "h", "late", late));
	}
	guest_check("getdents64 ends cleanly", got == 0);
	close(fd);
	/* How many were made depends on how many calls the listing took: not printed. */
	printf("listed while inserting: %u once, %u twice\n", once, twice);
	guest_check("names created between the calls", late > 0);
	free(seen);
}

/* A position from a listing, sought back to, gives the same next entry. */
static void seek_back(const char *dir)
{
	char first[300] = "", again[300] = "";
	long got, pos = -1;
	struct dirent *e;
	DIR *d;
	int k;

	snprintf(path2, sizeof(path2), "%s/h", dir);
	d = opendir(path2);
	guest_check("opendir h", d != NULL);
	if (!d)
		return;
	for (k = 0; k < 500 && (e = readdir(d)); k++)
		if (k == 250)
			pos = telldir(d);
	for (k = 0; k < 10 && (e = readdir(d)); k++)
		; /* read on past the mark */
	seekdir(d, pos);
	if ((e = readdir(d)))
		snprintf(again, sizeof(again), "%s", e->d_name);
	rewinddir(d);
	for (k = 0; k <= 251 && (e = readdir(d)); k++)
		if (k == 251)
			snprintf(first, sizeof(first), "%s", e->d_name);
	closedir(d);
	got = strcmp(first, again) == 0 && first[0];
	guest_check("seekdir to a telldir position", got);
}

/* Count DIR/sub's names starting with @prefix. */
static unsigned count(const char *dir, const char *sub, const char *prefix)
{
	unsigned c = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path2, sizeof(path2), "%s/%s", dir, sub);
	if (!(d = opendir(path2)))
		return 0;
	while ((e = readdir(d)))
		c += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return c;
}

int main(int argc, char **argv)
{
	unsigned n, made = 0, statted = 0, moved = 0, gone = 0, again = 0, i;
	size_t room = argc == 4 ? strtoul(argv[3], NULL, 10) : sizeof(buf);
	struct stat st;

	if (argc < 3 || argc > 4 || !(n = (unsigned)strtoul(argv[2], NULL, 10)) || n < 600 ||
	    room < 32 || room > sizeof(buf)) {
		fprintf(stderr, "usage: ext4htree DIR N [BUF] (N >= 600, 32 <= BUF <= 4096)\n");
		return 2;
	}
	snprintf(path2, sizeof(path2), "%s/h", argv[1]);
	guest_check("mkdir h", mkdir(path2, 0755) == 0);
	snprintf(path2, sizeof(path2), "%s/h2", argv[1]);
	guest_check("mkdir h2", mkdir(path2, 0755) == 0);
	for (i = 0; i < n; i++)
		made += touch(name_in(argv[1], "h", "f", i));
	printf("created %u\n", made);
	list_while_inserting(argv[1], n, room);
	seek_back(argv[1]);
	for (i = 0; i < n; i++)
		statted += stat(name_in(argv[1], "h", "f", i), &st) == 0 && S_ISREG(st.st_mode);
	printf("stat %u\n", statted);
	for (i = 0; i < n; i += 3) {
		name_in(argv[1], "h", "f", i);
		memcpy(path2, path, sizeof(path));
		moved += rename(path2, name_in(argv[1], "h2", "m", i)) == 0;
	}
	printf("renamed across %u\n", moved);
	for (i = 1; i < n; i += 2)
		if (i % 3)
			gone += unlink(name_in(argv[1], "h", "f", i)) == 0;
	printf("unlinked %u\n", gone);
	printf("left in h %u, in h2 %u\n", count(argv[1], "h", "f"), count(argv[1], "h2", "m"));
	for (i = 0; i < n; i += 97)
		again += stat(name_in(argv[1], "h", "f", i), &st) == 0;
	printf("found again after the changes %u\n", again);
	return guest_finish();
}
