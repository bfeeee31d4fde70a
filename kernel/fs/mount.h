/*
 * The mount table (design.md contract 19): which filesystem is where.
 *
 * A mount puts a filesystem's root directory in place of a directory of
 * another, its mount point.  Path lookup crosses it both ways: a lookup
 * that reaches the mount point goes on in the mounted root (mount_cross),
 * and ".." of that root is the mount point's parent, since the root's
 * entry's `parent` is set to it when mounted (so getcwd and /proc paths need no
 * mount case either).  Mounts stack: a second mount on the same place
 * covers the first's root.
 *
 * The boot mounts (/, /dev, /dev/shm, /tmp, /proc, /sys) are made in
 * place: the image's directory there became the filesystem's root, so they
 * cover nothing and cannot be unmounted or remounted (EBUSY).  A share made
 * the root (mount_make_root) is such a mount too, and the boot's own
 * /dev, /proc... are pinned over it by name (mount_pinned).  Mounts made
 * later (vfs_mount, mount(2)) cover a directory and can go again.
 *
 * Guarded by the system-call rule (core/spinlock.h), as the tree is.
 */
#ifndef FS_MOUNT_H
#define FS_MOUNT_H

#include "fs/vfs.h"

/* mount(2) flags (include/uapi/linux/mount.h). */
#define MS_RDONLY      1
#define MS_NOSUID      2
#define MS_NODEV       4
#define MS_NOEXEC      8
#define MS_SYNCHRONOUS 16
#define MS_REMOUNT     32
#define MS_MANDLOCK    64
#define MS_DIRSYNC     128
#define MS_NOSYMFOLLOW 256
#define MS_NOATIME     1024
#define MS_NODIRATIME  2048
#define MS_BIND	       4096
#define MS_MOVE	       8192
#define MS_REC	       16384
#define MS_SILENT      32768
#define MS_UNBINDABLE  (1 << 17)
#define MS_PRIVATE     (1 << 18)
#define MS_SLAVE       (1 << 19)
#define MS_SHARED      (1 << 20)
#define MS_RELATIME    (1 << 21)
#define MS_STRICTATIME (1 << 24)
#define MS_LAZYTIME    (1 << 25)
#define MS_MGC_VAL     0xc0ed0000u /* the old magic in the top half, dropped */
#define MS_MGC_MSK     0xffff0000u
/* The flags a mount keeps (shown in /proc/mounts). */
#define MS_MNT_FLAGS                                                                               \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_DIRSYNC |              \
	 MS_NOSYMFOLLOW | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_LAZYTIME)
/* Propagation types: one namespace and no bind mounts, so nothing to
 * propagate to; mount(2) accepts them on a mount root. */
#define MS_PROPAGATION (MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED)

/* umount2(2) flags (include/linux/fs.h). */
#define MNT_FORCE	1
#define MNT_DETACH	2
#define MNT_EXPIRE	4
#define UMOUNT_NOFOLLOW 8

struct mount {
	unsigned id;		  /* /proc/self/mountinfo's first field */
	struct mount *parent;	  /* the mount its mount point is in; NULL: "/" */
	struct vfs_sb *sb;	  /* its filesystem */
	struct inode *root;	  /* the filesystem's top directory */
	struct inode *mountpoint; /* what it covers; NULL: made in place at boot */
	unsigned long flags;	  /* MS_MNT_FLAGS; MS_RDONLY as shown (boot /proc
				   * refuses changes, yet shows rw as Linux) */
	const char *source;	  /* the device or share ("tmpfs"): kmalloc'ed */
	bool expired;		  /* umount2 MNT_EXPIRE's first mark */
	struct list_head link;	  /* in the table, in mount order */
};

/* A filesystem type mount(2) can make, by its name. */
struct vfs_fs_type {
	const char *name; /* "tmpfs", as mount(2) and /proc/filesystems name it */
	/*
	 * Make the filesystem of a new mount: m->sb (its own superblock, with
	 * m->sb->type set) and m->root (a directory made by vfs_new_root).
	 * `source` is the device or share, `data` mount(2)'s options (comma
	 * separated, NUL terminated, maybe empty), m->flags the MS_ flags.
	 * 0, -EINVAL (a bad option), -ENOMEM, or what the device says.
	 */
	int (*fill)(struct mount *m, const char *source, const char *data);
	/* Apply MS_REMOUNT's options `data` (as fill's) to m->sb: 0 or
	 * -EINVAL, nothing changed then. */
	int (*reconfigure)(struct mount *m, const char *data);
	/* Free everything of m->sb once nothing uses it: every inode of the
	 * tree under m->root, the root and the superblock. */
	void (*kill)(struct mount *m);
	struct list_head link;
};

/* Make `t` known to mount(2).  Boot only. */
void mount_register(struct vfs_fs_type *t);

/* Note a boot mount of `sb` made in place at directory `root` ("/" first).
 * Boot only; out of memory ends the boot. */
void mount_boot(struct vfs_sb *sb, struct inode *root, const char *source, unsigned long flags);

/* The entry a lookup reaching `d` goes on in: the root of the topmost
 * mount on it, or `d` itself. */
static inline struct dentry *mount_cross(struct dentry *d)
{
	while (d->mounted)
		d = d->mounted->root->dentry;
	return d;
}

/* A device number (st_dev) no living filesystem has, for a new one; 0
 * when all are taken (fill then gives -EMFILE, as Linux's get_anon_bdev).
 * mount_anon_dev_put gives it back when the filesystem is freed. */
uint32_t mount_anon_dev(void);
void mount_anon_dev_put(uint32_t dev);

/* The mount `ino` is in (NULL: an unlinked inode). */
struct mount *mount_of(struct inode *ino);

/*
 * Mount filesystem type `fstype` from `source` on directory `target` (the
 * path already resolved, crossing mounts) with MS_ `flags` and options
 * `data` (NULL: none).  0, or -ENODEV (an unknown type), -ENOTDIR (target
 * not a directory), -ENOENT (target removed), -EBUSY (target is "/"),
 * -EINVAL (bad options), -ENOMEM.  The caller checks the right to mount.
 */
int mount_at(struct inode *target, const char *fstype, const char *source, unsigned long flags,
	     const char *data);

/* vfs_mount - mount_at for the kernel's own mounts (volumes, shares):
 * `target` is an absolute path, looked up with the kernel's rights; also
 * -ENOENT and the other errors of a lookup. */
int vfs_mount(const char *fstype, const char *source, const char *target, unsigned long flags,
	      const char *data);

/* Change the MS_ flags of the mount whose root is `target` and apply the
 * filesystem's options `data` (NULL: none), mount(2)'s MS_REMOUNT: 0,
 * -EINVAL (not a mount root, a bad option), -EBUSY (a boot mount). */
int mount_remount(struct inode *target, unsigned long flags, const char *data);

/*
 * Make a new mount of `fstype` from `source` (MS_ `flags`) the root, "/",
 * in place of the image's tree, which no path reaches then (fs/vfs.c
 * vfs_set_root; fs/mount_boot.c says why).  0 or fill's errors.  Boot only.
 */
int mount_make_root(const char *fstype, const char *source, unsigned long flags);

/* The entry `name` (`len` bytes) of `dir` pinned over a root share (the
 * guest's own /dev, /proc...: fs/mount_boot.c), or NULL: path lookup asks
 * this before the filesystem. */
struct dentry *mount_pinned(struct inode *dir, const char *name, size_t len);

/* Whether `target` is the root of a mount (what MS_PRIVATE and such need). */
bool mount_is_root(struct inode *target);

/*
 * umount2(2) of the mount whose root is `target` (the path resolved):
 * 0, or -EINVAL (not a mount root; MNT_EXPIRE with MNT_FORCE or
 * MNT_DETACH), -EBUSY (a boot mount; or files, a working directory or
 * mounts in it, unless MNT_DETACH, which detaches it now and frees it when
 * the last of those goes), -EAGAIN (MNT_EXPIRE's first call).
 */
int mount_umount(struct inode *target, int flags);

/*
 * mount_volumes - the per-run "volumes" entry (bootinfo.h: a version line,
 * then "SOURCE TARGET ro|rw" lines, `len` bytes at `spec`): mount each disk
 * as ext4, each share as 9p at TARGET, making the directories the tree
 * lacks; a share at "/" becomes the root first, and "tmpfs" lines pin the
 * guest's own /tmp or /run over it (fs/mount_boot.c).  0, or the first
 * error (logged; the program must not start then).  Boot only.
 */
int mount_volumes(const char *spec, size_t len);

/* vfs_sync_all - every mounted filesystem's sync (struct vfs_sb): what
 * the instance's end and sync(2) call.  0 or the first error.  May sleep. */
int vfs_sync_all(void);

/* statfs' f_flags for a file in mount `m` (ST_VALID and its flags, as
 * Linux's flags_by_mnt). */
unsigned long mount_statfs_flags(const struct mount *m);

/* vfs_iput's news that the last reference into `sb` went (mount.c frees a
 * lazily unmounted filesystem then). */
void mount_sb_idle(struct vfs_sb *sb);

/* /proc/mounts and /proc/self/mountinfo (procfs generators). */
long mount_gen_mounts(struct inode *ino, char *buf, size_t n);
long mount_gen_mountinfo(struct inode *ino, char *buf, size_t n);

#endif
