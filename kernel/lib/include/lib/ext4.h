/*
 * ext4: the filesystem of monos' volumes, as pure code built both into the
 * kernel and into host unit tests and fuzz targets (kernel/lib/ext4/).
 *
 * It reaches the disk only through struct ext4_dev: synchronous callbacks
 * on 512-byte device blocks, and an allocator.  The host tests hand it a
 * file; the kernel will hand it the block layer (contract 21) and, later, a
 * buffer cache (contract 20) behind the same callbacks.
 *
 * Supported: what Debian 12's mkfs.ext4 makes by default (has_journal,
 * ext_attr, resize_inode, dir_index, filetype, extent, 64bit, flex_bg,
 * metadata_csum, sparse_super, large_file, huge_file, dir_nlink,
 * extra_isize; 1 KiB to 64 KiB blocks), plus metadata_csum_seed.  Another
 * incompat feature refuses the mount with -EINVAL and fs->error naming it;
 * an unknown ro_compat feature makes the mount read-only.  A journal that
 * needs recovery is replayed at mount (kernel/lib/ext4/journal.c).
 *
 * Nothing read from the disk is trusted: a corrupt image gives -EUCLEAN
 * (bad checksum, impossible field) or -EIO (device error), never a read
 * outside a buffer, a loop without bound or a crash.
 *
 * Locking: a struct ext4_fs is used by one caller at a time (the caller
 * holds the filesystem's sleeping mutex, contract 14); calls may sleep in
 * the device callbacks.
 */
#ifndef LIB_EXT4_H
#define LIB_EXT4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXT4_DEV_BLOCK	  512 /* the unit of struct ext4_dev's callbacks */
#define EXT4_ROOT_INO	  2   /* Linux fs/ext4/ext4.h EXT4_ROOT_INO */
#define EXT4_NAME_LEN	  255
#define EXT4_MOUNT_RDONLY 1u /* ext4_mount flag: never write */

/* The disk, as the filesystem sees it.  Callbacks return 0 or -errno. */
struct ext4_dev {
	void *ctx;
	uint64_t nr_blocks; /* device size in EXT4_DEV_BLOCK units */
	int (*read_blocks)(void *ctx, uint64_t blk, uint32_t count, void *buf);
	/* NULL for a read-only device. */
	int (*write_blocks)(void *ctx, uint64_t blk, uint32_t count, const void *buf);
	/* Make every completed write durable; NULL if writes are always durable. */
	int (*flush)(void *ctx);
	/* Memory for the filesystem's own tables; alloc returns NULL when out. */
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p, size_t size);
	/* The wall clock, for timestamps (seconds and nanoseconds since the epoch). */
	void (*now)(void *ctx, int64_t *sec, uint32_t *nsec);
};

struct ext4_journal; /* the running transaction (kernel/lib/ext4/journal.c) */

/* A mounted filesystem.  Fields are read-only for callers. */
struct ext4_fs {
	const struct ext4_dev *dev;
	const char *error; /* why the last mount failed or went read-only, or NULL */
	bool read_only;
	uint32_t block_size, log_block_size; /* block_size = 1024 << log_block_size */
	uint64_t blocks_count;
	uint32_t first_data_block, blocks_per_group, inodes_per_group, inodes_count;
	uint32_t groups, desc_size, inode_size, first_ino;
	uint32_t feat_compat, feat_incompat, feat_ro_compat;
	bool csum;		  /* metadata_csum: every metadata checksum is checked */
	uint32_t csum_seed;	  /* crc32c of the uuid, or s_checksum_seed */
	uint8_t sb[1024];	  /* the superblock as read (and as written back) */
	uint8_t *gdt;		  /* groups * desc_size bytes of group descriptors */
	uint8_t *meta;		  /* scratch block for inode tables and extent nodes */
	uint8_t *data;		  /* scratch block for directory and file blocks */
	uint64_t data_blk;	  /* the checked directory block fs->data holds, or 0 */
	uint8_t *wbuf;		  /* write path: inode table and bitmap blocks */
	uint8_t *xbuf;		  /* write path: the extent leaf being changed */
	bool sb_dirty;		  /* free counts changed since the superblock was written */
	uint32_t next_generation; /* i_generation of the next inode made */
	struct ext4_journal *jnl; /* a writable mount's journal, or NULL without one */
	bool bmap_unwritten;	  /* the last ext4_bmap's block lies in an unwritten extent */
	/* The last ext4_read_block's block came from the running transaction:
	 * this code made it (and its checksum), so it is not verified again. */
	bool read_own;
	uint8_t *dx;  /* htree.c: EXT4_DX_BUFS blocks (root, node, new block, copy) */
	void *dxmap;  /* htree.c: a leaf's entries by hash, while it splits */
	void *dxlist; /* htree.c: the leaf a listing read last, by cookie */
	/* Bumped by every metadata write: a copy of metadata taken while it
	 * had another value is stale (fs->dxlist). */
	uint32_t wgen;
	/* htree.c: fs->dx holds the checked index root of directory
	 * dx_root_ino (block dx_root_pblk) while fs->wgen is dx_root_gen. */
	uint32_t dx_root_ino, dx_root_gen;
	uint64_t dx_root_pblk;
	/* alloc.c: inode bitmap bits below ifree_bit of group ifree_group + 1
	 * are all used (0: no such group): the search for a free inode starts
	 * there, not at the group's start, as Linux's find_inode_bit starts at
	 * its goal. */
	uint32_t ifree_group, ifree_bit;
};

#define EXT4_DX_BUFS 4

/* Directory hash versions (dx_root_info.hash_version, s_def_hash_version; Linux fs/ext4/ext4.h). */
#define EXT4_DX_HASH_LEGACY	       0
#define EXT4_DX_HASH_HALF_MD4	       1
#define EXT4_DX_HASH_TEA	       2
#define EXT4_DX_HASH_LEGACY_UNSIGNED   3
#define EXT4_DX_HASH_HALF_MD4_UNSIGNED 4
#define EXT4_DX_HASH_TEA_UNSIGNED      5

/*
 * ext4_dx_hash - the directory hash of @name (@len bytes) by @version
 * (EXT4_DX_HASH_*) with @seed (s_hash_seed; all zeros or NULL: the
 * default), as Linux's ext4fs_dirhash: 0 with *@major (bit 0 clear) and
 * *@minor, or -EOPNOTSUPP for another version.
 */
int ext4_dx_hash(const uint32_t seed[4], unsigned version, const char *name, size_t len,
		 uint32_t *major, uint32_t *minor);

struct ext4_time {
	int64_t sec;
	uint32_t nsec;
};

/* An inode, decoded.  @block keeps i_block raw: extent root, block map or fast symlink. */
struct ext4_inode {
	uint32_t ino, flags, generation;
	uint32_t dtime; /* deletion time, seconds: set when the inode is freed */
	uint16_t mode, links;
	uint32_t uid, gid;
	uint64_t size, blocks; /* blocks: 512-byte units, as st_blocks */
	uint64_t file_acl;     /* the xattr block, or 0 */
	struct ext4_time atime, mtime, ctime, crtime;
	uint32_t csum_seed; /* seeds the checksums of this inode's blocks */
	uint8_t block[60];
};

/* Directory entry types (file_type with the filetype feature), Linux fs/ext4/ext4.h. */
#define EXT4_FT_UNKNOWN	 0
#define EXT4_FT_REG_FILE 1
#define EXT4_FT_DIR	 2
#define EXT4_FT_CHRDEV	 3
#define EXT4_FT_BLKDEV	 4
#define EXT4_FT_FIFO	 5
#define EXT4_FT_SOCK	 6
#define EXT4_FT_SYMLINK	 7
#define EXT4_FT_MAX	 8

/* One directory entry.  @name is NUL terminated. */
struct ext4_dirent {
	uint32_t ino;
	uint8_t type; /* EXT4_FT_*: DT_* of getdents64 is ext4_dt(type) */
	uint8_t name_len;
	char name[EXT4_NAME_LEN + 1];
};

/*
 * ext4_mount - read and check the superblock and group descriptors of @dev,
 * replaying the journal if it needs recovery.  @flags: EXT4_MOUNT_RDONLY.
 * Returns 0, or -EINVAL (not ext4, or an unsupported feature: fs->error
 * says which), -EUCLEAN (corrupt), -EIO, -ENOMEM, -EROFS (needs recovery on
 * a read-only device or mount).  On success fs->read_only says whether
 * writes are refused; a writable mount with a journal sets needs_recovery
 * on the disk until ext4_unmount.  @dev must outlive the mount.
 */
int ext4_mount(struct ext4_fs *fs, const struct ext4_dev *dev, unsigned flags);

/* ext4_unmount - sync a writable mount, clear needs_recovery, free what ext4_mount allocated. */
void ext4_unmount(struct ext4_fs *fs);

/* ext4_iget - read inode @ino: 0, -EINVAL (no such number), -EUCLEAN, -EIO. */
int ext4_iget(struct ext4_fs *fs, uint32_t ino, struct ext4_inode *out);

/*
 * ext4_bmap - map logical block @lblk of @in: 0 with *@pblk the physical
 * block (0 for a hole or an unwritten extent, which read as zeros; which
 * of the two: fs->bmap_unwritten) and
 * *@count >= 1 the number of following blocks mapped the same way
 * (contiguous, or all holes).  -EUCLEAN for a corrupt map, -EIO.
 */
int ext4_bmap(struct ext4_fs *fs, const struct ext4_inode *in, uint32_t lblk, uint64_t *pblk,
	      uint32_t *count);

/* ext4_read - read up to @len bytes at @off of a regular file or symlink: bytes read or -errno. */
int64_t ext4_read(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t off, void *buf,
		  size_t len);

/* ext4_readlink - the target of symlink @in into @buf (not NUL terminated): its length or -errno. */
int64_t ext4_readlink(struct ext4_fs *fs, const struct ext4_inode *in, char *buf, size_t size);

/*
 * A listing's position.  In block order @off is a byte offset and @run 0.
 * In hash order @off is a hash cookie and @run counts the entries of
 * cookie @off already returned: names whose hashes are equal (a collision
 * run) share one cookie, so the cookie alone cannot say where inside the
 * run a listing stopped (Linux keeps that in the open file's dir_private_info,
 * fs/ext4/dir.c ext4_dx_readdir).  Start at { 0, 0 }.
 */
struct ext4_dir_pos {
	uint64_t off;
	uint32_t run;
};

/*
 * ext4_readdir - the next entry of directory @dir at or after *@pos:
 * 1 with @out filled and *@pos advanced, 0 at the end, -ENOTDIR, -EUCLEAN,
 * -EIO.  Skips empty slots and the checksum tail.  An indexed directory,
 * or one of a single block, lists in hash order (positions are hash
 * cookies that stay valid while entries are added, as Linux's; "." and
 * ".." first; the entries of one cookie come one after another, in the
 * order they lie on the disk); a linear one in block order.  "." and ".."
 * come as stored.
 */
int ext4_readdir(struct ext4_fs *fs, const struct ext4_inode *dir, struct ext4_dir_pos *pos,
		 struct ext4_dirent *out);

/* ext4_lookup - the inode number of @name (@len bytes) in @dir: 0, -ENOENT, -ENOTDIR, -errno. */
int ext4_lookup(struct ext4_fs *fs, const struct ext4_inode *dir, const char *name, size_t len,
		uint32_t *ino);

/*
 * ext4_namei - the inode at absolute @path, following no symlink (a symlink
 * in the middle gives -ENOTDIR, as one that is not followed would):
 * 0, -ENOENT, -ENOTDIR, -ENAMETOOLONG, -errno.
 */
int ext4_namei(struct ext4_fs *fs, const char *path, struct ext4_inode *out);

/*
 * The write path (kernel/lib/ext4/alloc.c, write.c, dir_write.c).  Every
 * call refuses a read-only mount with -EROFS.  With a journal (has_journal)
 * metadata changes join a transaction (jbd2, ordered mode: journal.c) that
 * ext4_sync commits, and each call may commit first when the transaction
 * has grown; file data is written in place at once.  After a crash at any
 * point the next mount replays the journal and e2fsck -fn finds the volume
 * clean; what ext4_sync acknowledged is there.  Without a journal writes
 * go straight to the device and only an orderly ext4_sync() leaves the
 * volume clean.
 * Callers pass inodes they got from ext4_iget/ext4_create and get them
 * updated in place (size, links, times, blocks); an inode must not be
 * changed through two copies.  Files are written through extent trees of
 * depth 0 or 1 (up to 4 leaves: at least 336 extents, each up to 32768
 * blocks); a write that needs more gives -EFBIG, and so does writing a file
 * with an old block map.
 */

/* ext4_write - write @len bytes at @off of regular file @in: bytes written, or -errno (-ENOSPC, -EFBIG). */
int64_t ext4_write(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off, const void *buf,
		   size_t len);

/* ext4_data_written - the caller wrote file data of @in in place, to blocks
 * ext4_bmap mapped within the size (O_DIRECT's zero-copy path): the times
 * change and the inode is written, as ext4_write does: 0 or -errno. */
int ext4_data_written(struct ext4_fs *fs, struct ext4_inode *in);

/* ext4_truncate - set the size of regular file @in, freeing blocks past it: 0 or -errno. */
int ext4_truncate(struct ext4_fs *fs, struct ext4_inode *in, uint64_t size);

/*
 * ext4_fallocate - give @in blocks for [@off, @off + @len), zeroed (mode 0
 * of fallocate(2); @keep_size: FALLOC_FL_KEEP_SIZE): 0 or -errno.
 */
int ext4_fallocate(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off, uint64_t len,
		   bool keep_size);

/*
 * ext4_create - make @name in @dir: a regular file, directory, symlink (to
 * @target), FIFO or socket, by the type in @mode; @out gets the new inode.
 * The caller has looked @name up and found it absent (the VFS does, with
 * its negative dentry), so it is not searched for again.
 * 0, -ENOSPC, -EMLINK, -ENAMETOOLONG, -EINVAL (another type), -errno.
 */
int ext4_create(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len,
		uint16_t mode, uint32_t uid, uint32_t gid, const char *target,
		struct ext4_inode *out);

/* ext4_link - a new name @name (absent, as for ext4_create) in @dir for @in, not a directory: 0, -EMLINK, -EPERM, -errno. */
int ext4_link(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len,
	      struct ext4_inode *in);

/* ext4_unlink - remove non-directory @name from @dir (freeing it at its last link): 0, -EISDIR, -ENOENT, -errno. */
int ext4_unlink(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len);

/* ext4_rmdir - remove empty directory @name from @dir: 0, -ENOTEMPTY, -ENOTDIR, -ENOENT, -errno. */
int ext4_rmdir(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len);

/*
 * ext4_rename - move @oname of @odir to @nname of @ndir, replacing what is
 * there as rename(2) does (a directory only by an empty directory).  @odir
 * and @ndir may be the same inode (then pass the same pointer).  The caller
 * (the VFS) refuses moving a directory under itself.  0, -ENOENT, -EISDIR,
 * -ENOTDIR, -ENOTEMPTY, -EMLINK, -errno.
 */
int ext4_rename(struct ext4_fs *fs, struct ext4_inode *odir, const char *oname, size_t olen,
		struct ext4_inode *ndir, const char *nname, size_t nlen);

/* ext4_inode_write - write @in's fields back to its inode table slot (checksum updated): 0 or -errno. */
int ext4_inode_write(struct ext4_fs *fs, const struct ext4_inode *in);

/*
 * ext4_sync - make every change so far durable (fsync, fdatasync, sync and
 * syncfs all come here): commit the running transaction, or without a
 * journal write the superblock's free counts, then flush: 0 or -errno.
 */
int ext4_sync(struct ext4_fs *fs);

/*
 * ext4_sync_data - fdatasync of inode @ino: ext4_sync if the running
 * transaction changed its size or block map, else only the flush that
 * makes its data (written in place) durable; its timestamps then ride a
 * later commit, as Linux's ext4_sync_file with datasync (i_datasync_tid):
 * 0 or -errno.
 */
int ext4_sync_data(struct ext4_fs *fs, uint32_t ino);

/*
 * ext4_checkpoint - ext4_sync, then write every committed metadata block
 * home and empty the journal's log (unmount, sync of the whole filesystem,
 * the commit thread when idle): 0 or -errno.  ext4_sync alone leaves
 * committed transactions in the log, replayed after a crash.
 */
int ext4_checkpoint(struct ext4_fs *fs);

/*
 * ext4_pending - whether ext4_checkpoint has metadata to write: the
 * running transaction holds blocks, the superblock's counts changed, or
 * the log holds committed transactions not yet written home.  (File
 * data is written in place at once; only a flush is left for it.)  A
 * commit timer asks this before waking up to commit.
 */
bool ext4_pending(const struct ext4_fs *fs);

/* ext4_dt - the getdents64 d_type (DT_REG...) of a directory entry's EXT4_FT_* type. */
uint8_t ext4_dt(uint8_t ft);

#endif
