/*
 * ext4 mount: the superblock, the feature flags and the group descriptors,
 * with their checksums; and the block I/O every other file goes through.
 * (Layer: kernel/lib/ext4/ is the filesystem, below the VFS and above
 * struct ext4_dev.)
 */
#include <lib/crc32c.h>
#include <lib/errno.h>
#include <lib/string.h>

#include "ext4_disk.h"

/* The incompat features a mount accepts; any other refuses it, named. */
#define EXT4_INCOMPAT_OK                                                                           \
	(EXT4_FEATURE_INCOMPAT_FILETYPE | EXT4_FEATURE_INCOMPAT_RECOVER |                          \
	 EXT4_FEATURE_INCOMPAT_EXTENTS | EXT4_FEATURE_INCOMPAT_64BIT |                             \
	 EXT4_FEATURE_INCOMPAT_FLEX_BG | EXT4_FEATURE_INCOMPAT_CSUM_SEED)
/* The ro_compat features that allow writing; any other mounts read-only. */
#define EXT4_RO_COMPAT_OK                                                                          \
	(EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT4_FEATURE_RO_COMPAT_LARGE_FILE |                 \
	 EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_GDT_CSUM |                      \
	 EXT4_FEATURE_RO_COMPAT_DIR_NLINK | EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE |                   \
	 EXT4_FEATURE_RO_COMPAT_METADATA_CSUM)

/* The names e2fsprogs gives the incompat features (lib/e2p/feature.c). */
static const struct {
	uint32_t mask;
	const char *error;
} ext4_incompat_names[] = {
	{ 0x0001, "ext4: unsupported feature compression" },
	{ 0x0008, "ext4: unsupported feature journal_dev" },
	{ 0x0010, "ext4: unsupported feature meta_bg" },
	{ 0x0100, "ext4: unsupported feature mmp" },
	{ 0x0400, "ext4: unsupported feature ea_inode" },
	{ 0x1000, "ext4: unsupported feature dirdata" },
	{ 0x4000, "ext4: unsupported feature large_dir" },
	{ 0x8000, "ext4: unsupported feature inline_data" },
	{ 0x10000, "ext4: unsupported feature encrypt" },
	{ 0x20000, "ext4: unsupported feature casefold" },
};

uint32_t ext4_csum(const struct ext4_fs *fs, uint32_t seed, const void *buf, size_t len)
{
	(void)fs;
	return crc32c_update(seed, buf, len);
}

/* Device blocks per filesystem block. */
static uint32_t ext4_dev_per_block(const struct ext4_fs *fs)
{
	return fs->block_size / EXT4_DEV_BLOCK;
}

/* Read block @blk: the running transaction's copy if it holds one, else the disk's. */
int ext4_read_block(struct ext4_fs *fs, uint64_t blk, void *buf)
{
	fs->read_own = false;
	if (blk >= fs->blocks_count)
		return -EUCLEAN;
	if (ext4_journal_read(fs, blk, buf))
		return fs->read_own = true, 0;
	return fs->dev->read_blocks(fs->dev->ctx, blk * ext4_dev_per_block(fs),
				    ext4_dev_per_block(fs), buf);
}

/* Write metadata block @blk: into the running transaction with a journal, else in place. */
int ext4_write_block(struct ext4_fs *fs, uint64_t blk, const void *buf)
{
	fs->wgen++;
	if (fs->jnl && !fs->read_only && blk < fs->blocks_count)
		return ext4_journal_dirty(fs, blk, buf);
	return ext4_write_data(fs, blk, buf);
}

/* Write file data blocks @blk.. (@n of them) in place now, in one request
 * (ordered mode: before the transaction that maps them commits). */
int ext4_write_data_n(struct ext4_fs *fs, uint64_t blk, uint32_t n, const void *buf)
{
	if (fs->read_only || !fs->dev->write_blocks)
		return -EROFS;
	if (blk >= fs->blocks_count || n > fs->blocks_count - blk)
		return -EUCLEAN;
	return fs->dev->write_blocks(fs->dev->ctx, blk * ext4_dev_per_block(fs),
				     n * ext4_dev_per_block(fs), buf);
}

int ext4_write_data(struct ext4_fs *fs, uint64_t blk, const void *buf)
{
	return ext4_write_data_n(fs, blk, 1, buf);
}

struct ext4_gd *ext4_gd(const struct ext4_fs *fs, uint32_t group)
{
	return (struct ext4_gd *)(fs->gdt + (size_t)group * fs->desc_size);
}

uint64_t ext4_gd_inode_table(const struct ext4_fs *fs, const struct ext4_gd *gd)
{
	return ext4_lo_hi(gd->inode_table_lo, fs->desc_size >= 64 ? gd->inode_table_hi : 0);
}

/* The superblock checksum: crc32c(~0) of everything before s_checksum. */
static uint32_t ext4_sb_csum(const struct ext4_sb *sb)
{
	return crc32c_update(~0u, sb, offsetof(struct ext4_sb, checksum));
}

/* metadata_csum of group descriptor @group (fs/ext4/super.c ext4_group_desc_csum). */
uint16_t ext4_gd_csum(const struct ext4_fs *fs, uint32_t group)
{
	const uint8_t *gd = (const uint8_t *)ext4_gd(fs, group);
	uint16_t zero = 0;
	uint32_t c;

	c = crc32c_update(fs->csum_seed, &group, sizeof(group));
	c = crc32c_update(c, gd, EXT4_GD_CSUM_OFFSET);
	c = crc32c_update(c, &zero, sizeof(zero));
	c = crc32c_update(c, gd + EXT4_GD_CSUM_OFFSET + 2, fs->desc_size - EXT4_GD_CSUM_OFFSET - 2);
	return (uint16_t)c;
}

/* Features: refuse an unknown incompat one by name; unknown ro_compat ones force read-only. */
static int ext4_check_features(struct ext4_fs *fs, const struct ext4_sb *sb)
{
	uint32_t bad = sb->feature_incompat & ~(uint32_t)EXT4_INCOMPAT_OK;
	size_t i;

	if (bad) {
		fs->error = "ext4: unsupported incompat feature";
		for (i = 0; i < sizeof(ext4_incompat_names) / sizeof(ext4_incompat_names[0]); i++)
			if (bad & ext4_incompat_names[i].mask) {
				fs->error = ext4_incompat_names[i].error;
				break;
			}
		return -EINVAL;
	}
	if (sb->feature_ro_compat & ~(uint32_t)EXT4_RO_COMPAT_OK) {
		fs->error = "ext4: unknown ro_compat feature: mounted read-only";
		fs->read_only = true;
	} else if ((sb->feature_ro_compat & EXT4_FEATURE_RO_COMPAT_GDT_CSUM) &&
		   !(sb->feature_ro_compat & EXT4_FEATURE_RO_COMPAT_METADATA_CSUM)) {
		/* uninit_bg's crc16 group checksums are not written yet. */
		fs->error = "ext4: uninit_bg without metadata_csum: mounted read-only";
		fs->read_only = true;
	} else if (!(sb->feature_incompat & EXT4_FEATURE_INCOMPAT_EXTENTS)) {
		/* New files get extent trees; block maps are read, not written. */
		fs->error = "ext4: no extent feature: mounted read-only";
		fs->read_only = true;
	}
	return 0;
}

/* The geometry from the superblock, checked against itself and the device. */
static int ext4_geometry(struct ext4_fs *fs, const struct ext4_sb *sb)
{
	uint64_t groups;

	if (sb->log_block_size > EXT4_MAX_LOG_BS - EXT4_MIN_LOG_BS)
		return -EUCLEAN;
	fs->log_block_size = sb->log_block_size;
	fs->block_size = 1024u << sb->log_block_size;
	fs->blocks_count = ext4_lo_hi(
		sb->blocks_count_lo,
		(sb->feature_incompat & EXT4_FEATURE_INCOMPAT_64BIT) ? sb->blocks_count_hi : 0);
	fs->first_data_block = sb->first_data_block;
	fs->blocks_per_group = sb->blocks_per_group;
	fs->inodes_per_group = sb->inodes_per_group;
	fs->inodes_count = sb->inodes_count;
	if (sb->rev_level == EXT4_GOOD_OLD_REV) {
		fs->inode_size = EXT4_OLD_INO_SIZE;
		fs->first_ino = EXT4_OLD_FIRST_INO;
	} else {
		fs->inode_size = sb->inode_size;
		fs->first_ino = sb->first_ino;
	}
	fs->desc_size = (sb->feature_incompat & EXT4_FEATURE_INCOMPAT_64BIT) ? sb->desc_size
									     : EXT4_MIN_DESC_SIZE;
	/* Bigalloc is ro_compat: clusters equal blocks here, or the mount is read-only anyway. */
	if (fs->blocks_per_group == 0 || fs->blocks_per_group > 8 * fs->block_size ||
	    fs->inodes_per_group == 0 || fs->inodes_per_group > 8 * fs->block_size ||
	    fs->inode_size < EXT4_OLD_INO_SIZE || fs->inode_size > fs->block_size ||
	    (fs->inode_size & (fs->inode_size - 1)) || fs->first_data_block >= fs->blocks_count ||
	    fs->first_data_block != (fs->block_size == 1024) ||
	    fs->desc_size < EXT4_MIN_DESC_SIZE || fs->desc_size > fs->block_size ||
	    (fs->desc_size & (fs->desc_size - 1)) ||
	    ((sb->feature_incompat & EXT4_FEATURE_INCOMPAT_64BIT) &&
	     fs->desc_size < EXT4_MIN_DESC_SIZE_64) ||
	    fs->first_ino < EXT4_ROOT_INO + 1)
		return -EUCLEAN;
	groups = (fs->blocks_count - fs->first_data_block + fs->blocks_per_group - 1) /
		 fs->blocks_per_group;
	if (groups == 0 || groups * fs->inodes_per_group != fs->inodes_count ||
	    fs->first_ino > fs->inodes_count)
		return -EUCLEAN;
	fs->groups = (uint32_t)groups;
	if (fs->blocks_count > fs->dev->nr_blocks / (fs->block_size / EXT4_DEV_BLOCK))
		return -EUCLEAN; /* larger than the device */
	return 0;
}

/* Read and check the superblock into fs->sb and the fields derived from it. */
static int ext4_read_super(struct ext4_fs *fs)
{
	struct ext4_sb *sb = (struct ext4_sb *)fs->sb;
	int err;

	if (fs->dev->nr_blocks < (EXT4_SB_OFFSET + sizeof(fs->sb)) / EXT4_DEV_BLOCK)
		return -EINVAL;
	err = fs->dev->read_blocks(fs->dev->ctx, EXT4_SB_OFFSET / EXT4_DEV_BLOCK,
				   sizeof(fs->sb) / EXT4_DEV_BLOCK, fs->sb);
	if (err)
		return err;
	if (sb->magic != EXT4_SB_MAGIC) {
		fs->error = "ext4: bad magic number";
		return -EINVAL;
	}
	err = ext4_check_features(fs, sb);
	if (err)
		return err;
	fs->feat_compat = sb->feature_compat;
	fs->feat_incompat = sb->feature_incompat;
	fs->feat_ro_compat = sb->feature_ro_compat;
	fs->csum = sb->feature_ro_compat & EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;
	if (fs->csum &&
	    (sb->checksum_type != EXT4_CRC32C_CHKSUM || ext4_sb_csum(sb) != sb->checksum)) {
		fs->error = "ext4: superblock checksum mismatch";
		return -EUCLEAN;
	}
	if (sb->feature_incompat & EXT4_FEATURE_INCOMPAT_CSUM_SEED)
		fs->csum_seed = sb->checksum_seed;
	else
		fs->csum_seed = crc32c_update(~0u, sb->uuid, sizeof(sb->uuid));
	err = ext4_geometry(fs, sb);
	if (err && !fs->error)
		fs->error = "ext4: impossible geometry in the superblock";
	return err;
}

/* Read the group descriptor table (after the superblock's block; meta_bg is refused). */
static int ext4_read_gdt(struct ext4_fs *fs)
{
	size_t len = (size_t)fs->groups * fs->desc_size;
	uint32_t nblocks = (uint32_t)((len + fs->block_size - 1) / fs->block_size), i;
	int err;

	if (nblocks > fs->blocks_per_group)
		return -EUCLEAN;
	fs->gdt = fs->dev->alloc(fs->dev->ctx, (size_t)nblocks * fs->block_size);
	if (!fs->gdt)
		return -ENOMEM;
	for (i = 0; i < nblocks; i++) {
		err = ext4_read_block(fs, fs->first_data_block + 1 + i,
				      fs->gdt + (size_t)i * fs->block_size);
		if (err)
			return err;
	}
	for (i = 0; i < fs->groups; i++) {
		struct ext4_gd *gd = ext4_gd(fs, i);
		uint64_t itable = ext4_gd_inode_table(fs, gd);
		uint64_t itable_blocks =
			((uint64_t)fs->inodes_per_group * fs->inode_size + fs->block_size - 1) /
			fs->block_size;

		if (fs->csum && gd->checksum != ext4_gd_csum(fs, i)) {
			fs->error = "ext4: group descriptor checksum mismatch";
			return -EUCLEAN;
		}
		if (itable <= fs->first_data_block || itable + itable_blocks > fs->blocks_count) {
			fs->error = "ext4: group descriptor's inode table outside the disk";
			return -EUCLEAN;
		}
	}
	return 0;
}

/* Log the filesystem block holding the superblock (block 0 holds it at 1024 with larger blocks). */
static int ext4_super_log(struct ext4_fs *fs)
{
	uint64_t blk = EXT4_SB_OFFSET / fs->block_size;
	uint8_t *buf = fs->dev->alloc(fs->dev->ctx, fs->block_size);
	int err;

	if (!buf)
		return -ENOMEM;
	err = ext4_read_block(fs, blk, buf);
	if (!err) {
		memcpy(buf + EXT4_SB_OFFSET % fs->block_size, fs->sb, sizeof(fs->sb));
		err = ext4_journal_dirty(fs, blk, buf);
	}
	fs->dev->free(fs->dev->ctx, buf, fs->block_size);
	return err;
}

/* Write the superblock back, its checksum updated: into the running transaction with a journal. */
int ext4_super_write(struct ext4_fs *fs)
{
	struct ext4_sb *sb = (struct ext4_sb *)fs->sb;

	if (fs->read_only || !fs->dev->write_blocks)
		return -EROFS;
	if (fs->csum)
		sb->checksum = ext4_sb_csum(sb);
	if (fs->jnl)
		return ext4_super_log(fs);
	return fs->dev->write_blocks(fs->dev->ctx, EXT4_SB_OFFSET / EXT4_DEV_BLOCK,
				     sizeof(fs->sb) / EXT4_DEV_BLOCK, fs->sb);
}

static void ext4_free_buf(struct ext4_fs *fs, uint8_t **p, size_t size)
{
	if (*p)
		fs->dev->free(fs->dev->ctx, *p, size);
	*p = NULL;
}

/*
 * Set or clear needs_recovery in place (no transaction may be running):
 * set while the mount may leave transactions in the log, as Linux does.
 */
static int ext4_set_recover(struct ext4_fs *fs, bool on)
{
	struct ext4_sb *sb = (struct ext4_sb *)fs->sb;
	int err;

	if (on)
		sb->feature_incompat |= EXT4_FEATURE_INCOMPAT_RECOVER;
	else
		sb->feature_incompat &= ~(uint32_t)EXT4_FEATURE_INCOMPAT_RECOVER;
	fs->feat_incompat = sb->feature_incompat;
	err = ext4_super_write(fs);
	if (!err && fs->dev->flush)
		err = fs->dev->flush(fs->dev->ctx);
	return err;
}

/*
 * Replay the journal, then read again what it may have replaced (the
 * superblock and the group descriptors) and clear needs_recovery.  Writes
 * even on a read-only mount, as Linux does: the device must be writable.
 */
static int ext4_recover(struct ext4_fs *fs)
{
	bool ro = fs->read_only;
	size_t gdt_len = ((size_t)fs->groups * fs->desc_size + fs->block_size - 1) /
			 fs->block_size * fs->block_size;
	int err;

	/* A read-only device whose log is empty (a writer ended without
	 * unmounting, its last commit checkpointed) needs nothing replayed:
	 * mount it as it is. */
	if (!fs->dev->write_blocks && ext4_journal_empty(fs) == 1)
		return 0;
	if ((err = ext4_journal_replay(fs)))
		return err;
	fs->dev->free(fs->dev->ctx, fs->gdt, gdt_len);
	fs->gdt = NULL;
	err = ext4_read_super(fs);
	if (!err)
		err = ext4_read_gdt(fs);
	if (err)
		return err;
	fs->read_only = false;
	err = ext4_set_recover(fs, false);
	fs->read_only = ro || fs->read_only;
	return err;
}

void ext4_unmount(struct ext4_fs *fs)
{
	size_t gdt_len = (size_t)fs->groups * fs->desc_size;

	gdt_len = (gdt_len + fs->block_size - 1) / fs->block_size * fs->block_size;
	if (!fs->read_only && fs->gdt && !ext4_checkpoint(fs) && fs->jnl) {
		ext4_journal_close(fs); /* the log is empty: needs_recovery can go */
		ext4_set_recover(fs, false);
	}
	ext4_journal_close(fs);
	ext4_free_buf(fs, &fs->gdt, gdt_len);
	ext4_free_buf(fs, &fs->meta, fs->block_size);
	ext4_free_buf(fs, &fs->data, fs->block_size);
	ext4_free_buf(fs, &fs->wbuf, fs->block_size);
	ext4_free_buf(fs, &fs->xbuf, fs->block_size);
	ext4_free_buf(fs, &fs->dx, (size_t)EXT4_DX_BUFS * fs->block_size);
	if (fs->dxmap)
		fs->dev->free(fs->dev->ctx, fs->dxmap, ext4_dxmap_size(fs));
	fs->dxmap = NULL;
	if (fs->dxlist)
		fs->dev->free(fs->dev->ctx, fs->dxlist, ext4_dxlist_size(fs));
	fs->dxlist = NULL;
}

int ext4_sync(struct ext4_fs *fs)
{
	int err = 0;

	if (fs->read_only)
		return -EROFS;
	if (fs->jnl)
		return ext4_journal_commit(fs);
	if (fs->sb_dirty) {
		err = ext4_super_write(fs);
		fs->sb_dirty = err != 0;
	}
	if (!err && fs->dev->flush)
		err = fs->dev->flush(fs->dev->ctx);
	return err;
}

int ext4_sync_data(struct ext4_fs *fs, uint32_t ino)
{
	if (fs->read_only)
		return -EROFS;
	return fs->jnl ? ext4_journal_sync_data(fs, ino) : ext4_sync(fs);
}

int ext4_checkpoint(struct ext4_fs *fs)
{
	if (fs->read_only)
		return -EROFS;
	return fs->jnl ? ext4_journal_checkpoint(fs) : ext4_sync(fs);
}

int ext4_mount(struct ext4_fs *fs, const struct ext4_dev *dev, unsigned flags)
{
	int err;

	memset(fs, 0, sizeof(*fs));
	fs->dev = dev;
	fs->read_only = (flags & EXT4_MOUNT_RDONLY) || !dev->write_blocks;
	err = ext4_read_super(fs);
	if (err)
		return err;
	fs->meta = dev->alloc(dev->ctx, fs->block_size);
	fs->data = dev->alloc(dev->ctx, fs->block_size);
	fs->wbuf = dev->alloc(dev->ctx, fs->block_size);
	fs->xbuf = dev->alloc(dev->ctx, fs->block_size);
	fs->dx = dev->alloc(dev->ctx, (size_t)EXT4_DX_BUFS * fs->block_size);
	fs->dxmap = dev->alloc(dev->ctx, ext4_dxmap_size(fs));
	fs->dxlist = dev->alloc(dev->ctx, ext4_dxlist_size(fs));
	err = -ENOMEM;
	if (!fs->meta || !fs->data || !fs->wbuf || !fs->xbuf || !fs->dx || !fs->dxmap ||
	    !fs->dxlist)
		goto out_unmount;
	memset(fs->dxlist, 0, ext4_dxlist_size(fs)); /* no leaf listed yet */
	err = ext4_read_gdt(fs);
	if (err)
		goto out_unmount;
	if (fs->feat_incompat & EXT4_FEATURE_INCOMPAT_RECOVER) {
		err = ext4_recover(fs);
		if (err)
			goto out_unmount;
	}
	if (!fs->read_only && (fs->feat_compat & EXT4_FEATURE_COMPAT_HAS_JOURNAL)) {
		err = ext4_set_recover(fs, true);
		if (!err)
			err = ext4_journal_open(fs);
		if (err)
			goto out_unmount;
	}
	return 0;
out_unmount:
	if (err == -EUCLEAN && !fs->error)
		fs->error = "ext4: corrupt group descriptors";
	ext4_unmount(fs);
	return err;
}
