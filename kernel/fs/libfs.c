/*
 * The in-memory trees' inode operations (fs layer; Linux's libfs simple_*
 * helpers).  The image, /proc and /sys (read-only) and tmpfs and /dev
 * (writable) keep every directory as its list of entries (vfs.h struct
 * dentry), pinned: these operations look entries up, list, read symlinks,
 * and make, link, remove and move entries there.  The
 * checks before each change (names, permissions, types, emptiness, busy
 * mount points) are the VFS's (fs/namei.c); what is here only changes the
 * tree and its link counts and times.
 */
#include "fs/vfs.h"
#include "fs/perm.h"
#include "core/heap.h"
#include "core/kernel.h"

/* The cache of entries is the whole directory here (vfs.h struct dentry). */
struct dentry *libfs_lookup(struct inode *dir, const char *name, size_t len)
{
	struct dentry *c;

	list_for_each_entry(c, &dir->dentry->children, sibling)
		if (c->namelen == len && !memcmp(c->name, name, len))
			return c;
	return NULL;
}

/* Positions are indexes in the list of entries. */
void libfs_iterate(struct inode *dir, struct vfs_dir_ctx *ctx)
{
	uint64_t idx = 0;
	struct dentry *c;

	list_for_each_entry(c, &dir->dentry->children, sibling) {
		if (idx++ < ctx->pos)
			continue;
		if (!ctx->emit(ctx, c->name, c->namelen, c->inode->ino, c->inode->mode, idx))
			return;
		ctx->pos = idx;
	}
}

/* Every in-memory filesystem keeps a symlink's target in `data`. */
long libfs_readlink(struct inode *ino, char *buf, size_t n)
{
	n = MIN(n, ino->size);
	memcpy(buf, ino->data, n);
	return n;
}

/* The inode is all there is: its fields change; a size through tmpfs' data
 * (the image's files refuse it there: EROFS). */
int libfs_setattr(struct inode *ino, const struct vfs_iattr *a)
{
	int err;

	if ((a->valid & VFS_ATTR_SIZE) && (err = tmpfs_truncate(ino, a->size)))
		return err;
	if (a->valid & VFS_ATTR_MODE)
		ino->mode = (ino->mode & S_IFMT) | (a->mode & ~S_IFMT);
	if (a->valid & VFS_ATTR_UID)
		ino->uid = a->uid;
	if (a->valid & VFS_ATTR_GID)
		ino->gid = a->gid;
	if (a->valid & VFS_ATTR_ATIME)
		ino->atime = a->atime;
	if (a->valid & VFS_ATTR_MTIME)
		ino->mtime = a->mtime;
	if (a->valid & VFS_ATTR_CTIME)
		ino->ctime = a->ctime;
	return 0;
}

char *libfs_dup_name(const char *name, size_t len)
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

/* Regular files made in a writable tree keep their data as tmpfs does. */
static struct inode *libfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	char *copy = libfs_dup_name(name, len);
	struct inode *ino = copy ? vfs_new_inode(dir, copy, len, mode) : NULL;

	if (!ino) {
		kfree(copy);
		return ERR_PTR(-ENOMEM);
	}
	ino->dentry->name_owned = true;
	perm_init_owner(ino, dir);
	ino->atime = ino->mtime = ino->ctime = vfs_now();
	if (S_ISREG(mode))
		ino->fops = &tmpfs_file_ops;
	if (S_ISDIR(mode))
		dir->nlink++;
	touch_dir(dir);
	return ino;
}

/* The target lives in `data`, as the image's symlinks keep theirs (tmpfs_free
 * frees it). */
static int libfs_symlink(struct inode *dir, const char *name, size_t len, const char *target,
			 size_t tlen)
{
	char *copy = libfs_dup_name(target, tlen);
	struct inode *ino = copy ? libfs_create(dir, name, len, S_IFLNK | 0777) : ERR_PTR(-ENOMEM);

	if (IS_ERR(ino)) {
		kfree(copy);
		return PTR_ERR(ino);
	}
	ino->data = (const uint8_t *)copy;
	ino->size = tlen;
	return 0;
}

/* A further entry on the same inode. */
static int libfs_link(struct inode *target, struct inode *dir, const char *name, size_t len)
{
	char *copy = libfs_dup_name(name, len);
	struct dentry *d = copy ? vfs_dentry_new(dir, copy, len, target) : NULL;

	if (!d) {
		kfree(copy);
		return -ENOMEM;
	}
	d->name_owned = true;
	target->nlink++;
	target->ctime = vfs_now();
	touch_dir(dir);
	return 0;
}

/* Take entry `e` out of `dir`; the inode loses a link and goes when
 * nothing holds it.  Its own entry stays with it, removed, for its name;
 * a further one goes now. */
static void libfs_unlink(struct inode *dir, struct dentry *e)
{
	struct inode *ino = e->inode;

	list_del(&e->sibling);
	list_init(&e->sibling);
	e->parent = NULL;
	touch_dir(dir);
	if (S_ISDIR(ino->mode)) {
		dir->nlink--;
		ino->nlink = 0;
	} else {
		ino->nlink--;
	}
	ino->ctime = vfs_now();
	if (e != ino->dentry)
		vfs_dentry_free(e);
	vfs_iget(ino), vfs_iput(ino); /* frees it if nothing else holds it */
}

/* Move entry `e` into `ndir` under the name `copy` (kmalloc'ed). */
static void move_entry(struct dentry *e, struct inode *ndir, char *copy, size_t nlen)
{
	struct inode *odir = e->parent->inode, *ino = e->inode;

	vfs_dentry_move(e, ndir, copy, nlen);
	if (S_ISDIR(ino->mode) && odir != ndir)
		odir->nlink--, ndir->nlink++;
	touch_dir(odir);
	touch_dir(ndir);
	ino->ctime = vfs_now();
}

static int libfs_rename(struct inode *odir, struct dentry *oe, struct inode *ndir,
			struct dentry *ne, const char *nname, size_t nlen, unsigned flags)
{
	char *copy = libfs_dup_name(nname, nlen), *copy2 = NULL;

	if (!copy)
		return -ENOMEM;
	if ((flags & RENAME_EXCHANGE) && !(copy2 = libfs_dup_name(oe->name, oe->namelen))) {
		kfree(copy);
		return -ENOMEM;
	}
	if (flags & RENAME_EXCHANGE)
		move_entry(ne, odir, copy2, oe->namelen);
	else if (ne)
		libfs_unlink(ndir, ne);
	move_entry(oe, ndir, copy, nlen);
	return 0;
}

const struct inode_operations libfs_ro_iops = {
	.lookup = libfs_lookup,
	.iterate = libfs_iterate,
	.readlink = libfs_readlink,
	.setattr = libfs_setattr,
};

const struct inode_operations libfs_rw_iops = {
	.lookup = libfs_lookup,
	.iterate = libfs_iterate,
	.readlink = libfs_readlink,
	.setattr = libfs_setattr,
	.create = libfs_create,
	.symlink = libfs_symlink,
	.link = libfs_link,
	.unlink = libfs_unlink,
	.rename = libfs_rename,
};
