/*
 * ext4 allocation: blocks and inodes from the groups' bitmaps, keeping
 * each bitmap's checksum, its group descriptor's counts and checksum, and
 * the superblock's free counts (written by ext4_sync) in step.
 *
 * Groups that mkfs left uninitialised (BLOCK_UNINIT, INODE_UNINIT) get
 * their bitmaps built at their first allocation, as Linux does.
 */
#include <lib/crc32c.h>
#include <lib/errno.h>
#include <lib/string.h>

#include "ext4_disk.h"

static uint32_t ext4_gd_u16(const struct ext4_fs *fs, uint16_t lo, uint16_t hi)
{
	return lo | (fs->desc_size >= EXT4_MIN_DESC_SIZE_64 ? (uint32_t)hi << 16 : 0);
}

/* Set a count split across a _lo and a _hi field (the latter only in 64-byte descriptors). */
#define EXT4_GD_SET(fs, gd, field, v)                                                              \
	do {                                                                                       \
		uint32_t v_ = (v); /* once: @v may read the field being set */                     \
		(gd)->field##_lo = (uint16_t)v_;                                                   \
		if ((fs)->desc_size >= EXT4_MIN_DESC_SIZE_64)                                      \
			(gd)->field##_hi = (uint16_t)(v_ >> 16);                                   \
	} while (0)

int ext4_gd_write(struct ext4_fs *fs, uint32_t group)
{
	size_t off = (size_t)group * fs->desc_size;
	uint32_t b = (uint32_t)(off / fs->block_size);

	if (fs->csum)
		ext4_gd(fs, group)->checksum = ext4_gd_csum(fs, group);
	return ext4_write_block(fs, fs->first_data_block + 1 + b,
				fs->gdt + (size_t)b * fs->block_size);
}

/* The number of blocks in @group (the last group may be short). */
static uint32_t ext4_group_blocks(const struct ext4_fs *fs, uint32_t group)
{
	uint64_t start = fs->first_data_block + (uint64_t)group * fs->blocks_per_group;

	return fs->blocks_count - start < fs->blocks_per_group
		       ? (uint32_t)(fs->blocks_count - start)
		       : fs->blocks_per_group;
}

/* Bitmap block and checksum of @group's block (@inodes false) or inode bitmap. */
static uint64_t ext4_bitmap_block(const struct ext4_fs *fs, const struct ext4_gd *gd, bool inodes)
{
	bool big = fs->desc_size >= EXT4_MIN_DESC_SIZE_64;

	if (inodes)
		return ext4_lo_hi(gd->inode_bitmap_lo, big ? gd->inode_bitmap_hi : 0);
	return ext4_lo_hi(gd->block_bitmap_lo, big ? gd->block_bitmap_hi : 0);
}

/* Read @group's bitmap into fs->wbuf, its checksum checked. */
static int ext4_bitmap_read(struct ext4_fs *fs, uint32_t group, bool inodes)
{
	struct ext4_gd *gd = ext4_gd(fs, group);
	uint32_t bits = inodes ? fs->inodes_per_group : fs->blocks_per_group, want, got;
	int err = ext4_read_block(fs, ext4_bitmap_block(fs, gd, inodes), fs->wbuf);

	if (err || !fs->csum || fs->read_own)
		return err;
	got = crc32c_update(fs->csum_seed, fs->wbuf, bits / 8);
	if (inodes) {
		want = ext4_gd_u16(fs, gd->inode_bitmap_csum_lo, gd->inode_bitmap_csum_hi);
	} else {
		want = ext4_gd_u16(fs, gd->block_bitmap_csum_lo, gd->block_bitmap_csum_hi);
	}
	if (fs->desc_size < EXT4_MIN_DESC_SIZE_64)
		got &= 0xffff;
	return got == want ? 0 : -EUCLEAN;
}

/* Write fs->wbuf back as @group's bitmap, with its checksum in the descriptor (written too). */
static int ext4_bitmap_write(struct ext4_fs *fs, uint32_t group, bool inodes)
{
	struct ext4_gd *gd = ext4_gd(fs, group);
	uint32_t bits = inodes ? fs->inodes_per_group : fs->blocks_per_group;
	int err;

	if (fs->csum) {
		uint32_t c = crc32c_update(fs->csum_seed, fs->wbuf, bits / 8);

		if (inodes)
			EXT4_GD_SET(fs, gd, inode_bitmap_csum, c);
		else
			EXT4_GD_SET(fs, gd, block_bitmap_csum, c);
	}
	err = ext4_write_block(fs, ext4_bitmap_block(fs, gd, inodes), fs->wbuf);
	return err ? err : ext4_gd_write(fs, group);
}

/* The first clear bit in [from, n) of fs->wbuf, then in [0, from); n if none. */
static uint32_t ext4_find_clear(const struct ext4_fs *fs, uint32_t from, uint32_t n)
{
	uint32_t i, k;

	for (k = 0; k < n; k++) {
		uint64_t word;

		i = (from + k) % n;
		if (i % 64 == 0 && i + 64 <= n && k + 64 <= n &&
		    (memcpy(&word, fs->wbuf + i / 8, sizeof(word)), word == UINT64_MAX)) {
			k += 63; /* 64 used in a row (a group's first inodes, as a directory fills) */
			continue;
		}
		if (i % 8 == 0 && fs->wbuf[i / 8] == 0xff && i + 8 <= n && k + 8 <= n) {
			k += 7; /* a full byte: skip it whole */
			continue;
		}
		if (!(fs->wbuf[i / 8] & (1u << (i % 8))))
			return i;
	}
	return n;
}

/* Add @delta to the superblock's free block count. */
static void ext4_sb_free_blocks(struct ext4_fs *fs, int64_t delta)
{
	struct ext4_sb *sb = (struct ext4_sb *)fs->sb;
	uint64_t n =
		ext4_lo_hi(sb->free_blocks_count_lo, sb->free_blocks_count_hi) + (uint64_t)delta;

	sb->free_blocks_count_lo = (uint32_t)n;
	if (fs->feat_incompat & EXT4_FEATURE_INCOMPAT_64BIT)
		sb->free_blocks_count_hi = (uint32_t)(n >> 32);
	fs->sb_dirty = true;
}

/* Whether @group holds a superblock backup (sparse_super: groups 0, 1 and powers of 3, 5, 7). */
static bool ext4_group_has_super(const struct ext4_fs *fs, uint32_t group)
{
	static const uint32_t bases[] = { 3, 5, 7 };
	size_t i;

	if (group <= 1 || !(fs->feat_ro_compat & EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER))
		return true;
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		uint64_t p = bases[i];

		while (p < group)
			p *= bases[i];
		if (p == group)
			return true;
	}
	return false;
}

/* Mark block @blk used in fs->wbuf, the bitmap of the group starting at @start, if it lies there. */
static void ext4_mark_in_group(struct ext4_fs *fs, uint64_t start, uint32_t n, uint64_t blk,
			       uint64_t len)
{
	for (; len; len--, blk++)
		if (blk >= start && blk - start < n)
			fs->wbuf[(blk - start) / 8] |= (uint8_t)(1u << ((blk - start) % 8));
}

/*
 * The first use of a group mkfs left BLOCK_UNINIT: build its block bitmap
 * in fs->wbuf as Linux's ext4_init_block_bitmap does (the superblock
 * backup, descriptor table and reserved descriptor blocks if the group has
 * a backup, the group's own bitmaps and inode table if they lie in it; the
 * padding past the group's end set), and check it against the free count.
 */
static int ext4_block_bitmap_init(struct ext4_fs *fs, uint32_t g)
{
	const struct ext4_sb *sb = (const struct ext4_sb *)fs->sb;
	struct ext4_gd *gd = ext4_gd(fs, g);
	uint64_t start = fs->first_data_block + (uint64_t)g * fs->blocks_per_group;
	uint32_t n = ext4_group_blocks(fs, g), bit, used = 0;
	uint64_t gdt_blocks =
		((uint64_t)fs->groups * fs->desc_size + fs->block_size - 1) / fs->block_size;

	if (fs->feat_compat & EXT4_FEATURE_COMPAT_SPARSE_SUPER2)
		return -EOPNOTSUPP; /* backups elsewhere: the caller passes the group over */
	memset(fs->wbuf, 0, fs->block_size);
	if (ext4_group_has_super(fs, g))
		ext4_mark_in_group(fs, start, n, start, 1 + gdt_blocks + sb->reserved_gdt_blocks);
	ext4_mark_in_group(fs, start, n, ext4_bitmap_block(fs, gd, false), 1);
	ext4_mark_in_group(fs, start, n, ext4_bitmap_block(fs, gd, true), 1);
	ext4_mark_in_group(fs, start, n, ext4_gd_inode_table(fs, gd),
			   ((uint64_t)fs->inodes_per_group * fs->inode_size + fs->block_size - 1) /
				   fs->block_size);
	for (bit = 0; bit < n; bit++)
		used += fs->wbuf[bit / 8] >> (bit % 8) & 1;
	for (bit = n; bit < fs->block_size * 8; bit++)
		fs->wbuf[bit / 8] |= (uint8_t)(1u << (bit % 8));
	if (n - used != ext4_gd_u16(fs, gd->free_blocks_count_lo, gd->free_blocks_count_hi))
		return -EUCLEAN;
	gd->flags &= (uint16_t)~EXT4_BG_BLOCK_UNINIT;
	return 0;
}

/*
 * A clear bit of group @g's bitmap in fs->wbuf from @from, passing over
 * blocks freed by the running transaction (the committed state may still
 * use them: journal.c).  @n bits, @free of them clear; n if none is clear,
 * n + 1 if each clear one was freed by the transaction.
 */
static uint32_t ext4_find_clear_unfreed(const struct ext4_fs *fs, uint32_t g, uint32_t from,
					uint32_t n, uint32_t free)
{
	uint64_t start = fs->first_data_block + (uint64_t)g * fs->blocks_per_group;
	uint32_t bit = ext4_find_clear(fs, from, n), tries;

	for (tries = 0; bit < n && ext4_journal_was_freed(fs, start + bit); tries++) {
		if (tries >= free)
			return n + 1;
		bit = ext4_find_clear(fs, (bit + 1) % n, n);
	}
	return bit;
}

int ext4_alloc_block(struct ext4_fs *fs, uint64_t goal, uint64_t *blk)
{
	uint32_t g0, i;

	if (goal < fs->first_data_block || goal >= fs->blocks_count)
		goal = fs->first_data_block;
	g0 = (uint32_t)((goal - fs->first_data_block) / fs->blocks_per_group);
	for (i = 0; i < fs->groups; i++) {
		uint32_t g = (g0 + i) % fs->groups, n = ext4_group_blocks(fs, g), bit, free;
		struct ext4_gd *gd = ext4_gd(fs, g);
		int err;

		free = ext4_gd_u16(fs, gd->free_blocks_count_lo, gd->free_blocks_count_hi);
		if (free == 0)
			continue;
		if (gd->flags & EXT4_BG_BLOCK_UNINIT) {
			err = ext4_block_bitmap_init(fs, g);
			if (err == -EOPNOTSUPP)
				continue;
		} else {
			err = ext4_bitmap_read(fs, g, false);
		}
		if (err)
			return err;
		bit = ext4_find_clear_unfreed(
			fs, g,
			g == g0 ? (uint32_t)((goal - fs->first_data_block) % fs->blocks_per_group)
				: 0,
			n, free);
		if (bit == n + 1)
			continue; /* every free block there was freed by the running transaction */
		if (bit == n)
			return -EUCLEAN; /* the descriptor said there was room */
		fs->wbuf[bit / 8] |= (uint8_t)(1u << (bit % 8));
		EXT4_GD_SET(fs, gd, free_blocks_count, free - 1);
		err = ext4_bitmap_write(fs, g, false);
		if (err)
			return err;
		ext4_sb_free_blocks(fs, -1);
		*blk = fs->first_data_block + (uint64_t)g * fs->blocks_per_group + bit;
		return 0;
	}
	return -ENOSPC;
}

int ext4_free_blocks(struct ext4_fs *fs, uint64_t blk, uint32_t count)
{
	while (count) {
		uint32_t g = (uint32_t)((blk - fs->first_data_block) / fs->blocks_per_group);
		uint32_t bit = (uint32_t)((blk - fs->first_data_block) % fs->blocks_per_group),
			 n = 0;
		struct ext4_gd *gd;
		int err;

		if (blk < fs->first_data_block || blk + count > fs->blocks_count ||
		    blk + count < blk)
			return -EUCLEAN;
		gd = ext4_gd(fs, g);
		if (gd->flags & EXT4_BG_BLOCK_UNINIT)
			return -EUCLEAN; /* nothing was ever allocated there */
		err = ext4_bitmap_read(fs, g, false);
		if (err)
			return err;
		for (; count && bit < ext4_group_blocks(fs, g); count--, bit++, n++) {
			if (!(fs->wbuf[bit / 8] & (1u << (bit % 8))))
				return -EUCLEAN; /* freeing a free block: the map is corrupt */
			fs->wbuf[bit / 8] &= (uint8_t) ~(1u << (bit % 8));
		}
		EXT4_GD_SET(fs, gd, free_blocks_count,
			    ext4_gd_u16(fs, gd->free_blocks_count_lo, gd->free_blocks_count_hi) +
				    n);
		err = ext4_bitmap_write(fs, g, false);
		if (!err)
			err = ext4_journal_freed(fs, blk, n);
		if (err)
			return err;
		ext4_sb_free_blocks(fs, n);
		blk += n;
	}
	return 0;
}

/* Mark inode slot @bit of @group used, keeping bg_itable_unused past it. */
static int ext4_take_inode(struct ext4_fs *fs, uint32_t g, uint32_t bit, bool dir)
{
	struct ext4_gd *gd = ext4_gd(fs, g);
	struct ext4_sb *sb = (struct ext4_sb *)fs->sb;
	uint32_t unused = ext4_gd_u16(fs, gd->itable_unused_lo, gd->itable_unused_hi);

	fs->wbuf[bit / 8] |= (uint8_t)(1u << (bit % 8));
	EXT4_GD_SET(fs, gd, free_inodes_count,
		    ext4_gd_u16(fs, gd->free_inodes_count_lo, gd->free_inodes_count_hi) - 1);
	if (dir)
		EXT4_GD_SET(fs, gd, used_dirs_count,
			    ext4_gd_u16(fs, gd->used_dirs_count_lo, gd->used_dirs_count_hi) + 1);
	if (bit >= fs->inodes_per_group - unused)
		EXT4_GD_SET(fs, gd, itable_unused, fs->inodes_per_group - bit - 1);
	sb->free_inodes_count--;
	fs->sb_dirty = true;
	return ext4_bitmap_write(fs, g, true);
}

/*
 * The first use of a group mkfs left INODE_UNINIT: its inode bitmap starts
 * empty, but for the padding past inodes_per_group, which is set (as
 * Linux's ext4_init_inode_bitmap does).  Its inode table need not be
 * zeroed: slots are written whole when used, and bg_itable_unused keeps
 * e2fsck from looking past the last one used.
 */
static void ext4_inode_bitmap_init(struct ext4_fs *fs, struct ext4_gd *gd)
{
	uint32_t bit;

	memset(fs->wbuf, 0, fs->block_size);
	for (bit = fs->inodes_per_group; bit < fs->block_size * 8; bit++)
		fs->wbuf[bit / 8] |= (uint8_t)(1u << (bit % 8));
	gd->flags &= (uint16_t)~EXT4_BG_INODE_UNINIT;
}

int ext4_alloc_inode(struct ext4_fs *fs, uint32_t near_ino, bool dir, uint32_t *ino)
{
	uint32_t g0 = near_ino ? (near_ino - 1) / fs->inodes_per_group : 0, i;

	for (i = 0; i < fs->groups; i++) {
		uint32_t g = (g0 + i) % fs->groups, bit, first = 0, start;
		struct ext4_gd *gd = ext4_gd(fs, g);
		int err;

		if (ext4_gd_u16(fs, gd->free_inodes_count_lo, gd->free_inodes_count_hi) == 0)
			continue;
		if (gd->flags & EXT4_BG_INODE_UNINIT) {
			ext4_inode_bitmap_init(fs, gd);
		} else {
			err = ext4_bitmap_read(fs, g, true);
			if (err)
				return err;
		}
		if (g == 0)
			first = fs->first_ino - 1; /* the reserved inodes */
		start = first;
		if (fs->ifree_group == g + 1 && fs->ifree_bit > first &&
		    fs->ifree_bit < fs->inodes_per_group)
			start = fs->ifree_bit; /* what is below it is used */
		bit = ext4_find_clear(fs, start, fs->inodes_per_group);
		if (bit == fs->inodes_per_group || bit < first)
			return -EUCLEAN;
		err = ext4_take_inode(fs, g, bit, dir);
		if (err)
			return err;
		fs->ifree_group = g + 1;
		fs->ifree_bit = bit + 1;
		*ino = g * fs->inodes_per_group + bit + 1;
		return 0;
	}
	return -ENOSPC;
}

int ext4_free_inode(struct ext4_fs *fs, uint32_t ino, bool dir)
{
	uint32_t g = (ino - 1) / fs->inodes_per_group, bit = (ino - 1) % fs->inodes_per_group;
	struct ext4_gd *gd = ext4_gd(fs, g);
	struct ext4_sb *sb = (struct ext4_sb *)fs->sb;
	int err = ext4_bitmap_read(fs, g, true);

	if (err)
		return err;
	if (!(fs->wbuf[bit / 8] & (1u << (bit % 8))))
		return -EUCLEAN;
	fs->wbuf[bit / 8] &= (uint8_t) ~(1u << (bit % 8));
	if (fs->ifree_group == g + 1 && bit < fs->ifree_bit)
		fs->ifree_bit = bit; /* the lowest free one again */
	EXT4_GD_SET(fs, gd, free_inodes_count,
		    ext4_gd_u16(fs, gd->free_inodes_count_lo, gd->free_inodes_count_hi) + 1);
	if (dir)
		EXT4_GD_SET(fs, gd, used_dirs_count,
			    ext4_gd_u16(fs, gd->used_dirs_count_lo, gd->used_dirs_count_hi) - 1);
	sb->free_inodes_count++;
	fs->sb_dirty = true;
	return ext4_bitmap_write(fs, g, true);
}
