/*
 * The boot's mounts from the per-run "volumes" entry (fs layer; the
 * contract is fs/mount.h): ext4 disks, 9p shares, and a share that is the
 * root itself.
 *
 * A root share (`monos run --rootfs DIR`, an OCI container's root.path)
 * becomes "/": what a container makes at / lands in DIR, where `podman
 * diff` sees it, and DIR's own top-level files and symlinks are the
 * guest's.  The guest's own /dev, /proc and /sys (runc mounts its own over
 * a rootfs too), and /tmp and /run when the entry asks ("tmpfs /tmp rw"),
 * are boot mounts in the image's tree: they are pinned at the new root,
 * found by name before the share is asked (mount_pinned, from fs/vfs.c's
 * step), so a rootfs needs no directory for them and a read-only one is
 * never written.  A volume's top-level mount point a read-only root lacks
 * is pinned the same way; on a writable one it is made there, as runc
 * makes mount points in a rootfs.  A pinned name is not listed by
 * readdir of "/" unless the share has it too.
 *
 * The image's own tree (the per-run files, the agent at /.monos-agent,
 * copies made by --file) is then reached by no path: the hidden mount of
 * the brief, found by the kernel alone through vfs_image_root().  vfs_path
 * gives -ENOENT for it and /proc/mounts leaves its mounts out.
 */
#include "fs/mount.h"
#include "core/heap.h"
#include "core/kernel.h"
#include <monos/bootinfo.h>

/* dev, proc, sys, tmp, run and a few volumes' mount points. */
#define PINNED_MAX 12

static struct dentry *pinned[PINNED_MAX]; /* children of the image's root */
static unsigned npinned;

/* The guest's own trees over a root share, always (runc's config asks for
 * them in every container). */
static const char *const root_own[] = { "dev", "proc", "sys" };

struct dentry *mount_pinned(struct inode *dir, const char *name, size_t len)
{
	if (!npinned || dir != vfs_root())
		return NULL;
	for (unsigned i = 0; i < npinned; i++)
		if (pinned[i]->namelen == len && !memcmp(pinned[i]->name, name, len))
			return pinned[i];
	return NULL;
}

/* Put `d`, a directory of the image's root, at the root share under its
 * own name: ".." leads to "/", its mount (if it is one) hangs from the
 * root's.  0 or -ENOSPC. */
static int pin(struct dentry *d)
{
	struct mount *m = mount_of(d->inode);

	if (mount_pinned(vfs_root(), d->name, d->namelen) == d)
		return 0;
	if (npinned == PINNED_MAX)
		return -ENOSPC;
	pinned[npinned++] = d;
	d->parent = vfs_root()->dentry;
	if (m && m->root == d->inode)
		m->parent = mount_of(vfs_root());
	return 0;
}

/* "9p:TAG / ro|rw": the share becomes the root, the guest's own trees
 * pinned over it, and the boot thread's working directory its top. */
static int mount_root(const char *source, unsigned long flags)
{
	struct inode *image = vfs_root();
	int err;

	if (image != vfs_image_root())
		return -EBUSY; /* one root */
	if ((err = mount_make_root("9p", source, flags)))
		return err;
	for (unsigned i = 0; i < ARRAY_SIZE(root_own) && !err; i++) {
		struct dentry *d = vfs_child(image, root_own[i], strlen(root_own[i]));

		err = d ? pin(d) : -ENOENT; /* made by devfs_init, procfs, sysfs */
	}
	if (vfs_cwd() == image)
		vfs_set_cwd(vfs_root());
	return err;
}

/* "tmpfs /NAME rw": the guest's own tmpfs at a root share's /NAME (/tmp,
 * /run): the boot's /tmp, or one made now. */
static int mount_own_tmpfs(const char *target)
{
	const char *name = target + 1;
	size_t len = strlen(name);
	struct dentry *d = vfs_child(vfs_image_root(), name, len);
	struct inode *dir;
	char *copy;

	if (vfs_root() == vfs_image_root() || !len || strchr(name, '/'))
		return -EINVAL;
	if (d && mount_is_root(d->inode))
		return pin(d);
	if (!(copy = kmalloc(len + 1))) /* kept by the tree, as boot names are */
		return -ENOMEM;
	dir = tmpfs_mount_dir(vfs_image_root(), strcpy(copy, name));
	return dir ? pin(dir->dentry) : -ENOMEM;
}

/* Directory `name` (kmalloc'ed: kept or freed here) missing in `dir`, for
 * a mount point: in the boot's in-memory trees as the boot makes its own;
 * elsewhere by the filesystem (runc makes a rootfs's mount points), or,
 * at a read-only root share, one of the image's pinned there. */
static struct inode *make_dir(struct inode *dir, char *name)
{
	const struct inode_operations *ops = vfs_iops(dir);
	struct inode *d;

	if (dir->sb == &vfs_image_sb || dir->sb == &tmpfs_sb)
		return vfs_mknode(dir, name, S_IFDIR | 0755);
	if (dir->sb->rdonly || !ops->create)
		d = ERR_PTR(-EROFS);
	else
		d = ops->create(dir, name, strlen(name), S_IFDIR | 0755);
	if (d == ERR_PTR(-EROFS) && dir == vfs_root() && dir != vfs_image_root()) {
		d = vfs_mknode(vfs_image_root(), name, S_IFDIR | 0755);
		if (!d || !S_ISDIR(d->mode) || pin(d->dentry))
			d = ERR_PTR(d && S_ISDIR(d->mode) ? -ENOSPC : -ENOMEM);
		return d;
	}
	kfree(name); /* the filesystem keeps a copy */
	return d;
}

/* Make absolute directory `path` (NUL terminated, writable copy) where it
 * is missing: a mount point the tree lacks. */
static struct inode *make_dirs(char *path)
{
	struct inode *dir = vfs_root(), *next;
	char *p = path;

	while (*p) {
		size_t len;
		char *name;

		while (*p == '/')
			p++;
		if (!(len = strcspn(p, "/")))
			break;
		if (!(name = kmalloc(len + 1)))
			return ERR_PTR(-ENOMEM);
		memcpy(name, p, len);
		name[len] = 0;
		next = vfs_lookup(dir, name, true);
		if (next == ERR_PTR(-ENOENT))
			next = make_dir(dir, name);
		else
			kfree(name);
		if (!next)
			return ERR_PTR(-ENOMEM);
		if (IS_ERR(next) || !S_ISDIR(next->mode))
			return IS_ERR(next) ? next : ERR_PTR(-ENOTDIR);
		dir = next;
		p += len;
	}
	return dir;
}

/* The three fields of a line, cut in place: 0 or -EINVAL. */
static int split(char *buf, char **target, char **mode)
{
	if (!(*target = strchr(buf, ' ')) || !(*mode = strchr(*target + 1, ' ')))
		return -EINVAL;
	*(*target)++ = 0;
	*(*mode)++ = 0;
	if ((*target)[0] != '/' || (strcmp(*mode, "ro") && strcmp(*mode, "rw")))
		return -EINVAL;
	return 0;
}

/* One "SOURCE TARGET ro|rw" line (`len` bytes, no newline): SOURCE is a
 * disk ("vdb": ext4), "9p:TAG[:/PATH]" (a share; at TARGET "/" the root)
 * or "tmpfs" (the guest's own, under a root share).  `root`: only the
 * root's line is taken now, else all others. */
static int mount_volume(const char *line, size_t len, bool root)
{
	char buf[PATH_MAX + 32], *disk = buf, *target, *mode;
	const char *type = "ext4";
	unsigned long flags;
	struct inode *dir;
	int err;

	if (len >= sizeof(buf))
		goto bad;
	memcpy(buf, line, len);
	buf[len] = 0;
	if (split(buf, &target, &mode))
		goto bad;
	if (root != !strcmp(target, "/"))
		return 0;
	flags = !strcmp(mode, "ro") ? MS_RDONLY : 0;
	if (!strncmp(disk, "9p:", 3))
		type = "9p", disk += 3;
	if (root && strcmp(type, "9p"))
		goto bad; /* a root is a share */
	if (root)
		err = mount_root(disk, flags);
	else if (!strcmp(disk, "tmpfs"))
		err = mount_own_tmpfs(target);
	else {
		dir = make_dirs(target);
		err = IS_ERR(dir) ? PTR_ERR(dir) : mount_at(dir, type, disk, flags, NULL);
	}
	if (err)
		klog("monos: cannot mount volume %s at %s: %s\n", disk, target, errno_name(-err));
	return err;
bad:
	klog("monos: bad line in the per-run %s entry\n", MONOS_RUN_VOLUMES);
	return -EINVAL;
}

/* Every line of the entry after its version line, the root's (`root`) or
 * the others. */
static int mount_lines(const char *spec, size_t at, size_t len, bool root)
{
	while (at < len) {
		const char *nl = memchr(spec + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (spec + at)) : len - at;
		int err = n ? mount_volume(spec + at, n, root) : 0;

		if (err)
			return err;
		at += n + 1;
	}
	return 0;
}

int mount_volumes(const char *spec, size_t len)
{
	size_t vlen = strlen(MONOS_RUN_VOLUMES_VERSION);

	if (len <= vlen || memcmp(spec, MONOS_RUN_VOLUMES_VERSION, vlen) || spec[vlen] != '\n') {
		klog("monos: the per-run %s entry is not version %s\n", MONOS_RUN_VOLUMES,
		     MONOS_RUN_VOLUMES_VERSION);
		return -EINVAL;
	}
	/* The root first: the other mount points are in it. */
	return mount_lines(spec, vlen + 1, len, true) ?: mount_lines(spec, vlen + 1, len, false);
}
