/*
 * Changing the tree: creating, removing, linking and renaming entries, with
 * Linux's checks and errors (fs/namei.c's may_create, may_delete and the
 * vfs_* functions), then the directory's filesystem's operation
 * (struct inode_operations) makes the change.  A read-only filesystem gives
 * EROFS, an operation spanning two filesystems EXDEV, a mount point EBUSY.
 */
#include "fs/vfs.h"
#include "fs/mount.h"
#include "fs/perm.h"
#include "core/kernel.h"

static bool is_dot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

/* Common checks for changing entry `name` of `dir`. */
static int dir_check(struct inode *dir, const char *name, size_t len)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	if (!vfs_parent(dir) || !dir->nlink)
		return -ENOENT; /* removed while we held it */
	return 0;
}

/* Linux looks the name up before it asks the filesystem, so an existing or
 * missing entry is reported before a read-only one. */
static int ro_check(struct inode *dir)
{
	return !dir->sb || dir->sb->rdonly ? -EROFS : 0;
}

/* The operation is missing: a filesystem that cannot make such an entry
 * (Linux's EPERM when an inode has no mkdir, link...). */
#define NO_OP(dir, op) (!vfs_iops(dir)->op)

/* Linux's may_create and what comes before it: the name, whether it is
 * taken, a read-only filesystem, the right to write the directory. */
static int create_check(struct inode *dir, const char *name, size_t len)
{
	int err;

	if ((err = dir_check(dir, name, len)))
		return err;
	if (is_dot(name, len) || vfs_child(dir, name, len))
		return -EEXIST;
	if ((err = ro_check(dir)) || (err = perm_may_create(dir)))
		return err;
	return 0;
}

int vfs_symlink(struct inode *dir, const char *name, size_t len, const char *target, size_t tlen)
{
	int err = create_check(dir, name, len);

	if (err)
		return err;
	if (NO_OP(dir, symlink))
		return -EPERM;
	return vfs_iops(dir)->symlink(dir, name, len, target, tlen);
}

struct inode *vfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	int err;

	if ((err = create_check(dir, name, len)))
		return ERR_PTR(err);
	if (NO_OP(dir, create)) /* Linux: EACCES for a file, EPERM otherwise */
		return ERR_PTR(S_ISREG(mode) ? -EACCES : -EPERM);
	return vfs_iops(dir)->create(dir, name, len, mode);
}

int vfs_remove(struct inode *dir, const char *name, size_t len, bool rmdir)
{
	struct dentry *e;
	struct inode *ino;
	int err;

	if ((err = dir_check(dir, name, len)))
		return err;
	if (is_dot(name, len))
		return rmdir ? (len == 1 ? -EINVAL : -ENOTEMPTY) : -EISDIR;
	if (mount_pinned(dir, name, len)) /* the guest's own /proc... over a root share */
		return rmdir ? -EBUSY : -EISDIR;
	if (!(e = vfs_child(dir, name, len)))
		return -ENOENT;
	ino = e->inode;
	/* Linux's may_delete checks rights before the entry's type; a
	 * read-only directory answers EROFS below instead. */
	if (!ro_check(dir) && (err = perm_may_delete(dir, ino)))
		return err;
	if (rmdir && !S_ISDIR(ino->mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(ino->mode))
		return -EISDIR;
	if ((err = ro_check(dir)))
		return err;
	if (e->mounted)
		return -EBUSY; /* Linux's is_local_mountpoint, before emptiness */
	if (rmdir && !vfs_dir_empty(ino))
		return -ENOTEMPTY;
	if (ino->sb != dir->sb) /* the image under /tmp */
		return ino->sb && ino->sb->rdonly ? -EROFS : -EBUSY;
	if (NO_OP(dir, unlink))
		return -EPERM;
	vfs_iops(dir)->unlink(dir, e);
	return 0;
}

int vfs_link(struct inode *target, struct inode *dir, const char *name, size_t len)
{
	int err;

	if ((err = dir_check(dir, name, len)))
		return err;
	if (is_dot(name, len) || vfs_child(dir, name, len))
		return -EEXIST;
	if (target->sb != dir->sb)
		return -EXDEV;
	if ((err = ro_check(dir)) || (err = perm_may_link(target)) || (err = perm_may_create(dir)))
		return err;
	if (S_ISDIR(target->mode))
		return -EPERM;
	if (!target->nlink)
		return -ENOENT;
	if (NO_OP(dir, link))
		return -EPERM;
	return vfs_iops(dir)->link(target, dir, name, len);
}

/* Is `dir` the directory `anc` or below it? */
static bool is_under(struct inode *dir, struct inode *anc)
{
	for (struct inode *i = dir; i; i = vfs_parent(i) == i ? NULL : vfs_parent(i))
		if (i == anc)
			return true;
	return false;
}

/* May `o` replace `n`?  (Both exist; plain rename.) */
static int replace_check(struct inode *o, struct inode *n)
{
	if (S_ISDIR(o->mode) && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (!S_ISDIR(o->mode) && S_ISDIR(n->mode))
		return -EISDIR;
	if (S_ISDIR(n->mode) && !vfs_dir_empty(n))
		return -ENOTEMPTY;
	return 0;
}

/* Checks that hold for every rename; 1 when it is a no-op. */
static int rename_check(struct inode *odir, struct dentry *oe, struct inode *ndir,
			struct dentry *ne, unsigned flags)
{
	struct inode *o = oe->inode;

	if (odir->sb != ndir->sb || o->sb != odir->sb)
		return -EXDEV;
	if (S_ISDIR(o->mode) && is_under(ndir, o))
		return -EINVAL; /* a directory into itself */
	if (ne && (flags & RENAME_EXCHANGE) && S_ISDIR(ne->inode->mode) &&
	    is_under(odir, ne->inode))
		return -EINVAL;
	if (ne && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (!ne && (flags & RENAME_EXCHANGE))
		return -ENOENT;
	if (ne && ne->inode == o)
		return 1; /* the same inode: Linux does nothing */
	return 0;
}

/* Linux's vfs_rename rights: remove the old entry, add or replace the new
 * one, and write a directory whose ".." changes. */
static int rename_perm(struct inode *odir, struct dentry *oe, struct inode *ndir, struct dentry *ne,
		       unsigned flags)
{
	int err = perm_may_delete(odir, oe->inode);

	if (!err)
		err = ne ? perm_may_delete(ndir, ne->inode) : perm_may_create(ndir);
	if (err || odir == ndir)
		return err;
	if (S_ISDIR(oe->inode->mode) && (err = perm_inode(oe->inode, MAY_WRITE)))
		return err;
	if ((flags & RENAME_EXCHANGE) && S_ISDIR(ne->inode->mode))
		err = perm_inode(ne->inode, MAY_WRITE);
	return err;
}

int vfs_rename(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
	       const char *nname, size_t nlen, unsigned flags)
{
	struct dentry *oe, *ne;
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) ||
	    (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE))
		return -EINVAL;
	if ((err = dir_check(odir, oname, olen)) || (err = dir_check(ndir, nname, nlen)))
		return err;
	if (is_dot(oname, olen) || is_dot(nname, nlen))
		return -EBUSY;
	if (!(oe = vfs_child(odir, oname, olen)))
		return -ENOENT;
	if ((err = ro_check(odir)) || (err = ro_check(ndir)))
		return odir->sb != ndir->sb ? -EXDEV : err;
	ne = vfs_child(ndir, nname, nlen);
	if ((err = rename_check(odir, oe, ndir, ne, flags)))
		return err < 0 ? err : 0;
	if ((err = rename_perm(odir, oe, ndir, ne, flags)))
		return err;
	if (oe->mounted || (ne && ne->mounted))
		return -EBUSY; /* a mount point stays where it is */
	if (ne && !(flags & RENAME_EXCHANGE) && (err = replace_check(oe->inode, ne->inode)))
		return err;
	if (NO_OP(odir, rename))
		return -EPERM;
	return vfs_iops(odir)->rename(odir, oe, ndir, ne, nname, nlen, flags);
}
