/*
 * cloud-init at boot, the files (init/cloudinit.h): write_files (parent
 * directories made, content, permissions, owner by name from the image's
 * /etc/passwd and /etc/group or by number, append) and `mounts`.
 *
 * Where a file lands decides how it is written: under the image's tree it
 * joins the image in memory (fs/image.c image_add; read-only to the
 * program, as the rest of the image), under a writable filesystem (tmpfs,
 * a volume) it is written through the VFS as any file; under another
 * read-only filesystem it is refused (EROFS, logged).  Runs as root
 * (init/cloudinit.c overrides the credentials).
 */
#include "init/cloudinit.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "drivers/blk.h"
#include "fs/mount.h"
#include "fs/vfs.h"
#include <lib/cmdline.h>
#include <lib/fmt.h>

#define DIR_MODE     (S_IFDIR | 0755) /* os.makedirs' mode after the umask */
#define PASSWD	     "/etc/passwd"
#define GROUP	     "/etc/group"
#define ID_FIELD     2		/* name:password:ID:... in both files */
#define IDS_FILE_MAX (4u << 20) /* a larger /etc/passwd is not read */
#define DEV_PREFIX   "/dev/"
#define MOUNT_DATA   256
#define OWNER_MAX    256

/* The entry `name` (`len` bytes) of directory `dir`, crossing mounts and
 * following symlinks: the inode, or an ERR_PTR of a lookup. */
static struct inode *child(struct inode *dir, const char *name, size_t len)
{
	char comp[NAME_MAX + 1];

	if (len > NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	memcpy(comp, name, len);
	comp[len] = 0;
	return vfs_lookup(dir, comp, true);
}

/* A new directory or file `name` in `dir`: in the image's tree the boot
 * adds it there; elsewhere the VFS makes it (EROFS on a read-only one). */
static struct inode *make(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	struct inode *ino;

	if (dir->sb != &vfs_image_sb)
		return vfs_create(dir, name, len, mode);
	ino = image_add(dir, name, len, mode);
	return ino ? ino : ERR_PTR(-ENOMEM);
}

/* Directory `path` (`len` bytes; relative paths start at the root, as
 * cloud-init's are made absolute from /), made as `mkdir -p` makes it. */
static struct inode *make_dirs(const char *path, size_t len)
{
	struct inode *dir = vfs_root();
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		if (j > i) {
			struct inode *c = child(dir, path + i, j - i);
			if (c == ERR_PTR(-ENOENT))
				c = make(dir, path + i, j - i, DIR_MODE);
			if (IS_ERR(c))
				return c;
			if (!S_ISDIR(c->mode))
				return ERR_PTR(-ENOTDIR);
			dir = c;
		}
		i = j + 1;
	}
	return dir;
}

/* A file of the image gets `len` bytes at `data`, after its own with
 * `append`.  The boot's memory, kept as long as the image. */
static int image_write(struct inode *ino, const uint8_t *data, size_t len, bool append)
{
	size_t old = append ? ino->size : 0;
	uint8_t *buf = old + len ? kmalloc(old + len) : NULL;

	if (old + len && !buf)
		return -ENOMEM;
	if (old)
		memcpy(buf, ino->data, old);
	if (len)
		memcpy(buf + old, data, len);
	if (ino->data_owned)
		kfree((void *)ino->data);
	ino->data = buf;
	ino->data_owned = true;
	ino->size = old + len;
	ino->mtime = ino->ctime = vfs_now();
	return 0;
}

/* Any other file: opened as the boot's root, written at its end with
 * `append`, else from the start after truncation. */
static int vfs_write(struct inode *ino, const uint8_t *data, size_t len, bool append)
{
	struct file *f = vfs_open(ino, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	uint64_t off = append ? ino->size : 0;
	size_t done = 0;
	long n = 0;

	if (IS_ERR(f))
		return PTR_ERR(f);
	while (done < len && f->ops->write &&
	       (n = f->ops->write(f, data + done, len - done, off + done)) > 0)
		done += (size_t)n;
	file_put(f);
	return done == len ? 0 : n < 0 ? (int)n : -EIO;
}

/* Write `len` bytes at `data` into `path` with `mode`, owned by uid:gid. */
static int write_path(const char *path, const uint8_t *data, size_t len, uint32_t mode,
		      uint32_t uid, uint32_t gid, bool append)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct inode *dir = make_dirs(path, (size_t)(name - path)), *ino;
	struct vfs_iattr a = { .valid = VFS_ATTR_MODE | VFS_ATTR_UID | VFS_ATTR_GID,
			       .mode = mode & 07777,
			       .uid = uid,
			       .gid = gid };
	int err;

	if (IS_ERR(dir))
		return PTR_ERR(dir);
	if (!*name)
		return -EISDIR;
	ino = child(dir, name, strlen(name));
	if (ino == ERR_PTR(-ENOENT))
		ino = make(dir, name, strlen(name), S_IFREG | (mode & 07777));
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (!S_ISREG(ino->mode))
		return S_ISDIR(ino->mode) ? -EISDIR : -EINVAL;
	if (ino->sb != &vfs_image_sb) {
		if ((err = vfs_write(ino, data, len, append)))
			return err;
		return vfs_setattr(ino, &a);
	}
	if ((err = image_write(ino, data, len, append)))
		return err;
	ino->mode = S_IFREG | a.mode;
	ino->uid = uid;
	ino->gid = gid;
	return 0;
}

/* The id of `name` in the image's passwd or group file `file`: 0 and *id,
 * or -ENOENT.  Numbers stand for themselves. */
static int lookup_id(const char *file, const char *name, uint32_t *id)
{
	size_t nlen = strlen(name);
	uint64_t v;
	struct inode *ino;
	char *buf;
	long n;
	int err = -ENOENT;

	if (nlen && !parse_u64(name, nlen, &v) && v <= UINT32_MAX) {
		*id = (uint32_t)v;
		return 0;
	}
	ino = vfs_lookup(vfs_root(), file, true);
	if (IS_ERR(ino) || !S_ISREG(ino->mode) || ino->size > IDS_FILE_MAX ||
	    !(buf = kmalloc(ino->size + 1)))
		return -ENOENT;
	n = vfs_inode_read(ino, buf, ino->size, 0);
	buf[n > 0 ? n : 0] = 0;
	for (char *line = buf; err && *line;) {
		char *end = line + strcspn(line, "\n"), *f = line;
		unsigned field = 0;

		if (!strncmp(line, name, nlen) && line[nlen] == ':') {
			while (field < ID_FIELD && f < end && (f = strchr(f, ':')) && f < end)
				f++, field++;
			if (field == ID_FIELD && f && !parse_u64(f, strcspn(f, ":\n"), &v) &&
			    v <= UINT32_MAX) {
				*id = (uint32_t)v;
				err = 0;
			}
		}
		line = *end ? end + 1 : end;
	}
	kfree(buf);
	return err;
}

/* owner "user[:group]" as ids; a missing group stays root's, as
 * cloud-init's chownbyname leaves it.  -ENOENT for an unknown name. */
static int owner_ids(const char *owner, uint32_t *uid, uint32_t *gid)
{
	char user[OWNER_MAX];
	const char *colon = strchr(owner, ':');
	size_t ulen = colon ? (size_t)(colon - owner) : strlen(owner);

	*uid = *gid = 0;
	if (ulen >= sizeof(user))
		return -ENOENT;
	memcpy(user, owner, ulen);
	user[ulen] = 0;
	if (ulen && lookup_id(PASSWD, user, uid))
		return -ENOENT;
	return colon && colon[1] ? lookup_id(GROUP, colon + 1, gid) : 0;
}

void cloudinit_write_file(const struct cloudinit_file *f)
{
	uint32_t uid, gid;
	int err;

	if (owner_ids(f->owner, &uid, &gid))
		klog("monos: cloud-init: write_files: %s: owner %s unknown in the image's "
		     "/etc/passwd or /etc/group: root:root\n",
		     f->path, f->owner);
	err = write_path(f->path, f->content, f->len, f->mode, uid, gid, f->append);
	if (err)
		klog("monos: cloud-init: write_files: %s: %s: skipped\n", f->path,
		     errno_name(-err));
	else
		klog("monos: cloud-init: wrote %s (%zu bytes%s, mode %04o, owner %u:%u)\n", f->path,
		     f->len, f->append ? " appended" : "", f->mode & 07777, uid, gid);
}

void cloudinit_write_text(const char *path, const char *text)
{
	int err = write_path(path, (const uint8_t *)text, strlen(text), 0644, 0, 0, false);

	if (err)
		klog("monos: cloud-init: %s: %s: not written\n", path, errno_name(-err));
}

/* ------------------------------------------------------------- mounts */

/* One option of a mounts entry: its MS_ flag, or 0 with `*skip` for the
 * ones that say nothing to a kernel (fstab's and systemd's); other
 * options go to the filesystem. */
static unsigned long mount_opt(const char *o, size_t n, bool *skip)
{
	static const struct {
		const char *name;
		unsigned long flag;
	} opts[] = { { "ro", MS_RDONLY },
		     { "nosuid", MS_NOSUID },
		     { "nodev", MS_NODEV },
		     { "noexec", MS_NOEXEC },
		     { "noatime", MS_NOATIME },
		     { "sync", MS_SYNCHRONOUS },
		     { "rw", 0 },
		     { "defaults", 0 },
		     { "auto", 0 },
		     { "noauto", 0 },
		     { "nofail", 0 },
		     { "_netdev", 0 },
		     { "user", 0 },
		     { "nouser", 0 },
		     { "relatime", 0 } };

	*skip = n >= 2 && !strncmp(o, "x-", 2); /* x-systemd.requires=... */
	for (size_t i = 0; !*skip && i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strlen(opts[i].name) == n && !strncmp(opts[i].name, o, n)) {
			*skip = true;
			return opts[i].flag;
		}
	return 0;
}

/* Split fstab options `opts` into MS_ flags and the filesystem's own
 * options (into `data`, comma separated).  -E2BIG if they do not fit. */
static int mount_opts(const char *opts, unsigned long *flags, char data[MOUNT_DATA])
{
	size_t used = 0;

	*flags = 0;
	data[0] = 0;
	for (const char *o = opts ? opts : ""; *o;) {
		size_t n = strcspn(o, ",");
		bool skip;

		*flags |= mount_opt(o, n, &skip);
		if (!skip && n) {
			if (used + n + 2 > MOUNT_DATA)
				return -E2BIG;
			if (used)
				data[used++] = ',';
			memcpy(data + used, o, n);
			data[used += n] = 0;
		}
		o += n + (o[n] == ',');
	}
	return 0;
}

/* One entry of `mounts`: the disk, made mount point, the mount. */
static void mount_one(const struct cloudinit_mount *m)
{
	const char *dev = m->field[0], *dir = m->field[1], *type = m->field[2];
	const char *name =
		!strncmp(dev, DEV_PREFIX, strlen(DEV_PREFIX)) ? dev + strlen(DEV_PREFIX) : dev;
	char src[sizeof(DEV_PREFIX) + BLK_NAME_MAX], data[MOUNT_DATA];
	unsigned long flags;
	struct inode *at;
	int err;

	if (!dir || !strcmp(dir, "none") || (type && !strcmp(type, "swap"))) {
		klog("monos: cloud-init: mounts: %s: swap or no mount point: skipped\n", dev);
		return;
	}
	if (strlen(name) >= BLK_NAME_MAX || !blk_find(name)) {
		klog("monos: cloud-init: mounts: %s: no such disk (LABEL= and UUID= are not "
		     "supported): skipped\n",
		     dev);
		return;
	}
	if (!type || !strcmp(type, "auto"))
		type = "ext4"; /* the one disk filesystem monos mounts */
	if (mount_opts(m->field[3], &flags, data)) {
		klog("monos: cloud-init: mounts: %s: options too long: skipped\n", dev);
		return;
	}
	fmt_snprintf(src, sizeof(src), DEV_PREFIX "%s", name);
	at = make_dirs(dir, strlen(dir));
	err = IS_ERR(at) ? (int)PTR_ERR(at)
			 : vfs_mount(type, src, dir, flags, data[0] ? data : NULL);
	if (err == -ENODEV)
		klog("monos: cloud-init: mounts: %s on %s: filesystem type %s is not "
		     "available in this kernel: skipped\n",
		     src, dir, type);
	else if (err)
		klog("monos: cloud-init: mounts: %s on %s: %s: skipped\n", src, dir,
		     errno_name(-err));
	else
		klog("monos: cloud-init: mounted %s on %s (%s%s)\n", src, dir, type,
		     flags & MS_RDONLY ? ", read-only" : "");
}

void cloudinit_mounts(const struct cloudinit *ci)
{
	for (unsigned i = 0; i < ci->nmounts; i++) {
		if (ci->mounts[i].remove)
			klog("monos: cloud-init: mounts: %s: removal: nothing to do (no fstab)\n",
			     ci->mounts[i].field[0]);
		else
			mount_one(&ci->mounts[i]);
	}
}
