/*
 * Changing the tree: creating, removing, linking and renaming entries, with
 * Linux's checks and errors.  The filesystems share one tree, so these work
 * on any directory whose filesystem is writable (tmpfs); the image gives
 * EROFS, and an operation spanning two filesystems EXDEV.
 */
#include "fs/vfs.h"
#include "fs/perm.h"
#include "core/heap.h"
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
	if (!dir->parent || !dir->nlink)
		return -ENOENT; /* removed while we held it */
	return 0;
}

/* Linux looks the name up before it asks the filesystem, so an existing or
 * missing entry is reported before a read-only one. */
static int ro_check(struct inode *dir)
{
	return !dir->sb || dir->sb->rdonly ? -EROFS : 0;
}

/* A kmalloc'ed copy of a name, for entries that outlive the caller's path. */
static char *dup_name(const char *name, size_t len)
{
	char *s = kmalloc(len + 1);

	if (s) {
		memcpy(s, name, len);
		s[len] = 0;
	}
	return s;
}

static void touch_dir(struct inode *dir)
{
	dir->mtime = dir->ctime = vfs_now();
}

struct inode *vfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	struct inode *ino;
	char *copy;
	int err;

	if ((err = dir_check(dir, name, len)))
		return ERR_PTR(err);
	if (is_dot(name, len) || vfs_child(dir, name, len))
		return ERR_PTR(-EEXIST);
	if ((err = ro_check(dir)) || (err = perm_may_create(dir)))
		return ERR_PTR(err);
	if (!(copy = dup_name(name, len)))
		return ERR_PTR(-ENOMEM);
	if (!(ino = vfs_new_inode(dir, copy, len, mode))) {
		kfree(copy);
		return ERR_PTR(-ENOMEM);
	}
	ino->name_owned = true;
	perm_init_owner(ino, dir);
	ino->atime = ino->mtime = ino->ctime = vfs_now();
	if (S_ISREG(mode))
		ino->fops = &tmpfs_file_ops;
	if (S_ISDIR(mode))
		dir->nlink++;
	touch_dir(dir);
	return ino;
}

/* Take entry `e` out of its directory; the inode it stands for loses a link
 * and goes when nothing holds it. */
static void detach(struct inode *e)
{
	struct inode *ino = vfs_real(e), *dir = e->parent;

	list_del(&e->sibling);
	touch_dir(dir);
	if (S_ISDIR(ino->mode)) {
		dir->nlink--;
		ino->nlink = 0;
	} else {
		ino->nlink--;
	}
	ino->ctime = vfs_now();
	if (e != ino) { /* a hard-link entry: only the entry goes */
		kfree((void *)e->name);
		kfree(e);
		vfs_iget(ino), vfs_iput(ino);
		return;
	}
	e->parent = NULL;
	vfs_iget(ino), vfs_iput(ino); /* frees it if nothing else holds it */
}

int vfs_remove(struct inode *dir, const char *name, size_t len, bool rmdir)
{
	struct inode *e, *ino;
	int err;

	if ((err = dir_check(dir, name, len)))
		return err;
	if (is_dot(name, len))
		return rmdir ? (len == 1 ? -EINVAL : -ENOTEMPTY) : -EISDIR;
	if (!(e = vfs_child(dir, name, len)))
		return -ENOENT;
	ino = vfs_real(e);
	/* Linux's may_delete checks rights before the entry's type; a
	 * read-only directory answers EROFS below instead. */
	if (!ro_check(dir) && (err = perm_may_delete(dir, e)))
		return err;
	if (rmdir && !S_ISDIR(ino->mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(ino->mode))
		return -EISDIR;
	if ((err = ro_check(dir)))
		return err;
	if (ino->mounted)
		return -EBUSY; /* Linux's is_local_mountpoint, before emptiness */
	if (rmdir && !list_empty(&ino->children))
		return -ENOTEMPTY;
	if (ino->sb != dir->sb) /* a mount point, or the image under /tmp */
		return ino->sb && ino->sb->rdonly ? -EROFS : -EBUSY;
	detach(e);
	return 0;
}

int vfs_link(struct inode *target, struct inode *dir, const char *name, size_t len)
{
	struct inode *e;
	int err;

	target = vfs_real(target);
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
	e = vfs_create(dir, name, len, target->mode);
	if (IS_ERR(e))
		return PTR_ERR(e);
	e->fops = NULL;
	e->hard = target;
	target->nlink++;
	target->ctime = vfs_now();
	return 0;
}

/* Is `dir` the directory `anc` or below it? */
static bool is_under(struct inode *dir, struct inode *anc)
{
	for (struct inode *i = dir; i; i = i->parent == i ? NULL : i->parent)
		if (i == anc)
			return true;
	return false;
}

/* Move entry `e` into `ndir` under the name `copy` (kmalloc'ed). */
static void move_entry(struct inode *e, struct inode *ndir, char *copy, size_t nlen)
{
	struct inode *odir = e->parent, *ino = vfs_real(e);

	list_del(&e->sibling);
	if (e->name_owned)
		kfree((void *)e->name);
	e->name = copy;
	e->namelen = nlen;
	e->name_owned = true;
	e->parent = ndir;
	list_add_tail(&e->sibling, &ndir->children);
	if (S_ISDIR(ino->mode) && odir != ndir)
		odir->nlink--, ndir->nlink++;
	touch_dir(odir);
	touch_dir(ndir);
	ino->ctime = vfs_now();
}

/* May `o` replace `n`?  (Both exist; plain rename.) */
static int replace_check(struct inode *o, struct inode *n)
{
	if (S_ISDIR(o->mode) && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (!S_ISDIR(o->mode) && S_ISDIR(n->mode))
		return -EISDIR;
	if (S_ISDIR(n->mode) && !list_empty(&n->children))
		return -ENOTEMPTY;
	return 0;
}

/* Checks that hold for every rename; 1 when it is a no-op. */
static int rename_check(struct inode *odir, struct inode *oe, struct inode *ndir, struct inode *ne,
			unsigned flags)
{
	struct inode *o = vfs_real(oe);

	if (odir->sb != ndir->sb || o->sb != odir->sb)
		return -EXDEV;
	if (S_ISDIR(o->mode) && is_under(ndir, o))
		return -EINVAL; /* a directory into itself */
	if (ne && (flags & RENAME_EXCHANGE) && S_ISDIR(vfs_real(ne)->mode) &&
	    is_under(odir, vfs_real(ne)))
		return -EINVAL;
	if (ne && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (!ne && (flags & RENAME_EXCHANGE))
		return -ENOENT;
	if (ne && vfs_real(ne) == o)
		return 1; /* the same inode: Linux does nothing */
	return 0;
}

/* Linux's vfs_rename rights: remove the old entry, add or replace the new
 * one, and write a directory whose ".." changes. */
static int rename_perm(struct inode *odir, struct inode *oe, struct inode *ndir, struct inode *ne,
		       unsigned flags)
{
	int err = perm_may_delete(odir, oe);

	if (!err)
		err = ne ? perm_may_delete(ndir, ne) : perm_may_create(ndir);
	if (err || odir == ndir)
		return err;
	if (S_ISDIR(vfs_real(oe)->mode) && (err = perm_inode(oe, MAY_WRITE)))
		return err;
	if ((flags & RENAME_EXCHANGE) && S_ISDIR(vfs_real(ne)->mode))
		err = perm_inode(ne, MAY_WRITE);
	return err;
}

int vfs_rename(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
	       const char *nname, size_t nlen, unsigned flags)
{
	struct inode *oe, *ne;
	char *copy, *copy2 = NULL;
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
	if (vfs_real(oe)->mounted || (ne && vfs_real(ne)->mounted))
		return -EBUSY; /* a mount point stays where it is */
	if (ne && !(flags & RENAME_EXCHANGE) && (err = replace_check(vfs_real(oe), vfs_real(ne))))
		return err;
	if (!(copy = dup_name(nname, nlen)))
		return -ENOMEM;
	if ((flags & RENAME_EXCHANGE) && !(copy2 = dup_name(oname, olen))) {
		kfree(copy);
		return -ENOMEM;
	}
	if (flags & RENAME_EXCHANGE)
		move_entry(ne, odir, copy2, olen);
	else if (ne)
		detach(ne);
	move_entry(oe, ndir, copy, nlen);
	return 0;
}
