/*
 * ext4 extent trees written (the write path's half of extents; inode.c
 * reads them): blocks mapped on demand through trees of depth 0 (up to 4
 * extents in the inode) or 1 (an index of up to 4 leaf blocks in the
 * inode), unwritten extents made by fallocate and converted by writes,
 * and trimming at truncation.  Deeper trees are read but not grown: such
 * a write gives -EFBIG.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <lib/crc32c.h>

#include "ext4_disk.h"

#define EXT4_EXT_ROOT_MAX 4 /* extents or index entries in i_block after the header */

/* Store the checksum tail of extent block @buf (after eh_max entries). */
static void ext4_ext_csum_set(const struct ext4_fs *fs, const struct ext4_inode *in, uint8_t *buf)
{
	const struct ext4_extent_header *eh = (const void *)buf;
	size_t off = sizeof(*eh) + (size_t)eh->max * sizeof(struct ext4_extent);
	uint32_t c;

	if (!fs->csum)
		return;
	c = crc32c_update(in->csum_seed, buf, off);
	memcpy(buf + off, &c, sizeof(c));
}

static int ext4_ext_write_leaf(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t blk)
{
	ext4_ext_csum_set(fs, in, fs->xbuf);
	return ext4_write_block(fs, blk, fs->xbuf);
}

/* The number of blocks extent @e maps (written or not). */
static uint32_t ext4_ext_len(const struct ext4_extent *e)
{
	return e->len > EXT4_EXT_INIT_MAX ? e->len - EXT4_EXT_INIT_MAX : e->len;
}

/* A write into an unwritten extent makes this aligned chunk around it
 * written, zeroing it, so that sequential writes split the extent once a
 * chunk, not once a block (Linux zeroes out up to 32 KiB the same way:
 * s_extent_max_zeroout_kb). */
#define EXT4_ZEROOUT_BLOCKS 16u

static bool ext4_ext_unwritten(const struct ext4_extent *e)
{
	return e->len > EXT4_EXT_INIT_MAX;
}

/*
 * Put lblk -> pblk into leaf @eh (@unwritten: as an unwritten extent, which
 * reads as zeros), growing a neighbour of the same kind when contiguous:
 * 0, -ENOSPC if the leaf is full, -EOPNOTSUPP if lblk is already mapped
 * (ext4_block_for_write converts unwritten blocks first).
 */
static int ext4_leaf_insert(struct ext4_extent_header *eh, uint32_t lblk, uint64_t pblk,
			    bool unwritten)
{
	struct ext4_extent *ex = (void *)(eh + 1);
	uint16_t p;

	for (p = 0; p < eh->entries && ex[p].block <= lblk; p++)
		;
	if (p > 0) {
		struct ext4_extent *e = &ex[p - 1];

		uint32_t len = ext4_ext_len(e);

		if (lblk - e->block < len)
			return -EOPNOTSUPP;
		if (ext4_ext_unwritten(e) == unwritten &&
		    len < (unwritten ? EXT4_EXT_UNWRITTEN_MAX : EXT4_EXT_INIT_MAX) &&
		    e->block + len == lblk && ext4_lo_hi(e->start_lo, e->start_hi) + len == pblk) {
			e->len++;
			return 0;
		}
	}
	if (eh->entries == eh->max)
		return -ENOSPC;
	memmove(&ex[p + 1], &ex[p], (size_t)(eh->entries - p) * sizeof(*ex));
	ex[p] = (struct ext4_extent){ .block = lblk,
				      .len = (uint16_t)(unwritten ? EXT4_EXT_INIT_MAX + 1 : 1),
				      .start_hi = (uint16_t)(pblk >> 32),
				      .start_lo = (uint32_t)pblk };
	eh->entries++;
	return 0;
}

/* A new, empty leaf in fs->xbuf. */
static void ext4_leaf_init(const struct ext4_fs *fs)
{
	struct ext4_extent_header *eh = (void *)fs->xbuf;

	memset(fs->xbuf, 0, fs->block_size);
	*eh = (struct ext4_extent_header){ .magic = EXT4_EXT_MAGIC,
					   .max = (uint16_t)((fs->block_size - sizeof(*eh) - 4) /
							     sizeof(struct ext4_extent)) };
}

/* Depth 0 to 1: the root's extents move to a new leaf, the root indexes it. */
static int ext4_ext_grow(struct ext4_fs *fs, struct ext4_inode *in, uint64_t goal)
{
	struct ext4_extent_header *root = (void *)in->block, *leaf = (void *)fs->xbuf;
	struct ext4_extent_idx *ix = (void *)(root + 1);
	uint64_t blk;
	int err = ext4_alloc_block(fs, goal, &blk);

	if (err)
		return err;
	ext4_leaf_init(fs);
	memcpy(leaf + 1, root + 1, root->entries * sizeof(struct ext4_extent));
	leaf->entries = root->entries;
	err = ext4_ext_write_leaf(fs, in, blk);
	if (err)
		return err;
	ix[0] = (struct ext4_extent_idx){
		.block = root->entries ? ((struct ext4_extent *)(leaf + 1))->block : 0,
		.leaf_lo = (uint32_t)blk,
		.leaf_hi = (uint16_t)(blk >> 32)
	};
	root->entries = 1;
	root->depth = 1;
	in->blocks += fs->block_size / EXT4_DEV_BLOCK;
	return 0;
}

/*
 * Split full leaf @i (in fs->xbuf, at @blk) of a depth-1 tree for @lblk:
 * its upper half moves to a new leaf, or, when @lblk lies past its last
 * extent (a file growing), nothing moves and the new leaf starts empty.
 */
static int ext4_ext_split(struct ext4_fs *fs, struct ext4_inode *in, uint16_t i, uint64_t blk,
			  uint32_t lblk)
{
	struct ext4_extent_header *root = (void *)in->block, *leaf = (void *)fs->xbuf;
	struct ext4_extent_idx *ix = (void *)(root + 1);
	struct ext4_extent *ex = (void *)(leaf + 1);
	bool append = lblk > ex[leaf->entries - 1].block;
	uint16_t keep = append ? leaf->entries : leaf->entries / 2, move = leaf->entries - keep;
	uint64_t nblk;
	int err;

	if (root->entries == EXT4_EXT_ROOT_MAX)
		return -EFBIG; /* a depth-2 tree is not written yet */
	err = ext4_alloc_block(fs, blk, &nblk);
	if (err)
		return err;
	leaf->entries = keep;
	err = ext4_ext_write_leaf(fs, in, blk);
	if (err)
		return err;
	memmove(ex, ex + keep, move * sizeof(*ex)); /* fs->xbuf becomes the new leaf */
	memset(ex + move, 0, keep * sizeof(*ex));
	leaf->entries = move;
	err = ext4_ext_write_leaf(fs, in, nblk);
	if (err)
		return err;
	memmove(&ix[i + 2], &ix[i + 1], (size_t)(root->entries - i - 1) * sizeof(*ix));
	ix[i + 1] = (struct ext4_extent_idx){ .block = append ? lblk : ex[0].block,
					      .leaf_lo = (uint32_t)nblk,
					      .leaf_hi = (uint16_t)(nblk >> 32) };
	root->entries++;
	in->blocks += fs->block_size / EXT4_DEV_BLOCK;
	return 0;
}

/* Insert lblk -> pblk into @in's depth-1 tree; the inode is written by the caller. */
static int ext4_ext_insert1(struct ext4_fs *fs, struct ext4_inode *in, uint32_t lblk, uint64_t pblk,
			    bool unwritten)
{
	struct ext4_extent_header *root = (void *)in->block;
	struct ext4_extent_idx *ix = (void *)(root + 1);
	int tries, err;

	for (tries = 0; tries < 2; tries++) {
		uint16_t i;
		uint64_t blk;

		for (i = 1; i < root->entries && ix[i].block <= lblk; i++)
			;
		i--;
		if (lblk < ix[i].block)
			ix[i].block = lblk; /* the first leaf now starts lower */
		blk = ext4_lo_hi(ix[i].leaf_lo, ix[i].leaf_hi);
		err = ext4_read_block(fs, blk, fs->xbuf);
		if (err)
			return err;
		if (((struct ext4_extent_header *)fs->xbuf)->magic != EXT4_EXT_MAGIC)
			return -EUCLEAN;
		err = ext4_leaf_insert((void *)fs->xbuf, lblk, pblk, unwritten);
		if (err == 0)
			return ext4_ext_write_leaf(fs, in, blk);
		if (err != -ENOSPC)
			return err;
		err = ext4_ext_split(fs, in, i, blk, lblk);
		if (err)
			return err;
	}
	return -EUCLEAN;
}

/* Map lblk -> pblk in @in's extent tree (lblk unmapped), then write the inode. */
static int ext4_ext_insert(struct ext4_fs *fs, struct ext4_inode *in, uint32_t lblk, uint64_t pblk,
			   bool unwritten)
{
	struct ext4_extent_header *root = (void *)in->block;
	int err = root->depth == 0 ? ext4_leaf_insert(root, lblk, pblk, unwritten) : 0;

	if (root->depth == 0 && err != -ENOSPC)
		return err ? err : ext4_inode_write(fs, in);
	if (root->depth == 0)
		err = ext4_ext_grow(fs, in, pblk);
	else if (root->depth > 1)
		err = -EFBIG;
	if (!err)
		err = ext4_ext_insert1(fs, in, lblk, pblk, unwritten);
	return err ? err : ext4_inode_write(fs, in);
}

/* ext4_get_block, the new block mapped written or (@unwritten) not. */
int ext4_map_block(struct ext4_fs *fs, struct ext4_inode *in, uint32_t lblk, uint64_t *pblk,
		   bool unwritten)
{
	uint64_t goal = 0;
	uint32_t count;
	int err = ext4_bmap(fs, in, lblk, pblk, &count);

	if (err || *pblk)
		return err;
	if (!(in->flags & EXT4_EXTENTS_FL))
		return -EFBIG; /* block maps are read, not written */
	if (lblk > 0 && ext4_bmap(fs, in, lblk - 1, &goal, &count) == 0 && goal)
		goal++;
	else
		goal = ext4_gd_inode_table(fs, ext4_gd(fs, (in->ino - 1) / fs->inodes_per_group));
	err = ext4_alloc_block(fs, goal, pblk);
	if (err)
		return err;
	in->blocks += fs->block_size / EXT4_DEV_BLOCK;
	err = ext4_ext_insert(fs, in, lblk, *pblk, unwritten);
	if (err) {
		ext4_free_blocks(fs, *pblk, 1);
		in->blocks -= fs->block_size / EXT4_DEV_BLOCK;
	}
	return err;
}

int ext4_get_block(struct ext4_fs *fs, struct ext4_inode *in, uint32_t lblk, uint64_t *pblk)
{
	return ext4_map_block(fs, in, lblk, pblk, false);
}

/* The leaf of @in's tree that holds @lblk: the root at depth 0 (*@blk 0),
 * else its block *@blk, read into fs->xbuf, under root index *@ix. */
static int ext4_ext_find_leaf(struct ext4_fs *fs, struct ext4_inode *in, uint32_t lblk,
			      struct ext4_extent_header **eh, uint64_t *blk, uint16_t *ix)
{
	struct ext4_extent_header *root = (void *)in->block;
	struct ext4_extent_idx *x = (void *)(root + 1);
	uint16_t i;
	int err;

	*blk = 0;
	*ix = 0;
	*eh = root;
	if (root->depth == 0)
		return 0;
	if (root->depth > 1 || !root->entries)
		return root->depth > 1 ? -EFBIG : -EUCLEAN; /* depth 2 is not written yet */
	for (i = 1; i < root->entries && x[i].block <= lblk; i++)
		;
	*ix = i - 1;
	*blk = ext4_lo_hi(x[i - 1].leaf_lo, x[i - 1].leaf_hi);
	if ((err = ext4_read_block(fs, *blk, fs->xbuf)))
		return err;
	*eh = (void *)fs->xbuf;
	return (*eh)->magic == EXT4_EXT_MAGIC ? 0 : -EUCLEAN;
}

/* Write zeros to the @n blocks from @pblk (file data: in place). */
static int ext4_zero_blocks(struct ext4_fs *fs, uint64_t pblk, uint32_t n)
{
	int err = 0;

	fs->data_blk = 0;
	memset(fs->data, 0, fs->block_size);
	for (uint32_t i = 0; i < n && !err; i++)
		err = ext4_write_data(fs, pblk + i, fs->data);
	return err;
}

/* Replace extent @p of leaf @eh by the @n extents at @pieces (room checked). */
static void ext4_leaf_replace(struct ext4_extent_header *eh, uint16_t p,
			      const struct ext4_extent *pieces, uint16_t n)
{
	struct ext4_extent *ex = (void *)(eh + 1);

	memmove(&ex[p + n], &ex[p + 1], (size_t)(eh->entries - p - 1) * sizeof(*ex));
	memcpy(&ex[p], pieces, n * sizeof(*ex));
	eh->entries = (uint16_t)(eh->entries + n - 1);
}

static struct ext4_extent ext4_ext_make(uint32_t block, uint32_t len, uint64_t start,
					bool unwritten)
{
	return (struct ext4_extent){ .block = block,
				     .len = (uint16_t)(unwritten ? EXT4_EXT_INIT_MAX + len : len),
				     .start_hi = (uint16_t)(start >> 32),
				     .start_lo = (uint32_t)start };
}

/*
 * Convert the EXT4_ZEROOUT_BLOCKS-aligned chunk around @lblk of its
 * unwritten extent @p in leaf @eh to written: zero its blocks, then split
 * the extent into [unwritten][written][unwritten] pieces, the written one
 * joining a contiguous written extent before it.  @limit: the blocks
 * within i_size.  -ENOSPC if the leaf has
 * no room for the pieces (nothing changed).
 */
static int ext4_leaf_convert(struct ext4_fs *fs, struct ext4_extent_header *eh, uint16_t p,
			     uint32_t lblk, uint32_t limit)
{
	struct ext4_extent *ex = (void *)(eh + 1), *e = &ex[p], pieces[3];
	uint32_t b = e->block, end = b + ext4_ext_len(e), chunk = lblk & ~(EXT4_ZEROOUT_BLOCKS - 1);
	uint32_t cs = chunk > b ? chunk : b,
		 ce = end - chunk < EXT4_ZEROOUT_BLOCKS ? end : chunk + EXT4_ZEROOUT_BLOCKS;

	/* Written blocks past i_size are what e2fsck calls a wrong size: past
	 * the end the chunk stops after @lblk, which the write brings inside. */
	if (ce > limit)
		ce = limit > lblk ? limit : lblk + 1;
	uint64_t start = ext4_lo_hi(e->start_lo, e->start_hi);
	struct ext4_extent *prev = p ? &ex[p - 1] : NULL;
	bool merge = cs == b && prev && !ext4_ext_unwritten(prev) && prev->block + prev->len == b &&
		     ext4_lo_hi(prev->start_lo, prev->start_hi) + prev->len == start &&
		     prev->len + (ce - cs) <= EXT4_EXT_INIT_MAX;
	uint16_t n = 0;
	int err;

	if (cs > b)
		pieces[n++] = ext4_ext_make(b, cs - b, start, true);
	if (!merge)
		pieces[n++] = ext4_ext_make(cs, ce - cs, start + (cs - b), false);
	if (ce < end)
		pieces[n++] = ext4_ext_make(ce, end - ce, start + (ce - b), true);
	if (eh->entries + n - 1 > eh->max)
		return -ENOSPC;
	if ((err = ext4_zero_blocks(fs, start + (cs - b), ce - cs)))
		return err;
	if (merge)
		prev->len = (uint16_t)(prev->len + (ce - cs));
	if (n)
		ext4_leaf_replace(eh, p, pieces, n);
	else
		memmove(e, e + 1, (size_t)(eh->entries-- - p - 1) * sizeof(*ex));
	return 0;
}

/* Make @lblk, in an unwritten extent of @in, written (reading zeros still),
 * growing or splitting the tree when the pieces need room; then write the
 * inode. */
int ext4_ext_convert(struct ext4_fs *fs, struct ext4_inode *in, uint32_t lblk)
{
	for (int tries = 0; tries < 3; tries++) {
		struct ext4_extent_header *eh;
		struct ext4_extent *ex;
		uint64_t blk;
		uint16_t ix, p;
		int err = ext4_ext_find_leaf(fs, in, lblk, &eh, &blk, &ix);

		if (err)
			return err;
		ex = (void *)(eh + 1);
		for (p = 0; p < eh->entries && ex[p].block <= lblk; p++)
			;
		if (!p || !ext4_ext_unwritten(&ex[p - 1]) ||
		    lblk - ex[p - 1].block >= ext4_ext_len(&ex[p - 1]))
			return -EUCLEAN; /* ext4_bmap found it unwritten */
		err = ext4_leaf_convert(
			fs, eh, p - 1, lblk,
			(uint32_t)((in->size + fs->block_size - 1) >> (10 + fs->log_block_size)));
		if (!err && blk)
			err = ext4_ext_write_leaf(fs, in, blk);
		if (!err)
			return ext4_inode_write(fs, in); /* the root: depth 0, or grown */
		if (err != -ENOSPC)
			return err;
		if (!blk)
			err = ext4_ext_grow(fs, in, ext4_lo_hi(ex[0].start_lo, ex[0].start_hi));
		else
			err = ext4_ext_split(fs, in, ix, blk, 0); /* halves: lblk stays put */
		if (err)
			return err;
	}
	return -EUCLEAN;
}

/* Unmap blocks >= @from from leaf @eh, freeing them (extents are sorted: trim from the end). */
static int ext4_leaf_trim(struct ext4_fs *fs, struct ext4_inode *in, struct ext4_extent_header *eh,
			  uint32_t from)
{
	struct ext4_extent *ex = (void *)(eh + 1);

	while (eh->entries > 0) {
		struct ext4_extent *e = &ex[eh->entries - 1];
		uint32_t len = ext4_ext_len(e), cut;
		uint64_t start = ext4_lo_hi(e->start_lo, e->start_hi);
		int err;

		if ((uint64_t)e->block + len <= from)
			break;
		cut = e->block >= from ? len : e->block + len - from;
		err = ext4_free_blocks(fs, start + len - cut, cut);
		if (err)
			return err;
		in->blocks -= (uint64_t)cut * (fs->block_size / EXT4_DEV_BLOCK);
		if (cut == len)
			eh->entries--;
		else
			e->len = (uint16_t)(e->len - cut);
	}
	return 0;
}

/* Unmap and free every block >= @from of @in (and emptied leaves); the inode is written by the caller. */
int ext4_ext_trim(struct ext4_fs *fs, struct ext4_inode *in, uint32_t from)
{
	struct ext4_extent_header *root = (void *)in->block;
	struct ext4_extent_idx *ix = (void *)(root + 1);
	int err;

	if (root->depth == 0)
		return ext4_leaf_trim(fs, in, root, from);
	if (root->depth > 1)
		return -EFBIG;
	while (root->entries > 0) {
		struct ext4_extent_idx *i = &ix[root->entries - 1];
		uint64_t blk = ext4_lo_hi(i->leaf_lo, i->leaf_hi);
		struct ext4_extent_header *leaf = (void *)fs->xbuf;

		err = ext4_read_block(fs, blk, fs->xbuf);
		if (!err && leaf->magic != EXT4_EXT_MAGIC)
			err = -EUCLEAN;
		if (!err)
			err = ext4_leaf_trim(fs, in, leaf, from);
		if (err)
			return err;
		if (leaf->entries > 0)
			return ext4_ext_write_leaf(fs, in, blk);
		err = ext4_free_blocks(fs, blk, 1);
		if (err)
			return err;
		in->blocks -= fs->block_size / EXT4_DEV_BLOCK;
		root->entries--;
	}
	root->depth = 0; /* all gone: the root holds extents again, as Linux leaves it */
	root->max = EXT4_EXT_ROOT_MAX;
	return 0;
}
