/*
 * A small cache of an ext4 volume's blocks, between the library and the
 * disk (design.md contract 20's buffer cache, in its simplest form): every
 * read of exactly one filesystem block is kept in a direct-mapped table of
 * EXT4FS_BCACHE_BYTES, and every write updates (or drops) what it covers,
 * so the table always holds what the disk holds.  Without it a lookup in a
 * large directory read each of its blocks from the disk every time.
 *
 * It caches what the disk has, never anything newer: durability and the
 * journal's ordering are unchanged (the running transaction's copies stay
 * in the library, which asks them first).  Guarded by the filesystem's
 * lock, as every call of the library is.
 */
#include "core/heap.h"
#include "core/kernel.h"
#include "fs/ext4fs.h"

#define EXT4FS_BCACHE_BYTES (512 * 1024)

/* Make the table once the block size is known (after the superblock);
 * false: no cache (not yet, or out of memory, which only costs reads). */
static bool bcache_ready(struct ext4fs_info *i)
{
	struct ext4fs_bcache *c = &i->bc;

	if (c->n || !i->fs.block_size || c->failed)
		return c->n != 0;
	c->per = i->fs.block_size / EXT4_DEV_BLOCK;
	c->n = EXT4FS_BCACHE_BYTES / i->fs.block_size;
	c->key = kzalloc(c->n * sizeof(*c->key));
	c->data = kmalloc((size_t)c->n * i->fs.block_size);
	if (!c->key || !c->data) {
		kfree(c->key);
		kfree(c->data);
		*c = (struct ext4fs_bcache){ .failed = true };
	}
	return c->n != 0;
}

/* Slot of filesystem block `fb`; keys are fb + 1 (0: empty). */
static uint32_t slot(const struct ext4fs_bcache *c, uint64_t fb)
{
	return (uint32_t)(fb % c->n);
}

bool ext4fs_bcache_read(struct ext4fs_info *i, uint64_t blk, uint32_t count, void *buf)
{
	struct ext4fs_bcache *c = &i->bc;
	uint64_t fb = blk / (c->per ? c->per : 1);
	uint32_t s;

	if (!bcache_ready(i) || count != c->per || blk % c->per)
		return false;
	s = slot(c, fb);
	if (c->key[s] != fb + 1)
		return false;
	memcpy(buf, c->data + (size_t)s * i->fs.block_size, i->fs.block_size);
	return true;
}

void ext4fs_bcache_fill(struct ext4fs_info *i, uint64_t blk, uint32_t count, const void *buf)
{
	struct ext4fs_bcache *c = &i->bc;
	uint32_t s;

	if (!bcache_ready(i) || count != c->per || blk % c->per)
		return;
	s = slot(c, blk / c->per);
	c->key[s] = blk / c->per + 1;
	memcpy(c->data + (size_t)s * i->fs.block_size, buf, i->fs.block_size);
}

/* A write of `count` device blocks from `blk`: each cached block it
 * touches takes the new bytes when wholly covered, else (or with `buf`
 * NULL: the write failed) is dropped. */
void ext4fs_bcache_write(struct ext4fs_info *i, uint64_t blk, uint32_t count, const void *buf)
{
	struct ext4fs_bcache *c = &i->bc;
	uint64_t first, last;

	if (!c->n || !count)
		return;
	first = blk / c->per;
	last = (blk + count - 1) / c->per;
	for (uint32_t s = 0; s < c->n; s++) {
		uint64_t fb = c->key[s] - 1, at = fb * c->per;

		if (!c->key[s] || fb < first || fb > last)
			continue;
		if (buf && at >= blk && at + c->per <= blk + count)
			memcpy(c->data + (size_t)s * i->fs.block_size,
			       (const char *)buf + (at - blk) * EXT4_DEV_BLOCK, i->fs.block_size);
		else
			c->key[s] = 0;
	}
}

void ext4fs_bcache_free(struct ext4fs_info *i)
{
	kfree(i->bc.key);
	kfree(i->bc.data);
	i->bc = (struct ext4fs_bcache){ 0 };
}
