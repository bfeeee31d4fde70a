/*
 * The VFS's tree (fs layer): the root, the process's place in it (its
 * working directory and umask), entries (struct dentry) and new inodes,
 * path lookup with symbolic links and mount points, and an inode's path.
 * Every filesystem hangs its entries in this one tree (vfs.h); the image
 * (fs/image.c) fills it first, at boot.
 */
#include "fs/vfs.h"
#include "fs/mount.h"
#include "fs/perm.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/vm.h"
#include <lib/fmt.h>

/* The root belongs to the image, whose top directory it is. */
static struct dentry root_dentry;
static struct inode root = {
	.mode = S_IFDIR | 0755, .nlink = 2, .dentry = &root_dentry, .sb = &vfs_image_sb
};
static struct dentry root_dentry = { .name = "/",
				     .namelen = 1,
				     .parent = &root_dentry,
				     .inode = &root,
				     .children = LIST_HEAD_INIT(root_dentry.children),
				     .sibling = LIST_HEAD_INIT(root_dentry.sibling) };
static uint64_t next_ino = 2; /* 1 is the root's (vfs_init_image) */
/* "/": the image's tree, or a share made the root at boot (fs/mount.h
 * mount_make_root), which hides the image's tree from every path. */
static struct inode *top = &root;

/*
 * A process's place in the tree (design.md contract 16: reference-counted,
 * so CLONE_FS can share it; Linux's fs_struct).  cwd holds a reference
 * (vfs_iget), which makes a mount it is in busy for umount: a copy of the
 * context takes one more.  Guarded by the system-call rule
 * (core/spinlock.h).
 */
struct fs_context {
	struct inode *cwd;
	unsigned umask; /* the permission bits a new file leaves out */
	unsigned refs;	/* the processes sharing it */
};

struct fs_context *vfs_fs_create(void)
{
	struct fs_context *fs = kzalloc(sizeof(*fs));

	if (fs) {
		*fs = (struct fs_context){ .cwd = top, .umask = 022, .refs = 1 };
		vfs_iget(top);
	}
	return fs;
}

struct fs_context *vfs_fs_dup(const struct fs_context *fs)
{
	struct fs_context *n = kmalloc(sizeof(*n));

	if (n) {
		*n = (struct fs_context){ .cwd = fs->cwd, .umask = fs->umask, .refs = 1 };
		vfs_iget(n->cwd); /* a working directory keeps its mount busy */
	}
	return n;
}

void vfs_fs_get(struct fs_context *fs)
{
	fs->refs++;
}

void vfs_fs_put(struct fs_context *fs)
{
	if (--fs->refs)
		return;
	vfs_iput(fs->cwd);
	kfree(fs);
}

/* The calling thread's: its process's. */
static struct fs_context *fs_current(void)
{
	return sched_current()->fs;
}

struct inode *vfs_root(void)
{
	return top;
}

struct inode *vfs_image_root(void)
{
	return &root;
}

void vfs_set_root(struct inode *dir)
{
	top = dir;
}

struct inode *vfs_cwd(void)
{
	return fs_current()->cwd;
}

struct inode *vfs_fs_cwd(const struct fs_context *fs)
{
	return fs->cwd;
}

unsigned vfs_fs_umask(const struct fs_context *fs)
{
	return fs->umask;
}

void vfs_set_cwd(struct inode *dir)
{
	vfs_iget(dir);
	vfs_iput(fs_current()->cwd);
	fs_current()->cwd = dir;
}

unsigned vfs_umask(void)
{
	return fs_current()->umask;
}

unsigned vfs_set_umask(unsigned mask)
{
	unsigned old = fs_current()->umask;

	fs_current()->umask = mask & 0777;
	return old;
}

const struct inode_operations *vfs_iops(const struct inode *ino)
{
	if (ino->iops)
		return ino->iops;
	return ino->sb && ino->sb->iops ? ino->sb->iops : &libfs_ro_iops;
}

struct dentry *vfs_child(struct inode *dir, const char *name, size_t len)
{
	return vfs_iops(dir)->lookup(dir, name, len);
}

struct dentry *vfs_dentry_new(struct inode *dir, const char *name, size_t len, struct inode *ino)
{
	struct dentry *d = kzalloc(sizeof(*d));

	if (!d)
		return NULL;
	d->name = name;
	d->namelen = len;
	d->inode = ino;
	list_init(&d->children);
	list_init(&d->sibling);
	if (dir) {
		d->parent = dir->dentry;
		list_add_tail(&d->sibling, &dir->dentry->children);
	}
	if (!ino->dentry)
		ino->dentry = d;
	return d;
}

void vfs_dentry_move(struct dentry *e, struct inode *ndir, char *copy, size_t nlen)
{
	list_del(&e->sibling);
	if (e->name_owned)
		kfree((void *)e->name);
	e->name = copy;
	e->namelen = nlen;
	e->name_owned = true;
	e->parent = ndir->dentry;
	list_add_tail(&e->sibling, &ndir->dentry->children);
}

void vfs_dentry_free(struct dentry *d)
{
	if (d->name_owned)
		kfree((void *)d->name);
	kfree(d);
}

int vfs_setattr(struct inode *ino, const struct vfs_iattr *a)
{
	const struct inode_operations *ops = vfs_iops(ino);

	return ops->setattr ? ops->setattr(ino, a) : libfs_setattr(ino, a);
}

/* vfs_dir_empty's listener: the first entry answers. */
static bool found_entry(struct vfs_dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
			uint32_t mode, uint64_t next)
{
	ctx->pos = UINT64_MAX;
	return false;
}

bool vfs_dir_empty(struct inode *dir)
{
	struct vfs_dir_ctx ctx = { .emit = found_entry };

	vfs_iops(dir)->iterate(dir, &ctx);
	return ctx.pos != UINT64_MAX;
}

char *vfs_readlink(struct inode *ino)
{
	char *target;
	long len;

	if (!S_ISLNK(ino->mode))
		return ERR_PTR(-EINVAL);
	if (ino->size >= PATH_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	if (!(target = kmalloc(ino->size + 1)))
		return ERR_PTR(-ENOMEM);
	len = vfs_iops(ino)->readlink ? vfs_iops(ino)->readlink(ino, target, ino->size) : -EINVAL;
	if (len < 0) {
		kfree(target);
		return ERR_PTR(len);
	}
	target[len] = 0;
	return target;
}

struct inode *vfs_new_inode(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	struct inode *ino = kzalloc(sizeof(*ino));

	if (!ino)
		return NULL;
	ino->ino = next_ino++;
	ino->mode = mode;
	ino->sb = dir->sb;
	ino->atime = ino->mtime = ino->ctime = dir->mtime;
	ino->nlink = S_ISDIR(mode) ? 2 : 1;
	if (!vfs_dentry_new(dir, name, len, ino)) {
		kfree(ino);
		return NULL;
	}
	return ino;
}

struct inode *vfs_new_root(struct vfs_sb *sb, uint32_t mode)
{
	struct inode *ino = kzalloc(sizeof(*ino));

	if (!ino)
		return NULL;
	ino->ino = next_ino++;
	ino->mode = S_IFDIR | (mode & 07777);
	ino->sb = sb;
	ino->atime = ino->mtime = ino->ctime = vfs_now();
	ino->nlink = 2;
	/* Named and placed by the mounter (fs/mount.c graft). */
	if (!vfs_dentry_new(NULL, NULL, 0, ino)) {
		kfree(ino);
		return NULL;
	}
	return ino;
}

struct inode *vfs_mknode(struct inode *dir, const char *name, uint32_t mode)
{
	struct dentry *c = vfs_child(dir, name, strlen(name));
	return c ? c->inode : vfs_new_inode(dir, name, strlen(name), mode);
}

/* Resolve one component; the caller handles "." and "..". */
static struct inode *step(struct inode *dir, const char *name, size_t len)
{
	if (!S_ISDIR(dir->mode))
		return ERR_PTR(-ENOTDIR);
	if (len > NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	if (len == 1 && name[0] == '.')
		return dir;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return vfs_parent(dir) ? vfs_parent(dir) : ERR_PTR(-ENOENT); /* removed */
	struct dentry *c = mount_pinned(dir, name, len) ?: vfs_child(dir, name, len);
	/* Down into what is mounted there; up out of a mount root is its
	 * parent link, set to the mount point's parent (fs/mount.h). */
	return c ? mount_cross(c)->inode : ERR_PTR(-ENOENT);
}

static struct inode *lookup_depth(struct inode *dir, const char *path, bool follow, int *links);

/* What symlink `link` in `dir` leads to: the inode a magic link names, or
 * its target text looked up from `dir`. */
static struct inode *follow_link(struct inode *dir, struct inode *link, int *links)
{
	const struct inode_operations *ops = vfs_iops(link);
	struct inode *next;
	char *target;

	if (++*links > SYMLOOP_MAX)
		return ERR_PTR(-ELOOP);
	if (ops->get_link && (next = ops->get_link(link)))
		return next;
	/* On the heap: symlinks nest up to SYMLOOP_MAX deep. */
	if (IS_ERR(target = vfs_readlink(link)))
		return (struct inode *)target;
	next = lookup_depth(dir, target, true, links);
	kfree(target);
	return next;
}

static struct inode *lookup_depth(struct inode *dir, const char *path, bool follow, int *links)
{
	struct inode *cur = path[0] == '/' ? top : dir;
	const char *p = path;

	while (*p) {
		const char *end;
		struct inode *next;
		int err;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = p;
		while (*end && *end != '/')
			end++;
		/* Linux's may_lookup: search permission on every directory a
		 * component is looked up in, the last one's parent included. */
		if (S_ISDIR(cur->mode) && (err = perm_inode(cur, MAY_EXEC)))
			return ERR_PTR(err);
		next = step(cur, p, end - p);
		if (IS_ERR(next))
			return next;
		bool last = !*end || !end[strspn(end, "/")];
		if (S_ISLNK(next->mode) && (!last || follow || *end == '/'))
			if (IS_ERR(next = follow_link(cur, next, links)))
				return next;
		if (*end == '/' && !S_ISDIR(next->mode))
			return ERR_PTR(-ENOTDIR);
		cur = next;
		p = end;
	}
	return cur;
}

struct inode *vfs_lookup(struct inode *dir, const char *path, bool follow)
{
	int links = 0;

	if (!*path)
		return ERR_PTR(-ENOENT);
	if (strnlen(path, PATH_MAX) >= PATH_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	return lookup_depth(dir, path, follow, &links);
}

long vfs_path(struct inode *ino, char *buf, size_t n)
{
	struct dentry *d = ino->dentry, *end = top->dentry;
	size_t len = 0;

	if (!d) /* in no tree (a pipe, a socket): no path */
		return -ENOENT;
	if (!d->parent) { /* unlinked: what Linux shows is the old name */
		long r = fmt_snprintf(buf, n, "/%.*s (deleted)", (int)d->namelen, d->name);
		return r < (long)n ? r : -ENAMETOOLONG;
	}
	if (d == end) {
		if (n < 2)
			return -ENAMETOOLONG;
		buf[0] = '/', buf[1] = 0;
		return 1;
	}
	/* Measure, then fill from the end. */
	for (struct dentry *i = d; i != end; i = i->parent) {
		if (!i->parent || i->parent == i) /* removed above; out of "/"'s tree */
			return -ENOENT;
		len += i->namelen + 1;
	}
	if (len + 1 > n)
		return -ENAMETOOLONG;
	buf[len] = 0;
	size_t pos = len;
	for (struct dentry *i = d; i != end; i = i->parent) {
		pos -= i->namelen;
		memcpy(buf + pos, i->name, i->namelen);
		buf[--pos] = '/';
	}
	return len;
}

/* How the VMA layer fills pages of `ino` (core/vm.h): tmpfs files have
 * pages of their own; every other file's bytes lie in memory for good. */
const struct vm_file_ops *vfs_vm_ops(struct inode *ino)
{
	if (ino->fops && ino->fops->vm_ops)
		return ino->fops->vm_ops;
	return ino->fops == &tmpfs_file_ops ? &tmpfs_vm_ops : &image_vm_ops;
}
