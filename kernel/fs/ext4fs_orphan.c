/*
 * ext4 files unlinked while open (fs layer).  Linux keeps such a file's
 * inode and data until its last close (the on-disk orphan list, for
 * crashes); the ext4 library frees an inode at its last link and has no
 * orphan list.  So the last name is not removed but moved, atomically
 * (ext4_rename), into lost+found as ".monos-orphan-INO", and removed there
 * when the inode is evicted.  e2fsck sees an ordinary file; a crash leaves
 * the name, which the next mount removes (ext4fs_orphan_cleanup).  A
 * volume without lost+found frees such a file at once, as before (its
 * reads and writes then give ESTALE).
 */
#include "fs/ext4fs.h"
#include "core/heap.h"
#include "core/kernel.h"

#define ORPHAN_DIR    "lost+found"
#define ORPHAN_PREFIX ".monos-orphan-"
#define ORPHAN_NAME   32 /* the prefix and a 32-bit number */

/* lost+found's in-memory inode (so the library gets one copy of it), or
 * NULL when the volume has none. */
static struct ext4fs_inode *orphan_dir(struct ext4fs_info *i)
{
	struct ext4fs_inode *root = ext4fs_find(i, EXT4_ROOT_INO), *x;
	struct ext4_inode e;
	uint32_t ino;

	if (!root || ext4_lookup(&i->fs, &root->e, ORPHAN_DIR, sizeof(ORPHAN_DIR) - 1, &ino))
		return NULL;
	if ((x = ext4fs_find(i, ino)))
		return S_ISDIR(x->vfs.mode) ? x : NULL;
	if (ext4_iget(&i->fs, ino, &e) || (e.mode & S_IFMT) != S_IFDIR)
		return NULL;
	return ext4fs_inode_new(i, &e); /* in no directory until looked up */
}

/* ".monos-orphan-INO" into `buf` (ORPHAN_NAME bytes): its length. */
static size_t orphan_name(char *buf, uint32_t ino)
{
	size_t n = sizeof(ORPHAN_PREFIX) - 1, digits = 1;

	memcpy(buf, ORPHAN_PREFIX, n);
	for (uint32_t v = ino; v >= 10; v /= 10)
		digits++;
	for (size_t d = digits; d--; ino /= 10)
		buf[n + d] = (char)('0' + ino % 10);
	return n + digits;
}

int ext4fs_orphan(struct ext4fs_info *i, struct ext4fs_inode *dir, struct dentry *e)
{
	struct ext4fs_inode *lf = orphan_dir(i), *x = X(e->inode);
	char name[ORPHAN_NAME];
	size_t len = orphan_name(name, x->e.ino);
	int err;

	if (!lf)
		return -ENOENT;
	err = ext4_rename(&i->fs, &dir->e, e->name, e->namelen, lf == dir ? &dir->e : &lf->e, name,
			  len);
	if (!err)
		x->orphan = true;
	ext4fs_sync_vfs(lf);
	return err;
}

void ext4fs_orphan_release(struct ext4fs_info *i, struct ext4fs_inode *x)
{
	struct ext4fs_inode *lf;
	char name[ORPHAN_NAME];
	int err = -ENOENT;

	ext4fs_lock_info(i);
	if ((lf = orphan_dir(i)))
		err = ext4_unlink(&i->fs, &lf->e, name, orphan_name(name, x->e.ino));
	ext4fs_unlock(i);
	x->orphan = false;
	if (err)
		klog("ext4: removing orphan %u failed: error %d\n", x->e.ino, -err);
}

/* The first orphan name in `lf` into `out`: its length, or 0. */
static size_t first_orphan(struct ext4fs_info *i, struct ext4fs_inode *lf, char *out)
{
	struct ext4_dirent *de = kmalloc(sizeof(*de));
	size_t n = sizeof(ORPHAN_PREFIX) - 1, len = 0;
	struct ext4_dir_pos pos = { 0, 0 };

	while (de && ext4_readdir(&i->fs, &lf->e, &pos, de) == 1) {
		if (de->name_len < ORPHAN_NAME && !memcmp(de->name, ORPHAN_PREFIX, n)) {
			memcpy(out, de->name, len = de->name_len);
			break;
		}
	}
	kfree(de);
	return len;
}

void ext4fs_orphan_cleanup(struct ext4fs_info *i)
{
	struct ext4fs_inode *lf = orphan_dir(i);
	char name[ORPHAN_NAME];
	size_t len;

	while (lf && (len = first_orphan(i, lf, name))) {
		int err = ext4_unlink(&i->fs, &lf->e, name, len);

		klog("ext4: removed %.*s, a file left open by a crash: %s\n", (int)len, name,
		     err ? "failed" : "ok");
		if (err)
			break;
	}
}
