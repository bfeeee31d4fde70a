/*
 * The VFS: one tree of entries (struct dentry) naming inodes, the
 * filesystems' operations on them (struct inode_operations), open files,
 * and the program's descriptor table.  An inode's superblock (struct
 * vfs_sb) says which filesystem it belongs to and whether it may change.
 * The filesystems: the image (fs/image.c, read-only, from the initrd),
 * tmpfs (fs/tmpfs.c, writable, at /tmp), /dev (fs/devfs.c), /proc and /sys
 * (fs/procfs.c, fs/sysfs.c, generated), their shared operations
 * (fs/libfs.c), and the console files behind fds 0-2 (fs/console_file.c).
 * Changes to the tree (create, unlink, rename, link) are checked in
 * fs/namei.c.  Which filesystem is mounted where, and mount(2)'s tmpfs
 * mounts, are the mount table's (fs/mount.h).
 *
 * What guards the tree: the system-call rule (core/spinlock.h): one CPU,
 * and a kernel that is not preemptible and runs system calls with
 * interrupts off (sched_wait is the only place a thread gives the CPU up),
 * so one thread at a time changes it, and no interrupt handler touches it.
 * This is the implicit lock design.md 14 makes explicit before SMP; code
 * that sleeps mid-change must re-check what it found.  The tree itself and
 * path lookup: fs/vfs.c.
 */
#ifndef FS_VFS_H
#define FS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/list.h>

#define PATH_MAX    4096
#define NAME_MAX    255
#define SYMLOOP_MAX 40

/* Linux's mode bits (include/uapi/linux/stat.h). */
#define S_IFMT	   0170000
#define S_IFSOCK   0140000
#define S_IFLNK	   0120000
#define S_IFREG	   0100000
#define S_IFDIR	   0040000
#define S_IFBLK	   0060000
#define S_IFCHR	   0020000
#define S_IFIFO	   0010000
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define S_ISBLK(m) (((m)&S_IFMT) == S_IFBLK)

/* open flags (include/uapi/asm-generic/fcntl.h) */
#define O_ACCMODE	    3
#define O_RDONLY	    0
#define O_WRONLY	    1
#define O_RDWR		    2
#define O_CREAT		    0100
#define O_EXCL		    0200
#define O_NOCTTY	    0400
#define O_TRUNC		    01000
#define O_APPEND	    02000
#define O_NONBLOCK	    04000
#define O_DSYNC		    010000   /* a write is durable when it returns: its data */
#define __O_SYNC	    04000000 /* with O_DSYNC, O_SYNC: the metadata too */
#define O_ASYNC		    020000 /* FASYNC: recorded; SIGIO is not sent yet */
#define O_DIRECT	    040000 /* on a pipe: packet mode */
#define O_DIRECTORY	    0200000
#define O_NOFOLLOW	    0400000
#define O_CLOEXEC	    02000000
#define O_PATH		    010000000
#define AT_FDCWD	    (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS	    0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_EMPTY_PATH	    0x1000
#define AT_REMOVEDIR	    0x200

/* A filesystem's size for statfs: blocks of PAGE_SIZE (f_bsize), inodes. */
struct vfs_space {
	uint64_t blocks, bfree, files, ffree;
};

struct vfs_fs_type;
struct waitq;
struct mount;
struct dentry;
struct inode;

/* A directory listing in progress (getdents): the filesystem hands each
 * entry to `emit`, from its position `pos` on (0: the first entry after
 * "." and ".."; further values are the filesystem's own cookies). */
struct vfs_dir_ctx {
	/* Take one entry; `next` is the position after it.  false: no room,
	 * stop (the entry comes again from the same position). */
	bool (*emit)(struct vfs_dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
		     uint32_t mode, uint64_t next);
	uint64_t pos;
	/* Entries at `pos` already taken (0 unless the filesystem's positions
	 * are hash cookies, which names of one hash share: ext4). */
	uint32_t run;
};

/* What a setattr changes (Linux's ATTR_* of struct iattr): the fields of
 * struct vfs_iattr that `valid` names. */
#define VFS_ATTR_MODE  1u /* permission bits and set-id bits; the type stays */
#define VFS_ATTR_UID   2u
#define VFS_ATTR_GID   4u
#define VFS_ATTR_SIZE  8u /* regular files: cut or extended with a hole */
#define VFS_ATTR_ATIME 16u
#define VFS_ATTR_MTIME 32u
#define VFS_ATTR_CTIME 64u
struct vfs_iattr {
	unsigned valid;
	uint32_t mode, uid, gid;
	uint64_t size;
	uint64_t atime, mtime, ctime; /* ns since the epoch */
};

/*
 * A filesystem's operations on its directories and symlinks (Linux's
 * inode_operations).  The VFS (fs/vfs.c path lookup, fs/namei.c, the
 * system calls) makes every check Linux's VFS makes (names, types,
 * permissions, read-only, busy mount points, emptiness) and then calls
 * these, which only change the filesystem and its entries (struct dentry).
 * A read-only filesystem leaves the changing ones NULL.  fs/libfs.c has
 * the ones the in-memory trees share.
 */
struct inode_operations {
	/* The entry `name` of directory `dir`, or NULL. */
	struct dentry *(*lookup)(struct inode *dir, const char *name, size_t len);
	/* List `dir` from ctx->pos on (struct vfs_dir_ctx). */
	void (*iterate)(struct inode *dir, struct vfs_dir_ctx *ctx);
	/* Copy symlink `ino`'s target (at most `n` bytes, no NUL): its
	 * length or -errno. */
	long (*readlink)(struct inode *ino, char *buf, size_t n);
	/* Optional, symlinks: the inode a "magic" link stands for (Linux's
	 * proc_fd_link: /proc/PID/fd/N names the open file itself, so a pipe
	 * or a removed file can be opened again through it), NULL to follow
	 * the target text instead, or ERR_PTR(-errno). */
	struct inode *(*get_link)(struct inode *link);
	/* Change what `a` names of `ino` (any type; checked by the caller):
	 * 0, or for VFS_ATTR_SIZE what tmpfs_truncate gives.  NULL: the
	 * inode's fields are all there is (libfs_setattr, Linux's
	 * simple_setattr). */
	int (*setattr)(struct inode *ino, const struct vfs_iattr *a);
	/* A new entry of `mode` (S_IFREG, S_IFDIR, S_IFLNK...) owned as
	 * perm_init_owner says; ERR_PTR(-ENOMEM). */
	struct inode *(*create)(struct inode *dir, const char *name, size_t len, uint32_t mode);
	/* A new symlink to `target` (`tlen` bytes, copied): 0 or -ENOMEM. */
	int (*symlink)(struct inode *dir, const char *name, size_t len, const char *target,
		       size_t tlen);
	/* A new entry for non-directory `target`: 0 or -ENOMEM. */
	int (*link)(struct inode *target, struct inode *dir, const char *name, size_t len);
	/* Remove entry `e` of `dir` (a non-directory, or an empty directory). */
	void (*unlink)(struct inode *dir, struct dentry *e);
	/* Move entry `oe` of `odir` to `nname` in `ndir`, replacing entry `ne`
	 * (NULL: none) or, with RENAME_EXCHANGE, trading places with it:
	 * 0 or -ENOMEM (nothing changed). */
	int (*rename)(struct inode *odir, struct dentry *oe, struct inode *ndir, struct dentry *ne,
		      const char *nname, size_t nlen, unsigned flags);
	/* Optional, extended attributes (man 7 xattr; NULL: the filesystem
	 * keeps none).  getxattr: the value of `name` into `buf` (`n` bytes;
	 * n 0: its size only); listxattr: the names, each NUL-terminated, the
	 * same way.  Their size, or -ENODATA, -ERANGE (`n` too small),
	 * -EOPNOTSUPP.  setxattr: `name` set to the `size` bytes at `value`
	 * (flags XATTR_CREATE, XATTR_REPLACE), or removed when `value` is
	 * NULL; 0 or -errno.  Permissions and read-only are the caller's. */
	long (*getxattr)(struct inode *ino, const char *name, void *buf, size_t n);
	long (*listxattr)(struct inode *ino, char *buf, size_t n);
	int (*setxattr)(struct inode *ino, const char *name, const void *value, size_t size,
			int flags);
};

/* A filesystem (a superblock): what statfs reports and whether its tree
 * may change.  Those mounted at boot are static; one mount(2) makes is its
 * filesystem type's (fs/mount.h). */
struct vfs_sb {
	const char *name; /* "tmpfs", ... (/proc/mounts' type) */
	uint64_t magic;	  /* statfs f_type (include/uapi/linux/magic.h) */
	uint32_t dev;	  /* st_dev of its inodes */
	bool rdonly;	  /* changes give -EROFS (ST_RDONLY in statfs) */
	/* Optional: fill in its size and what is free (zeroed before).  None
	 * reports zeros, as Linux's simple_statfs does for proc and sysfs. */
	void (*space)(const struct vfs_sb *sb, struct vfs_space *sp);
	/* Optional: free a non-directory inode that has no name and no
	 * reference left (tmpfs: its pages too).  None: such inodes stay. */
	void (*evict)(struct inode *ino);
	/* Optional: write everything cached back and flush the device (sync,
	 * umount, the instance's end): 0 or -errno.  May sleep. */
	int (*sync)(struct vfs_sb *sb);
	const struct inode_operations *iops; /* its directories' and symlinks' */
	const struct vfs_fs_type *type;	     /* what made it (NULL: boot-only kinds) */
	void *priv;			     /* the filesystem's own (tmpfs: its size) */
	unsigned irefs;			     /* vfs_iget references on its inodes */
	struct mount *detached;		     /* lazily unmounted: freed at irefs 0 */
};
extern struct vfs_sb vfs_image_sb, tmpfs_sb, devfs_sb, procfs_sb, sysfs_sb;

/*
 * A directory entry (Linux's dentry): a name in a directory, standing for
 * an inode.  A directory's entries hang in its own entry's `children`, the
 * cache of what was looked up; for the in-memory trees (the image, tmpfs,
 * /dev, /proc, /sys) it is the whole directory, and those entries live as
 * long as the names (they are pinned: nothing else could bring them back).
 * A filesystem that can read its entries again (a disk) may fill the cache
 * in its lookup operation instead.  Hard links are several entries on one
 * inode; an inode's `dentry` is the one it was made with (a directory has
 * no other), which keeps its last name once it is removed (parent NULL),
 * for /proc's "(deleted)".  Guarded by the system-call rule.
 */
struct dentry {
	const char *name; /* not NUL terminated; `name_owned`: kmalloc'ed */
	size_t namelen;
	bool name_owned;
	struct dentry *parent;	   /* ".." (the root: itself); NULL: removed */
	struct inode *inode;	   /* what the name stands for */
	struct list_head children; /* directories: the cached struct dentry.sibling */
	struct list_head sibling;
	struct mount *mounted; /* directories: the mount on top of it (fs/mount.h) */
};

struct inode {
	uint64_t ino;
	uint32_t mode, uid, gid, nlink;
	uint64_t size;
	uint64_t atime, mtime, ctime; /* nanoseconds since the epoch */
	const uint8_t *data;	      /* image files: the bytes, in the initrd;
				       * symlinks of every fs: the target */
	bool data_owned;	      /* data was kmalloc'ed (symlinks made later) */
	struct dentry *dentry;	      /* its entry (struct dentry); NULL: in no tree */
	const char *anon_name;	      /* in no tree: what /proc shows ("[eventfd]") */
	const struct file_ops *fops;  /* devices, tmpfs, procfs: their operations;
				      * NULL: image file */
	uint32_t rdev;		      /* devices: (major << 8) | minor */
	struct vfs_sb *sb;	      /* its filesystem (NULL: none, e.g. console) */
	unsigned refs;		      /* open files and mappings (vfs_iget) */
	uint64_t *pages;	      /* tmpfs files: frame addresses, 0 = hole */
	uint64_t npages;	      /* tmpfs files: slots in `pages` */
	bool shm;		      /* tmpfs: memfd or shared memory, outside /tmp's size limit */
	bool own_blocks; /* st_blocks is `blocks` (ext4 counts them), not from the size */
	uint64_t blocks; /* own_blocks: 512-byte blocks allocated */
	/* Its own operations (procfs' dynamic directories); NULL: its
	 * filesystem's. */
	const struct inode_operations *iops;
	/* Generated files (/proc): fill `buf` with the content, return its
	 * length or -errno; `buf` is grown by the caller (procfs.c). */
	long (*generate)(struct inode *ino, char *buf, size_t n);
};

struct file;
struct file_ops {
	/* Optional: open the inode yourself (e.g. /dev/stdout reopens fd 1). */
	struct file *(*open)(struct inode *ino, unsigned flags);
	long (*read)(struct file *f, void *kbuf, size_t n, uint64_t off);
	long (*write)(struct file *f, const void *kbuf, size_t n, uint64_t off);
	/* Optional, preferred by read(2)/write(2) and their vector and
	 * positional forms: the same transfer straight from or to the
	 * program's buffer at user address `ubuf`, with no bounce through a
	 * kernel buffer.  A fault gives what was moved before it, or -EFAULT. */
	long (*read_user)(struct file *f, uint64_t ubuf, size_t n, uint64_t off);
	long (*write_user)(struct file *f, uint64_t ubuf, size_t n, uint64_t off);
	long (*ioctl)(struct file *f, unsigned cmd, uint64_t arg);
	/* Optional: the last reference to `f` is going (free f->priv). */
	void (*release)(struct file *f);
	/* Optional: the POLL* events ready now; *gen (if not NULL) gets a
	 * counter that changes whenever the file gains data, room or a hangup,
	 * which epoll's edge trigger compares.  Without it a file is always
	 * readable and writable, as a regular file is.  Interrupts off. */
	unsigned (*poll)(struct file *f, uint64_t *gen);
	/* Optional, with poll: the queue (core/waitq.h) woken whenever what
	 * poll answers may have changed, which poll, select and epoll
	 * register on.  Without it the file's changes must call
	 * sched_wake_all(), and epoll re-checks the file at every wake-up
	 * of its waiter.  The queue lives as long as the file. */
	struct waitq *(*waitq)(struct file *f);
	/* Optional: make what was written durable (fsync, fdatasync; a block
	 * device flushes its cache): 0 or -errno.  Without it there is
	 * nothing to write back.  May sleep. */
	long (*fsync)(struct file *f);
	/* Optional: fdatasync, which may leave out metadata that reading the
	 * data back does not need (timestamps).  Without it: fsync. */
	long (*fdatasync)(struct file *f);
	/* Optional: where SEEK_END counts from when it is not the inode's
	 * size (a block device: its capacity; its inode shows 0, as Linux's). */
	uint64_t (*size)(struct file *f);
	/* Optional: fallocate(2) mode 0 or FALLOC_FL_KEEP_SIZE, checked by the
	 * caller: 0 or -errno.  Without it: tmpfs_allocate. */
	int (*fallocate)(struct file *f, uint64_t off, uint64_t len, bool keep_size);
	/* Optional: how the VMA layer maps the file (vfs_vm_ops); without it,
	 * tmpfs' or the image's. */
	const struct vm_file_ops *vm_ops;
	/* The file's data is its filesystem's (a disk's): a read-only
	 * filesystem refuses writing it (vfs_data_rdonly); vfs_inode_read and
	 * O_TRUNC go through these operations. */
	bool fs_data;
	bool seekable; /* false: pipes, terminals (lseek gives -ESPIPE) */
};

/* An open file description (shared by dup'ed descriptors). */
struct file {
	int refs;
	unsigned flags; /* O_* status flags (O_APPEND, O_NONBLOCK, access mode) */
	uint64_t off;	/* file position */
	/* Directories: struct vfs_dir_ctx's run at off; a seek clears it. */
	uint32_t dir_run;
	struct inode *inode;
	const struct file_ops *ops;
	int stream;	/* console files: 0, 1 or 2 */
	void *priv;	/* the file_ops' own data (procfs: the generated text) */
	int owner;	/* F_SETOWN's pid, negative for a process group; 0: none */
	bool owner_tid; /* F_SETOWN_EX named a thread (F_OWNER_TID) */
};

/*
 * The one access-mode check: whether open flags `flags` allow reading or
 * writing (Linux's FMODE_READ, FMODE_WRITE).  O_PATH and the file's
 * operations are the caller's to check.  An access mode of 3 (O_ACCMODE)
 * counts as both: open refuses it (EINVAL), so no open file has it, and
 * open_check's EROFS and EISDIR come before that refusal, as on Linux.
 */
static inline bool file_flags_readable(unsigned flags)
{
	return (flags & O_ACCMODE) != O_WRONLY;
}

static inline bool file_flags_writable(unsigned flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

/* An open file's access mode allows reading (writing); errors such as EBADF
 * are the caller's. */
static inline bool file_readable(const struct file *f)
{
	return file_flags_readable(f->flags);
}

static inline bool file_writable(const struct file *f)
{
	return file_flags_writable(f->flags);
}

/* Build the image tree from the initrd at `buf`: every archive, the per-run
 * one included.  Returns 0 or -EINVAL (malformed archive, logged). */
int vfs_init_image(const void *buf, size_t len);

/* Add (or find) the entry `name` (a static string) in directory `dir`, with
 * `mode`; NULL when out of memory.  Boot only: synthetic trees (/dev). */
struct inode *vfs_mknode(struct inode *dir, const char *name, uint32_t mode);

/* A new entry in `dir` (inheriting its filesystem and time) that does not
 * copy `name`; NULL when out of memory.  fs/ only: others use vfs_create. */
struct inode *vfs_new_inode(struct inode *dir, const char *name, size_t len, uint32_t mode);

/* A new directory of `mode` in no directory, the root of a new filesystem
 * `sb` (parent and name are the mounter's to set); NULL when out of memory. */
struct inode *vfs_new_root(struct vfs_sb *sb, uint32_t mode);

/* devfs.c: populate /dev.  Called once by init after the image tree. */
void devfs_init(void);

/* blkdev.c: a node in /dev (`dev`, of filesystem `sb`) for each block
 * device of drivers/blk.h.  Called once by devfs_init. */
void blkdev_init(struct inode *dev, struct vfs_sb *sb);
/* blkdev.c: the disk of block device node `ino` (/dev/vdb), or NULL when
 * it is none (a filesystem's mount source). */
struct blk_dev;
struct blk_dev *blkdev_disk(const struct inode *ino);
/* blkdev.c: pin the program's pages of [ubuf, ubuf + len) (present, and
 * writable for `write`, faulted in if need be; a reference on each frame,
 * so an munmap meanwhile frees none) into `vec` (room for `max`), one
 * segment per page touched, for a device to move data to or from: the
 * count, or -EFAULT with nothing pinned (a page not to be had, more than
 * `max`).  blkdev_unpin drops them.  Process context, no lock held that a
 * fault of the range may take. */
struct blk_vec;
int blkdev_pin_user(uint64_t ubuf, uint64_t len, bool write, struct blk_vec *vec, unsigned max);
void blkdev_unpin(struct blk_vec *vec, unsigned n);

/* tmpfs.c: mount an empty tmpfs at /tmp (made when the image lacks it).
 * Called once by init after the image tree. */
void tmpfs_init(void);
/* tmpfs.c: make directory `name` of `parent` (or take the image's) a tmpfs,
 * mode 01777, as a mount there would be (/tmp, /dev/shm).  NULL when out
 * of memory; a file of that name (a hand-made image) panics.  Boot only. */
struct inode *tmpfs_mount_dir(struct inode *parent, const char *name);

/* ext4fs.c: make the "ext4" filesystem type known (volumes on virtio-blk
 * disks, issue 9).  Boot only. */
void ext4fs_init(void);
/* v9fs.c: make the "9p" filesystem type known (host directory shares over
 * virtio-9p, issue 10).  Boot only. */
void v9fs_init(void);

/* procfs.c and sysfs.c: build /proc and /sys.  Called once by init after the
 * image tree (procfs reads the per-run "exe" entry). */
void procfs_init(void);
void sysfs_init(void);
/* All three at once, in order: the one call init makes (procfs.c). */
void vfs_init_mounts(void);

/* image.c: a new entry `name` (copied) of `mode` in directory `dir` of the
 * image, as if the image had it: the files the boot adds (cloud-init's
 * write_files, init/cloudinit_files.c), read-only to the program like the
 * rest of the image.  The caller sets its owner and data (kmalloc'ed, with
 * data_owned).  NULL when out of memory.  Boot only. */
struct inode *image_add(struct inode *dir, const char *name, size_t len, uint32_t mode);

/* The per-run data file `name` (bootinfo.h MONOS_RUN_*): 0 or -ENOENT. */
int vfs_runfile(const char *name, const uint8_t **data, size_t *size);

/* libfs.c: the operations of the in-memory trees (Linux's simple_*):
 * read-only ones (the image, /proc, /sys) and writable ones (tmpfs, /dev).
 * The lookup, listing and readlink of an in-memory tree, for filesystems
 * that wrap them (procfs' dynamic directories). */
extern const struct inode_operations libfs_ro_iops, libfs_rw_iops;
struct dentry *libfs_lookup(struct inode *dir, const char *name, size_t len);
void libfs_iterate(struct inode *dir, struct vfs_dir_ctx *ctx);
long libfs_readlink(struct inode *ino, char *buf, size_t n);
int libfs_setattr(struct inode *ino, const struct vfs_iattr *a);
/* A kmalloc'ed, NUL-terminated copy of a name (`len` bytes), for entries
 * that outlive the caller's path; NULL when out of memory. */
char *libfs_dup_name(const char *name, size_t len);

/* The operations of `ino`: its own, its filesystem's, or the read-only
 * in-memory tree's (inodes of no filesystem). */
const struct inode_operations *vfs_iops(const struct inode *ino);

/* Read symlink `ino`'s target into a new NUL-terminated kmalloc'ed string:
 * ERR_PTR(-ENAMETOOLONG, -ENOMEM, -EINVAL when not a symlink). */
char *vfs_readlink(struct inode *ino);

/* Change the attributes `a` names through `ino`'s filesystem (chmod,
 * chown, utimes, truncate, after their checks): 0 or -errno. */
int vfs_setattr(struct inode *ino, const struct vfs_iattr *a);

/* Does directory `dir` have no entries ("." and ".." aside)? */
bool vfs_dir_empty(struct inode *dir);

/* A new entry `name` (not copied) for `ino` in directory `dir` (NULL: in
 * none), which becomes `ino`'s own if it has none; NULL when out of
 * memory.  vfs_dentry_free frees an entry out of its directory, and its
 * name if owned. */
struct dentry *vfs_dentry_new(struct inode *dir, const char *name, size_t len, struct inode *ino);
void vfs_dentry_free(struct dentry *d);
/* Move entry `e` into directory `ndir` as `copy` (`nlen` bytes, kmalloc'ed,
 * owned by the entry from now on); link counts and times are the caller's. */
void vfs_dentry_move(struct dentry *e, struct inode *ndir, char *copy, size_t nlen);

/* The directory `ino` is in (the root: itself); NULL if removed or in no
 * tree. */
static inline struct inode *vfs_parent(const struct inode *ino)
{
	return ino->dentry && ino->dentry->parent ? ino->dentry->parent->inode : NULL;
}

/* Take and drop a reference that keeps an unlinked inode's data alive
 * (open files take one in vfs_open; a file mapping should too). */
void vfs_iget(struct inode *ino);
void vfs_iput(struct inode *ino);

/*
 * Read up to `n` bytes of regular file `ino` at `off` into `kbuf`, whatever
 * its filesystem (image or tmpfs); holes read as zeros.  Returns the count
 * (0 at or past EOF) or -errno.  For the page-fault handler filling private
 * file mappings; any context that may touch the heap.
 */
long vfs_inode_read(struct inode *ino, void *kbuf, size_t n, uint64_t off);

/* The current time for timestamps (ns since the epoch). */
uint64_t vfs_now(void);

/* A new descriptor table (empty) and a new place in the tree (the root as
 * working directory, umask 022), each with one reference, for a process's
 * first thread (sched.h: thread->files, thread->fs); NULL when out of
 * memory. */
struct fdtable *fdt_create(void);
struct fs_context *vfs_fs_create(void);

/* fork: a copy of a table (every file one more reference) or of a place in
 * the tree, with one reference; NULL when out of memory.  _get adds a
 * sharer (CLONE_FILES, CLONE_FS); _put drops one, and the last closes
 * every descriptor (or frees the place). */
struct fdtable *fdt_dup(const struct fdtable *t);
void fdt_get(struct fdtable *t);
void fdt_put(struct fdtable *t);
struct fs_context *vfs_fs_dup(const struct fs_context *fs);
void vfs_fs_get(struct fs_context *fs);
void vfs_fs_put(struct fs_context *fs);

/* execve: a table shared with another process is replaced by a copy of
 * the caller's own (0, -ENOMEM); then every descriptor of `t` marked
 * FD_CLOEXEC is closed. */
int fdt_unshare(struct fdtable **tp);
/* The descriptors open in `t` (the agent's metrics). */
unsigned fdt_count(const struct fdtable *t);
void fdt_close_on_exec(struct fdtable *t);

/* The root directory, and the process's working directory. */
struct inode *vfs_root(void);
/* The image's top directory: the root, unless a share was made the root
 * (fs/mount.h mount_make_root); then no path reaches it, and the kernel
 * finds what it still needs there (the agent) from here. */
struct inode *vfs_image_root(void);
/* Make `dir` "/" for every absolute path and new context.  Boot only. */
void vfs_set_root(struct inode *dir);
struct inode *vfs_cwd(void);
void vfs_set_cwd(struct inode *dir);
/* Another process's working directory and umask (/proc/PID/cwd, status). */
struct inode *vfs_fs_cwd(const struct fs_context *fs);
unsigned vfs_fs_umask(const struct fs_context *fs);

/* The process's umask (022 at start, as Linux's); vfs_set_umask keeps the
 * permission bits of `mask` and returns the old one. */
unsigned vfs_umask(void);
unsigned vfs_set_umask(unsigned mask);

/*
 * Resolve `path` relative to `dir` (absolute paths from the root), following
 * symlinks, the last one only if `follow`.  Returns the inode or an ERR_PTR:
 * -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG.
 */
struct inode *vfs_lookup(struct inode *dir, const char *path, bool follow);

/* The absolute path of `ino` into `buf` (NUL terminated); its length or
 * -ENAMETOOLONG. */
long vfs_path(struct inode *ino, char *buf, size_t n);

/* A new file of `ops` over `ino` (one reference on it taken), with the
 * open flags that a file keeps (O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC and
 * O_CLOEXEC dropped); ERR_PTR(-ENOMEM). */
struct file *file_alloc(struct inode *ino, const struct file_ops *ops, unsigned flags);

/* Open `ino` with O_* `flags`: a new file with one reference, or ERR_PTR. */
struct file *vfs_open(struct inode *ino, unsigned flags);

/* poll(2) events (include/uapi/asm-generic/poll.h). */
#define POLLIN	   0x001
#define POLLPRI	   0x002
#define POLLOUT	   0x004
#define POLLERR	   0x008
#define POLLHUP	   0x010
#define POLLNVAL   0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100
#define POLLRDHUP  0x2000

/* eventfd.c: a new eventfd file holding `initval`; EFD_SEMAPHORE and
 * O_NONBLOCK in `flags`.  The file or ERR_PTR(-ENOMEM). */
struct file *eventfd_create(uint64_t initval, unsigned flags);

/* The events of `f` ready now, through its poll operation (see file_ops). */
unsigned vfs_poll(struct file *f, uint64_t *gen);

/* The queue woken when `f`'s poll answer may change (file_ops.waitq), or
 * NULL when its changes wake everyone (sched_wake_all). */
struct waitq *vfs_waitq(struct file *f);

/* Register the one function called when a file's last reference goes,
 * before it is freed (the Linux layer drops its flock locks).  Boot only. */
void vfs_set_last_put_hook(void (*fn)(struct file *f));

/* Register the one function called whenever a descriptor of table `t` for
 * `f` is closed (close, dup2 over it, exec's close-on-exec, the table's
 * end), before the reference goes: POSIX record locks belong to the table
 * and go at any close of the file (Linux's locks_remove_posix).  Boot only. */
void vfs_set_close_hook(void (*fn)(struct fdtable *t, struct file *f));

/* Drop a reference; the last one frees the file. */
void file_put(struct file *f);

/*
 * Tree changes (fs/namei.c).  `name`/`len` is one path component in `dir`
 * (not "." or ".."); all give -EROFS on a read-only filesystem, -ENOTDIR if
 * `dir` is not a directory, -ENOENT if it was removed, -ENAMETOOLONG.
 */
/* A new inode of `mode` (S_IFREG, S_IFDIR, S_IFLNK...): -EEXIST, -ENOMEM. */
struct inode *vfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode);
/* The entry `name` of `dir` (its filesystem's lookup), or NULL. */
struct dentry *vfs_child(struct inode *dir, const char *name, size_t len);
/* A new symlink to `target` (`tlen` bytes, 1 to PATH_MAX - 1): -EEXIST,
 * -ENOMEM, -EPERM (a filesystem without symlinks). */
int vfs_symlink(struct inode *dir, const char *name, size_t len, const char *target, size_t tlen);
/* Remove an entry: `rmdir` wants a directory (-ENOTDIR, -ENOTEMPTY), else
 * a non-directory (-EISDIR).  -ENOENT if absent. */
int vfs_remove(struct inode *dir, const char *name, size_t len, bool rmdir);
/* A new entry for `target` (not a directory: -EPERM): -EEXIST, -EXDEV. */
int vfs_link(struct inode *target, struct inode *dir, const char *name, size_t len);
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE	 2
/* rename(2) and renameat2's flags: -EEXIST, -EXDEV, -EINVAL (a directory
 * into itself), -ENOTEMPTY, -EISDIR, -ENOTDIR, -ENOENT. */
int vfs_rename(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
	       const char *nname, size_t nlen, unsigned flags);

/*
 * tmpfs file data (fs/tmpfs.c).  Set the size of regular file `ino` (cut or
 * extended with a hole): 0, -EROFS (not tmpfs), -EISDIR, -EINVAL, -ENOSPC.
 * `tmpfs_allocate` backs [off, off + len) with pages, growing the size
 * unless `keep_size`.  `tmpfs_free` releases all data of an inode.
 */
int tmpfs_truncate(struct inode *ino, uint64_t size);
int tmpfs_allocate(struct inode *ino, uint64_t off, uint64_t len, bool keep_size);
void tmpfs_free(struct inode *ino);
/* tmpfs_free, then the inode itself: tmpfs' and devtmpfs' vfs_sb.evict. */
void tmpfs_evict(struct inode *ino);
/* tmpfs' size in pages: half of the memory, Linux's default. */
uint64_t tmpfs_max_pages(void);
extern const struct file_ops tmpfs_file_ops;
/* Is `sb` a tmpfs (any mount of it)? */
bool tmpfs_is(const struct vfs_sb *sb);
/*
 * Writing `ino`'s data gives EROFS: a file of a read-only filesystem that
 * keeps data there (the image's, a read-only tmpfs's), not a device or a
 * generated file, which answer for themselves (Linux lets a device node on
 * a read-only mount be written).
 */
static inline bool vfs_data_rdonly(const struct inode *ino)
{
	return ino->sb && ino->sb->rdonly &&
	       (!ino->fops || ino->fops == &tmpfs_file_ops || ino->fops->fs_data);
}
/* How the VMA layer fills a mapping of `ino` (core/vm.h struct vm_file_ops):
 * tmpfs_vm_ops (tmpfs.c) for tmpfs files, image_vm_ops (image.c) for files
 * whose bytes lie in memory (the image, the vDSO's pages). */
struct vm_file_ops;
extern const struct vm_file_ops tmpfs_vm_ops, image_vm_ops;
const struct vm_file_ops *vfs_vm_ops(struct inode *ino);
/* A new tmpfs inode of `mode` in no directory (memfd_create): `name` (copied)
 * is what /proc shows; the last vfs_iput frees it.  NULL when out of memory. */
struct inode *tmpfs_new_unlinked(const char *name, size_t len, uint32_t mode);

/* fd table (fs/file.c).  All return -EBADF for a bad descriptor.  The table
 * is guarded by the system-call rule (core/spinlock.h): only system calls
 * use it, never an interrupt handler or a timer callback. */
#define FD_LIMIT_DEFAULT 1024	    /* RLIMIT_NOFILE's soft limit at start, as Linux */
#define FD_NR_OPEN	 (1u << 20) /* its ceiling: Linux's fs.nr_open default */
#define FD_CLOEXEC	 1
/* lowest free >= min_fd, found in time linear in the words of the open-fds
 * bitmap at worst: -EMFILE at the soft limit, -ENOMEM when the table cannot
 * grow. */
int fd_install(struct file *f, int min_fd, bool cloexec);
/* fd_install(f, 0, cloexec) of a file just made, dropping it (file_put)
 * when no descriptor can be had: the descriptor or -errno. */
int fd_install_new(struct file *f, bool cloexec);
unsigned fd_limit(void);	   /* RLIMIT_NOFILE's soft limit */
void fd_set_limit(unsigned limit); /* setrlimit; open descriptors above stay */
unsigned fd_table_end(void);	   /* every open fd is below this */
struct file *fd_get(int fd);	   /* borrowed reference, or NULL */
/* fd_hold - fd_get for a system call that may block: the file keeps a
 * reference until the call returns (fd_release_held, from the syscall
 * dispatcher), so a close by another thread meanwhile frees nothing under
 * it, as Linux's fdget/fdput.  NULL for a bad descriptor. */
struct file *fd_hold(int fd);
void fd_release_held(void);
int fd_close(int fd);
/* dup, F_DUPFD: oldfd's file at the lowest free >= min_fd (-EMFILE, -ENOMEM). */
int fd_dup_min(int oldfd, unsigned min_fd, bool cloexec);
/* dup2, dup3: oldfd's file at newfd, closing what was there; -EBADF when
 * newfd is at or above the soft limit (a negative one is, as unsigned). */
int fd_dup(int oldfd, unsigned newfd, bool cloexec);
int fd_get_flags(int fd);
int fd_set_flags(int fd, int flags);
/* Another process's table, for /proc/PID/fd and fdinfo: every open fd of
 * `t` is below fdt_end(t); fdt_file gives fd's file (borrowed) and its
 * FD_CLOEXEC in *flags, or NULL. */
unsigned fdt_end(const struct fdtable *t);
struct file *fdt_file(const struct fdtable *t, int fd, int *flags);

/* Console files for fds 0-2 (fs/console_file.c); `tty` is the host side's
 * isatty of each. */
void console_files_init(const bool tty[3]);
bool console_file_is_tty(struct file *f);

/* pipe.c: a new pipe's read end (ends[0]) and write end (ends[1]), keeping
 * O_NONBLOCK and O_DIRECT of `flags`; `broken` (or NULL) runs when a write
 * finds no reader, before it fails with -EPIPE (the linux layer raises
 * SIGPIPE there).  0 or -ENOMEM.  pipe_fcntl: F_GETPIPE_SZ and F_SETPIPE_SZ,
 * the size in bytes or -EBADF (not a pipe), -EINVAL, -EBUSY, -ENOMEM.
 * Everything of a pipe is guarded by its own spinlock (struct pipe). */
int pipe_create(struct file *ends[2], unsigned flags, void (*broken)(void));
long pipe_fcntl(struct file *f, long cmd, uint64_t arg);

#endif
