/*
 * The mount table (fs layer; the contract is fs/mount.h): the mounts in
 * mount order, the filesystem types mount(2) can make, mounting and
 * unmounting, and the text of /proc/mounts and /proc/self/mountinfo.
 */
#include "fs/mount.h"
#include "fs/procfs.h"
#include "core/heap.h"
#include "core/kernel.h"
#include <lib/bitmap.h>
#include <lib/fmt.h>

/* Anonymous device numbers for mounted filesystems: 0:48 on, below the
 * major 1 of /dev/null; the boot ones are smaller (tmpfs 0:21). */
#define ANON_DEV_FIRST 0x30
#define ANON_DEV_END   0x100

static struct list_head mounts = LIST_HEAD_INIT(mounts);
static struct list_head fs_types = LIST_HEAD_INIT(fs_types);
static unsigned next_id = 1;

void mount_register(struct vfs_fs_type *t)
{
	list_add_tail(&t->link, &fs_types);
}

static struct vfs_fs_type *find_type(const char *name)
{
	struct vfs_fs_type *t;

	list_for_each_entry(t, &fs_types, link)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* The mount whose root `dir` is, or NULL. */
static struct mount *root_of(const struct inode *dir)
{
	struct mount *m;

	list_for_each_entry(m, &mounts, link)
		if (m->root == dir)
			return m;
	return NULL;
}

struct mount *mount_of(struct inode *ino)
{
	for (struct dentry *d = ino->dentry; d; d = d->parent == d ? NULL : d->parent) {
		struct mount *m = root_of(d->inode);
		if (m)
			return m;
	}
	return NULL;
}

bool mount_is_root(struct inode *target)
{
	return root_of(target) != NULL;
}

/* The anonymous device numbers taken: by a mounted filesystem, or one
 * unmounted lazily that still lives (Linux's get_anon_bdev and
 * free_anon_bdev). */
static uint64_t anon_devs[(ANON_DEV_END - ANON_DEV_FIRST + 63) / 64];

uint32_t mount_anon_dev(void)
{
	size_t n = ANON_DEV_END - ANON_DEV_FIRST, i = bitmap_next_zero(anon_devs, n, 0);

	if (i >= n)
		return 0;
	bitmap_set(anon_devs, i);
	return ANON_DEV_FIRST + i;
}

void mount_anon_dev_put(uint32_t dev)
{
	bitmap_clear(anon_devs, dev - ANON_DEV_FIRST);
}

static char *dup_str(const char *s)
{
	size_t len = strlen(s);
	char *copy = kmalloc(len + 1);

	if (copy)
		memcpy(copy, s, len + 1);
	return copy;
}

static void add(struct mount *m)
{
	m->id = next_id++;
	list_add_tail(&m->link, &mounts);
}

void mount_boot(struct vfs_sb *sb, struct inode *root, const char *source, unsigned long flags)
{
	struct mount *m = kzalloc(sizeof(*m));

	if (!m)
		boot_out_of_memory("the mount table");
	m->sb = sb;
	m->root = root;
	m->parent = root == vfs_root() ? NULL : mount_of(vfs_parent(root));
	m->flags = flags;
	m->source = source; /* a static string, never freed: boot mounts stay */
	add(m);
}

static void free_mount(struct mount *m)
{
	m->sb->type->kill(m);
	kfree((void *)m->source);
	kfree(m);
}

/* Linux's default atime rule: relatime unless noatime or strictatime. */
static unsigned long keep_flags(unsigned long flags)
{
	unsigned long keep = flags & MS_MNT_FLAGS;

	if (!(flags & (MS_NOATIME | MS_STRICTATIME)))
		keep |= MS_RELATIME;
	return keep;
}

/* Put the filled mount `m` over `target` (Linux's graft_tree checks). */
static int graft(struct mount *m, struct inode *target)
{
	if (!S_ISDIR(target->mode))
		return -ENOTDIR;
	if (!vfs_parent(target) || !target->nlink)
		return -ENOENT; /* removed */
	if (target == vfs_root())
		return -EBUSY; /* "/" stays the image's (fs/mount.h) */
	m->mountpoint = target;
	m->parent = mount_of(target);
	m->root->dentry->parent = target->dentry->parent;
	m->root->dentry->name = target->dentry->name;
	m->root->dentry->namelen = target->dentry->namelen;
	target->dentry->mounted = m;
	add(m);
	return 0;
}

/* A new mount of `fstype` from `source`, filled, in no tree yet. */
static int make_mount(const char *fstype, const char *source, unsigned long flags, const char *data,
		      struct mount **out)
{
	struct vfs_fs_type *t = find_type(fstype);
	struct mount *m;
	int err;

	if (!t)
		return -ENODEV;
	if (!(m = kzalloc(sizeof(*m))) || !(m->source = dup_str(source ? source : "none"))) {
		kfree(m);
		return -ENOMEM;
	}
	m->flags = keep_flags(flags);
	if ((err = t->fill(m, source, data ? data : ""))) {
		kfree((void *)m->source);
		kfree(m);
		return err;
	}
	*out = m;
	return 0;
}

int mount_at(struct inode *target, const char *fstype, const char *source, unsigned long flags,
	     const char *data)
{
	struct mount *m;
	int err = make_mount(fstype, source, flags, data, &m);

	if (!err && (err = graft(m, target)))
		free_mount(m);
	return err;
}

int mount_make_root(const char *fstype, const char *source, unsigned long flags)
{
	struct mount *m;
	int err = make_mount(fstype, source, flags, NULL, &m);

	if (err)
		return err;
	/* ".." of "/" is "/"; no mount point, so it cannot go (EBUSY). */
	m->root->dentry->parent = m->root->dentry;
	m->root->dentry->name = "/";
	m->root->dentry->namelen = 1;
	m->id = next_id++;
	list_add(&m->link, &mounts); /* first, as a namespace lists its root */
	vfs_set_root(m->root);
	return 0;
}

int vfs_mount(const char *fstype, const char *source, const char *target, unsigned long flags,
	      const char *data)
{
	struct inode *dir = vfs_lookup(vfs_root(), target, true);

	return IS_ERR(dir) ? PTR_ERR(dir) : mount_at(dir, fstype, source, flags, data);
}

int mount_remount(struct inode *target, unsigned long flags, const char *data)
{
	struct mount *m = root_of(target);
	unsigned long atime = MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
	int err;

	if (!m)
		return -EINVAL;
	if (!m->mountpoint)
		return -EBUSY;
	if (data && (err = m->sb->type->reconfigure(m, data)))
		return err;
	/* A remount that names no atime rule keeps the old one (Linux's
	 * path_mount). */
	if (!(flags & atime))
		flags |= m->flags & atime;
	m->flags = keep_flags(flags);
	m->sb->rdonly = flags & MS_RDONLY;
	return 0;
}

/* Has `m` mounts on it? */
static bool has_children(const struct mount *m)
{
	struct mount *c;

	list_for_each_entry(c, &mounts, link)
		if (c->parent == m)
			return true;
	return false;
}

/* Take `m` out of the tree and the table, its own mounts first; free it
 * now if nothing uses it, else when the last reference goes. */
static void detach(struct mount *m)
{
	struct mount *c, *tmp;

	list_for_each_entry_safe(c, tmp, &mounts, link)
		if (c->parent == m)
			detach(c);
	m->mountpoint->dentry->mounted = NULL;
	m->root->dentry->parent = NULL; /* what still holds it sees it removed */
	list_del(&m->link);
	if (m->sb->irefs)
		m->sb->detached = m;
	else
		free_mount(m);
}

int mount_umount(struct inode *target, int flags)
{
	struct mount *m = root_of(target);
	bool busy;

	if (!m)
		return -EINVAL;
	if (!m->mountpoint)
		return -EBUSY;
	busy = m->sb->irefs || has_children(m);
	if (flags & MNT_EXPIRE) {
		if (flags & (MNT_FORCE | MNT_DETACH))
			return -EINVAL;
		if (!busy && !m->expired) {
			m->expired = true; /* a second call unmounts */
			return -EAGAIN;
		}
	}
	if (busy && !(flags & MNT_DETACH))
		return -EBUSY;
	detach(m);
	return 0;
}

void mount_sb_idle(struct vfs_sb *sb)
{
	struct mount *m = sb->detached;

	sb->detached = NULL;
	free_mount(m);
}

/* statfs f_flags (include/linux/statfs.h). */
#define ST_VALID       0x0020
#define ST_RELATIME    0x1000
#define ST_NOSYMFOLLOW 0x2000

unsigned long mount_statfs_flags(const struct mount *m)
{
	/* The same bits as MS_ but for these two. */
	unsigned long same = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |
			     MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME;

	return ST_VALID | (m->flags & same) | (m->flags & MS_RELATIME ? ST_RELATIME : 0) |
	       (m->flags & MS_NOSYMFOLLOW ? ST_NOSYMFOLLOW : 0);
}

/* Append `s` as /proc/mounts writes paths and names: space, tab, newline
 * and backslash as octal escapes (Linux's mangle). */
static void put_escaped(struct procfs_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			procfs_printf(b, "\\%03o", (unsigned char)*s);
		else
			procfs_printf(b, "%c", *s);
	}
}

/* The per-mount options, in Linux's order (show_mnt_opts). */
static void put_opts(struct procfs_buf *b, const struct mount *m)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} opts[] = {
		{ MS_NOSUID, ",nosuid" },	    { MS_NODEV, ",nodev" },
		{ MS_NOEXEC, ",noexec" },	    { MS_NOATIME, ",noatime" },
		{ MS_NODIRATIME, ",nodiratime" },   { MS_RELATIME, ",relatime" },
		{ MS_NOSYMFOLLOW, ",nosymfollow" },
	};

	procfs_printf(b, "%s", m->flags & MS_RDONLY ? "ro" : "rw");
	for (unsigned i = 0; i < ARRAY_SIZE(opts); i++)
		if (m->flags & opts[i].flag)
			procfs_printf(b, "%s", opts[i].name);
}

/* The path of `m`'s mount point into `path` (PATH_MAX bytes): 0, or
 * -ENOENT when no path reaches it (the image's tree under a share root,
 * fs/mount_boot.c: left out of the lists, as a mount outside a chroot). */
static int mount_path(const struct mount *m, char *path)
{
	return vfs_path(m->root, path, PATH_MAX) < 0 ? -ENOENT : 0;
}

/* "SOURCE MOUNTPOINT TYPE OPTIONS 0 0" a line (man 5 fstab). */
long mount_gen_mounts(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	char *path = kmalloc(PATH_MAX);
	struct mount *m;

	if (!path)
		return -ENOMEM;
	list_for_each_entry(m, &mounts, link) {
		if (mount_path(m, path))
			continue;
		put_escaped(&b, m->source);
		procfs_printf(&b, " ");
		put_escaped(&b, path);
		procfs_printf(&b, " %s ", m->sb->name);
		put_opts(&b, m);
		procfs_printf(&b, " 0 0\n");
	}
	kfree(path);
	return b.len;
}

/* "ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS - TYPE SOURCE SUPEROPTS"
 * a line (man 5 proc); ROOT is "/" (no bind mounts), the root's PARENT
 * its own id, as a mount namespace's first mount shows. */
long mount_gen_mountinfo(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	char *path = kmalloc(PATH_MAX);
	struct mount *m;

	if (!path)
		return -ENOMEM;
	list_for_each_entry(m, &mounts, link) {
		if (mount_path(m, path))
			continue;
		procfs_printf(&b, "%u %u %u:%u / ", m->id, m->parent ? m->parent->id : m->id,
			      m->sb->dev >> 8, m->sb->dev & 0xff);
		put_escaped(&b, path);
		procfs_printf(&b, " ");
		put_opts(&b, m);
		procfs_printf(&b, " - %s ", m->sb->name);
		put_escaped(&b, m->source);
		procfs_printf(&b, " %s\n", m->flags & MS_RDONLY ? "ro" : "rw");
	}
	kfree(path);
	return b.len;
}

int vfs_sync_all(void)
{
	struct mount *m;
	int err = 0, e;

	list_for_each_entry(m, &mounts, link)
		if (m->sb->sync && (e = m->sb->sync(m->sb)) && !err)
			err = e;
	return err;
}
