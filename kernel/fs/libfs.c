/*
 * The in-memory trees' inode operations (fs layer; Linux's libfs simple_*
 * helpers).  The image, /proc and /sys (read-only) and tmpfs and /dev
 * (writable) keep every directory as a list of child inodes, each inode
 * being also its entry (vfs.h): these operations look entries up, list,
 * read symlinks, and make, link, remove and move entries there.  The
 * checks before each change (names, permissions, types, emptiness, busy
 * mount points) are the VFS's (fs/namei.c); what is here only changes the
 * tree and its link counts and times.
 */
#include "fs/vfs.h"
#include "fs/perm.h"
#include "core/heap.h"
#include "core/kernel.h"

struct inode *libfs_lookup(struct inode *dir, const char *name, size_t len)
{
	struct inode *c;

	list_for_each_entry(c, &dir->children, sibling)
		if (c->namelen == len && !memcmp(c->name, name, len))
			return c;
	return NULL;
}

/* Positions are indexes in the list of children. */
void libfs_iterate(struct inode *dir, struct vfs_dir_ctx *ctx)
{
	uint64_t idx = 0;
	struct inode *c;

	list_for_each_entry(c, &dir->children, sibling) {
		if (idx++ < ctx->pos)
			continue;
		if (!ctx->emit(ctx, c->name, c->namelen, vfs_real(c)->ino, vfs_real(c)->mode, idx))
			return;
		ctx->pos = idx;
	}
}

/* Every in-memory filesystem keeps a symlink's target in `data`. */
static long libfs_readlink(struct inode *ino, char *buf, size_t n)
{
	n = MIN(n, ino->size);
	memcpy(buf, ino->data, n);
	return n;
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

/* Regular files made in a writable tree keep their data as tmpfs does. */
static struct inode *libfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	char *copy = dup_name(name, len);
	struct inode *ino = copy ? vfs_new_inode(dir, copy, len, mode) : NULL;

	if (!ino) {
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

static int libfs_link(struct inode *target, struct inode *dir, const char *name, size_t len)
{
	struct inode *e = libfs_create(dir, name, len, target->mode);

	if (IS_ERR(e))
		return PTR_ERR(e);
	e->fops = NULL;
	e->hard = target;
	target->nlink++;
	target->ctime = vfs_now();
	return 0;
}

/* Take entry `e` out of `dir`; the inode it stands for loses a link and
 * goes when nothing holds it. */
static void libfs_unlink(struct inode *dir, struct inode *e)
{
	struct inode *ino = vfs_real(e);

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

static int libfs_rename(struct inode *odir, struct inode *oe, struct inode *ndir, struct inode *ne,
			const char *nname, size_t nlen, unsigned flags)
{
	char *copy = dup_name(nname, nlen), *copy2 = NULL;

	if (!copy)
		return -ENOMEM;
	if ((flags & RENAME_EXCHANGE) && !(copy2 = dup_name(oe->name, oe->namelen))) {
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
};

const struct inode_operations libfs_rw_iops = {
	.lookup = libfs_lookup,
	.iterate = libfs_iterate,
	.readlink = libfs_readlink,
	.create = libfs_create,
	.link = libfs_link,
	.unlink = libfs_unlink,
	.rename = libfs_rename,
};
