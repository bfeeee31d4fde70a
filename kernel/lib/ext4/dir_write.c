/*
 * ext4 directory changes: entries added and removed, and on top of them
 * create, link, unlink, rmdir and rename.
 *
 * An indexed directory (and a one-block one, which becomes indexed as it
 * fills, as Linux does) takes entries through its hash tree (htree.c).
 * Other linear directories take them in the last block first (so filling a
 * directory costs no scan), then the first block with room, then a new
 * block.  An htree directory whose index this code cannot use (a hash
 * version it lacks) is made linear before its first insertion: its index
 * blocks become empty leaf blocks and EXT4_INDEX_FL is cleared, which Linux
 * and e2fsck accept (Linux itself clears the flag on a damaged index).
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <lib/crc32c.h>

#include "ext4_disk.h"

#define EXT4_LINK_MAX                                                                              \
	65000 /* Linux EXT4_LINK_MAX: past it, a directory's count stays 1 (dir_nlink) */

/* Where an entry is: its block (held in fs->data), offset, and the entry before it in the block. */
struct ext4_slot {
	uint32_t lblk, off, prev;
	uint64_t pblk;
	bool has_prev;
};

static uint32_t ext4_tail_size(const struct ext4_fs *fs)
{
	return fs->csum ? EXT4_DIR_TAIL_SIZE : 0;
}

static bool ext4_is_tail(const struct ext4_dir_entry *de)
{
	return de->inode == 0 && de->rec_len == EXT4_DIR_TAIL_SIZE && de->name_len == 0 &&
	       de->file_type == EXT4_DIR_TAIL_FT;
}

/* Write @buf as @dir's leaf block @pblk, its checksum tail (re)made. */
int ext4_dir_leaf_write_buf(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t pblk,
			    uint8_t *buf)
{
	if (fs->csum) {
		struct ext4_dir_entry *t = (void *)(buf + fs->block_size - EXT4_DIR_TAIL_SIZE);
		uint32_t c =
			crc32c_update(dir->csum_seed, buf, fs->block_size - EXT4_DIR_TAIL_SIZE);

		*t = (struct ext4_dir_entry){ .inode = 0,
					      .rec_len = EXT4_DIR_TAIL_SIZE,
					      .name_len = 0,
					      .file_type = EXT4_DIR_TAIL_FT };
		memcpy((uint8_t *)t + EXT4_DIR_ENTRY_HEAD, &c, sizeof(c));
	}
	if (buf != fs->data && fs->data_blk == pblk)
		fs->data_blk = 0;
	return ext4_write_block(fs, pblk, buf);
}

/* Write fs->data back as @dir's leaf block @pblk. */
int ext4_dir_leaf_write(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t pblk)
{
	fs->data_blk = pblk;
	return ext4_dir_leaf_write_buf(fs, dir, pblk, fs->data);
}

/* The number of blocks of directory @dir. */
static uint32_t ext4_dir_blocks(const struct ext4_fs *fs, const struct ext4_inode *dir)
{
	uint64_t n = dir->size >> (10 + fs->log_block_size);

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* What ext4_dir_find_in looks for, and where it found it. */
struct ext4_find {
	const char *name;
	size_t len;
	struct ext4_slot *s;
};

/* Look for the name in leaf @lblk of the directory: 1 found (its block in fs->data), 0, -errno. */
static int ext4_dir_find_in(struct ext4_fs *fs, const struct ext4_inode *dir, uint32_t lblk,
			    struct ext4_find *q)
{
	uint32_t off, rec_len, hole;
	bool dx;
	int err = ext4_dir_block(fs, dir, lblk, &dx, &hole);

	if (err <= 0)
		return err;
	q->s->has_prev = false;
	for (off = 0; off < fs->block_size; off += rec_len) {
		const struct ext4_dir_entry *de = (const void *)(fs->data + off);

		err = ext4_dir_entry_ok(fs, de, off, &rec_len);
		if (err)
			return err;
		if (de->inode && de->name_len == q->len && memcmp(de->name, q->name, q->len) == 0) {
			q->s->lblk = lblk;
			q->s->off = off;
			q->s->pblk = fs->data_blk;
			return 1;
		}
		q->s->prev = off;
		q->s->has_prev = true;
	}
	return 0;
}

/* The directory ext4_dx_find's scans look in (one caller at a time: the fs lock). */
struct ext4_dx_find_arg {
	const struct ext4_inode *dir;
	struct ext4_find q;
};

static int ext4_dir_dx_scan(struct ext4_fs *fs, uint32_t lblk, void *arg)
{
	struct ext4_dx_find_arg *a = arg;

	return ext4_dir_find_in(fs, a->dir, lblk, &a->q);
}

/* Find @name in @dir: 0 with @s filled (its block in fs->data), -ENOENT, -errno. */
static int ext4_dir_find(struct ext4_fs *fs, const struct ext4_inode *dir, const char *name,
			 size_t len, struct ext4_slot *s)
{
	struct ext4_dx_find_arg a = { dir, { name, len, s } };
	uint32_t n = ext4_dir_blocks(fs, dir);
	uint64_t lblk; /* 64 bits: a hole's length added to it must not wrap */
	int err = ext4_dx_find(fs, dir, name, len, ext4_dir_dx_scan, &a);

	if (err != -EOPNOTSUPP)
		return err < 0 ? err : (err ? 0 : -ENOENT);
	for (lblk = 0; lblk < n; lblk++) {
		uint32_t hole;
		bool dx;

		err = ext4_dir_block(fs, dir, (uint32_t)lblk, &dx, &hole);
		if (err < 0)
			return err;
		if (err == 0)
			lblk += hole - 1; /* skip the whole hole */
		if (err == 0 || dx)
			continue;
		err = ext4_dir_find_in(fs, dir, (uint32_t)lblk, &a.q);
		if (err)
			return err < 0 ? err : 0;
	}
	return -ENOENT;
}

/* Put the entry in the block in fs->data if it has room: 1 if put, 0 if no room, -errno. */
int ext4_dir_leaf_add(struct ext4_fs *fs, const char *name, size_t len, uint32_t ino, uint8_t ft)
{
	uint32_t need = ext4_rec_len_min((uint32_t)len), off, rec_len;

	for (off = 0; off < fs->block_size; off += rec_len) {
		struct ext4_dir_entry *de = (void *)(fs->data + off);
		uint32_t used;
		int err = ext4_dir_entry_ok(fs, de, off, &rec_len);

		if (err)
			return err;
		if (ext4_is_tail(de))
			continue;
		used = de->inode ? ext4_rec_len_min(de->name_len) : 0;
		if (rec_len - used < need)
			continue;
		if (used) { /* split: the new entry takes the slack after this one */
			de->rec_len = (uint16_t)used;
			de = (void *)(fs->data + off + used);
			de->rec_len = (uint16_t)(rec_len - used);
		}
		de->inode = ino;
		de->name_len = (uint8_t)len;
		de->file_type = (fs->feat_incompat & EXT4_FEATURE_INCOMPAT_FILETYPE) ? ft : 0;
		memcpy(de->name, name, len);
		return 1;
	}
	return 0;
}

/*
 * Try block @lblk of @dir: 1 if the entry went in (and was written), 0 if
 * no room (*@hole: the number of blocks to skip, more than 1 past a hole),
 * or -errno.
 */
static int ext4_dir_try(struct ext4_fs *fs, struct ext4_inode *dir, uint32_t lblk, const char *name,
			size_t len, uint32_t ino, uint8_t ft, uint32_t *hole)
{
	bool dx;
	int err = ext4_dir_block(fs, dir, lblk, &dx, hole);

	if (err > 0)
		*hole = 1;
	if (err <= 0 || dx)
		return err < 0 ? err : 0;
	err = ext4_dir_leaf_add(fs, name, len, ino, ft);
	if (err != 1)
		return err;
	err = ext4_dir_leaf_write(fs, dir, fs->data_blk);
	return err ? err : 1;
}

/* Make htree directory @dir linear: index blocks become empty leaves, EXT4_INDEX_FL goes. */
static int ext4_dir_unindex(struct ext4_fs *fs, struct ext4_inode *dir)
{
	uint32_t n = ext4_dir_blocks(fs, dir), count;
	uint64_t pblk, lblk; /* 64 bits: a hole's length added to it must not wrap */
	int err;

	for (lblk = 0; lblk < n; lblk++) {
		struct ext4_dir_entry *de = (void *)fs->data;

		err = ext4_bmap(fs, dir, (uint32_t)lblk, &pblk, &count);
		if (!err && pblk)
			err = ext4_read_block(fs, pblk, fs->data);
		if (err)
			return err;
		fs->data_blk = 0;
		if (!pblk) {
			lblk += count - 1; /* skip the whole hole */
			continue;
		}
		if (lblk == 0) { /* the root: ".", then ".." spanning the index */
			de = (void *)(fs->data + de->rec_len);
			if (de->rec_len != fs->block_size - ext4_rec_len_min(1))
				return -EUCLEAN;
		} else if (de->inode != 0 || de->rec_len != fs->block_size) {
			continue; /* a leaf */
		}
		de->rec_len = (uint16_t)(de->rec_len - ext4_tail_size(fs));
		err = ext4_dir_leaf_write(fs, dir, pblk);
		if (err)
			return err;
	}
	dir->flags &= ~(uint32_t)EXT4_INDEX_FL;
	return ext4_inode_write(fs, dir);
}

/* Append a new block to @dir holding just this entry. */
static int ext4_dir_append(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len,
			   uint32_t ino, uint8_t ft)
{
	uint32_t lblk = ext4_dir_blocks(fs, dir);
	struct ext4_dir_entry *de = (void *)fs->data;
	uint64_t pblk;
	int err;

	if (dir->size & (fs->block_size - 1))
		return -EUCLEAN;
	err = ext4_get_block(fs, dir, lblk, &pblk);
	if (err)
		return err;
	memset(fs->data, 0, fs->block_size);
	de->rec_len = (uint16_t)(fs->block_size - ext4_tail_size(fs));
	if (ext4_dir_leaf_add(fs, name, len, ino, ft) != 1)
		return -EUCLEAN;
	err = ext4_dir_leaf_write(fs, dir, pblk);
	if (err)
		return err;
	dir->size += fs->block_size;
	return ext4_inode_write(fs, dir);
}

/* Add entry @name -> @ino (type @ft) to @dir, which must not hold @name. */
static int ext4_dir_add(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len,
			uint32_t ino, uint8_t ft)
{
	uint32_t n = ext4_dir_blocks(fs, dir), skip = 1;
	uint64_t lblk; /* 64 bits: a hole's length added to it must not wrap */
	int err = ext4_dx_add_entry(fs, dir, name, len, ino, ft);

	if (err != -EOPNOTSUPP)
		goto done;
	err = 0;
	if (dir->flags & EXT4_INDEX_FL)
		err = ext4_dir_unindex(fs, dir);
	if (!err && n > 0)
		err = ext4_dir_try(fs, dir, n - 1, name, len, ino, ft, &skip);
	for (lblk = 0; err == 0 && lblk + 1 < n; lblk += skip)
		err = ext4_dir_try(fs, dir, (uint32_t)lblk, name, len, ino, ft, &skip);
	if (err == 0)
		err = ext4_dir_append(fs, dir, name, len, ino, ft);
	else if (err == 1)
		err = 0;
done:
	if (!err) {
		ext4_touch(fs, dir, true);
		err = ext4_inode_write(fs, dir);
	}
	return err;
}

/* Remove the entry at @s (its block in fs->data): merged into the one before, or emptied. */
static int ext4_dir_remove(struct ext4_fs *fs, struct ext4_inode *dir, const struct ext4_slot *s)
{
	struct ext4_dir_entry *de = (void *)(fs->data + s->off);
	int err;

	if (s->has_prev)
		((struct ext4_dir_entry *)(fs->data + s->prev))->rec_len += de->rec_len;
	else
		de->inode = 0;
	err = ext4_dir_leaf_write(fs, dir, s->pblk);
	if (err)
		return err;
	ext4_touch(fs, dir, true);
	return ext4_inode_write(fs, dir);
}

/* A name a new entry may have: 1 to 255 bytes, no '/' or NUL. */
static int ext4_name_check(const char *name, size_t len)
{
	if (len > EXT4_NAME_LEN)
		return -ENAMETOOLONG;
	if (len == 0 || memchr(name, '/', len) || memchr(name, '\0', len))
		return -EINVAL;
	return 0;
}

/* EXT4_FT_* of a mode, or EXT4_FT_UNKNOWN. */
static uint8_t ext4_mode_ft(uint16_t mode)
{
	switch (mode & EXT4_S_IFMT) {
	case EXT4_S_IFREG:
		return EXT4_FT_REG_FILE;
	case EXT4_S_IFDIR:
		return EXT4_FT_DIR;
	case EXT4_S_IFLNK:
		return EXT4_FT_SYMLINK;
	case EXT4_S_IFIFO:
		return EXT4_FT_FIFO;
	case EXT4_S_IFSOCK:
		return EXT4_FT_SOCK;
	case EXT4_S_IFCHR:
		return EXT4_FT_CHRDEV;
	case EXT4_S_IFBLK:
		return EXT4_FT_BLKDEV;
	default:
		return EXT4_FT_UNKNOWN;
	}
}

static bool ext4_is_dir(const struct ext4_inode *in)
{
	return (in->mode & EXT4_S_IFMT) == EXT4_S_IFDIR;
}

/* A directory gains a subdirectory's "..": with dir_nlink, past EXT4_LINK_MAX the count is 1. */
static void ext4_dir_inc_links(struct ext4_inode *dir)
{
	if (dir->links >= EXT4_LINK_MAX - 1 || dir->links == 1)
		dir->links = 1;
	else
		dir->links++;
}

static void ext4_dir_dec_links(struct ext4_inode *dir)
{
	if (dir->links > 2)
		dir->links--;
}

/* A fresh inode @ino of @mode: times now, an empty extent tree unless a fast symlink. */
static int ext4_inode_new(struct ext4_fs *fs, uint32_t ino, uint16_t mode, uint32_t uid,
			  uint32_t gid, struct ext4_inode *in)
{
	const struct ext4_sb *sb = (const struct ext4_sb *)fs->sb;
	struct ext4_extent_header *eh = (void *)in->block;
	uint32_t extra = sb->want_extra_isize ? sb->want_extra_isize : sb->min_extra_isize;
	struct ext4_raw_inode *ri;
	uint64_t blk;
	int err;

	memset(in, 0, sizeof(*in));
	in->ino = ino;
	in->mode = mode;
	in->uid = uid;
	in->gid = gid;
	in->links = 1;
	in->generation = ++fs->next_generation;
	in->flags = EXT4_EXTENTS_FL;
	*eh = (struct ext4_extent_header){ .magic = EXT4_EXT_MAGIC, .max = 4 };
	ext4_touch(fs, in, true);
	in->atime = in->crtime = in->mtime;
	in->csum_seed = crc32c_update(fs->csum_seed, &ino, sizeof(ino));
	in->csum_seed = crc32c_update(in->csum_seed, &in->generation, sizeof(in->generation));
	/* Clear the slot first, so fields this code does not know are zero and i_extra_isize is set. */
	blk = ext4_gd_inode_table(fs, ext4_gd(fs, (ino - 1) / fs->inodes_per_group)) +
	      ((ino - 1) % fs->inodes_per_group) / (fs->block_size / fs->inode_size);
	err = ext4_read_block(fs, blk, fs->wbuf);
	if (err)
		return err;
	ri = (void *)(fs->wbuf +
		      (size_t)((ino - 1) % (fs->block_size / fs->inode_size)) * fs->inode_size);
	memset(ri, 0, fs->inode_size);
	if (fs->inode_size > EXT4_OLD_INO_SIZE)
		ri->extra_isize = (uint16_t)(extra & ~3u) <= fs->inode_size - EXT4_OLD_INO_SIZE
					  ? (uint16_t)(extra & ~3u)
					  : 0;
	err = ext4_write_block(fs, blk, fs->wbuf);
	return err ? err : ext4_inode_write(fs, in);
}

/* A new directory's first block: "." and "..". */
static int ext4_dir_init(struct ext4_fs *fs, struct ext4_inode *in, uint32_t parent)
{
	struct ext4_dir_entry *de = (void *)fs->data;
	uint64_t pblk;
	int err = ext4_get_block(fs, in, 0, &pblk);

	if (err)
		return err;
	memset(fs->data, 0, fs->block_size);
	de->rec_len = (uint16_t)(fs->block_size - ext4_tail_size(fs));
	ext4_dir_leaf_add(fs, ".", 1, in->ino, EXT4_FT_DIR);
	ext4_dir_leaf_add(fs, "..", 2, parent, EXT4_FT_DIR);
	err = ext4_dir_leaf_write(fs, in, pblk);
	if (err)
		return err;
	in->size = fs->block_size;
	in->links = 2;
	return ext4_inode_write(fs, in);
}

/* Give the new inode @in its content: a directory's first block, a symlink's target. */
static int ext4_create_content(struct ext4_fs *fs, struct ext4_inode *dir, struct ext4_inode *in,
			       const char *target)
{
	size_t tlen;
	int64_t n;

	if (ext4_is_dir(in))
		return ext4_dir_init(fs, in, dir->ino);
	if ((in->mode & EXT4_S_IFMT) == EXT4_S_IFREG)
		return 0;
	if ((in->mode & EXT4_S_IFMT) != EXT4_S_IFLNK) {
		/* FIFOs and sockets: e2fsck wants no extent flag and an all-zero i_block. */
		in->flags &= ~(uint32_t)EXT4_EXTENTS_FL;
		memset(in->block, 0, sizeof(in->block));
		return ext4_inode_write(fs, in);
	}
	tlen = strnlen(target, fs->block_size);
	if (tlen == 0 || tlen >= fs->block_size)
		return tlen ? -ENAMETOOLONG : -ENOENT;
	if (tlen < sizeof(in->block)) { /* a fast symlink: the target in i_block */
		in->flags &= ~(uint32_t)EXT4_EXTENTS_FL;
		memset(in->block, 0, sizeof(in->block));
		memcpy(in->block, target, tlen);
		in->size = tlen;
		return ext4_inode_write(fs, in);
	}
	n = ext4_write_file(fs, in, 0, target, tlen);
	return n < 0 ? (int)n : 0;
}

int ext4_create(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len,
		uint16_t mode, uint32_t uid, uint32_t gid, const char *target,
		struct ext4_inode *out)
{
	uint8_t ft = ext4_mode_ft(mode);
	uint32_t ino;
	int err;

	if (fs->read_only)
		return -EROFS;
	err = ext4_journal_room(fs);
	if (err)
		return err;
	if (!ext4_is_dir(dir))
		return -ENOTDIR;
	err = ext4_name_check(name, len);
	if (err)
		return err;
	if (ft == EXT4_FT_UNKNOWN || ft == EXT4_FT_CHRDEV || ft == EXT4_FT_BLKDEV)
		return -EINVAL; /* device numbers are not stored yet */
	err = ext4_alloc_inode(fs, dir->ino, ft == EXT4_FT_DIR, &ino);
	if (err)
		return err;
	err = ext4_inode_new(fs, ino, mode, uid, gid, out);
	if (!err)
		err = ext4_create_content(fs, dir, out, target);
	if (!err)
		err = ext4_dir_add(fs, dir, name, len, ino, ft);
	if (err) { /* undo: the name is not there, so the inode is unreachable */
		ext4_release_blocks(fs, out);
		ext4_free_inode(fs, ino, ft == EXT4_FT_DIR);
		return err;
	}
	if (ft == EXT4_FT_DIR) {
		ext4_dir_inc_links(dir);
		err = ext4_inode_write(fs, dir);
	}
	return err;
}

int ext4_link(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len,
	      struct ext4_inode *in)
{
	int err;

	if (fs->read_only)
		return -EROFS;
	err = ext4_journal_room(fs);
	if (err)
		return err;
	if (ext4_is_dir(in))
		return -EPERM;
	if (in->links >= EXT4_LINK_MAX)
		return -EMLINK;
	err = ext4_name_check(name, len);
	if (err)
		return err;
	err = ext4_dir_add(fs, dir, name, len, in->ino, ext4_mode_ft(in->mode));
	if (err)
		return err;
	in->links++;
	ext4_touch(fs, in, false);
	return ext4_inode_write(fs, in);
}

/* Drop one link of @in; at the last, free its blocks and the inode (dtime set). */
static int ext4_drop_link(struct ext4_fs *fs, struct ext4_inode *in)
{
	int err;

	ext4_touch(fs, in, false);
	if (ext4_is_dir(in) || --in->links == 0) {
		bool dir = ext4_is_dir(in);

		in->links = 0;
		err = ext4_release_blocks(fs, in);
		in->dtime = (uint32_t)in->ctime.sec;
		if (!err)
			err = ext4_inode_write(fs, in);
		return err ? err : ext4_free_inode(fs, in->ino, dir);
	}
	return ext4_inode_write(fs, in);
}

/* Look @name up in @dir and read its inode. */
static int ext4_find_inode(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len,
			   struct ext4_slot *s, struct ext4_inode *in)
{
	int err;

	if (fs->read_only)
		return -EROFS;
	if (!ext4_is_dir(dir))
		return -ENOTDIR;
	err = ext4_dir_find(fs, dir, name, len, s);
	if (!err)
		err = ext4_iget(fs, ((struct ext4_dir_entry *)(fs->data + s->off))->inode, in);
	/* ext4_iget used fs->meta, not fs->data: the slot's block is still there. */
	return err;
}

int ext4_unlink(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len)
{
	struct ext4_slot s;
	struct ext4_inode in;
	int err = fs->read_only ? -EROFS : ext4_journal_room(fs);

	if (!err)
		err = ext4_find_inode(fs, dir, name, len, &s, &in);
	if (err)
		return err;
	if (ext4_is_dir(&in))
		return -EISDIR;
	err = ext4_dir_remove(fs, dir, &s);
	return err ? err : ext4_drop_link(fs, &in);
}

/* Whether directory @in holds nothing but "." and "..": 1, 0, or -errno. */
static int ext4_dir_empty(struct ext4_fs *fs, const struct ext4_inode *in)
{
	struct ext4_dirent de;
	struct ext4_dir_pos pos = { 0, 0 };
	int err;

	while ((err = ext4_readdir(fs, in, &pos, &de)) == 1)
		if (strcmp(de.name, ".") != 0 && strcmp(de.name, "..") != 0)
			return 0;
	return err ? err : 1;
}

int ext4_rmdir(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len)
{
	struct ext4_slot s;
	struct ext4_inode in;
	int err;

	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return len == 1 ? -EINVAL : -ENOTEMPTY;
	err = fs->read_only ? -EROFS : ext4_journal_room(fs);
	if (!err)
		err = ext4_find_inode(fs, dir, name, len, &s, &in);
	if (err)
		return err;
	if (!ext4_is_dir(&in))
		return -ENOTDIR;
	err = ext4_dir_empty(fs, &in);
	if (err <= 0)
		return err ? err : -ENOTEMPTY;
	err = ext4_dir_find(fs, dir, name, len, &s); /* its block back into fs->data */
	if (!err)
		err = ext4_dir_remove(fs, dir, &s);
	if (err)
		return err;
	ext4_dir_dec_links(dir);
	err = ext4_inode_write(fs, dir);
	return err ? err : ext4_drop_link(fs, &in);
}

/* Point directory @in's ".." at @parent. */
static int ext4_set_dotdot(struct ext4_fs *fs, struct ext4_inode *in, uint32_t parent)
{
	struct ext4_dir_entry *de = (void *)fs->data;
	uint32_t hole;
	bool dx;
	int err;

	if (in->flags & EXT4_INDEX_FL) {
		err = ext4_dx_set_dotdot(fs, in, parent);
		if (err != -EOPNOTSUPP)
			return err;
	}
	err = ext4_dir_block(fs, in, 0, &dx, &hole);
	if (err <= 0)
		return err ? err : -EUCLEAN;
	if (de->rec_len < ext4_rec_len_min(1) || de->rec_len > fs->block_size - ext4_rec_len_min(2))
		return -EUCLEAN;
	de = (void *)(fs->data + de->rec_len);
	if (de->name_len != 2 || memcmp(de->name, "..", 2) != 0)
		return -EUCLEAN;
	de->inode = parent;
	return dx ? ext4_write_block(fs, fs->data_blk, fs->data) /* an htree root: no leaf tail */
		  : ext4_dir_leaf_write(fs, in, fs->data_blk);
}

/* Point @ndir's existing entry @name at @src instead (rename over a name). */
static int ext4_dir_retarget(struct ext4_fs *fs, struct ext4_inode *ndir, const char *name,
			     size_t len, const struct ext4_inode *src)
{
	struct ext4_slot s;
	struct ext4_dir_entry *de;
	int err = ext4_dir_find(fs, ndir, name, len, &s);

	if (err)
		return err;
	de = (void *)(fs->data + s.off);
	de->inode = src->ino;
	if (fs->feat_incompat & EXT4_FEATURE_INCOMPAT_FILETYPE)
		de->file_type = ext4_mode_ft(src->mode);
	err = ext4_dir_leaf_write(fs, ndir, s.pblk);
	if (!err) {
		ext4_touch(fs, ndir, true);
		err = ext4_inode_write(fs, ndir);
	}
	return err;
}

/* What rename(2) says of replacing @dst by @src: 0 if allowed, else -errno. */
static int ext4_rename_check(struct ext4_fs *fs, const struct ext4_inode *src,
			     const struct ext4_inode *dst)
{
	int err;

	if (!ext4_is_dir(dst))
		return ext4_is_dir(src) ? -ENOTDIR : 0;
	if (!ext4_is_dir(src))
		return -EISDIR;
	err = ext4_dir_empty(fs, dst);
	return err == 1 ? 0 : (err ? err : -ENOTEMPTY);
}

int ext4_rename(struct ext4_fs *fs, struct ext4_inode *odir, const char *oname, size_t olen,
		struct ext4_inode *ndir, const char *nname, size_t nlen)
{
	struct ext4_inode src, dst;
	struct ext4_slot s;
	bool src_dir, replaced_dir = false;
	uint32_t dino;
	int err;

	err = ext4_name_check(nname, nlen);
	if (err)
		return err;
	if (!ext4_is_dir(ndir))
		return -ENOTDIR;
	err = fs->read_only ? -EROFS : ext4_journal_room(fs);
	if (!err)
		err = ext4_find_inode(fs, odir, oname, olen, &s, &src);
	if (err)
		return err;
	src_dir = ext4_is_dir(&src);
	if (src_dir && ndir != odir && ndir->links >= EXT4_LINK_MAX - 1 && ndir->links != 1)
		return -EMLINK;
	err = ext4_lookup(fs, ndir, nname, nlen, &dino);
	if (err == 0) {
		if (dino == src.ino)
			return 0; /* two names of one inode: rename(2) does nothing */
		err = ext4_iget(fs, dino, &dst);
		if (!err)
			err = ext4_rename_check(fs, &src, &dst);
		if (!err)
			err = ext4_dir_retarget(fs, ndir, nname, nlen, &src);
		if (!err) {
			replaced_dir = ext4_is_dir(&dst);
			err = ext4_drop_link(fs, &dst);
		}
	} else if (err == -ENOENT) {
		err = ext4_dir_add(fs, ndir, nname, nlen, src.ino, ext4_mode_ft(src.mode));
	}
	if (!err)
		err = ext4_dir_find(fs, odir, oname, olen, &s);
	if (!err)
		err = ext4_dir_remove(fs, odir, &s);
	if (err)
		return err;
	if (src_dir && odir != ndir) {
		err = ext4_set_dotdot(fs, &src, ndir->ino);
		ext4_dir_dec_links(odir);
		if (!replaced_dir)
			ext4_dir_inc_links(ndir);
	} else if (replaced_dir) {
		ext4_dir_dec_links(ndir);
	}
	if (!err)
		err = ext4_inode_write(fs, odir);
	if (!err && odir != ndir)
		err = ext4_inode_write(fs, ndir);
	ext4_touch(fs, &src, false);
	return err ? err : ext4_inode_write(fs, &src);
}
