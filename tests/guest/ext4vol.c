/*
 * Guest helper for the volume tests (tests/cli/volume.sh), not a compared
 * test by itself: volume.sh runs it natively on a host directory and in
 * monos on an ext4 volume and compares the two outputs.
 *   ext4vol write DIR   make files and directories in DIR: rename, link,
 *                       unlink, symlink, rmdir, a sparse file, ftruncate,
 *                       fallocate, O_APPEND, a MAP_SHARED write, chmod,
 *                       chown, utimensat, fsync, sync, syncfs
 *   ext4vol check DIR   read them back (a later run: what reached the disk)
 *   ext4vol ro DIR      DIR is mounted read-only: changes get EROFS, reads work
 *   ext4vol hold DIR    open DIR/x, print "holding", sleep until killed
 *   ext4vol statfs DIR  statfs's type, block size and size in blocks
 *   ext4vol mount DEV DIR
 *                       mount(2) ext4 DEV at DIR, write and look up files,
 *                       umount2, mount it read-only, read them back, umount
 * Exit status 0 when every check passed, 1 otherwise.
 */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#define BIG_SIZE       (300 * 1024 + 123) /* more than one 64 KiB staging chunk */
#define SPARSE_AT      (5 * 1024 * 1024)
#define MAP_SIZE       8192
#define FALLOC_SIZE    (1024 * 1024)
#define KEEP_SIZE_LEN  (1024 * 1024)
#define TMPFS_MAGIC    0x01021994 /* linux/magic.h */
#define DIRECT_ALIGN   4096	  /* the largest logical block size O_DIRECT may ask */
#define KEEP_SIZE_TAIL (300 * 1024)
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 1 /* linux/falloc.h */
#endif

static void write_keep_size(const char *dir);
static void write_direct(const char *dir);

/* DIR/NAME, in one of two static buffers taken in turn (a call may need
 * two paths). */
static const char *at(const char *dir, const char *name)
{
	static char bufs[2][4096];
	static int next;
	char *b = bufs[next ^= 1];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static void put_file(const char *path, const void *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	guest_check("create", fd >= 0);
	guest_check("write", write(fd, buf, n) == (ssize_t)n);
	guest_check("fsync", fsync(fd) == 0);
	close(fd);
}

static void pattern(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131 + seed * 17 + (i >> 12)) % 251);
}

/* Print a file's size and the fingerprint of its bytes. */
static void show_file(const char *dir, const char *name)
{
	static unsigned char buf[BIG_SIZE];
	int fd = open(at(dir, name), O_RDONLY);
	uint64_t h = GUEST_FNV_INIT;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st)) {
		printf("%s: %s\n", name, guest_errname(errno));
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		h = guest_fnv(h, buf, n);
	printf("%s: size %lld links %lu fnv %016llx\n", name, (long long)st.st_size,
	       (unsigned long)st.st_nlink, (unsigned long long)h);
	close(fd);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* List DIR (shown as `label`: the top differs between runs). */
static void list_dir(const char *dir, const char *label)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, by_name);

	printf("list %s:", label);
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, ".."))
			printf(" %s/%d", list[i]->d_name, list[i]->d_type);
		free(list[i]);
	}
	printf("\n");
	if (n >= 0)
		free(list);
}

static void write_names(const char *dir)
{
	struct stat a, b;

	guest_check("mkdir d", mkdir(at(dir, "d"), 0755) == 0);
	guest_check("mkdir d/sub", mkdir(at(dir, "d/sub"), 0700) == 0);
	guest_check("mkdir gone", mkdir(at(dir, "gone"), 0755) == 0);
	put_file(at(dir, "a"), "hello ext4\n", 11);
	put_file(at(dir, "x"), "debugfs sees this\n", 18);
	put_file(at(dir, "old"), "replaced\n", 9);
	guest_check("rename a d/b", rename(at(dir, "a"), at(dir, "d/b")) == 0);
	guest_check("link d/b c", link(at(dir, "d/b"), at(dir, "c")) == 0);
	guest_check("stat c", stat(at(dir, "c"), &a) == 0);
	guest_check("stat d/b", stat(at(dir, "d/b"), &b) == 0);
	guest_check("one inode, two links", a.st_ino == b.st_ino && b.st_nlink == 2);
	guest_check("link e", link(at(dir, "d/b"), at(dir, "e")) == 0);
	guest_check("unlink c", unlink(at(dir, "c")) == 0);
	guest_check("rename over old", rename(at(dir, "e"), at(dir, "old")) == 0);
	guest_check("rmdir gone", rmdir(at(dir, "gone")) == 0);
	guest_check("symlink s", symlink("d/b", at(dir, "s")) == 0);
	guest_check_err("rmdir d (not empty)", rmdir(at(dir, "d")), ENOTEMPTY);
	guest_check_err("mkdir d again", mkdir(at(dir, "d"), 0755), EEXIST);
	guest_check_err("unlink missing", unlink(at(dir, "missing")), ENOENT);
}

static void write_data(const char *dir)
{
	static unsigned char big[BIG_SIZE];
	int fd;

	pattern(big, sizeof(big), 1);
	put_file(at(dir, "big"), big, sizeof(big));
	/* Sparse: one write far out. */
	fd = open(at(dir, "sparse"), O_RDWR | O_CREAT, 0600);
	guest_check("pwrite far", pwrite(fd, "end", 3, SPARSE_AT) == 3);
	guest_check("fsync sparse", fsync(fd) == 0);
	close(fd);
	/* ftruncate down then up: the cut tail reads as zeros. */
	fd = open(at(dir, "t"), O_RDWR | O_CREAT, 0600);
	guest_check("write t", write(fd, big, 10000) == 10000);
	guest_check("ftruncate 3000", ftruncate(fd, 3000) == 0);
	guest_check("ftruncate 5000", ftruncate(fd, 5000) == 0);
	close(fd);
	fd = open(at(dir, "f"), O_RDWR | O_CREAT, 0600);
	guest_check("fallocate", fallocate(fd, 0, 0, FALLOC_SIZE) == 0);
	guest_check("fallocate keep size", fallocate(fd, 1, 4096, 8192) == 0);
	close(fd);
	write_keep_size(dir);
	write_direct(dir);
	fd = open(at(dir, "log"), O_WRONLY | O_CREAT | O_APPEND, 0600);
	guest_check("append 1", write(fd, "one\n", 4) == 4);
	guest_check("append 2", pwrite(fd, "two\n", 4, 0) == 4); /* O_APPEND wins */
	close(fd);
}

/* FALLOC_FL_KEEP_SIZE past the end (ext4: unwritten extents): the size
 * stays, the blocks are counted, they read as zeros once a write past
 * them moves the end, and the write lands. */
static void write_keep_size(const char *dir)
{
	static unsigned char back[KEEP_SIZE_LEN];
	int fd = open(at(dir, "k"), O_RDWR | O_CREAT, 0600);
	struct stat st;
	size_t z = 0;

	guest_check("write k", write(fd, "head", 4) == 4);
	guest_check("fallocate keep size past the end",
		    fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, KEEP_SIZE_LEN) == 0);
	guest_check("size kept, blocks counted",
		    fstat(fd, &st) == 0 && st.st_size == 4 && st.st_blocks >= KEEP_SIZE_LEN / 512);
	guest_check("write inside them", pwrite(fd, "tail", 4, KEEP_SIZE_TAIL) == 4);
	guest_check("read them", pread(fd, back, sizeof(back), 0) == KEEP_SIZE_TAIL + 4);
	while (z < KEEP_SIZE_TAIL - 4 && !back[4 + z])
		z++;
	guest_check("zeros between, the bytes at both ends",
		    !memcmp(back, "head", 4) && z == KEEP_SIZE_TAIL - 4 &&
			    !memcmp(back + KEEP_SIZE_TAIL, "tail", 4));
	close(fd);
}

/* O_DIRECT with aligned buffers, offsets and lengths (what Linux's ext4
 * asks): the bytes written are read back. */
static void write_direct(const char *dir)
{
	static unsigned char buf[2 * DIRECT_ALIGN] __attribute__((aligned(DIRECT_ALIGN)));
	static unsigned char back[2 * DIRECT_ALIGN] __attribute__((aligned(DIRECT_ALIGN)));
	int fd = open(at(dir, "direct"), O_RDWR | O_CREAT | O_DIRECT, 0600);
	struct statfs sf;

	/* The native oracle may run on a tmpfs, which had no O_DIRECT before
	 * Linux 6.6: there, buffered I/O stands in (ext4 must not need it). */
	if (fd < 0 && errno == EINVAL && !statfs(dir, &sf) && sf.f_type == TMPFS_MAGIC)
		fd = open(at(dir, "direct"), O_RDWR | O_CREAT, 0600);
	pattern(buf, sizeof(buf), 5);
	guest_check("O_DIRECT open", fd >= 0);
	guest_check("O_DIRECT write", pwrite(fd, buf, sizeof(buf), DIRECT_ALIGN) == sizeof(buf));
	guest_check("O_DIRECT read", pread(fd, back, sizeof(back), DIRECT_ALIGN) == sizeof(back) &&
					     !memcmp(buf, back, sizeof(buf)));
	close(fd);
}

/* A file unlinked while open keeps its data until closed, as on Linux. */
static void write_unlinked(const char *dir)
{
	static unsigned char big[BIG_SIZE], back[BIG_SIZE];
	int fd = open(at(dir, "tmp"), O_RDWR | O_CREAT | O_EXCL, 0600);
	struct stat st;

	pattern(big, sizeof(big), 2);
	guest_check("open tmp", fd >= 0);
	guest_check("write tmp", write(fd, big, sizeof(big)) == (ssize_t)sizeof(big));
	guest_check("unlink open tmp", unlink(at(dir, "tmp")) == 0);
	guest_check_err("tmp has no name", access(at(dir, "tmp"), F_OK), ENOENT);
	guest_check("fstat: no link", fstat(fd, &st) == 0 && st.st_nlink == 0);
	guest_check("write after unlink", pwrite(fd, "more", 4, sizeof(big)) == 4);
	guest_check("read after unlink", pread(fd, back, sizeof(big), 0) == (ssize_t)sizeof(big) &&
						 !memcmp(back, big, sizeof(big)));
	guest_check("close tmp", close(fd) == 0);
}

/* read() of one file into a private and a shared mapping of others, not
 * yet faulted in: the fault fills from the same filesystem mid-read. */
static void read_into_mappings(const char *dir)
{
	int src = open(at(dir, "big"), O_RDONLY), priv = open(at(dir, "x"), O_RDONLY);
	int shared = open(at(dir, "m"), O_RDWR);
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, priv, 0);
	char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, shared, 0);

	guest_check("map x private, m shared", p != MAP_FAILED && q != MAP_FAILED);
	if (p == MAP_FAILED || q == MAP_FAILED)
		return;
	guest_check("read into the private map", read(src, p, 4096) == 4096);
	guest_check("read into the shared map", read(src, q + 2048, 1024) == 1024);
	printf("mapped reads: %016llx %016llx\n",
	       (unsigned long long)guest_fnv(GUEST_FNV_INIT, p, 4096),
	       (unsigned long long)guest_fnv(GUEST_FNV_INIT, q, 4096));
	munmap(p, 4096);
	munmap(q, 4096);
	/* getdents into a private mapping of a file not yet faulted in. */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, priv, 0);
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	guest_check("getdents into a mapping",
		    p != MAP_FAILED && syscall(SYS_getdents64, d, p, 4096) > 0);
	close(d);
	munmap(p, 4096);
	close(src);
	close(priv);
	close(shared);
}

static void write_mapped(const char *dir)
{
	int fd = open(at(dir, "m"), O_RDWR | O_CREAT, 0600);
	char *p, back[8] = { 0 };

	guest_check("ftruncate m", ftruncate(fd, MAP_SIZE) == 0);
	p = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	guest_check("mmap shared", p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	memcpy(p, "mapped", 6);
	memcpy(p + 4100, "second", 6);
	/* read() sees the mapping's bytes before any write-back. */
	guest_check("pread sees the mapping",
		    pread(fd, back, 6, 4100) == 6 && !memcmp(back, "second", 6));
	guest_check("fsync m", fsync(fd) == 0);
	memcpy(p + 8000, "after", 5); /* written back at munmap */
	guest_check("munmap", munmap(p, MAP_SIZE) == 0);
	close(fd);
	read_into_mappings(dir);
}

static void write_meta(const char *dir)
{
	const struct timespec times[2] = { { 1000000000, 500000000 }, { 1500000000, 123456789 } };
	int fd;

	put_file(at(dir, "meta"), "m", 1);
	guest_check("chmod", chmod(at(dir, "meta"), 0640) == 0);
	guest_check("chown", chown(at(dir, "meta"), 1234, 5678) == 0);
	guest_check("utimensat", utimensat(AT_FDCWD, at(dir, "meta"), times, 0) == 0);
	sync();
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	guest_check("syncfs", syncfs(fd) == 0);
	close(fd);
	/* Never synced by the program: the instance's end must write it. */
	fd = open(at(dir, "late"), O_WRONLY | O_CREAT, 0600);
	guest_check("write late", write(fd, "late\n", 5) == 5);
	close(fd);
	guest_check("mkdir late.d", mkdir(at(dir, "late.d"), 0755) == 0);
	/* A shared mapping still mapped at exit: only the page cache holds
	 * its bytes until the instance's end writes them back. */
	fd = open(at(dir, "m2"), O_RDWR | O_CREAT, 0600);
	guest_check("ftruncate m2", ftruncate(fd, 4096) == 0);
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	guest_check("mmap m2", p != MAP_FAILED);
	if (p != MAP_FAILED)
		memcpy(p + 100, "at exit", 7);
	close(fd);
}

static void show_meta(const char *dir)
{
	struct stat st;

	guest_check("stat meta", stat(at(dir, "meta"), &st) == 0);
	printf("meta: mode %o uid %u gid %u mtime %lld.%09ld\n", st.st_mode & 07777, st.st_uid,
	       st.st_gid, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void check(const char *dir)
{
	static const char *const files[] = { "d/b", "old", "x", "big",	"sparse", "t",
					     "f",   "log", "m", "late", "m2" };
	char target[64] = { 0 };
	struct stat st;

	list_dir(dir, ".");
	list_dir(at(dir, "d"), "d");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		show_file(dir, files[i]);
	guest_check("readlink s",
		    readlink(at(dir, "s"), target, sizeof(target)) == 3 && !strcmp(target, "d/b"));
	guest_check("stat d/sub", stat(at(dir, "d/sub"), &st) == 0);
	printf("d/sub mode %o\n", st.st_mode & 07777);
	guest_check_err("c is gone", access(at(dir, "c"), F_OK), ENOENT);
	guest_check_err("gone is gone", access(at(dir, "gone"), F_OK), ENOENT);
	show_meta(dir);
}

static void read_only(const char *dir)
{
	guest_check_err("create", open(at(dir, "new"), O_WRONLY | O_CREAT, 0600), EROFS);
	guest_check_err("open x for writing", open(at(dir, "x"), O_WRONLY), EROFS);
	guest_check_err("mkdir", mkdir(at(dir, "nd"), 0755), EROFS);
	guest_check_err("unlink x", unlink(at(dir, "x")), EROFS);
	guest_check_err("truncate x", truncate(at(dir, "x"), 0), EROFS);
	show_file(dir, "x");
}

/* mount(2) and umount2(2) of an ext4 disk (in monos: DEV is /dev/vdX). */
static void mount_cycle(const char *dev, const char *dir)
{
	char buf[16] = { 0 };
	int fd;

	guest_check("mount rw", mount(dev, dir, "ext4", 0, NULL) == 0);
	guest_check("mkdir", mkdir(at(dir, "md"), 0755) == 0);
	put_file(at(dir, "md/f"), "cycle\n", 6);
	guest_check("link", link(at(dir, "md/f"), at(dir, "g")) == 0);
	fd = open(at(dir, "g"), O_RDONLY);
	guest_check_err("umount while open", umount(dir), EBUSY);
	close(fd);
	guest_check("umount", umount(dir) == 0);
	guest_check_err("gone after umount", access(at(dir, "g"), F_OK), ENOENT);
	guest_check("mount ro", mount(dev, dir, "ext4", MS_RDONLY, NULL) == 0);
	fd = open(at(dir, "md/f"), O_RDONLY);
	guest_check("read back",
		    fd >= 0 && read(fd, buf, sizeof(buf)) == 6 && !strcmp(buf, "cycle\n"));
	close(fd);
	guest_check_err("ro: unlink", unlink(at(dir, "g")), EROFS);
	guest_check("umount ro", umount(dir) == 0);
	guest_check_err("not ext4", mount("/dev/null", dir, "ext4", 0, NULL), ENOTBLK);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "mount")) {
		mount_cycle(argv[2], argv[3]);
		return guest_finish();
	}
	if (argc != 3) {
		fprintf(stderr, "usage: ext4vol write|check|ro|hold DIR\n");
		return 2;
	}
	if (!strcmp(argv[1], "write")) {
		write_names(argv[2]);
		write_data(argv[2]);
		write_mapped(argv[2]);
		write_unlinked(argv[2]);
		write_meta(argv[2]);
		check(argv[2]);
	} else if (!strcmp(argv[1], "check")) {
		check(argv[2]);
	} else if (!strcmp(argv[1], "ro")) {
		read_only(argv[2]);
	} else if (!strcmp(argv[1], "statfs")) {
		struct statfs sf;

		guest_check("statfs", statfs(argv[2], &sf) == 0);
		printf("statfs type %lx bsize %ld blocks %llu\n", (unsigned long)sf.f_type,
		       (long)sf.f_bsize, (unsigned long long)sf.f_blocks);
		guest_check("free <= size", sf.f_bfree <= sf.f_blocks && sf.f_bfree > 0);
	} else if (!strcmp(argv[1], "hold")) {
		int fd = open(at(argv[2], "x"), O_RDONLY);

		printf("holding %d\n", fd >= 0);
		fflush(stdout);
		for (;;)
			pause();
	} else {
		fprintf(stderr, "ext4vol: unknown mode %s\n", argv[1]);
		return 2;
	}
	return guest_finish();
}
