/*
 * ext4 file writes: inodes written back, file data written through the
 * extent trees of extent.c, truncation and fallocate.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <lib/crc32c.h>

#include "ext4_disk.h"

/* Whole blocks of one write sent in one request at most (256 KiB of 4 KiB
 * blocks, what the block layer takes at once, kernel/fs/blkdev.c). */
#define EXT4_WRITE_RUN_MAX 64

/* A timestamp's extra word: epoch bits (seconds past 32 signed bits) and nanoseconds (ext4_encode_extra_time). */
static uint32_t ext4_time_extra(struct ext4_time t)
{
	return (uint32_t)(((uint64_t)t.sec - (uint64_t)(int64_t)(int32_t)(uint32_t)t.sec) >> 32 &
			  3) |
	       t.nsec << 2;
}

/* Encode @in into the raw inode @ri (whose extra part is @extra bytes). */
static void ext4_encode_inode(const struct ext4_fs *fs, const struct ext4_inode *in,
			      struct ext4_raw_inode *ri, uint32_t extra)
{
#define EXT4_EXTRA_HAS(field)                                                                      \
	(extra >= offsetof(struct ext4_raw_inode, field) + 4 - EXT4_OLD_INO_SIZE)
	uint64_t blocks = in->blocks;

	ri->mode = in->mode;
	ri->uid_lo = (uint16_t)in->uid;
	ri->uid_high = (uint16_t)(in->uid >> 16);
	ri->gid_lo = (uint16_t)in->gid;
	ri->gid_high = (uint16_t)(in->gid >> 16);
	ri->size_lo = (uint32_t)in->size;
	ri->size_high = (uint32_t)(in->size >> 32);
	ri->links_count = in->links;
	ri->dtime = in->dtime;
	ri->flags = in->flags & ~(uint32_t)EXT4_HUGE_FILE_FL;
	if (in->flags & EXT4_HUGE_FILE_FL)
		ri->flags |= EXT4_HUGE_FILE_FL, blocks >>= fs->log_block_size + 1;
	ri->blocks_lo = (uint32_t)blocks;
	ri->blocks_high = (uint16_t)(blocks >> 32);
	ri->generation = in->generation;
	ri->file_acl_lo = (uint32_t)in->file_acl;
	ri->file_acl_high = (uint16_t)(in->file_acl >> 32);
	memcpy(ri->block, in->block, sizeof(ri->block));
	ri->atime = (uint32_t)in->atime.sec;
	if (EXT4_EXTRA_HAS(atime_extra))
		ri->atime_extra = ext4_time_extra(in->atime);
	ri->mtime = (uint32_t)in->mtime.sec;
	if (EXT4_EXTRA_HAS(mtime_extra))
		ri->mtime_extra = ext4_time_extra(in->mtime);
	ri->ctime = (uint32_t)in->ctime.sec;
	if (EXT4_EXTRA_HAS(ctime_extra))
		ri->ctime_extra = ext4_time_extra(in->ctime);
	if (EXT4_EXTRA_HAS(crtime_extra)) {
		ri->crtime = (uint32_t)in->crtime.sec;
		ri->crtime_extra = ext4_time_extra(in->crtime);
	}
#undef EXT4_EXTRA_HAS
}

/*
 * Tell the journal when @in differs from the raw inode @ri in more than
 * its timestamps and checksum: fdatasync must then commit (Linux sets
 * i_datasync_tid the same way, in ext4_do_update_inode and the block
 * allocator).
 */
static void ext4_inode_dsync(struct ext4_fs *fs, const struct ext4_raw_inode *ri,
			     const struct ext4_inode *in, uint32_t extra)
{
	struct ext4_raw_inode a, b;
	size_t len = EXT4_OLD_INO_SIZE + extra < sizeof(a) ? EXT4_OLD_INO_SIZE + extra : sizeof(a);

	memset(&a, 0, sizeof(a));
	memcpy(&a, ri, len);
	b = a;
	ext4_encode_inode(fs, in, &b, extra);
	a.atime = b.atime, a.ctime = b.ctime, a.mtime = b.mtime;
	a.atime_extra = b.atime_extra, a.ctime_extra = b.ctime_extra;
	a.mtime_extra = b.mtime_extra;
	if (memcmp(&a, &b, len))
		ext4_journal_dsync(fs, in->ino);
}

int ext4_inode_write(struct ext4_fs *fs, const struct ext4_inode *in)
{
	uint32_t group = (in->ino - 1) / fs->inodes_per_group,
		 index = (in->ino - 1) % fs->inodes_per_group;
	uint32_t per_block = fs->block_size / fs->inode_size, extra = 0;
	uint64_t blk = ext4_gd_inode_table(fs, ext4_gd(fs, group)) + index / per_block;
	struct ext4_raw_inode *ri;
	int err;

	if (fs->read_only)
		return -EROFS;
	err = ext4_read_block(fs, blk, fs->wbuf);
	if (err)
		return err;
	ri = (struct ext4_raw_inode *)(fs->wbuf + (size_t)(index % per_block) * fs->inode_size);
	if (fs->inode_size > EXT4_OLD_INO_SIZE) {
		extra = ri->extra_isize;
		if (extra & 3 || EXT4_OLD_INO_SIZE + extra > fs->inode_size)
			return -EUCLEAN;
	}
	ext4_inode_dsync(fs, ri, in, extra);
	ext4_encode_inode(fs, in, ri, extra);
	if (fs->csum) {
		uint32_t c = ext4_inode_csum(fs, (const uint8_t *)ri, in->csum_seed);

		ri->checksum_lo = (uint16_t)c;
		if (extra >= EXT4_INODE_CSUM_HI_EXTRA)
			ri->checksum_hi = (uint16_t)(c >> 16);
	}
	return ext4_write_block(fs, blk, fs->wbuf);
}

void ext4_touch(struct ext4_fs *fs, struct ext4_inode *in, bool mtime)
{
	struct ext4_time t = { 0, 0 };

	if (fs->dev->now)
		fs->dev->now(fs->dev->ctx, &t.sec, &t.nsec);
	in->ctime = t;
	if (mtime)
		in->mtime = t;
}

/* The block to write @lblk to: mapped already, or newly (a hole: *@fresh,
 * not yet written), or converted from unwritten (*@fresh, zeroed). */
static int ext4_block_for_write(struct ext4_fs *fs, struct ext4_inode *in, uint32_t lblk,
				uint64_t *pblk, bool *fresh)
{
	uint32_t count;
	int err = ext4_bmap(fs, in, lblk, pblk, &count);

	*fresh = false;
	if (err || *pblk)
		return err;
	*fresh = true;
	ext4_journal_dsync(fs, in->ino); /* the block map changes: fdatasync must commit */
	if (!fs->bmap_unwritten)
		return ext4_get_block(fs, in, lblk, pblk);
	err = ext4_ext_convert(fs, in, lblk);
	if (!err)
		err = ext4_bmap(fs, in, lblk, pblk, &count);
	return err ? err : (*pblk ? 0 : -EUCLEAN);
}

/*
 * Write whole blocks from @lblk (@nblocks of them at @src) in one request
 * for as many as lie contiguous on the disk, up to EXT4_WRITE_RUN_MAX:
 * the number written (>= 1), or -errno.  A block mapped past the run is
 * the next call's first.
 */
static int64_t ext4_write_run(struct ext4_fs *fs, struct ext4_inode *in, uint32_t lblk,
			      size_t nblocks, const uint8_t *src)
{
	uint64_t pblk, next;
	uint32_t run = 1;
	bool fresh;
	int err = ext4_block_for_write(fs, in, lblk, &pblk, &fresh);

	if (err)
		return err;
	while (run < nblocks && run < EXT4_WRITE_RUN_MAX && lblk + run < UINT32_MAX &&
	       !ext4_block_for_write(fs, in, lblk + run, &next, &fresh) && next == pblk + run)
		run++;
	fs->data_blk = 0;
	err = ext4_write_data_n(fs, pblk, run, src);
	return err ? (int64_t)err : (int64_t)run;
}

/* ext4_write within an operation (a symlink's target): no commit may happen first. */
int64_t ext4_write_file(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off, const void *buf,
			size_t len)
{
	const uint8_t *src = buf;
	size_t done = 0;
	int err = 0;

	if (fs->read_only)
		return -EROFS;
	if ((in->mode & EXT4_S_IFMT) != EXT4_S_IFREG && (in->mode & EXT4_S_IFMT) != EXT4_S_IFLNK)
		return -EINVAL;
	while (done < len) {
		uint64_t pos = off + done, lblk = pos >> (10 + fs->log_block_size), pblk;
		uint32_t boff = (uint32_t)(pos & (fs->block_size - 1));
		size_t n = fs->block_size - boff < len - done ? fs->block_size - boff : len - done;
		bool fresh;
		int64_t run;

		if (lblk > UINT32_MAX - 1)
			return done ? (int64_t)done : -EFBIG;
		if (n == fs->block_size) { /* whole blocks: straight from @buf */
			run = ext4_write_run(fs, in, (uint32_t)lblk, (len - done) / fs->block_size,
					     src + done);
			if (run < 0) {
				err = (int)run;
				break;
			}
			done += (size_t)run * fs->block_size;
			if (off + done > in->size)
				in->size = off + done;
			continue;
		}
		err = ext4_block_for_write(fs, in, (uint32_t)lblk, &pblk, &fresh);
		if (err)
			break;
		fs->data_blk = 0;
		if (n < fs->block_size && !fresh)
			err = ext4_read_block(fs, pblk, fs->data);
		else if (n < fs->block_size)
			memset(fs->data, 0, fs->block_size);
		if (err)
			break;
		memcpy(fs->data + boff, src + done, n);
		err = ext4_write_data(fs, pblk, fs->data);
		if (err)
			break;
		done += n;
		if (off + done > in->size)
			in->size = off + done;
	}
	if (done) {
		ext4_touch(fs, in, true);
		err = ext4_inode_write(fs, in);
	}
	return done && !err ? (int64_t)done : (err ? err : 0);
}

/*
 * Blocks freed by the running transaction are not reused before it commits
 * (journal.c): on a volume whose free space is mostly such blocks (a big
 * file truncated and written again), a write that finds no block commits
 * and tries once more, as Linux's ext4_should_retry_alloc forces a commit.
 */
int64_t ext4_write(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off, const void *buf,
		   size_t len)
{
	int err = fs->read_only ? -EROFS : ext4_journal_room(fs);
	int64_t r = err ? err : ext4_write_file(fs, in, off, buf, len);

	if (r == -ENOSPC && fs->jnl && !(err = ext4_journal_commit(fs)))
		r = ext4_write_file(fs, in, off, buf, len);
	return err ? err : r;
}

/* Zero the bytes of @in's block holding @size that lie past it, so a later extension reads zeros. */
int ext4_data_written(struct ext4_fs *fs, struct ext4_inode *in)
{
	int err = fs->read_only ? -EROFS : ext4_journal_room(fs);

	if (!err) {
		ext4_touch(fs, in, true);
		err = ext4_inode_write(fs, in);
	}
	return err;
}

static int ext4_zero_tail(struct ext4_fs *fs, struct ext4_inode *in, uint64_t size)
{
	uint32_t boff = (uint32_t)(size & (fs->block_size - 1)), count;
	uint64_t pblk;
	int err;

	if (boff == 0)
		return 0;
	err = ext4_bmap(fs, in, (uint32_t)(size >> (10 + fs->log_block_size)), &pblk, &count);
	if (err || !pblk)
		return err;
	fs->data_blk = 0;
	err = ext4_read_block(fs, pblk, fs->data);
	if (err)
		return err;
	memset(fs->data + boff, 0, fs->block_size - boff);
	return ext4_write_data(fs, pblk, fs->data);
}

int ext4_truncate(struct ext4_fs *fs, struct ext4_inode *in, uint64_t size)
{
	uint64_t from = (size + fs->block_size - 1) >> (10 + fs->log_block_size);
	int err = 0;

	if (fs->read_only)
		return -EROFS;
	err = ext4_journal_room(fs);
	if (err)
		return err;
	if ((in->mode & EXT4_S_IFMT) != EXT4_S_IFREG)
		return -EINVAL;
	if (from > UINT32_MAX)
		return -EFBIG;
	if (size < in->size) {
		if (!(in->flags & EXT4_EXTENTS_FL))
			return -EFBIG; /* freeing block maps is not written yet */
		err = ext4_ext_trim(fs, in, (uint32_t)from);
		if (!err)
			err = ext4_zero_tail(fs, in, size);
	}
	if (err)
		return err;
	in->size = size;
	ext4_touch(fs, in, true);
	return ext4_inode_write(fs, in);
}

int ext4_fallocate(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off, uint64_t len,
		   bool keep_size)
{
	uint64_t end = off + len, lblk;
	int err = 0;

	if (fs->read_only)
		return -EROFS;
	err = ext4_journal_room(fs);
	if (err)
		return err;
	if ((in->mode & EXT4_S_IFMT) != EXT4_S_IFREG)
		return -ENODEV; /* as fallocate(2) says for what is not a regular file */
	if (len == 0 || end < off || (end - 1) >> (10 + fs->log_block_size) >= UINT32_MAX)
		return len == 0 ? -EINVAL : -EFBIG;
	/* New blocks are unwritten extents, as Linux makes them: they read as
	 * zeros, writes convert them, and e2fsck accepts them past i_size. */
	if (!(in->flags & EXT4_EXTENTS_FL))
		return -EOPNOTSUPP; /* a block map has no unwritten blocks */
	for (lblk = off >> (10 + fs->log_block_size);
	     !err && lblk <= (end - 1) >> (10 + fs->log_block_size); lblk++) {
		uint64_t pblk;
		uint32_t count;

		err = ext4_bmap(fs, in, (uint32_t)lblk, &pblk, &count);
		if (!err && !pblk && !fs->bmap_unwritten)
			err = ext4_map_block(fs, in, (uint32_t)lblk, &pblk, true);
	}
	if (!err && !keep_size && end > in->size)
		in->size = end;
	ext4_touch(fs, in, !keep_size);
	return err ? err : ext4_inode_write(fs, in);
}

/* Free every block of @in (before freeing the inode): 0 or -errno. */
int ext4_release_blocks(struct ext4_fs *fs, struct ext4_inode *in)
{
	int err;

	if (in->file_acl)
		return -EOPNOTSUPP; /* extended attribute blocks are shared and refcounted: not written yet */
	if (in->blocks == 0)
		return 0; /* fast symlinks, FIFOs, sockets, empty files */
	if (!(in->flags & EXT4_EXTENTS_FL))
		return -EOPNOTSUPP;
	err = ext4_ext_trim(fs, in, 0);
	in->size = 0;
	return err;
}
