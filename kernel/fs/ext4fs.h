/*
 * ext4 in the VFS: what kernel/fs/ext4fs.c (the filesystem type, the tree)
 * and kernel/fs/ext4fs_file.c (file data, the page cache of shared
 * mappings) share.  Private to those two files.
 */
#ifndef FS_EXT4FS_H
#define FS_EXT4FS_H

#include "fs/vfs.h"
#include "core/sched.h"
#include "core/waitq.h"
#include "fs/pcache.h"
#include <lib/ext4.h>

#define EXT4FS_HASH 4096 /* buckets of the in-memory inode table */

/* The block cache (ext4fs_bcache.c): slot s holds filesystem block
 * key[s] - 1 (0: empty) at data + s * block size. */
struct ext4fs_bcache {
	uint32_t per; /* device blocks per filesystem block */
	uint32_t n;   /* slots (0: no table yet) */
	uint64_t *key;
	uint8_t *data;
	bool failed; /* out of memory: no cache */
};

/* A mounted ext4 (vfs_sb.priv). */
struct ext4fs_info {
	struct ext4_fs fs;
	struct ext4_dev dev;
	struct blk_dev *blk;
	bool busy;			    /* the lock: a thread is inside the library */
	struct waitq waiters;		    /* threads waiting for the lock */
	struct list_head hash[EXT4FS_HASH]; /* struct ext4fs_inode.link */
	struct vfs_sb sb;
	struct ext4fs_bcache bc; /* the filesystem's lock */
	/* The commit timer (ext4fs_commit.c; the system-call rule). */
	struct ktimer commit_timer;
	struct list_head commit_link; /* in the commit thread's list */
	bool commit_on;		      /* in that list: a writable mount */
	bool commit_due;	      /* the timer fired: commit soon */
	unsigned commit_pins;	      /* the commit thread may sleep on it */
};

/* An inode in memory: the VFS's view, the library's copy, and the page
 * cache of its data (read(), write() and shared mappings; fs/pcache.h),
 * guarded by the filesystem's lock. */
struct ext4fs_inode {
	struct inode vfs; /* first: the VFS hands us &vfs */
	struct ext4_inode e;
	struct list_head link;
	struct pcache pc;
	bool dead;   /* unlinked at its last link: its blocks are freed */
	bool orphan; /* unlinked while open: named in lost+found until evicted */
};

static inline struct ext4fs_inode *X(struct inode *ino)
{
	return (struct ext4fs_inode *)ino;
}

static inline struct ext4fs_info *info_of(const struct inode *ino)
{
	return ino->sb->priv;
}

/*
 * The filesystem's sleeping lock (contract 14): the library's scratch
 * buffers belong to one caller at a time, and a disk wait gives the CPU
 * up.  ext4fs_lock takes the lock of `ino`'s filesystem and returns it.
 * Process context.
 */
void ext4fs_lock_info(struct ext4fs_info *i);
struct ext4fs_info *ext4fs_lock(const struct inode *ino);
void ext4fs_unlock(struct ext4fs_info *i);

/*
 * ext4fs_commit.c: the commit interval.  ext4fs_commit_add enters a
 * writable mount (0, -ENOMEM: no commit thread); ext4fs_commit_arm arms
 * its timer if metadata is pending (ext4fs_unlock calls it);
 * ext4fs_commit_remove takes it out before it is freed, waiting for a
 * commit under way.  Process context.
 */
int ext4fs_commit_add(struct ext4fs_info *i);
void ext4fs_commit_arm(struct ext4fs_info *i);
void ext4fs_commit_remove(struct ext4fs_info *i);

/*
 * ext4fs_bcache.c, under the filesystem's lock (device blocks of
 * EXT4_DEV_BLOCK bytes, as struct ext4_dev's calls): _read copies a cached
 * block into `buf` (true) or says to read the disk; _fill keeps what the
 * disk gave; _write makes the cache follow a write (`buf` NULL: it
 * failed, the blocks are dropped); _free
 * at unmount.
 */
bool ext4fs_bcache_read(struct ext4fs_info *i, uint64_t blk, uint32_t count, void *buf);
void ext4fs_bcache_fill(struct ext4fs_info *i, uint64_t blk, uint32_t count, const void *buf);
void ext4fs_bcache_write(struct ext4fs_info *i, uint64_t blk, uint32_t count, const void *buf);
void ext4fs_bcache_free(struct ext4fs_info *i);

/* The VFS's fields of `x` from the library's copy, after every library
 * call that may change it (ext4fs.c). */
void ext4fs_sync_vfs(struct ext4fs_inode *x);

/* The in-memory inode of number `ino` (not a dead one), or NULL; a new
 * one for library inode `e` (copied), or NULL when out of memory. */
struct ext4fs_inode *ext4fs_find(struct ext4fs_info *i, uint32_t ino);
struct ext4fs_inode *ext4fs_inode_new(struct ext4fs_info *i, const struct ext4_inode *e);

/*
 * ext4fs_orphan.c: a regular file unlinked while open keeps its data, as
 * on Linux.  ext4fs_orphan moves its last name, entry `e` of `dir`, into
 * lost+found as ".monos-orphan-INO" (lock held): 0, or -errno (no
 * lost+found: the caller unlinks it at once).  ext4fs_orphan_release
 * removes that name when the inode goes (evict; takes the lock).
 * ext4fs_orphan_cleanup removes what a crash left there (mount).
 */
int ext4fs_orphan(struct ext4fs_info *i, struct ext4fs_inode *dir, struct dentry *e);
void ext4fs_orphan_release(struct ext4fs_info *i, struct ext4fs_inode *x);
void ext4fs_orphan_cleanup(struct ext4fs_info *i);

/* ext4fs_file.c: regular files' and directories' operations. */
extern const struct file_ops ext4fs_file_ops, ext4fs_dir_ops;
/* Write the mapped pages back, lock held: 0 or -errno. */
int ext4fs_cache_writeback(struct ext4fs_info *i, struct ext4fs_inode *x);

#endif
