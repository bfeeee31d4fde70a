/*
 * libFuzzer target: the ext4 filesystem (kernel/lib/ext4/), which will read
 * volumes a hostile guest or host may have written.  The input is the
 * start of a disk image (the device reads zeros past its end, so seeds can
 * be mkfs.ext4 images with their zero tail cut off); it is mounted (which
 * may replay its journal, writing into a copy of the input) and walked:
 * every directory listed, every name looked up again, every file and
 * symlink read.  ASan and UBSan judge; the walk's own bounds (depth,
 * entries, bytes) keep a directory cycle from looping here, so only a loop
 * inside the filesystem code can hang.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 * Seeds: tests/fuzz/corpus/ext4 (see docs/fuzzing.md for how they were made).
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../kernel/lib/crc32c.c"
#include "../../kernel/lib/ext4/dir.c"
#include "../../kernel/lib/ext4/inode.c"
#include "../../kernel/lib/ext4/journal.c"
#include "../../kernel/lib/ext4/super.c"

#define FUZZ_DEV_BYTES	 (64u << 20) /* the device's size: larger than any seed's filesystem */
#define FUZZ_MAX_DEPTH	 8
#define FUZZ_MAX_ENTRIES 2000
#define FUZZ_MAX_READ	 (256u << 10) /* bytes read from one file */

struct fuzz_disk {
	uint8_t *img;
	size_t len;
};

static int fuzz_read_blocks(void *ctx, uint64_t blk, uint32_t count, void *buf)
{
	struct fuzz_disk *d = ctx;
	uint64_t off = blk * EXT4_DEV_BLOCK, len = (uint64_t)count * EXT4_DEV_BLOCK;

	if (off + len > FUZZ_DEV_BYTES)
		abort(); /* the filesystem must stay inside the device it was given */
	memset(buf, 0, len);
	if (off < d->len)
		memcpy(buf, d->img + off, off + len <= d->len ? len : d->len - off);
	return 0;
}

static int fuzz_write_blocks(void *ctx, uint64_t blk, uint32_t count, const void *buf)
{
	struct fuzz_disk *d = ctx;
	uint64_t off = blk * EXT4_DEV_BLOCK, len = (uint64_t)count * EXT4_DEV_BLOCK;

	if (off + len > FUZZ_DEV_BYTES)
		abort();
	if (off <
	    d->len) /* writes past the input's end are dropped: they would read as zeros anyway */
		memcpy(d->img + off, buf, off + len <= d->len ? len : d->len - off);
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
	uint64_t pos = 0;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_disk d = { .img = malloc(size ? size : 1), .len = size };
	struct ext4_dev dev = { .ctx = &d,
				.nr_blocks = FUZZ_DEV_BYTES / EXT4_DEV_BLOCK,
				.read_blocks = fuzz_read_blocks,
				.write_blocks = fuzz_write_blocks,
				.alloc = fuzz_alloc,
				.free = fuzz_free };
	struct ext4_fs fs;
	struct ext4_inode root;

	if (!d.img)
		return 0;
	memcpy(d.img, data, size);
	if (ext4_mount(&fs, &dev, 0) == 0) {
		fuzz_budget = FUZZ_MAX_ENTRIES;
		if (ext4_iget(&fs, EXT4_ROOT_INO, &root) == 0)
			fuzz_dir(&fs, &root, 0);
		ext4_namei(&fs, "/d/f", &root);
		ext4_namei(&fs, "/link/x", &root);
		ext4_unmount(&fs);
	}
	free(d.img);
	return 0;
}
