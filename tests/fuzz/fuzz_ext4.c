/*
 * libFuzzer target: the ext4 filesystem (kernel/lib/ext4/), which will read
 * volumes a hostile guest or host may have written.  The input is a disk
 * image as records of its non-zero 1 KiB chunks (fuzz_disk_load); it is
 * mounted (which may replay its journal, writing into the records) and
 * walked: every directory listed, every name looked up again, every file
 * and symlink read; then a few changes are made (create, write, truncate,
 * fallocate, mkdir, rename, unlink, rmdir, and enough names to index a
 * directory and split its leaves, in a new one and in the image's /big).  ASan and UBSan judge; the walk's own bounds (depth,
 * entries, bytes) keep a directory cycle from looping here, so only a loop
 * inside the filesystem code can hang.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 * Seeds: tests/fuzz/corpus/ext4 (see docs/fuzzing.md for how they were made).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../kernel/lib/crc32c.c"
#include "../../kernel/lib/ext4/alloc.c"
#include "../../kernel/lib/ext4/dir.c"
#include "../../kernel/lib/ext4/dir_write.c"
#include "../../kernel/lib/ext4/extent.c"
#include "../../kernel/lib/ext4/htree.c"
#include "../../kernel/lib/ext4/inode.c"
#include "../../kernel/lib/ext4/journal.c"
#include "../../kernel/lib/ext4/super.c"
#include "../../kernel/lib/ext4/write.c"

#define FUZZ_DEV_BYTES	 (64u << 20) /* the device's size: larger than any seed's filesystem */
#define FUZZ_CHUNK	 1024	     /* the unit of the input's records */
#define FUZZ_RECORD	 (2 + FUZZ_CHUNK)
#define FUZZ_MAX_DEPTH	 8
#define FUZZ_MAX_ENTRIES 2000
#define FUZZ_MAX_READ	 (256u << 10) /* bytes read from one file */

/*
 * The input: records of a 2-byte little-endian chunk number and 1 KiB of
 * data (the last one may be short: zeros fill it); every other chunk of the
 * 64 MiB device reads as zeros.  A small mkfs.ext4 image is a few dozen
 * non-zero chunks, so seeds and the corpus stay small.
 */
struct fuzz_disk {
	uint8_t *chunk[FUZZ_DEV_BYTES / FUZZ_CHUNK]; /* NULL: all zeros */
	uint8_t *data;				     /* the records' data, copied */
};

static void fuzz_disk_load(struct fuzz_disk *d, const uint8_t *in, size_t size)
{
	size_t n = (size + FUZZ_RECORD - 1) / FUZZ_RECORD, i;

	memset(d->chunk, 0, sizeof(d->chunk));
	d->data = calloc(n ? n : 1, FUZZ_CHUNK);
	if (!d->data)
		abort();
	for (i = 0; i < n; i++) {
		const uint8_t *r = in + i * FUZZ_RECORD;
		size_t len =
			size - i * FUZZ_RECORD < FUZZ_RECORD ? size - i * FUZZ_RECORD : FUZZ_RECORD;
		uint16_t idx = (uint16_t)(r[0] | (len > 1 ? r[1] << 8 : 0));

		if (len > 2)
			memcpy(d->data + i * FUZZ_CHUNK, r + 2, len - 2);
		d->chunk[idx] = d->data + i * FUZZ_CHUNK; /* a later record of one chunk wins */
	}
}

/* Copy between the device and @buf, @len bytes at byte @off; writes to zero chunks are dropped. */
static void fuzz_disk_io(struct fuzz_disk *d, uint64_t off, uint8_t *buf, uint64_t len, bool write)
{
	if (off + len > FUZZ_DEV_BYTES)
		abort(); /* the filesystem must stay inside the device it was given */
	while (len) {
		uint8_t *c = d->chunk[off / FUZZ_CHUNK];
		uint64_t in = off % FUZZ_CHUNK, n = FUZZ_CHUNK - in < len ? FUZZ_CHUNK - in : len;

		if (write && c)
			memcpy(c + in, buf, n);
		else if (!write)
			c ? memcpy(buf, c + in, n) : memset(buf, 0, n);
		off += n;
		buf += n;
		len -= n;
	}
}

static int fuzz_read_blocks(void *ctx, uint64_t blk, uint32_t count, void *buf)
{
	fuzz_disk_io(ctx, blk * EXT4_DEV_BLOCK, buf, (uint64_t)count * EXT4_DEV_BLOCK, false);
	return 0;
}

static int fuzz_write_blocks(void *ctx, uint64_t blk, uint32_t count, const void *buf)
{
	fuzz_disk_io(ctx, blk * EXT4_DEV_BLOCK, (uint8_t *)buf, (uint64_t)count * EXT4_DEV_BLOCK,
		     true);
	return 0;
}

static void *fuzz_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return size <= FUZZ_DEV_BYTES ? malloc(size) : NULL;
}

static void fuzz_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	(void)size;
	free(p);
}

static int fuzz_budget;

static void fuzz_file(struct ext4_fs *fs, const struct ext4_inode *in)
{
	static uint8_t buf[FUZZ_MAX_READ];
	uint64_t pblk;
	uint32_t count;

	if ((in->mode & EXT4_S_IFMT) == EXT4_S_IFLNK) {
		int64_t n = ext4_readlink(fs, in, (char *)buf, sizeof(buf));

		if (n > (int64_t)sizeof(buf))
			abort();
	} else if ((in->mode & EXT4_S_IFMT) == EXT4_S_IFREG) {
		int64_t n = ext4_read(fs, in, 0, buf, sizeof(buf));

		if (n > (int64_t)sizeof(buf))
			abort();
		ext4_read(fs, in, in->size - 1, buf, 2); /* the last byte, maybe far away */
	}
	if (ext4_bmap(fs, in, UINT32_MAX, &pblk, &count) == 0 && count == 0)
		abort(); /* a map always covers at least the block asked for */
}

static void fuzz_dir(struct ext4_fs *fs, const struct ext4_inode *dir, int depth)
{
	struct ext4_dirent de;
	struct ext4_inode in;
	struct ext4_dir_pos pos = { 0, 0 };
	uint32_t ino;

	while (fuzz_budget-- > 0 && ext4_readdir(fs, dir, &pos, &de) == 1) {
		if (de.name_len != strlen(de.name) || de.ino == 0)
			abort();
		if (ext4_lookup(fs, dir, de.name, de.name_len, &ino) == 0 && ino == 0)
			abort();
		if (!strcmp(de.name, ".") || !strcmp(de.name, "..") || ext4_iget(fs, de.ino, &in))
			continue;
		if ((in.mode & EXT4_S_IFMT) == EXT4_S_IFDIR) {
			if (depth < FUZZ_MAX_DEPTH)
				fuzz_dir(fs, &in, depth + 1);
		} else {
			fuzz_file(fs, &in);
		}
	}
}

/*
 * Names enough to index a 1 KiB-block directory and split its leaves
 * (htree.c), in new directory @sub of @dir or in @dir itself; then every
 * other one looked up, listed, and unlinked.
 */
static void fuzz_grow(struct ext4_fs *fs, struct ext4_inode *dir, const char *sub)
{
	struct ext4_inode d, f;
	struct ext4_dirent de;
	char name[80];
	struct ext4_dir_pos pos = { 0, 0 };
	uint32_t ino;
	int i;

	if (sub && ext4_create(fs, dir, sub, strlen(sub), EXT4_S_IFDIR | 0755, 0, 0, NULL, &d))
		return;
	if (!sub)
		d = *dir;
	for (i = 0; i < 48; i++) {
		snprintf(name, sizeof(name), "fuzz-grown-%02d-%s", i, "abcdefghijklmnopqrstuvwxyz");
		if (ext4_create(fs, &d, name, strlen(name), EXT4_S_IFREG | 0644, 0, 0, NULL, &f))
			break;
	}
	for (i = 0; i < 48; i += 2) {
		snprintf(name, sizeof(name), "fuzz-grown-%02d-%s", i, "abcdefghijklmnopqrstuvwxyz");
		if (ext4_lookup(fs, &d, name, strlen(name), &ino) == 0 && ino == 0)
			abort();
		ext4_unlink(fs, &d, name, strlen(name));
	}
	for (i = 0; i < FUZZ_MAX_ENTRIES && ext4_readdir(fs, &d, &pos, &de) == 1; i++)
		if (de.name_len != strlen(de.name))
			abort();
	if (!sub)
		*dir = d;
}

/* Changes, on what the walk left: they must fail cleanly on a corrupt image, never crash. */
static void fuzz_write(struct ext4_fs *fs)
{
	static const uint8_t data[3000];
	struct ext4_inode root, f, d;

	if (fs->read_only || ext4_iget(fs, EXT4_ROOT_INO, &root))
		return;
	if (ext4_create(fs, &root, "fz", 2, EXT4_S_IFREG | 0644, 0, 0, NULL, &f) == 0) {
		ext4_write(fs, &f, 5000, data, sizeof(data));
		ext4_truncate(fs, &f, 100);
		ext4_fallocate(fs, &f, 0, 4096, false);
	}
	if (ext4_create(fs, &root, "fzd", 3, EXT4_S_IFDIR | 0755, 0, 0, NULL, &d) == 0) {
		ext4_rename(fs, &root, "fz", 2, &d, "moved", 5);
		ext4_rename(fs, &root, "hello", 5, &d, "h", 1);
		ext4_unlink(fs, &d, "moved", 5);
		ext4_rmdir(fs, &root, "fzd", 3);
	}
	ext4_unlink(fs, &root, "link", 4);
	fuzz_grow(fs, &root, "fzx");
	if (ext4_namei(fs, "/big", &d) == 0 && (d.mode & EXT4_S_IFMT) == EXT4_S_IFDIR)
		fuzz_grow(fs, &d, NULL); /* into the seed's index, as fuzzed */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_disk d;
	struct ext4_dev dev = { .ctx = &d,
				.nr_blocks = FUZZ_DEV_BYTES / EXT4_DEV_BLOCK,
				.read_blocks = fuzz_read_blocks,
				.write_blocks = fuzz_write_blocks,
				.alloc = fuzz_alloc,
				.free = fuzz_free };
	struct ext4_fs fs;
	struct ext4_inode root;

	fuzz_disk_load(&d, data, size);
	if (ext4_mount(&fs, &dev, 0) == 0) {
		fuzz_budget = FUZZ_MAX_ENTRIES;
		if (ext4_iget(&fs, EXT4_ROOT_INO, &root) == 0)
			fuzz_dir(&fs, &root, 0);
		ext4_namei(&fs, "/d/f", &root);
		ext4_namei(&fs, "/link/x", &root);
		fuzz_write(&fs);
		ext4_unmount(&fs);
	}
	free(d.data);
	return 0;
}
