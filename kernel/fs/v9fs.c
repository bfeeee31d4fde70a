/*
 * Host directory shares in the VFS (fs layer; issue 10): the "9p"
 * filesystem type that vfs_mount makes over a virtio-9p device
 * (drivers/virtio_9p.h), mapping the VFS's inode operations onto 9P2000.L
 * requests to QEMU's built-in server (<lib/p9.h>).
 *
 * - The tree: each inode holds a fid walked to its file; a directory's
 *   entries (struct dentry) are a lookup cache.  Since the host may change
 *   the directory under us, a cached entry's attributes are read again at
 *   each lookup of a writable share (a read-only one is taken as fixed),
 *   and listing always asks the server (Treaddir).  One struct v9fs_inode
 *   per server inode (qid.path), so hard links share it; inodes stay in
 *   memory while mounted, except files whose last link went, freed at
 *   their last reference.
 * - File data (v9fs_file.c) goes to the server on every read and write:
 *   no data cache (design.md contract 20), but for the pages of shared
 *   mappings while they are mapped.
 * - Owners and permissions: the VFS checks them on the attributes the
 *   server reports (its security model decides them: cli/qemu.c); new
 *   files are given the creator's owner with a Tsetattr when the server
 *   made them another's.
 * - No lock of its own: each request is one round trip that the server
 *   serialises, and the system-call rule (core/spinlock.h) guards the
 *   in-memory tree between them.  Code that slept on a reply re-checks
 *   what it found (a lookup finds an inode another thread made
 *   meanwhile).
 *
 * Source of a mount: "TAG" (the device's mount tag) or "TAG:/PATH", a
 * directory inside the share.  A --rootfs share is the root itself
 * (fs/mount_boot.c).  Extended attributes are the server's
 * (Txattrwalk, Txattrcreate; an empty value cannot be set: size 0 removes,
 * as with Linux's 9p client).  Not done: RENAME_EXCHANGE (EINVAL), a
 * device node on a share cannot be opened (as on ext4 here).
 */
#include "fs/v9fs.h"
#include "fs/mount.h"
#include "fs/perm.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/vm.h"

#define V9FS_MAGIC	0x01021997 /* statfs f_type, include/uapi/linux/magic.h */
#define NSEC		1000000000ull
#define AT_REMOVEDIR_9P 0x200 /* Tunlinkat's flag: Linux's AT_REMOVEDIR */
#define O_DIRECTORY_9P	0200000

static const struct inode_operations v9fs_iops;
static void drop_entry(struct dentry *e);
static struct vfs_fs_type v9fs_type;

/* ---- requests ---- */

uint8_t *v9fs_msg(void)
{
	return kmalloc(2 * V9FS_MSG);
}

int v9fs_rpc(struct v9fs_info *i, uint8_t *msg, size_t len, uint8_t type, const char *fmt, ...)
{
	struct virtio_9p_call c = {
		.req = msg, .reqlen = len, .reply = msg + V9FS_MSG, .replycap = V9FS_MSG
	};
	va_list ap;
	int err;

	if (!len)
		return -ENAMETOOLONG;
	if ((err = virtio_9p_rpc(i->dev, &c)))
		return err;
	va_start(ap, fmt);
	err = p9_vparse(c.reply, MIN((size_t)c.got, c.replycap), type, c.tag, fmt, ap);
	va_end(ap);
	return err;
}

/* A request of `type` with the fields `fmt` names and a reply with none,
 * in a message buffer of its own: 0 or -errno. */
static int simple(struct v9fs_info *i, uint8_t type, const char *fmt, ...)
{
	uint8_t *m = v9fs_msg();
	va_list ap;
	size_t len;
	int err;

	if (!m)
		return -ENOMEM;
	va_start(ap, fmt);
	len = p9_vbuild(m, V9FS_MSG, type, 0, fmt, ap);
	va_end(ap);
	err = v9fs_rpc(i, m, len, type, "");
	kfree(m);
	return err;
}

void v9fs_clunk(struct v9fs_info *i, uint32_t fid)
{
	int err = simple(i, P9_TCLUNK, "d", fid);

	if (err)
		klog("9p: clunk of fid %u failed: error %d\n", fid, -err);
}

/* Walk from `fid` through the names of `path` (`plen` bytes, separated
 * by '/', at most P9_MAXWELEM) to a new fid in *out: 0, -ENOENT (a name
 * missing), -ENAMETOOLONG. */
static int walk(struct v9fs_info *i, uint32_t fid, const char *path, size_t plen, uint32_t *out)
{
	uint8_t *m = v9fs_msg();
	uint32_t nfid = virtio_9p_fid(i->dev);
	size_t base, len, at = 0, n = 0;
	uint16_t nwqid = 0;
	int err;

	if (!m)
		return -ENOMEM;
	/* Twalk fid newfid nwname wname[s]*: the names appended one by one. */
	base = len = p9_build(m, V9FS_MSG, P9_TWALK, 0, "ddw", fid, nfid, 0u);
	while (len && at < plen) {
		size_t s = at, e;

		while (s < plen && path[s] == '/')
			s++;
		for (e = s; e < plen && path[e] != '/'; e++)
			;
		if (e == s)
			break;
		if (++n > P9_MAXWELEM || e - s > NAME_MAX || len + 2 + (e - s) > V9FS_MSG) {
			len = 0;
			break;
		}
		m[len] = (uint8_t)(e - s), m[len + 1] = (uint8_t)((e - s) >> 8);
		memcpy(m + len + 2, path + s, e - s);
		len += 2 + (e - s);
		at = e;
	}
	if (len) {
		m[15] = (uint8_t)n, m[16] = (uint8_t)(n >> 8); /* nwname, after fid and newfid */
		p9_add_size(m, (uint32_t)(len - base));
	}
	err = v9fs_rpc(i, m, len, P9_TWALK, "w", &nwqid);
	/* Only a whole walk makes the new fid (a partial one leaves it unused). */
	if (!err && nwqid != n)
		err = -ENOENT;
	if (!err)
		*out = nfid;
	kfree(m);
	return err;
}

int v9fs_open_fid(struct v9fs_info *i, uint32_t fid, unsigned flags, uint32_t *out)
{
	int err = walk(i, fid, "", 0, out);

	if (!err && (err = simple(i, P9_TLOPEN, "dd", *out, (uint32_t)flags)))
		v9fs_clunk(i, *out);
	return err;
}

/* ---- inodes ---- */

static uint32_t rdev_of(uint64_t dev)
{
	/* The host's dev_t (Linux's new_decode_dev), as our (major << 8) | minor. */
	uint32_t major = (uint32_t)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
	uint32_t minor = (uint32_t)((dev & 0xff) | ((dev >> 12) & ~0xffull));

	return major << 8 | (minor & 0xff);
}

/* The attributes of `a` in `x`; an inode's type never changes (a new file
 * where it was is a new inode: inode_of). */
static void set_attrs(struct v9fs_inode *x, const struct p9_attr *a)
{
	struct inode *v = &x->vfs;

	v->mode = (v->mode ? v->mode & S_IFMT : a->mode & S_IFMT) | (a->mode & ~S_IFMT);
	v->uid = a->uid;
	v->gid = a->gid;
	v->nlink = (uint32_t)a->nlink;
	v->size = a->size;
	v->rdev = rdev_of(a->rdev);
	v->atime = a->atime_sec * NSEC + a->atime_nsec;
	v->mtime = a->mtime_sec * NSEC + a->mtime_nsec;
	v->ctime = a->ctime_sec * NSEC + a->ctime_nsec;
}

static int getattr(struct v9fs_info *i, uint32_t fid, struct p9_attr *a)
{
	uint8_t *m = v9fs_msg();
	int err = m ? v9fs_rpc(i, m,
			       p9_build(m, V9FS_MSG, P9_TGETATTR, 0, "dq", fid,
					(uint64_t)P9_GETATTR_BASIC),
			       P9_TGETATTR, "A", a)
		    : -ENOMEM;

	kfree(m);
	return err;
}

int v9fs_refresh(struct v9fs_info *i, struct v9fs_inode *x)
{
	struct p9_attr a;
	int err = getattr(i, x->fid, &a);

	if (!err)
		set_attrs(x, &a);
	return err;
}

/* A dead inode leaves the table: the host may give its number to a new
 * file, which must find a new inode.  It is freed at its last reference
 * (v9fs_evict; a directory stays, as every filesystem's here). */
static void unhash(struct v9fs_inode *x)
{
	x->vfs.nlink = 0;
	list_del(&x->link);
	list_init(&x->link);
}

static struct list_head *bucket(struct v9fs_info *i, uint64_t qpath)
{
	return &i->hash[qpath % V9FS_HASH];
}

static struct v9fs_inode *find(struct v9fs_info *i, uint64_t qpath)
{
	struct v9fs_inode *x;

	list_for_each_entry(x, bucket(i, qpath), link)
		if (x->qpath == qpath)
			return x;
	return NULL;
}

/* The inode of the file `fid` names (fid taken over: kept by a new inode,
 * clunked when the inode was known), its attributes read; NULL on error. */
static struct v9fs_inode *inode_of(struct v9fs_info *i, uint32_t fid)
{
	struct p9_attr a;
	struct v9fs_inode *x;

	if (getattr(i, fid, &a)) {
		v9fs_clunk(i, fid);
		return NULL;
	}
	if ((x = find(i, a.qid.path)) && ((x->vfs.mode ^ a.mode) & S_IFMT)) {
		unhash(x); /* the host removed it and reused its number */
		x = NULL;
	}
	if (x) { /* a hard link, or another thread's lookup */
		v9fs_clunk(i, fid);
		set_attrs(x, &a);
		return x;
	}
	if (!(x = kzalloc(sizeof(*x)))) {
		v9fs_clunk(i, fid);
		return NULL;
	}
	x->fid = fid;
	x->qpath = a.qid.path;
	x->vfs.ino = a.qid.path;
	x->vfs.sb = &i->sb;
	set_attrs(x, &a);
	x->vfs.fops = S_ISREG(a.mode) ? &v9fs_file_ops : NULL;
	list_add(&x->link, bucket(i, x->qpath));
	return x;
}

/* A new cached entry `name` in `dir` for `x`, unless `x` is a directory
 * that has one already; NULL when out of memory or so. */
static struct dentry *add_entry(struct inode *dir, const char *name, size_t len,
				struct v9fs_inode *x)
{
	char *copy;
	struct dentry *d;

	if ((d = libfs_lookup(dir, name, len)) && d->inode == &x->vfs)
		return d; /* another thread cached it while we waited */
	if (S_ISDIR(x->vfs.mode) && x->vfs.dentry)
		return NULL;
	copy = libfs_dup_name(name, len);
	d = copy ? vfs_dentry_new(dir, copy, len, &x->vfs) : NULL;
	if (!d)
		kfree(copy);
	else
		d->name_owned = true;
	return d;
}

/* ---- directory operations ---- */

/* Whether read-only directory `d` is known to lack `name`. */
static bool is_missing(const struct v9fs_inode *d, const char *name, size_t len)
{
	for (const struct v9fs_missing *m = d->missing; m; m = m->next)
		if (m->len == len && !memcmp(m->name, name, len))
			return true;
	return false;
}

/* Remember that read-only directory `d` lacks `name` (a bounded number:
 * past that, lookups ask the server again). */
static void add_missing(struct v9fs_inode *d, const char *name, size_t len)
{
	struct v9fs_missing *m;

	if (d->nmissing >= V9FS_MISSING_MAX || !(m = kmalloc(sizeof(*m) + len)))
		return;
	memcpy(m->name, name, len);
	m->len = len;
	m->next = d->missing;
	d->missing = m;
	d->nmissing++;
}

static void free_missing(struct v9fs_inode *d)
{
	while (d->missing) {
		struct v9fs_missing *m = d->missing;

		d->missing = m->next;
		kfree(m);
	}
	d->nmissing = 0;
}

static struct dentry *v9fs_lookup(struct inode *dir, const char *name, size_t len)
{
	struct v9fs_info *i = v9fs_info_of(dir);
	struct dentry *d = libfs_lookup(dir, name, len);
	struct v9fs_inode *x;
	uint32_t fid;
	int err;

	if (d) {
		/* The host may have changed it: the size and times of now.  A
		 * fid walked through another name of the file, now unlinked,
		 * is walked again through this one. */
		x = V(d->inode);
		if (i->sb.rdonly || !v9fs_refresh(i, x))
			return d;
		if (!walk(i, V(dir)->fid, name, len, &fid)) {
			v9fs_clunk(i, x->fid);
			x->fid = fid;
			v9fs_refresh(i, x);
			return d;
		}
		/* The host removed it: so does the cache (not a mount point,
		 * nor a directory with entries cached below). */
		if (d->mounted || (S_ISDIR(x->vfs.mode) && !list_empty(&d->children)))
			return d;
		drop_entry(d);
		vfs_iget(&x->vfs), vfs_iput(&x->vfs); /* evicts it if nothing holds it */
		return NULL;
	}
	if (len > NAME_MAX || (i->sb.rdonly && is_missing(V(dir), name, len)))
		return NULL;
	if ((err = walk(i, V(dir)->fid, name, len, &fid))) {
		if (err == -ENOENT && i->sb.rdonly) /* the share is taken as fixed */
			add_missing(V(dir), name, len);
		return NULL;
	}
	x = inode_of(i, fid);
	return x ? add_entry(dir, name, len, x) : NULL;
}

/* Treaddir's offsets are the listing's cookies; "." and ".." are the
 * VFS's to list. */
static void v9fs_iterate(struct inode *dir, struct vfs_dir_ctx *ctx)
{
	struct v9fs_info *i = v9fs_info_of(dir);
	uint8_t *m = v9fs_msg(), *data = kmalloc(V9FS_IO);
	uint32_t fid, count = (uint32_t)MIN((size_t)i->iounit, (size_t)V9FS_IO);
	bool more = true;

	if (!m || !data || v9fs_open_fid(i, V(dir)->fid, O_RDONLY | O_DIRECTORY_9P, &fid))
		goto out;
	while (more) {
		struct virtio_9p_call c = { .req = m,
					    .reply = m + V9FS_MSG,
					    .replycap = P9_RREAD_HDR,
					    .rdata = data,
					    .rlen = count };
		struct p9_dirent e;
		uint64_t start = ctx->pos;
		uint32_t n;
		size_t at = 0;

		c.reqlen = p9_build(m, V9FS_MSG, P9_TREADDIR, 0, "dqd", fid, ctx->pos, count);
		if (virtio_9p_rpc(i->dev, &c) ||
		    p9_parse_data(c.reply, c.got, P9_TREADDIR, c.tag, &n) || n > count || !n)
			break;
		while (more && p9_dirent_next(data, n, &at, &e) == 1) {
			bool dot = (e.namelen == 1 && e.name[0] == '.') ||
				   (e.namelen == 2 && e.name[0] == '.' && e.name[1] == '.');

			if (!dot && !ctx->emit(ctx, e.name, e.namelen, e.qid.path,
					       (uint32_t)e.type << 12, e.offset))
				more = false;
			else
				ctx->pos = e.offset;
		}
		if (more && ctx->pos == start)
			break; /* a server whose offsets do not move on: not forever */
	}
	v9fs_clunk(i, fid);
out:
	kfree(m);
	kfree(data);
}

static long v9fs_readlink(struct inode *ino, char *buf, size_t n)
{
	uint8_t *m = v9fs_msg();
	const char *t;
	uint16_t tlen;
	long r;

	if (!m)
		return -ENOMEM;
	r = v9fs_rpc(v9fs_info_of(ino), m, p9_build(m, V9FS_MSG, P9_TREADLINK, 0, "d", V(ino)->fid),
		     P9_TREADLINK, "s", &t, &tlen);
	if (!r) {
		r = MIN((size_t)tlen, n);
		memcpy(buf, t, r);
	}
	kfree(m);
	return r;
}

static int v9fs_setattr(struct inode *ino, const struct vfs_iattr *a)
{
	struct v9fs_info *i = v9fs_info_of(ino);
	unsigned v = a->valid, valid = 0;
	int err;

	if ((v & VFS_ATTR_SIZE) && !S_ISREG(ino->mode))
		return S_ISDIR(ino->mode) ? -EISDIR : -EINVAL;
	valid |= v & VFS_ATTR_MODE ? P9_SETATTR_MODE : 0;
	valid |= v & VFS_ATTR_UID ? P9_SETATTR_UID : 0;
	valid |= v & VFS_ATTR_GID ? P9_SETATTR_GID : 0;
	valid |= v & VFS_ATTR_SIZE ? P9_SETATTR_SIZE : 0;
	valid |= v & VFS_ATTR_ATIME ? P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET : 0;
	valid |= v & VFS_ATTR_MTIME ? P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET : 0;
	valid |= v & VFS_ATTR_CTIME ? P9_SETATTR_CTIME : 0;
	if ((v & VFS_ATTR_SIZE) && a->size < ino->size)
		vm_file_truncate(ino, a->size);
	err = simple(i, P9_TSETATTR, "dddddqqqqq", V(ino)->fid, (uint32_t)valid, a->mode & ~S_IFMT,
		     a->uid, a->gid, a->size, a->atime / NSEC, a->atime % NSEC, a->mtime / NSEC,
		     a->mtime % NSEC);
	v9fs_refresh(i, V(ino));
	return err;
}

/* After the server made `name` in `dir`: its inode and entry, owned as
 * perm_init_owner says (`owner`).  ERR_PTR on error. */
static struct inode *made(struct inode *dir, const char *name, size_t len,
			  const struct inode *owner)
{
	struct v9fs_info *i = v9fs_info_of(dir);
	struct v9fs_inode *x;
	uint32_t fid;
	int err;

	v9fs_refresh(i, V(dir));
	if ((err = walk(i, V(dir)->fid, name, len, &fid)))
		return ERR_PTR(err);
	if (!(x = inode_of(i, fid)))
		return ERR_PTR(-ENOMEM);
	if (x->vfs.uid != owner->uid || x->vfs.gid != owner->gid) {
		/* Under security_model=none the server ignores it: the host's owner stays. */
		simple(i, P9_TSETATTR, "dddddqqqqq", x->fid,
		       (uint32_t)(P9_SETATTR_UID | P9_SETATTR_GID), 0u, owner->uid, owner->gid,
		       (uint64_t)0, (uint64_t)0, (uint64_t)0, (uint64_t)0, (uint64_t)0);
		v9fs_refresh(i, x);
	}
	if (!add_entry(dir, name, len, x))
		return ERR_PTR(-ENOMEM); /* made all the same: a lookup finds it */
	return &x->vfs;
}

static struct inode *v9fs_create(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	struct v9fs_info *i = v9fs_info_of(dir);
	struct inode owner = { .mode = mode };
	uint8_t *m = v9fs_msg();
	struct p9_qid q;
	int err;

	if (!m)
		return ERR_PTR(-ENOMEM);
	perm_init_owner(&owner, dir); /* uid, gid, and set-gid directories' rules */
	if (S_ISDIR(mode))
		err = v9fs_rpc(i, m,
			       p9_build(m, V9FS_MSG, P9_TMKDIR, 0, "dsdd", V(dir)->fid, name, len,
					owner.mode & ~S_IFMT, owner.gid),
			       P9_TMKDIR, "Q", &q);
	else /* Tmknod makes regular files too (mknod(2) of S_IFREG) */
		err = v9fs_rpc(i, m,
			       p9_build(m, V9FS_MSG, P9_TMKNOD, 0, "dsdddd", V(dir)->fid, name, len,
					owner.mode, 0u, 0u, owner.gid),
			       P9_TMKNOD, "Q", &q);
	kfree(m);
	return err ? ERR_PTR(err) : made(dir, name, len, &owner);
}

static int v9fs_symlink(struct inode *dir, const char *name, size_t len, const char *target,
			size_t tlen)
{
	struct v9fs_info *i = v9fs_info_of(dir);
	struct inode owner = { .mode = S_IFLNK | 0777 }, *ino;
	uint8_t *m = v9fs_msg();
	struct p9_qid q;
	int err;

	if (!m)
		return -ENOMEM;
	perm_init_owner(&owner, dir);
	err = v9fs_rpc(i, m,
		       p9_build(m, V9FS_MSG, P9_TSYMLINK, 0, "dssd", V(dir)->fid, name, len, target,
				tlen, owner.gid),
		       P9_TSYMLINK, "Q", &q);
	kfree(m);
	if (err)
		return err;
	ino = made(dir, name, len, &owner);
	return IS_ERR(ino) ? PTR_ERR(ino) : 0;
}

static int v9fs_link(struct inode *target, struct inode *dir, const char *name, size_t len)
{
	struct v9fs_info *i = v9fs_info_of(dir);
	int err = simple(i, P9_TLINK, "dds", V(dir)->fid, V(target)->fid, name, len);

	v9fs_refresh(i, V(target));
	v9fs_refresh(i, V(dir));
	if (!err && !add_entry(dir, name, len, V(target)))
		err = -ENOMEM;
	return err;
}

/*
 * Take entry `e` out of the cache (its file was unlinked or replaced): one
 * link fewer, as Linux's drop_nlink (the fid may name the path that went,
 * so the server cannot be asked).  A file with none left is dead: out of
 * the table, so that the host's reuse of its inode number (the qid.path of
 * a new file) finds a new inode.
 */
static void drop_entry(struct dentry *e)
{
	struct v9fs_inode *x = V(e->inode);

	list_del(&e->sibling);
	list_init(&e->sibling);
	e->parent = NULL;
	if (S_ISDIR(x->vfs.mode) || x->vfs.nlink <= 1)
		unhash(x);
	else
		x->vfs.nlink--;
	if (e != x->vfs.dentry)
		vfs_dentry_free(e);
}

/* Free inode `ino` (no name, no reference left: vfs_sb.evict). */
static void v9fs_evict(struct inode *ino)
{
	struct v9fs_inode *x = V(ino);
	struct v9fs_info *i = v9fs_info_of(ino);

	v9fs_cache_drop(x);
	free_missing(x);
	if (x->io_fid)
		v9fs_clunk(i, x->io_fid);
	if (x->rd_fid)
		v9fs_clunk(i, x->rd_fid);
	v9fs_clunk(i, x->fid);
	list_del(&x->link);
	if (ino->dentry)
		vfs_dentry_free(ino->dentry);
	kfree(x);
}

static void v9fs_unlink(struct inode *dir, struct dentry *e)
{
	struct v9fs_info *i = v9fs_info_of(dir);
	struct inode *ino = e->inode;
	int err = simple(i, P9_TUNLINKAT, "dsd", V(dir)->fid, e->name, e->namelen,
			 (uint32_t)(S_ISDIR(ino->mode) ? AT_REMOVEDIR_9P : 0));

	if (err) {
		klog("9p: unlink failed: error %d\n", -err);
		return;
	}
	drop_entry(e);
	v9fs_refresh(i, V(dir));
	vfs_iget(ino), vfs_iput(ino); /* evicts it if nothing holds it */
}

static int v9fs_rename(struct inode *odir, struct dentry *oe, struct inode *ndir, struct dentry *ne,
		       const char *nname, size_t nlen, unsigned flags)
{
	struct v9fs_info *i = v9fs_info_of(odir);
	struct inode *gone = ne ? ne->inode : NULL;
	char *copy;
	int err;

	if (flags & RENAME_EXCHANGE)
		return -EINVAL; /* 9P2000.L's Trenameat has no flags */
	if (!(copy = libfs_dup_name(nname, nlen)))
		return -ENOMEM;
	err = simple(i, P9_TRENAMEAT, "dsds", V(odir)->fid, oe->name, oe->namelen, V(ndir)->fid,
		     nname, nlen);
	if (err) {
		kfree(copy);
		return err;
	}
	if (ne)
		drop_entry(ne);
	vfs_dentry_move(oe, ndir, copy, nlen);
	v9fs_refresh(i, V(oe->inode));
	v9fs_refresh(i, V(odir));
	if (ndir != odir)
		v9fs_refresh(i, V(ndir));
	if (gone)
		vfs_iget(gone), vfs_iput(gone);
	return 0;
}

/* ---- extended attributes ---- */

/* Txattrwalk of `name` ("": the list) on `x`, then its value read into
 * `buf` (`n` bytes; 0: the size only).  The size, or -errno (the
 * server's ENODATA, -ERANGE). */
static long xattr_read(struct inode *ino, const char *name, void *buf, size_t n)
{
	struct v9fs_info *i = v9fs_info_of(ino);
	uint32_t fid = virtio_9p_fid(i->dev);
	uint8_t *m = v9fs_msg();
	uint64_t size = 0;
	long r;

	if (!m)
		return -ENOMEM;
	r = v9fs_rpc(i, m,
		     p9_build(m, V9FS_MSG, P9_TXATTRWALK, 0, "dds", V(ino)->fid, fid, name,
			      strlen(name)),
		     P9_TXATTRWALK, "q", &size);
	kfree(m);
	if (r)
		return r;
	if (size > n && n)
		r = -ERANGE;
	else if (n && size)
		r = v9fs_xfer_fid(i, fid, false, buf, (size_t)size);
	v9fs_clunk(i, fid);
	return r < 0 ? r : (long)size;
}

static long v9fs_getxattr(struct inode *ino, const char *name, void *buf, size_t n)
{
	return xattr_read(ino, name, buf, n);
}

static long v9fs_listxattr(struct inode *ino, char *buf, size_t n)
{
	return xattr_read(ino, "", buf, n);
}

/* Txattrcreate on a fid of its own, the value written to it, then the
 * Tclunk that makes the change (whose error is the change's).  A NULL
 * value is a removal: size 0 (9P2000.L cannot set an empty value). */
static int v9fs_setxattr(struct inode *ino, const char *name, const void *value, size_t size,
			 int flags)
{
	struct v9fs_info *i = v9fs_info_of(ino);
	uint32_t fid;
	int err = walk(i, V(ino)->fid, "", 0, &fid);

	if (err)
		return err;
	if (!value)
		size = 0;
	err = simple(i, P9_TXATTRCREATE, "dsqd", fid, name, strlen(name), (uint64_t)size,
		     (uint32_t)flags);
	if (!err && size)
		err = (int)MIN(0, v9fs_xfer_fid(i, fid, true, (void *)value, size));
	if (err) {
		v9fs_clunk(i, fid);
		return err;
	}
	return simple(i, P9_TCLUNK, "d", fid);
}

static const struct inode_operations v9fs_iops = {
	.lookup = v9fs_lookup,
	.iterate = v9fs_iterate,
	.readlink = v9fs_readlink,
	.setattr = v9fs_setattr,
	.create = v9fs_create,
	.symlink = v9fs_symlink,
	.link = v9fs_link,
	.unlink = v9fs_unlink,
	.rename = v9fs_rename,
	.getxattr = v9fs_getxattr,
	.listxattr = v9fs_listxattr,
	.setxattr = v9fs_setxattr,
};

/* ---- the superblock ---- */

/* statfs in pages (f_bsize is PAGE_SIZE for every filesystem here). */
static void v9fs_space(const struct vfs_sb *sb, struct vfs_space *sp)
{
	struct v9fs_info *i = sb->priv;
	struct p9_statfs s;
	uint8_t *m = v9fs_msg();
	int err = m ? v9fs_rpc(i, m, p9_build(m, V9FS_MSG, P9_TSTATFS, 0, "d", i->root->fid),
			       P9_TSTATFS, "ddqqqqqqd", &s.type, &s.bsize, &s.blocks, &s.bfree,
			       &s.bavail, &s.files, &s.ffree, &s.fsid, &s.namelen)
		    : -ENOMEM;

	kfree(m);
	if (err || !s.bsize)
		return;
	sp->blocks = s.blocks * s.bsize / PAGE_SIZE;
	sp->bfree = s.bavail * s.bsize / PAGE_SIZE;
	sp->files = s.files;
	sp->ffree = s.ffree;
}

/* Write back every mapped page (the server writes through to the host). */
static int v9fs_sync(struct vfs_sb *sb)
{
	struct v9fs_info *i = sb->priv;
	struct v9fs_inode *x;
	int err = 0;

	if (sb->rdonly)
		return 0;
	for (unsigned b = 0; b < V9FS_HASH; b++)
		list_for_each_entry(x, &i->hash[b], link)
			if (x->ncache && !err)
				err = v9fs_cache_writeback(i, x);
	return err;
}

/* The device's root fid: Tattach as root (uname "", n_uname 0) the first
 * time, kept by the driver for every later mount.  0 or -errno. */
static int root_fid(struct v9fs_info *i, uint32_t *out)
{
	uint32_t fid;
	uint8_t *msg;
	struct p9_qid q;
	int err;

	if ((*out = virtio_9p_root(i->dev)))
		return 0;
	if (!(msg = v9fs_msg()))
		return -ENOMEM;
	fid = virtio_9p_fid(i->dev);
	err = v9fs_rpc(i, msg,
		       p9_build(msg, V9FS_MSG, P9_TATTACH, 0, "ddssd", fid, P9_NOFID, "", (size_t)0,
				"", (size_t)0, 0u),
		       P9_TATTACH, "Q", &q);
	kfree(msg);
	if (err)
		return err;
	if (!virtio_9p_set_root(i->dev, fid)) /* another mount's, made while we waited */
		v9fs_clunk(i, fid);
	*out = virtio_9p_root(i->dev);
	return 0;
}

/* A new fid walked from the device's root to `path` (NULL: the root). */
static int walk_source(struct v9fs_info *i, const char *path, uint32_t *out)
{
	uint32_t root;
	int err = root_fid(i, &root);

	return err ?: walk(i, root, path ? path : "", path ? strlen(path) : 0, out);
}

/* The mount's root inode: a walk from the device's root to `path`, if
 * any.  0 or -errno. */
static int attach(struct v9fs_info *i, struct mount *m, const char *path)
{
	struct v9fs_inode *x;
	uint32_t fid;
	int err = walk_source(i, path, &fid);

	if (err)
		return err;
	if (!(x = inode_of(i, fid)))
		return -EIO;
	if (!S_ISDIR(x->vfs.mode))
		return -ENOTDIR;
	if (!vfs_dentry_new(NULL, NULL, 0, &x->vfs))
		return -ENOMEM; /* x goes with the hash at kill */
	m->root = &x->vfs;
	i->root = x;
	return 0;
}

/* The device whose tag starts `source` ("TAG" or "TAG:/PATH"), and in
 * *path the PATH after the colon (NULL: none).  ERR_PTR on error. */
static struct virtio_9p *source_dev(const char *source, const char **path)
{
	char tag[65];
	size_t tlen;

	*path = strchr(source, ':');
	tlen = *path ? (size_t)(*path - source) : strlen(source);
	if (*path)
		(*path)++;
	if (!tlen || tlen >= sizeof(tag))
		return ERR_PTR(-EINVAL);
	memcpy(tag, source, tlen);
	tag[tlen] = 0;
	return virtio_9p_find(tag);
}

static void free_inodes(struct v9fs_info *i);

static int v9fs_fill(struct mount *m, const char *source, const char *data)
{
	struct v9fs_info *i = kzalloc(sizeof(*i));
	const char *path;
	int err;

	if (!i)
		return -ENOMEM;
	for (unsigned b = 0; b < V9FS_HASH; b++)
		list_init(&i->hash[b]);
	err = -EINVAL;
	if (data && *data)
		goto out;
	i->dev = source_dev(source, &path);
	if (IS_ERR(i->dev)) {
		err = PTR_ERR(i->dev);
		goto out;
	}
	i->iounit = (uint32_t)MIN((size_t)virtio_9p_msize(i->dev) - P9_TWRITE_HDR, (size_t)V9FS_IO);
	i->sb = (struct vfs_sb){ .name = "9p",
				 .magic = V9FS_MAGIC,
				 .dev = mount_anon_dev(),
				 .rdonly = m->flags & MS_RDONLY,
				 .space = v9fs_space,
				 .evict = v9fs_evict,
				 .sync = v9fs_sync,
				 .iops = &v9fs_iops, /* the VFS refuses changes when read-only */
				 .type = &v9fs_type,
				 .priv = i };
	if (!i->sb.dev) {
		err = -EMFILE;
		goto out;
	}
	if ((err = attach(i, m, path))) {
		mount_anon_dev_put(i->sb.dev);
		goto out;
	}
	m->sb = &i->sb;
	return 0;
out:
	klog("9p: cannot mount %s: error %d\n", source, -err);
	free_inodes(i);
	kfree(i);
	return err;
}

/* Free every inode in memory, with its entries: first the further links'
 * entries (while every directory still lives), then each inode with its
 * own entry. */
static void free_inodes(struct v9fs_info *i)
{
	struct v9fs_inode *x;
	struct dentry *d, *n;

	for (unsigned b = 0; b < V9FS_HASH; b++)
		list_for_each_entry(x, &i->hash[b], link)
			if (x->vfs.dentry && S_ISDIR(x->vfs.mode))
				list_for_each_entry_safe(d, n, &x->vfs.dentry->children, sibling)
					if (d != d->inode->dentry)
						list_del(&d->sibling), vfs_dentry_free(d);
	for (unsigned b = 0; b < V9FS_HASH; b++)
		while (!list_empty(&i->hash[b]))
			v9fs_evict(&list_first_entry(&i->hash[b], struct v9fs_inode, link)->vfs);
}

static void v9fs_kill(struct mount *m)
{
	struct v9fs_info *i = m->sb->priv;

	v9fs_sync(m->sb);
	free_inodes(i);
	mount_anon_dev_put(i->sb.dev);
	kfree(i);
}

static int v9fs_reconfigure(struct mount *m, const char *data)
{
	(void)m;
	return data && *data ? -EINVAL : 0;
}

static struct vfs_fs_type v9fs_type = {
	.name = "9p", .fill = v9fs_fill, .reconfigure = v9fs_reconfigure, .kill = v9fs_kill
};

void v9fs_init(void)
{
	mount_register(&v9fs_type);
}
