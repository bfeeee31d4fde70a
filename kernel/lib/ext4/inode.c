/*
 * ext4 inodes: reading one from its group's inode table (checksum checked),
 * mapping its logical blocks through an extent tree of any depth or an
 * old-style block map, and reading its bytes (holes and unwritten extents
 * read as zeros).
 */
#include <lib/crc32c.h>
#include <lib/errno.h>
#include <lib/string.h>

#include "ext4_disk.h"

/* The checksum of raw inode @raw (fs/ext4/inode.c ext4_inode_csum), seeded per inode. */
uint32_t ext4_inode_csum(const struct ext4_fs *fs, const uint8_t *raw, uint32_t seed)
{
	const struct ext4_raw_inode *ri = (const struct ext4_raw_inode *)raw;
	uint16_t zero = 0;
	uint32_t c;
	bool has_hi =
		fs->inode_size > EXT4_OLD_INO_SIZE && ri->extra_isize >= EXT4_INODE_CSUM_HI_EXTRA;

	c = crc32c_update(seed, raw, EXT4_INODE_CSUM_LO_OFFSET);
	c = crc32c_update(c, &zero, sizeof(zero));
	c = crc32c_update(c, raw + EXT4_INODE_CSUM_LO_OFFSET + 2,
			  EXT4_OLD_INO_SIZE - EXT4_INODE_CSUM_LO_OFFSET - 2);
	if (fs->inode_size > EXT4_OLD_INO_SIZE) {
		c = crc32c_update(c, raw + EXT4_OLD_INO_SIZE,
				  EXT4_INODE_CSUM_HI_OFFSET - EXT4_OLD_INO_SIZE);
		if (has_hi) {
			c = crc32c_update(c, &zero, sizeof(zero));
			c = crc32c_update(c, raw + EXT4_INODE_CSUM_HI_OFFSET + 2,
					  fs->inode_size - EXT4_INODE_CSUM_HI_OFFSET - 2);
		} else {
			c = crc32c_update(c, raw + EXT4_INODE_CSUM_HI_OFFSET,
					  fs->inode_size - EXT4_INODE_CSUM_HI_OFFSET);
		}
	}
	return has_hi ? c : (c & 0xffff);
}

/* A timestamp: 32 seconds bits, and in the extra word 2 epoch bits and 30 nanosecond bits. */
static struct ext4_time ext4_time(uint32_t sec, bool has_extra, uint32_t extra)
{
	struct ext4_time t = { .sec = (int32_t)sec, .nsec = 0 };

	if (has_extra) {
		t.sec += (int64_t)(extra & 3) << 32;
		t.nsec = extra >> 2;
	}
	return t;
}

/* Decode raw inode @ri into @out; its extra part is present up to @extra bytes. */
static void ext4_decode_inode(const struct ext4_fs *fs, const struct ext4_raw_inode *ri,
			      uint32_t extra, struct ext4_inode *out)
{
#define EXT4_EXTRA_HAS(field)                                                                      \
	(extra >= offsetof(struct ext4_raw_inode, field) + 4 - EXT4_OLD_INO_SIZE)
	out->mode = ri->mode;
	out->uid = ri->uid_lo | (uint32_t)ri->uid_high << 16;
	out->gid = ri->gid_lo | (uint32_t)ri->gid_high << 16;
	out->size = ext4_lo_hi(ri->size_lo, ri->size_high);
	out->links = ri->links_count;
	out->dtime = ri->dtime;
	out->flags = ri->flags;
	out->generation = ri->generation;
	out->file_acl = ext4_lo_hi(ri->file_acl_lo, ri->file_acl_high);
	out->blocks = ext4_lo_hi(
		ri->blocks_lo,
		(fs->feat_ro_compat & EXT4_FEATURE_RO_COMPAT_HUGE_FILE) ? ri->blocks_high : 0);
	if ((fs->feat_ro_compat & EXT4_FEATURE_RO_COMPAT_HUGE_FILE) &&
	    (ri->flags & EXT4_HUGE_FILE_FL))
		out->blocks <<= fs->log_block_size + 1; /* fs blocks to 512-byte units */
	out->atime = ext4_time(ri->atime, EXT4_EXTRA_HAS(atime_extra),
			       EXT4_EXTRA_HAS(atime_extra) ? ri->atime_extra : 0);
	out->mtime = ext4_time(ri->mtime, EXT4_EXTRA_HAS(mtime_extra),
			       EXT4_EXTRA_HAS(mtime_extra) ? ri->mtime_extra : 0);
	out->ctime = ext4_time(ri->ctime, EXT4_EXTRA_HAS(ctime_extra),
			       EXT4_EXTRA_HAS(ctime_extra) ? ri->ctime_extra : 0);
	if (EXT4_EXTRA_HAS(crtime_extra))
		out->crtime = ext4_time(ri->crtime, true, ri->crtime_extra);
	memcpy(out->block, ri->block, sizeof(out->block));
#undef EXT4_EXTRA_HAS
}

int ext4_iget(struct ext4_fs *fs, uint32_t ino, struct ext4_inode *out)
{
	uint32_t group, index, per_block = fs->block_size / fs->inode_size, extra = 0;
	const struct ext4_raw_inode *ri;
	uint64_t blk;
	int err;

	if (ino == 0 || ino > fs->inodes_count)
		return -EINVAL;
	group = (ino - 1) / fs->inodes_per_group;
	index = (ino - 1) % fs->inodes_per_group;
	blk = ext4_gd_inode_table(fs, ext4_gd(fs, group)) + index / per_block;
	err = ext4_read_block(fs, blk, fs->meta);
	if (err)
		return err;
	ri = (const struct ext4_raw_inode *)(fs->meta +
					     (size_t)(index % per_block) * fs->inode_size);
	if (fs->inode_size > EXT4_OLD_INO_SIZE) {
		extra = ri->extra_isize;
		if (extra & 3 || EXT4_OLD_INO_SIZE + extra > fs->inode_size)
			return -EUCLEAN;
	}
	memset(out, 0, sizeof(*out));
	out->ino = ino;
	out->csum_seed = crc32c_update(fs->csum_seed, &ino, sizeof(ino));
	out->csum_seed = crc32c_update(out->csum_seed, &ri->generation, sizeof(ri->generation));
	if (fs->csum) {
		uint32_t want = ri->checksum_lo;

		if (extra >= EXT4_INODE_CSUM_HI_EXTRA)
			want |= (uint32_t)ri->checksum_hi << 16;
		if (ext4_inode_csum(fs, (const uint8_t *)ri, out->csum_seed) != want)
			return -EUCLEAN;
	}
	ext4_decode_inode(fs, ri, extra, out);
	/* Without large_dir (refused at mount) a directory stays under 2 GiB: bounds every scan of one. */
	if ((out->mode & EXT4_S_IFMT) == EXT4_S_IFDIR && out->size >= EXT4_DIR_SIZE_MAX)
		return -EUCLEAN;
	return 0;
}

/* Check an extent node's header: magic, entries within max, max within @room entries, @depth. */
static int ext4_ext_check(const struct ext4_extent_header *eh, size_t room, uint16_t depth)
{
	if (eh->magic != EXT4_EXT_MAGIC || eh->entries > eh->max || eh->max > room ||
	    eh->depth != depth)
		return -EUCLEAN;
	return 0;
}

/* Verify the checksum tail of extent block @buf (after eh_max entries). */
static int ext4_ext_csum_ok(const struct ext4_fs *fs, const struct ext4_inode *in,
			    const uint8_t *buf)
{
	const struct ext4_extent_header *eh = (const void *)buf;
	size_t off = sizeof(*eh) + (size_t)eh->max * sizeof(struct ext4_extent);
	uint32_t want;

	if (!fs->csum)
		return 1;
	if (off + sizeof(want) > fs->block_size)
		return 0;
	memcpy(&want, buf + off, sizeof(want));
	return crc32c_update(in->csum_seed, buf, off) == want;
}

/*
 * Find @lblk in the leaf @eh (entries sorted by block): the extent holding
 * it, or the hole up to the next extent (or to @end, the end of this node's
 * range).
 */
static int ext4_ext_leaf(struct ext4_fs *fs, const struct ext4_extent_header *eh, uint32_t lblk,
			 uint64_t end, uint64_t *pblk, uint32_t *count)
{
	const struct ext4_extent *ex = (const void *)(eh + 1);
	uint16_t i;

	for (i = 0; i < eh->entries && ex[i].block <= lblk; i++)
		;
	if (i > 0) {
		const struct ext4_extent *e = &ex[i - 1];
		bool unwritten = e->len > EXT4_EXT_INIT_MAX;
		uint32_t len = unwritten ? e->len - EXT4_EXT_INIT_MAX : e->len;
		uint64_t start = ext4_lo_hi(e->start_lo, e->start_hi);

		if (lblk - e->block < len) {
			if (start + len > fs->blocks_count || start + len < start)
				return -EUCLEAN;
			*pblk = unwritten ? 0 : start + (lblk - e->block);
			fs->bmap_unwritten = unwritten;
			*count = len - (lblk - e->block);
			return 0;
		}
	}
	if (i < eh->entries)
		end = ex[i].block;
	*pblk = 0;
	*count = end > lblk ? (uint32_t)(end - lblk < UINT32_MAX ? end - lblk : UINT32_MAX) : 1;
	return 0;
}

/* ext4_bmap for extent-mapped inodes: descend from the root in i_block, one node at a time. */
static int ext4_ext_map(struct ext4_fs *fs, const struct ext4_inode *in, uint32_t lblk,
			uint64_t *pblk, uint32_t *count)
{
	const struct ext4_extent_header *eh = (const void *)in->block;
	uint64_t end = (uint64_t)UINT32_MAX + 1;
	uint16_t depth = eh->depth;
	int err;

	if (depth > EXT4_EXT_MAX_DEPTH ||
	    ext4_ext_check(eh, (sizeof(in->block) - sizeof(*eh)) / sizeof(struct ext4_extent),
			   depth))
		return -EUCLEAN;
	while (depth > 0) {
		const struct ext4_extent_idx *ix = (const void *)(eh + 1);
		uint16_t i;

		for (i = 0; i < eh->entries && ix[i].block <= lblk; i++)
			;
		if (i == 0) { /* before the first index: a hole */
			*pblk = 0;
			*count = eh->entries ? ix[0].block - lblk : 1;
			return 0;
		}
		if (i < eh->entries)
			end = ix[i].block;
		err = ext4_read_block(fs, ext4_lo_hi(ix[i - 1].leaf_lo, ix[i - 1].leaf_hi),
				      fs->meta);
		if (err)
			return err;
		eh = (const void *)fs->meta;
		depth--;
		if (ext4_ext_check(eh, (fs->block_size - sizeof(*eh)) / sizeof(struct ext4_extent),
				   depth) ||
		    !ext4_ext_csum_ok(fs, in, fs->meta))
			return -EUCLEAN;
	}
	return ext4_ext_leaf(fs, eh, lblk, end, pblk, count);
}

/* ext4_bmap for block-mapped inodes: 12 direct blocks, then 1, 2 and 3 levels of indirection. */
static int ext4_ind_map(struct ext4_fs *fs, const struct ext4_inode *in, uint32_t lblk,
			uint64_t *pblk, uint32_t *count)
{
	uint32_t per = fs->block_size / 4, slot = EXT4_IND_BLOCK, level, i;
	uint64_t span = per, l = lblk;
	uint32_t blk;

	*count = 1;
	if (l < EXT4_NDIR_BLOCKS) {
		memcpy(&blk, in->block + 4 * l, 4);
		*pblk = blk;
		return blk >= fs->blocks_count ? -EUCLEAN : 0;
	}
	l -= EXT4_NDIR_BLOCKS;
	for (level = 1; l >= span; level++) {
		l -= span;
		span *= per;
		if (++slot > EXT4_TIND_BLOCK)
			return -EUCLEAN; /* beyond what a block map can address */
	}
	/* Invariant: blk roots a subtree of span blocks, and lblk is l blocks into it. */
	memcpy(&blk, in->block + 4 * slot, 4);
	for (i = 0; i < level && blk; i++) {
		int err = ext4_read_block(fs, blk, fs->meta);

		if (err)
			return err;
		span /= per;
		memcpy(&blk, fs->meta + 4 * (l / span), 4);
		l %= span;
	}
	if (!blk && i < level) /* a missing indirect block: its whole subtree is a hole */
		*count = span - l > UINT32_MAX ? UINT32_MAX : (uint32_t)(span - l);
	*pblk = blk;
	return blk >= fs->blocks_count ? -EUCLEAN : 0;
}

int ext4_bmap(struct ext4_fs *fs, const struct ext4_inode *in, uint32_t lblk, uint64_t *pblk,
	      uint32_t *count)
{
	fs->bmap_unwritten = false;
	if (in->flags & EXT4_INLINE_DATA_FL)
		return -EUCLEAN; /* inline_data is refused at mount */
	if (in->flags & EXT4_EXTENTS_FL)
		return ext4_ext_map(fs, in, lblk, pblk, count);
	return ext4_ind_map(fs, in, lblk, pblk, count);
}

int64_t ext4_read(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t off, void *buf,
		  size_t len)
{
	uint8_t *out = buf;
	size_t done = 0;

	if ((in->mode & EXT4_S_IFMT) == EXT4_S_IFDIR)
		return -EISDIR;
	if (off >= in->size)
		return 0;
	if (len > in->size - off)
		len = (size_t)(in->size - off);
	while (done < len) {
		uint64_t pos = off + done, lblk = pos >> (10 + fs->log_block_size), pblk;
		uint32_t boff = (uint32_t)(pos & (fs->block_size - 1)), count;
		size_t n = fs->block_size - boff;
		int err;

		if (lblk > UINT32_MAX)
			return -EFBIG;
		err = ext4_bmap(fs, in, (uint32_t)lblk, &pblk, &count);
		if (err)
			return done ? (int64_t)done : err;
		if (n > len - done)
			n = len - done;
		if (!pblk) {
			memset(out + done, 0, n);
		} else {
			fs->data_blk = 0;
			err = ext4_read_block(fs, pblk, fs->data);
			if (err)
				return done ? (int64_t)done : err;
			memcpy(out + done, fs->data + boff, n);
		}
		done += n;
	}
	return (int64_t)done;
}

int64_t ext4_readlink(struct ext4_fs *fs, const struct ext4_inode *in, char *buf, size_t size)
{
	uint64_t ea_blocks = in->file_acl ? fs->block_size / EXT4_DEV_BLOCK : 0;
	size_t n = in->size < size ? (size_t)in->size : size;

	if ((in->mode & EXT4_S_IFMT) != EXT4_S_IFLNK)
		return -EINVAL;
	/* A fast symlink keeps its target in i_block and owns no data block (ext4_inode_is_fast_symlink). */
	if (in->blocks == ea_blocks) {
		if (in->size >= sizeof(in->block))
			return -EUCLEAN;
		memcpy(buf, in->block, n);
		return (int64_t)n;
	}
	if (in->size >= fs->block_size)
		return -EUCLEAN; /* a slow symlink's target fits in one block */
	return ext4_read(fs, in, 0, buf, n);
}
