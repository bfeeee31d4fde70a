/*
 * Host directory shares in the VFS: what kernel/fs/v9fs.c (the "9p"
 * filesystem type, the tree) and kernel/fs/v9fs_file.c (file data, the
 * pages of shared mappings) share.  Private to those two files.
 */
#ifndef FS_V9FS_H
#define FS_V9FS_H

#include "fs/vfs.h"
#include "drivers/virtio_9p.h"
#include <lib/p9.h>

#define V9FS_HASH 256 /* buckets of the in-memory inode table */
#define V9FS_MSG                                                                                   \
	4608			     /* a request or reply that carries no file data:
			    * a path component and a symlink target at most */
#define V9FS_IO		 (64 * 1024) /* data bytes per Tread/Twrite at most */
#define V9FS_MISSING_MAX 64	     /* negative entries a directory keeps at most */

/* A mounted share (vfs_sb.priv). */
struct v9fs_info {
	struct virtio_9p *dev;
	uint32_t iounit; /* data bytes per Tread/Twrite: msize less the header */
	struct v9fs_inode *root;
	struct list_head hash[V9FS_HASH]; /* struct v9fs_inode.link */
	struct vfs_sb sb;
};

/*
 * An inode in memory: the VFS's view and the fid that names the file on
 * the server (walked, never opened: opened fids are the open files' and
 * `io_fid`'s).  Hard links share one (the server's qid.path is the key).
 * The pages of shared mappings live in `cache` (frames by page index, 0:
 * none) while `maps` areas map the file; with none left they are written
 * back and dropped, so no data stays cached that the host may change
 * (design.md contract 20).
 */
struct v9fs_inode {
	struct inode vfs; /* first: the VFS hands us &vfs */
	uint32_t fid;
	uint64_t qpath;
	struct list_head link;
	uint32_t io_fid;  /* opened for the mappings' reads and write-back; 0: none */
	bool io_writable; /* io_fid was opened O_RDWR */
	uint32_t rd_fid;  /* opened O_RDONLY, shared by read-only open files; 0: none */
	unsigned maps;	  /* areas mapping the file */
	uint64_t *cache;
	uint64_t ncache;
	struct v9fs_missing *missing; /* directories of a read-only share: names
				       * the server said are not there */
	unsigned nmissing;
};

/* A name a read-only share's directory lacks (a negative entry: python3
 * looks for dozens of names that are not there, each a Twalk). */
struct v9fs_missing {
	struct v9fs_missing *next;
	size_t len;
	char name[];
};

static inline struct v9fs_inode *V(struct inode *ino)
{
	return (struct v9fs_inode *)ino;
}

static inline struct v9fs_info *v9fs_info_of(const struct inode *ino)
{
	return ino->sb->priv;
}

/*
 * v9fs_rpc - send request `msg` (`len` bytes from p9_build, 0 when it did
 * not fit: -ENAMETOOLONG) of `type`, whose reply lands in msg +
 * V9FS_MSG, and read the reply's fields `fmt` (p9_parse; pointers then
 * point into `msg`).  `msg` is V9FS_MSG * 2 bytes from v9fs_msg().
 * 0 or -errno.  Sleeps.
 */
int v9fs_rpc(struct v9fs_info *i, uint8_t *msg, size_t len, uint8_t type, const char *fmt, ...);
uint8_t *v9fs_msg(void);

/* Tclunk of `fid` (errors are the server's to keep: logged). */
void v9fs_clunk(struct v9fs_info *i, uint32_t fid);

/* A new fid for the file `fid` names, opened with Linux open flags
 * `flags` (Twalk of no names, then Tlopen): the fid in *out, 0 or -errno. */
int v9fs_open_fid(struct v9fs_info *i, uint32_t fid, unsigned flags, uint32_t *out);

/* Re-read `x`'s attributes from the server (Tgetattr): 0 or -errno. */
int v9fs_refresh(struct v9fs_info *i, struct v9fs_inode *x);

/* v9fs_file.c: `n` bytes from offset 0 of opened `fid` into or out of
 * kernel buffer `buf` (Tread or Twrite, as many as it takes): the bytes
 * moved (fewer at the end of the file), or -errno.  Sleeps. */
long v9fs_xfer_fid(struct v9fs_info *i, uint32_t fid, bool wr, void *buf, size_t n);

/* v9fs_file.c: regular files' operations; the mapped pages' write-back
 * (every inode's: sync, umount) and their release (evict). */
extern const struct file_ops v9fs_file_ops;
int v9fs_cache_writeback(struct v9fs_info *i, struct v9fs_inode *x);
void v9fs_cache_drop(struct v9fs_inode *x);

#endif
