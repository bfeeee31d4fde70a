/*
 * The image filesystem: the initrd's cpio archives turned into a tree of
 * inodes at boot.  File data stays where the loader put it (inode.data points
 * into the initrd), so reading is a copy and mapping can be in place.  The
 * per-run entries (under MONOS_RUN_DIR) are kept aside, not put in the tree.
 */
#include "fs/vfs.h"
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
static void image_space(struct vfs_space *sp)
{
	sp->blocks = ALIGN_UP(image_size, PAGE_SIZE) / PAGE_SIZE;
}

struct vfs_sb vfs_image_sb = { .name = "image",
			       .magic = ROMFS_MAGIC,
			       .dev = IMAGE_DEV,
			       .rdonly = true,
			       .space = image_space };

static struct inode root = {
	.mode = S_IFDIR | 0755, .nlink = 2, .parent = &root, .sb = &vfs_image_sb
};
static struct inode *cwd = &root;
static uint64_t next_ino = 2;
static struct runfile runfiles[MAX_RUNFILES];
static unsigned nrunfiles;

struct inode *vfs_root(void)
{
	return &root;
}

struct inode *vfs_cwd(void)
{
	return cwd;
}

void vfs_set_cwd(struct inode *dir)
{
	cwd = dir;
}

struct inode *vfs_child(struct inode *dir, const char *name, size_t len)
{
	struct inode *c;

	if (dir->refresh)
		dir->refresh(dir);
	list_for_each_entry(c, &dir->children, sibling)
		if (c->namelen == len && !memcmp(c->name, name, len))
			return c;
	return NULL;
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
	ino->name = name;
	ino->namelen = len;
	ino->parent = dir;
	list_init(&ino->children);
	list_add_tail(&ino->sibling, &dir->children);
	return ino;
}

struct inode *vfs_mknode(struct inode *dir, const char *name, uint32_t mode)
{
	struct inode *c = vfs_child(dir, name, strlen(name));
	return c ? c : vfs_new_inode(dir, name, strlen(name), mode);
}

/* Find or create the node for `path` (no leading '/'), making directories
 * for missing parents.  The last component gets `mode`. */
static struct inode *make_path(const char *path, size_t len, uint32_t mode)
{
	struct inode *dir = &root, *c = &root;
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		bool last = j >= len;
		if (j > i) {
			c = vfs_child(dir, path + i, j - i);
			if (!c)
				c = vfs_new_inode(dir, path + i, j - i,
						  last ? mode : (S_IFDIR | 0755));
			if (!c)
				return NULL;
			if (!last && !S_ISDIR(c->mode))
				return NULL; /* a file in the way of a directory */
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
		root.mode = S_IFDIR | (e->mode & 07777);
		return 0;
	}
	ino = make_path(e->name, e->namelen, e->mode);
	if (!ino)
		return -ENOMEM;
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

	list_init(&root.children);
	root.ino = 1;
	image_size = len;
	cpio_iter_init(&it, buf, len);
	while ((r = cpio_next(&it, &e)) > 0)
		if (add_entry(&e))
			return -ENOMEM;
	if (r < 0)
		klog("monos: the image is not a valid cpio archive\n");
	return r;
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
		return dir->parent ? dir->parent : ERR_PTR(-ENOENT); /* removed */
	struct inode *c = vfs_child(dir, name, len);
	return c ? vfs_real(c) : ERR_PTR(-ENOENT);
}

static struct inode *lookup_depth(struct inode *dir, const char *path, bool follow, int *links)
{
	struct inode *cur = path[0] == '/' ? &root : dir;
	const char *p = path;

	while (*p) {
		const char *end;
		struct inode *next;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = p;
		while (*end && *end != '/')
			end++;
		next = step(cur, p, end - p);
		if (IS_ERR(next))
			return next;
		bool last = !*end || !end[strspn(end, "/")];
		if (S_ISLNK(next->mode) && (!last || follow || *end == '/')) {
			/* On the heap: symlinks nest up to SYMLOOP_MAX deep. */
			char *target;
			if (++*links > SYMLOOP_MAX)
				return ERR_PTR(-ELOOP);
			if (next->size >= PATH_MAX)
				return ERR_PTR(-ENAMETOOLONG);
			if (!(target = kmalloc(next->size + 1)))
				return ERR_PTR(-ENOMEM);
			memcpy(target, next->data, next->size);
			target[next->size] = 0;
			next = lookup_depth(cur, target, true, links);
			kfree(target);
			if (IS_ERR(next))
				return next;
		}
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
	size_t len = 0;

	if (!ino->parent) { /* unlinked: what Linux shows is the old name */
		long r = fmt_snprintf(buf, n, "/%.*s (deleted)", (int)ino->namelen, ino->name);
		return r < (long)n ? r : -ENAMETOOLONG;
	}
	if (ino == &root) {
		if (n < 2)
			return -ENAMETOOLONG;
		buf[0] = '/', buf[1] = 0;
		return 1;
	}
	/* Measure, then fill from the end. */
	for (struct inode *i = ino; i != &root; i = i->parent) {
		if (!i->parent) /* a removed directory above */
			return -ENOENT;
		len += i->namelen + 1;
	}
	if (len + 1 > n)
		return -ENAMETOOLONG;
	buf[len] = 0;
	size_t pos = len;
	for (struct inode *i = ino; i != &root; i = i->parent) {
		pos -= i->namelen;
		memcpy(buf + pos, i->name, i->namelen);
		buf[--pos] = '/';
	}
	return len;
}

/*
 * The VMA layer's view of a file whose bytes lie in memory and never change
 * (core/vm.h): the image's files, and the vDSO's pages (vdso/vdso_map.c).
 * A whole page-aligned page of bytes is mapped in place; anything else (the
 * last partial page, data the CLI did not page-align) is copied.
 */
static long image_vm_frame(struct inode *ino, uint64_t off, bool shared)
{
	const uint8_t *p;

	if (!ino->data || off >= ino->size || ino->size - off < PAGE_SIZE)
		return 0;
	p = ino->data + off;
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

const struct vm_file_ops *vfs_vm_ops(struct inode *ino)
{
	return ino->fops == &tmpfs_file_ops ? &tmpfs_vm_ops : &image_vm_ops;
}
