/*
 * ext4 directories: reading entries block by block (each entry checked as
 * Linux's ext4_check_dir_entry does, each leaf block's checksum tail
 * verified), lookup, and path walks.  Lookup in an indexed directory goes
 * through its hash tree (htree.c), and so does listing one (in hash order,
 * positions being hash cookies, as Linux's ext4_dx_readdir).  Linear
 * directories, and indexed ones whose index this code cannot use, are
 * scanned block by block: index blocks look like one empty entry spanning
 * the block, which the scan skips.
 */
#include <lib/crc32c.h>
#include <lib/errno.h>
#include <lib/string.h>

#include "ext4_disk.h"

/* d_type values of getdents64 (Linux include/linux/fs_types.h). */
#define EXT4_DT_UNKNOWN 0
#define EXT4_DT_FIFO	1
#define EXT4_DT_CHR	2
#define EXT4_DT_DIR	4
#define EXT4_DT_BLK	6
#define EXT4_DT_REG	8
#define EXT4_DT_LNK	10
#define EXT4_DT_SOCK	12

uint8_t ext4_dt(uint8_t ft)
{
	static const uint8_t dt[EXT4_FT_MAX] = {
		[EXT4_FT_UNKNOWN] = EXT4_DT_UNKNOWN, [EXT4_FT_REG_FILE] = EXT4_DT_REG,
		[EXT4_FT_DIR] = EXT4_DT_DIR,	     [EXT4_FT_CHRDEV] = EXT4_DT_CHR,
		[EXT4_FT_BLKDEV] = EXT4_DT_BLK,	     [EXT4_FT_FIFO] = EXT4_DT_FIFO,
		[EXT4_FT_SOCK] = EXT4_DT_SOCK,	     [EXT4_FT_SYMLINK] = EXT4_DT_LNK,
	};

	return ft < EXT4_FT_MAX ? dt[ft] : EXT4_DT_UNKNOWN;
}

/* The smallest rec_len an entry with a @name_len-byte name may have. */
uint32_t ext4_rec_len_min(uint32_t name_len)
{
	return (EXT4_DIR_ENTRY_HEAD + name_len + 3) & ~3u;
}

/* rec_len as stored: 64 KiB blocks encode a whole-block entry as 0 or 65535. */
static uint32_t ext4_rec_len(const struct ext4_fs *fs, uint16_t stored)
{
	if (fs->block_size == 65536 && (stored == 0 || stored == 65535))
		return 65536;
	return stored;
}

/* Whether block @blk (logical @lblk) of @dir is an htree index node, not a leaf. */
static bool ext4_dir_is_dx(const struct ext4_fs *fs, const struct ext4_inode *dir, uint32_t lblk,
			   const uint8_t *blk)
{
	const struct ext4_dir_entry *de = (const void *)blk;

	if (!(dir->flags & EXT4_INDEX_FL))
		return false;
	return lblk == 0 || (de->inode == 0 && ext4_rec_len(fs, de->rec_len) == fs->block_size);
}

/* Verify leaf block @blk's checksum tail (fs/ext4/namei.c ext4_dirblock_csum_verify). */
static int ext4_dir_csum_ok(const struct ext4_fs *fs, const struct ext4_inode *dir,
			    const uint8_t *blk)
{
	const struct ext4_dir_entry *t = (const void *)(blk + fs->block_size - EXT4_DIR_TAIL_SIZE);
	uint32_t want;

	if (t->inode != 0 || t->rec_len != EXT4_DIR_TAIL_SIZE || t->name_len != 0 ||
	    t->file_type != EXT4_DIR_TAIL_FT)
		return 0;
	memcpy(&want, (const uint8_t *)t + EXT4_DIR_ENTRY_HEAD, sizeof(want));
	return crc32c_update(dir->csum_seed, blk, fs->block_size - EXT4_DIR_TAIL_SIZE) == want;
}

/*
 * Read logical block @lblk of @dir into fs->data, checked: 1 with the block
 * there (*@dx says whether it is an index node), 0 for a hole of *@hole
 * blocks (skipped at once, so a huge sparse directory costs no more than
 * its map), or -errno.
 */
int ext4_dir_block(struct ext4_fs *fs, const struct ext4_inode *dir, uint32_t lblk, bool *dx,
		   uint32_t *hole)
{
	uint64_t pblk;
	int err = ext4_bmap(fs, dir, lblk, &pblk, hole);

	if (err)
		return err;
	if (!pblk)
		return 0;
	if (pblk != fs->data_blk) {
		fs->data_blk = 0;
		err = ext4_read_block(fs, pblk, fs->data);
		if (err)
			return err;
		if (fs->csum && !fs->read_own && !ext4_dir_is_dx(fs, dir, lblk, fs->data) &&
		    !ext4_dir_csum_ok(fs, dir, fs->data))
			return -EUCLEAN;
		fs->data_blk = pblk;
	}
	*dx = ext4_dir_is_dx(fs, dir, lblk, fs->data);
	return 1;
}

/* Check the entry at @off of a leaf block (fs/ext4/dir.c __ext4_check_dir_entry). */
int ext4_dir_entry_ok(const struct ext4_fs *fs, const struct ext4_dir_entry *de, uint32_t off,
		      uint32_t *rec_len)
{
	uint32_t len;

	if (fs->block_size - off < EXT4_DIR_ENTRY_HEAD)
		return -EUCLEAN;
	len = ext4_rec_len(fs, de->rec_len);
	if (len < ext4_rec_len_min(1) || (len & 3) || len < ext4_rec_len_min(de->name_len) ||
	    len > fs->block_size - off || de->inode > fs->inodes_count)
		return -EUCLEAN;
	*rec_len = len;
	return 0;
}

/* Move *@lblk to the first leaf block of @dir from *@lblk on (holes and
 * index nodes skipped) and read it into fs->data: 1, 0 past the end, or
 * -errno. */
static int ext4_dir_next_leaf(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t *lblk)
{
	uint64_t end = (dir->size + fs->block_size - 1) >> (10 + fs->log_block_size);

	while (*lblk < end) {
		uint32_t hole = 1;
		bool dx = false;
		int r;

		if (*lblk > UINT32_MAX)
			return -EUCLEAN;
		r = ext4_dir_block(fs, dir, (uint32_t)*lblk, &dx, &hole);
		if (r < 0 || (r == 1 && !dx))
			return r;
		*lblk += r == 0 ? hole : 1;
	}
	return 0;
}

int ext4_readdir(struct ext4_fs *fs, const struct ext4_inode *dir, struct ext4_dir_pos *pos,
		 struct ext4_dirent *out)
{
	if ((dir->mode & EXT4_S_IFMT) != EXT4_S_IFDIR)
		return -ENOTDIR;
	if (ext4_dx_hashed_listing(fs, dir)) {
		int r = ext4_dx_readdir(fs, dir, pos, out);

		if (r != -EOPNOTSUPP)
			return r;
	}
	pos->run = 0;
	while (pos->off < dir->size) {
		uint64_t lblk = pos->off >> (10 + fs->log_block_size);
		uint32_t off, rec_len;
		const struct ext4_dir_entry *de;
		int err = ext4_dir_next_leaf(fs, dir, &lblk);

		if (err <= 0)
			return err;
		if (lblk != pos->off >> (10 + fs->log_block_size))
			pos->off = lblk << (10 + fs->log_block_size); /* past holes or an index */
		off = (uint32_t)(pos->off & (fs->block_size - 1));
		de = (const void *)(fs->data + off);
		err = ext4_dir_entry_ok(fs, de, off, &rec_len);
		if (err)
			return err;
		pos->off += rec_len;
		if (de->inode == 0 || de->name_len == 0)
			continue; /* an empty slot, or the checksum tail */
		/* A name holding '/' or NUL would reach the VFS as something else: Linux's readdir passes it on. */
		if (memchr(de->name, '/', de->name_len) || memchr(de->name, '\0', de->name_len))
			return -EUCLEAN;
		out->ino = de->inode;
		out->type =
			(fs->feat_incompat & EXT4_FEATURE_INCOMPAT_FILETYPE) ? de->file_type : 0;
		out->name_len = de->name_len;
		memcpy(out->name, de->name, de->name_len);
		out->name[de->name_len] = '\0';
		return 1;
	}
	return 0;
}

/* Look @name up in the leaf block in fs->data: 1 (*@ino set), 0, or
 * -EUCLEAN for a bad entry (as ext4_readdir would say of it). */
static int ext4_dir_block_lookup(struct ext4_fs *fs, const char *name, size_t len, uint32_t *ino)
{
	uint32_t off, rec_len;

	for (off = 0; off < fs->block_size; off += rec_len) {
		const struct ext4_dir_entry *de = (const void *)(fs->data + off);
		int err = ext4_dir_entry_ok(fs, de, off, &rec_len);

		if (err)
			return err;
		if (de->inode == 0 || de->name_len == 0)
			continue;
		if (memchr(de->name, '/', de->name_len) || memchr(de->name, '\0', de->name_len))
			return -EUCLEAN;
		if (de->name_len == len && memcmp(de->name, name, len) == 0) {
			*ino = de->inode;
			return 1;
		}
	}
	return 0;
}

/* What a lookup through the index looks for. */
struct ext4_lookup_arg {
	const struct ext4_inode *dir;
	const char *name;
	size_t len;
	uint32_t *ino;
};

/* ext4_dx_find's scan: look in leaf @lblk. */
static int ext4_lookup_leaf(struct ext4_fs *fs, uint32_t lblk, void *arg)
{
	struct ext4_lookup_arg *a = arg;
	uint32_t hole;
	bool dx;
	int r = ext4_dir_block(fs, a->dir, lblk, &dx, &hole);

	if (r <= 0)
		return r ? r : -EUCLEAN;
	return ext4_dir_block_lookup(fs, a->name, a->len, a->ino);
}

/* Through the index when there is one; else a block at a time: each block
 * is mapped and read once, not once an entry as a walk through
 * ext4_readdir does. */
int ext4_lookup(struct ext4_fs *fs, const struct ext4_inode *dir, const char *name, size_t len,
		uint32_t *ino)
{
	struct ext4_lookup_arg a = { dir, name, len, ino };
	uint64_t lblk;
	int r;

	if ((dir->mode & EXT4_S_IFMT) != EXT4_S_IFDIR)
		return -ENOTDIR;
	if (len == 0 || len > EXT4_NAME_LEN)
		return len ? -ENAMETOOLONG : -ENOENT;
	r = ext4_dx_find(fs, dir, name, len, ext4_lookup_leaf, &a);
	if (r != -EOPNOTSUPP)
		return r < 0 ? r : (r ? 0 : -ENOENT);
	for (lblk = 0; (r = ext4_dir_next_leaf(fs, dir, &lblk)) == 1; lblk++)
		if ((r = ext4_dir_block_lookup(fs, name, len, ino)))
			return r < 0 ? r : 0;
	return r ? r : -ENOENT;
}

int ext4_namei(struct ext4_fs *fs, const char *path, struct ext4_inode *out)
{
	int err = ext4_iget(fs, EXT4_ROOT_INO, out);

	while (!err && *path) {
		size_t len = strcspn(path, "/");
		uint32_t ino;

		if (len == 0 || (len == 1 && path[0] == '.')) {
			path += len + (path[len] == '/');
			continue;
		}
		if ((out->mode & EXT4_S_IFMT) != EXT4_S_IFDIR)
			return -ENOTDIR;
		err = ext4_lookup(fs, out, path, len, &ino);
		if (!err)
			err = ext4_iget(fs, ino, out);
		path += len + (path[len] == '/');
	}
	return err;
}
