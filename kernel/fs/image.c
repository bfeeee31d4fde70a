/*
 * The image filesystem: the initrd's cpio archives turned into a tree of
 * entries and inodes at boot (the tree itself and path lookup are
 * fs/vfs.c's, its operations fs/libfs.c's read-only ones).  File data stays
 * where the loader put it (inode.data points into the initrd), so reading
 * is a copy and mapping can be in place.  The
 * per-run entries (under MONOS_RUN_DIR) are kept aside, not put in the tree.
 */
#include "fs/vfs.h"
#include "fs/mount.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/vm.h"
#include <lib/cpio.h>
#include <lib/fmt.h>
#include <monos/bootinfo.h>

#define MAX_RUNFILES 16

struct runfile {
	char name[32];
	const uint8_t *data;
	size_t size;
};

#define IMAGE_DEV   0x0801 /* a made-up, stable device number for the image */
#define ROMFS_MAGIC 0x7275 /* a read-only fs's statfs type (linux/magic.h) */
#define NSEC	    1000000000ull

static size_t image_size; /* bytes of the initrd, per-run archive included */

/* Read-only and full, as Linux's romfs reports itself: its size only. */
static void image_space(const struct vfs_sb *sb, struct vfs_space *sp)
{
	sp->blocks = ALIGN_UP(image_size, PAGE_SIZE) / PAGE_SIZE;
}

struct vfs_sb vfs_image_sb = { .name = "rootfs",
			       .magic = ROMFS_MAGIC,
			       .dev = IMAGE_DEV,
			       .rdonly = true,
			       .iops = &libfs_ro_iops,
			       .space = image_space };

static struct runfile runfiles[MAX_RUNFILES];
static unsigned nrunfiles;

/* Find or create the node for `path` (no leading '/'), making directories
 * for missing parents.  The last component gets `mode`.  Returns the node,
 * ERR_PTR(-ENOMEM), or ERR_PTR(-ENOTDIR) when a file is in the way. */
static struct inode *make_path(const char *path, size_t len, uint32_t mode)
{
	struct inode *dir = vfs_root(), *c = dir;
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		bool last = j >= len;
		if (j > i) {
			struct dentry *d = vfs_child(dir, path + i, j - i);
			c = d ? d->inode
			      : vfs_new_inode(dir, path + i, j - i, last ? mode : (S_IFDIR | 0755));
			if (!c)
				return ERR_PTR(-ENOMEM);
			if (!last && !S_ISDIR(c->mode))
				return ERR_PTR(-ENOTDIR); /* a file in the way of a directory */
			dir = c;
		}
		i = j + 1;
	}
	return c;
}

static void add_runfile(const struct cpio_entry *e)
{
	size_t skip = sizeof(MONOS_RUN_DIR); /* "dir/" */
	unsigned i;

	if (e->namelen <= skip || e->namelen - skip >= sizeof(runfiles[0].name))
		return;
	for (i = 0; i < nrunfiles; i++)
		if (!strcmp(runfiles[i].name, e->name + skip))
			break;
	if (i == MAX_RUNFILES)
		return;
	if (i == nrunfiles)
		nrunfiles++;
	memcpy(runfiles[i].name, e->name + skip, e->namelen - skip);
	runfiles[i].name[e->namelen - skip] = 0;
	runfiles[i].data = e->data;
	runfiles[i].size = e->size;
}

static int add_entry(const struct cpio_entry *e)
{
	struct inode *ino;

	if (!strncmp(e->name, MONOS_RUN_DIR "/", sizeof(MONOS_RUN_DIR))) {
		add_runfile(e);
		return 0;
	}
	if (!strcmp(e->name, MONOS_RUN_DIR))
		return 0;
	if (e->namelen == 0) { /* the root itself */
		vfs_root()->mode = S_IFDIR | (e->mode & 07777);
		return 0;
	}
	ino = make_path(e->name, e->namelen, e->mode);
	if (ino == ERR_PTR(-ENOTDIR)) { /* the CLI never writes one: say so, go on */
		klog("monos: image entry %.*s skipped: a file is in the way of its directory\n",
		     (int)e->namelen, e->name);
		return 0;
	}
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	ino->mode = e->mode; /* an explicit entry replaces an implicit directory */
	ino->uid = e->uid;
	ino->gid = e->gid;
	ino->atime = ino->mtime = ino->ctime = e->mtime * NSEC;
	if (!S_ISDIR(e->mode)) {
		ino->data = e->data;
		ino->size = e->size;
	}
	return 0;
}

int vfs_init_image(const void *buf, size_t len)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int r;

	vfs_root()->ino = 1;
	image_size = len;
	cpio_iter_init(&it, buf, len);
	while ((r = cpio_next(&it, &e)) > 0)
		if (add_entry(&e))
			return -ENOMEM;
	if (r < 0)
		klog("monos: the image is not a valid cpio archive\n");
	else
		mount_boot(&vfs_image_sb, vfs_root(), "rootfs", MS_RDONLY);
	return r;
}

struct inode *image_add(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	/* Made as a writable tree makes entries (name copied, owner, times,
	 * the directory's link count), then an image file: bytes in `data`. */
	struct inode *ino = libfs_rw_iops.create(dir, name, len, mode);

	if (IS_ERR(ino))
		return NULL;
	ino->fops = NULL;
	return ino;
}

int vfs_runfile(const char *name, const uint8_t **data, size_t *size)
{
	for (unsigned i = 0; i < nrunfiles; i++) {
		if (!strcmp(runfiles[i].name, name)) {
			*data = runfiles[i].data;
			*size = runfiles[i].size;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * The VMA layer's view of a file whose bytes lie in memory and never change
 * (core/vm.h): the image's files, and the vDSO's pages (vdso/vdso_map.c).
 * A whole page-aligned page of bytes is mapped in place; anything else (the
 * last partial page, data the CLI did not page-align, a file the boot added
 * in the kernel heap, whose pages are not contiguous) is copied.
 */
static long image_vm_frame(struct inode *ino, uint64_t off, bool shared)
{
	const uint8_t *p;

	if (!ino->data || off >= ino->size || ino->size - off < PAGE_SIZE)
		return 0;
	p = ino->data + off;
	if ((uint64_t)p >= KHEAP_BASE && (uint64_t)p < KERNEL_VBASE)
		return 0; /* image_add's files: no direct-map address */
	return IS_ALIGNED((uint64_t)p, PAGE_SIZE) ? (long)virt_to_phys(p) : 0;
}

static long image_vm_fill(struct inode *ino, uint64_t off, void *page, size_t n)
{
	if (!ino->data || off >= ino->size)
		return 0;
	n = MIN(n, ino->size - off);
	memcpy(page, ino->data + off, n);
	return n;
}

static bool image_vm_resident(struct inode *ino, uint64_t off)
{
	return off < ino->size; /* in memory whole */
}

const struct vm_file_ops image_vm_ops = {
	.get = vfs_iget,
	.put = vfs_iput,
	.frame = image_vm_frame,
	.fill = image_vm_fill,
	.resident = image_vm_resident,
	.shared_pages = false,
};
