/*
 * ext4 hash-tree directories (dir_index): the name hashes, lookup through
 * the index, listing in hash order, and insertion that keeps the index
 * valid (Linux fs/ext4/namei.c and hash.c; the layouts are in the kernel's
 * Documentation/filesystems/ext4/directory.rst).
 *
 * A directory of one block is linear; when it fills, it becomes indexed
 * as Linux's make_indexed_dir does: block 0 becomes the index root ("."
 * and ".." then struct dx_root_info and the entries) and its entries move
 * to a new leaf.  A full leaf splits at the median hash (do_split); a full
 * index node splits, and a full root moves its entries into a new node,
 * up to one indirect level (indirect_levels 1): Linux's limit without the
 * largedir feature, which this code does not support.
 *
 * Listing an indexed directory, or one of a single block (as Linux's
 * is_dx_dir says), goes in hash order, and its positions are hash cookies
 * ((major >> 1) << 32 | minor, Linux's hash2pos for 64-bit callers), so
 * a position stays valid while entries are added, leaves split or the
 * directory becomes indexed between two getdents calls.
 *
 * Nothing read is trusted: an index node whose fields are impossible or
 * whose checksum (metadata_csum: struct dx_tail) is wrong gives -EUCLEAN;
 * an index this code cannot use (a hash version it lacks) gives
 * -EOPNOTSUPP, and callers fall back to a linear scan as Linux does.
 */
#include <lib/crc32c.h>
#include <lib/errno.h>
#include <lib/string.h>

#include "ext4_disk.h"

/* s_flags (Linux EXT2_FLAGS_UNSIGNED_HASH): names hash as unsigned chars. */
#define EXT4_FLAGS_UNSIGNED_HASH      0x0002
#define EXT4_FEATURE_COMPAT_DIR_INDEX 0x0020
#define EXT4_DX_ROOT_INFO	      24 /* offset of struct dx_root_info in the root */
#define EXT4_DX_INFO_LEN	      8	 /* its info_length */
#define EXT4_DX_NODE_COFF	      8 /* offset of a node's dx_countlimit (after the fake entry) */
#define EXT4_DX_BLOCK_MASK	      0x0fffffff	    /* dx_get_block */
#define EXT4_DX_MAX_LEVELS	      1			    /* indirect_levels without largedir */
#define EXT4_DX_TAIL		      8			    /* struct dx_tail: reserved, checksum */
#define EXT4_DX_COOKIE_EOF	      0x7fffffffffffffffull /* EXT4_HTREE_EOF_64BIT */

struct ext4_dx_root_info {
	uint32_t reserved_zero;
	uint8_t hash_version, info_length, indirect_levels, unused_flags;
} __attribute__((packed));

/* ---- hashes (fs/ext4/hash.c) ---- */

static uint32_t ext4_rol32(uint32_t x, unsigned s)
{
	return (x << s) | (x >> (32 - s));
}

#define EXT4_TEA_DELTA 0x9E3779B9u

static void ext4_tea_transform(uint32_t buf[4], const uint32_t in[4])
{
	uint32_t sum = 0, b0 = buf[0], b1 = buf[1];
	int n = 16;

	do {
		sum += EXT4_TEA_DELTA;
		b0 += ((b1 << 4) + in[0]) ^ (b1 + sum) ^ ((b1 >> 5) + in[1]);
		b1 += ((b0 << 4) + in[2]) ^ (b0 + sum) ^ ((b0 >> 5) + in[3]);
	} while (--n);
	buf[0] += b0;
	buf[1] += b1;
}

#define MD4_F(x, y, z)		       ((z) ^ ((x) & ((y) ^ (z))))
#define MD4_G(x, y, z)		       (((x) & (y)) + (((x) ^ (y)) & (z)))
#define MD4_H(x, y, z)		       ((x) ^ (y) ^ (z))
#define MD4_ROUND(f, a, b, c, d, x, s) (a += f(b, c, d) + (x), a = ext4_rol32(a, s))
#define MD4_K2			       013240474631u
#define MD4_K3			       015666365641u

/* half_md4_transform: three rounds of MD4 over 8 words. */
static void ext4_half_md4(uint32_t buf[4], const uint32_t in[8])
{
	uint32_t a = buf[0], b = buf[1], c = buf[2], d = buf[3];

	MD4_ROUND(MD4_F, a, b, c, d, in[0], 3);
	MD4_ROUND(MD4_F, d, a, b, c, in[1], 7);
	MD4_ROUND(MD4_F, c, d, a, b, in[2], 11);
	MD4_ROUND(MD4_F, b, c, d, a, in[3], 19);
	MD4_ROUND(MD4_F, a, b, c, d, in[4], 3);
	MD4_ROUND(MD4_F, d, a, b, c, in[5], 7);
	MD4_ROUND(MD4_F, c, d, a, b, in[6], 11);
	MD4_ROUND(MD4_F, b, c, d, a, in[7], 19);
	MD4_ROUND(MD4_G, a, b, c, d, in[1] + MD4_K2, 3);
	MD4_ROUND(MD4_G, d, a, b, c, in[3] + MD4_K2, 5);
	MD4_ROUND(MD4_G, c, d, a, b, in[5] + MD4_K2, 9);
	MD4_ROUND(MD4_G, b, c, d, a, in[7] + MD4_K2, 13);
	MD4_ROUND(MD4_G, a, b, c, d, in[0] + MD4_K2, 3);
	MD4_ROUND(MD4_G, d, a, b, c, in[2] + MD4_K2, 5);
	MD4_ROUND(MD4_G, c, d, a, b, in[4] + MD4_K2, 9);
	MD4_ROUND(MD4_G, b, c, d, a, in[6] + MD4_K2, 13);
	MD4_ROUND(MD4_H, a, b, c, d, in[3] + MD4_K3, 3);
	MD4_ROUND(MD4_H, d, a, b, c, in[7] + MD4_K3, 9);
	MD4_ROUND(MD4_H, c, d, a, b, in[2] + MD4_K3, 11);
	MD4_ROUND(MD4_H, b, c, d, a, in[6] + MD4_K3, 15);
	MD4_ROUND(MD4_H, a, b, c, d, in[1] + MD4_K3, 3);
	MD4_ROUND(MD4_H, d, a, b, c, in[5] + MD4_K3, 9);
	MD4_ROUND(MD4_H, c, d, a, b, in[0] + MD4_K3, 11);
	MD4_ROUND(MD4_H, b, c, d, a, in[4] + MD4_K3, 15);
	buf[0] += a;
	buf[1] += b;
	buf[2] += c;
	buf[3] += d;
}

/* The legacy hash (dx_hack_hash), bytes signed or not. */
static uint32_t ext4_hack_hash(const char *name, size_t len, bool unsig)
{
	uint32_t hash, hash0 = 0x12a3fe2d, hash1 = 0x37abe8f9;

	while (len--) {
		int c = unsig ? (int)(unsigned char)*name : (int)(signed char)*name;

		name++;
		hash = hash1 + (hash0 ^ (uint32_t)(c * 7152373));
		if (hash & 0x80000000u)
			hash -= 0x7fffffff;
		hash1 = hash0;
		hash0 = hash;
	}
	return hash0 << 1;
}

/* str2hashbuf_signed/unsigned: @num words of @msg, padded with its length. */
static void ext4_str2hashbuf(const char *msg, size_t len, uint32_t *buf, int num, bool unsig)
{
	uint32_t pad = (uint32_t)len | ((uint32_t)len << 8), val;
	size_t i;

	pad |= pad << 16;
	val = pad;
	if (len > (size_t)num * 4)
		len = (size_t)num * 4;
	for (i = 0; i < len; i++) {
		int c = unsig ? (int)(unsigned char)msg[i] : (int)(signed char)msg[i];

		val = (uint32_t)c + (val << 8);
		if ((i % 4) == 3) {
			*buf++ = val;
			val = pad;
			num--;
		}
	}
	if (--num >= 0)
		*buf++ = val;
	while (--num >= 0)
		*buf++ = pad;
}

int ext4_dx_hash(const uint32_t seed[4], unsigned version, const char *name, size_t len,
		 uint32_t *major, uint32_t *minor)
{
	uint32_t buf[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 }, in[8], hash;
	bool unsig = version >= EXT4_DX_HASH_LEGACY_UNSIGNED;
	int i;

	for (i = 0; seed && i < 4; i++)
		if (seed[i]) {
			memcpy(buf, seed, sizeof(buf)); /* an all-zero seed means the default */
			break;
		}
	*minor = 0;
	switch (version) {
	case EXT4_DX_HASH_LEGACY:
	case EXT4_DX_HASH_LEGACY_UNSIGNED:
		hash = ext4_hack_hash(name, len, unsig);
		break;
	case EXT4_DX_HASH_HALF_MD4:
	case EXT4_DX_HASH_HALF_MD4_UNSIGNED:
		for (;;) {
			ext4_str2hashbuf(name, len, in, 8, unsig);
			ext4_half_md4(buf, in);
			if (len <= 32)
				break;
			len -= 32, name += 32;
		}
		hash = buf[1];
		*minor = buf[2];
		break;
	case EXT4_DX_HASH_TEA:
	case EXT4_DX_HASH_TEA_UNSIGNED:
		for (;;) {
			ext4_str2hashbuf(name, len, in, 4, unsig);
			ext4_tea_transform(buf, in);
			if (len <= 16)
				break;
			len -= 16, name += 16;
		}
		hash = buf[0];
		*minor = buf[1];
		break;
	default:
		return -EOPNOTSUPP;
	}
	hash &= ~1u; /* bit 0 of an index entry's hash marks a collision run */
	if (hash == 0xfffffffeu)
		hash = 0xfffffffcu; /* (EXT4_HTREE_EOF_32BIT - 1) << 1 */
	*major = hash;
	return 0;
}

/* ---- index nodes ---- */

/* The hash version a directory's names use: @v (dx_root_info) made unsigned per s_flags. */
static unsigned ext4_dx_version(const struct ext4_fs *fs, unsigned v)
{
	const struct ext4_sb *sb = (const struct ext4_sb *)fs->sb;

	return v <= EXT4_DX_HASH_TEA && (sb->flags & EXT4_FLAGS_UNSIGNED_HASH) ? v + 3 : v;
}

static int ext4_dx_name_hash(const struct ext4_fs *fs, unsigned version, const char *name,
			     size_t len, uint32_t *major, uint32_t *minor)
{
	const struct ext4_sb *sb = (const struct ext4_sb *)fs->sb;
	uint32_t seed[4];

	memcpy(seed, sb->hash_seed, sizeof(seed)); /* a packed field: copied to align it */
	return ext4_dx_hash(seed, version, name, len, major, minor);
}

static uint32_t ext4_dx_limit(const struct ext4_fs *fs, uint32_t coff)
{
	return (fs->block_size - coff) / 8 - (fs->csum ? 1 : 0);
}

static uint32_t ext4_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void ext4_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Entry @i of the node at @buf + @coff: its hash (entry 0: none) and block. */
static uint32_t ext4_dx_hash_at(const uint8_t *buf, uint32_t coff, uint32_t i)
{
	return ext4_get32(buf + coff + 8 * i);
}

static uint32_t ext4_dx_block_at(const uint8_t *buf, uint32_t coff, uint32_t i)
{
	return ext4_get32(buf + coff + 8 * i + 4) & EXT4_DX_BLOCK_MASK;
}

static uint16_t ext4_get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void ext4_put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* The dx_tail checksum of node @buf (ext4_dx_csum): over the header and
 * the @count entries, then the tail's reserved word and a zero checksum. */
static uint32_t ext4_dx_csum(const struct ext4_fs *fs, const struct ext4_inode *dir,
			     const uint8_t *buf, uint32_t coff, uint32_t count)
{
	const uint8_t *tail = buf + coff + 8 * ext4_dx_limit(fs, coff);
	uint32_t c = crc32c_update(dir->csum_seed, buf, coff + 8 * count), zero = 0;

	c = crc32c_update(c, tail, 4);
	return crc32c_update(c, &zero, sizeof(zero));
}

/* Write index node @buf (count at @coff) as @dir's block @pblk, its tail (re)made. */
static int ext4_dx_write(struct ext4_fs *fs, const struct ext4_inode *dir, uint8_t *buf,
			 uint32_t coff, uint64_t pblk)
{
	if (fs->csum) {
		uint8_t *tail = buf + coff + 8 * ext4_dx_limit(fs, coff);

		ext4_put32(tail, 0);
		ext4_put32(tail + 4, ext4_dx_csum(fs, dir, buf, coff, ext4_get16(buf + coff + 2)));
	}
	if (fs->data_blk == pblk)
		fs->data_blk = 0; /* fs->data no longer holds what is on the disk there */
	return ext4_write_block(fs, pblk, buf);
}

/* Check the count and limit at @coff of node @buf just read (and its checksum,
 * unless fs->read_own: it came from the running transaction): 0 or -EUCLEAN. */
static int ext4_dx_check(const struct ext4_fs *fs, const struct ext4_inode *dir, const uint8_t *buf,
			 uint32_t coff)
{
	uint32_t limit = ext4_get16(buf + coff), count = ext4_get16(buf + coff + 2);

	if (limit != ext4_dx_limit(fs, coff) || count == 0 || count > limit)
		return -EUCLEAN;
	if (fs->csum && !fs->read_own &&
	    ext4_get32(buf + coff + 8 * limit + 4) != ext4_dx_csum(fs, dir, buf, coff, count))
		return -EUCLEAN;
	return 0;
}

/* One level of a path through the index: the node in @buf and the entry followed. */
struct ext4_dx_frame {
	uint8_t *buf;
	uint64_t pblk;
	uint32_t coff, count, at;
};

/* A path from the root to a leaf: frames[0] the root, frames[levels] the bottom node. */
struct ext4_dx_path {
	struct ext4_dx_frame f[EXT4_DX_MAX_LEVELS + 1];
	uint32_t levels, nblocks;
	unsigned version;
};

/* Read @dir's block @lblk (not 0 unless @root, inside the directory) into @buf. */
static int ext4_dx_read(struct ext4_fs *fs, const struct ext4_inode *dir, uint32_t lblk,
			uint8_t *buf, uint64_t *pblk)
{
	uint32_t count;
	int err = ext4_bmap(fs, dir, lblk, pblk, &count);

	if (err)
		return err;
	if (!*pblk)
		return -EUCLEAN; /* an index must not point at a hole */
	return ext4_read_block(fs, *pblk, buf);
}

/* Read and check the root of indexed @dir into fs->dx: frames[0] and p's header filled. */
static int ext4_dx_root(struct ext4_fs *fs, const struct ext4_inode *dir, struct ext4_dx_path *p)
{
	struct ext4_dx_root_info info;
	struct ext4_dx_frame *f = &p->f[0];
	uint64_t n = dir->size >> (10 + fs->log_block_size);
	int err;

	p->nblocks = n > EXT4_DX_BLOCK_MASK ? EXT4_DX_BLOCK_MASK : (uint32_t)n;
	f->buf = fs->dx;
	if (fs->dx_root_ino == dir->ino && fs->dx_root_gen == fs->wgen) {
		f->pblk = fs->dx_root_pblk;
		fs->read_own = true; /* read and checked, unchanged since: not verified again */
	} else {
		fs->dx_root_ino = 0;
		err = ext4_dx_read(fs, dir, 0, f->buf, &f->pblk);
		if (err)
			return err;
	}
	memcpy(&info, f->buf + EXT4_DX_ROOT_INFO, sizeof(info));
	if (ext4_get16(f->buf + 4) != 12 || f->buf[6] != 1 || f->buf[8] != '.' ||
	    ext4_get16(f->buf + 16) != fs->block_size - 12 || f->buf[18] != 2 ||
	    info.info_length != EXT4_DX_INFO_LEN)
		return -EUCLEAN;
	if (info.hash_version > EXT4_DX_HASH_TEA || info.indirect_levels > EXT4_DX_MAX_LEVELS ||
	    (info.unused_flags & 1))
		return -EOPNOTSUPP; /* Linux's ERR_BAD_DX_DIR: read it linearly */
	p->version = ext4_dx_version(fs, info.hash_version);
	p->levels = info.indirect_levels;
	f->coff = EXT4_DX_ROOT_INFO + EXT4_DX_INFO_LEN;
	err = ext4_dx_check(fs, dir, f->buf, f->coff);
	f->count = ext4_get16(f->buf + f->coff + 2);
	if (!err) {
		fs->dx_root_ino = dir->ino;
		fs->dx_root_gen = fs->wgen;
		fs->dx_root_pblk = f->pblk;
	}
	return err;
}

/* In frame @f, the last entry whose hash is <= @hash (dx_probe's binary search). */
static uint32_t ext4_dx_search(const struct ext4_dx_frame *f, uint32_t hash)
{
	uint32_t lo = 1, hi = f->count; /* entries [lo, hi) are candidates */

	while (lo < hi) {
		uint32_t m = lo + (hi - lo) / 2;

		if (ext4_dx_hash_at(f->buf, f->coff, m) > hash)
			hi = m;
		else
			lo = m + 1;
	}
	return lo - 1;
}

/* The block frame @f's current entry points at, checked to lie inside the directory. */
static int ext4_dx_child(const struct ext4_dx_path *p, const struct ext4_dx_frame *f,
			 uint32_t *lblk)
{
	*lblk = ext4_dx_block_at(f->buf, f->coff, f->at);
	return *lblk == 0 || *lblk >= p->nblocks ? -EUCLEAN : 0;
}

/* Read frame @level's node (a non-root index block) from block @lblk. */
static int ext4_dx_node(struct ext4_fs *fs, const struct ext4_inode *dir, struct ext4_dx_path *p,
			uint32_t level, uint32_t lblk)
{
	struct ext4_dx_frame *f = &p->f[level];
	int err;

	f->buf = fs->dx + (size_t)level * fs->block_size;
	err = ext4_dx_read(fs, dir, lblk, f->buf, &f->pblk);
	if (err)
		return err;
	if (ext4_get32(f->buf) != 0 || ext4_get16(f->buf + 4) != (fs->block_size & 0xffff))
		return -EUCLEAN; /* a node is one empty entry spanning the block */
	if (fs->block_size == 65536)
		return -EOPNOTSUPP; /* its rec_len is encoded: not written by this code */
	f->coff = EXT4_DX_NODE_COFF;
	err = ext4_dx_check(fs, dir, f->buf, f->coff);
	f->count = ext4_get16(f->buf + f->coff + 2);
	return err;
}

/* dx_probe: the path to the leaf that holds @hash, whose block goes in *@leaf. */
static int ext4_dx_probe(struct ext4_fs *fs, const struct ext4_inode *dir, uint32_t hash,
			 struct ext4_dx_path *p, uint32_t *leaf)
{
	uint32_t level;
	int err = ext4_dx_root(fs, dir, p);

	for (level = 0; !err; level++) {
		p->f[level].at = ext4_dx_search(&p->f[level], hash);
		err = ext4_dx_child(p, &p->f[level], leaf);
		if (err || level == p->levels)
			break;
		err = ext4_dx_node(fs, dir, p, level + 1, *leaf);
	}
	return err;
}

/*
 * ext4_htree_next_block: step @p to the next leaf, reading index nodes as
 * needed: 1 with *@leaf and *@start (the leaf's hash, bit 0 the collision
 * mark), 0 past the last leaf, or -errno.
 */
static int ext4_dx_next(struct ext4_fs *fs, const struct ext4_inode *dir, struct ext4_dx_path *p,
			uint32_t *leaf, uint32_t *start)
{
	int level = (int)p->levels, err;
	struct ext4_dx_frame *f;

	while (level >= 0 && p->f[level].at + 1 >= p->f[level].count)
		level--;
	if (level < 0)
		return 0;
	f = &p->f[level];
	f->at++;
	*start = ext4_dx_hash_at(f->buf, f->coff, f->at);
	for (; (uint32_t)level < p->levels; level++) {
		err = ext4_dx_child(p, &p->f[level], leaf);
		if (!err)
			err = ext4_dx_node(fs, dir, p, (uint32_t)level + 1, *leaf);
		if (err)
			return err;
		p->f[level + 1].at = 0;
	}
	err = ext4_dx_child(p, &p->f[p->levels], leaf);
	return err ? err : 1;
}

/* Whether @dir is read through its index: indexed, on a volume with dir_index. */
static bool ext4_dx_indexed(const struct ext4_fs *fs, const struct ext4_inode *dir)
{
	return (dir->flags & EXT4_INDEX_FL) && (fs->feat_compat & EXT4_FEATURE_COMPAT_DIR_INDEX);
}

int ext4_dx_find(struct ext4_fs *fs, const struct ext4_inode *dir, const char *name, size_t len,
		 int (*scan)(struct ext4_fs *fs, uint32_t lblk, void *arg), void *arg)
{
	struct ext4_dx_path p;
	uint32_t major, minor, leaf, start;
	int r;

	if (!ext4_dx_indexed(fs, dir))
		return -EOPNOTSUPP;
	r = ext4_dx_root(fs, dir, &p);
	if (!r)
		r = ext4_dx_name_hash(fs, p.version, name, len, &major, &minor);
	if (!r)
		r = ext4_dx_probe(fs, dir, major, &p, &leaf);
	while (!r) {
		r = scan(fs, leaf, arg);
		if (r)
			return r < 0 ? r : 1;
		/* A run of one hash may go on in the next leaf, marked by bit 0. */
		r = ext4_dx_next(fs, dir, &p, &leaf, &start);
		if (r <= 0)
			return r;
		if ((start & 1) == 0 || (start & ~1u) != major)
			return 0;
		r = 0;
	}
	return r;
}

/* ---- listing in hash order ---- */

/* An entry's cookie: Linux's hash2pos for 64-bit callers. */
static uint64_t ext4_dx_cookie(uint32_t major, uint32_t minor)
{
	return (uint64_t)(major >> 1) << 32 | minor;
}

/*
 * The entries of the leaf a listing read last, by cookie (in scan order
 * within a cookie), so the next call finds its place by a binary search
 * instead of hashing the leaf's names again (Linux keeps a listing's
 * names in an rbtree in the open file, fs/ext4/dir.c).  Valid for
 * directory @ino while fs->wgen is @wgen (no metadata written since); a
 * probe for hash h lands on the leaf when @lo <= h < @hi.
 */
struct ext4_dx_lent {
	uint64_t cookie;
	uint32_t off;
};

struct ext4_dx_list {
	uint32_t ino, wgen; /* ino 0: nothing */
	uint32_t lblk, n;
	uint64_t lo, hi;
	struct ext4_dx_lent e[];
};

size_t ext4_dxlist_size(const struct ext4_fs *fs)
{
	return sizeof(struct ext4_dx_list) +
	       (fs->block_size / ext4_rec_len_min(1) + 1) * sizeof(struct ext4_dx_lent);
}

/* Add (@cookie, @off) to the leaf being cached, keeping the order (insertion: a few hundred). */
static void ext4_dx_list_add(struct ext4_dx_list *l, uint64_t cookie, uint32_t off)
{
	uint32_t j;

	for (j = l->n; j > 0 && l->e[j - 1].cookie > cookie; j--)
		l->e[j] = l->e[j - 1];
	l->e[j] = (struct ext4_dx_lent){ cookie, off };
	l->n++;
}

/*
 * What a listing looks for from position @pos: the entry with the smallest
 * cookie at or after pos->off, skipping the first pos->run entries of
 * cookie pos->off (in the order the scan meets them: leaves in index
 * order, entries in block order, the order Linux's htree_fill_tree keeps
 * a collision chain in).  The scan fills @out with the candidate (cookie
 * @best) and notes whether another entry of that cookie follows (@more),
 * so the position after it can stay inside the run.
 */
struct ext4_dx_want {
	const struct ext4_dir_pos *pos;
	uint32_t seen; /* entries of cookie pos->off met so far */
	uint64_t best; /* EXT4_DX_COOKIE_EOF: none yet */
	bool more;
	struct ext4_dirent *out;
};

/* Whether the entry of cookie @c is the one @w wants so far (also counting runs). */
static bool ext4_dx_wanted(struct ext4_dx_want *w, uint64_t c)
{
	if (c < w->pos->off)
		return false;
	if (c == w->pos->off && w->seen++ < w->pos->run)
		return false; /* listed before: earlier in the run */
	if (c == w->best) {
		w->more = true; /* it follows the candidate in scan order */
		return false;
	}
	if (c > w->best)
		return false;
	w->best = c;
	w->more = false;
	return true;
}

/*
 * Offer each entry of leaf @lblk (read into fs->data) to @w.  "." and
 * ".." (a single-block directory's) are skipped: ext4_dx_dots lists them
 * first.
 */
static int ext4_dx_leaf_min(struct ext4_fs *fs, const struct ext4_inode *dir, uint32_t lblk,
			    unsigned version, struct ext4_dx_want *w)
{
	struct ext4_dx_list *l = fs->dxlist;
	uint32_t off, rec_len, hole, major, minor;
	bool dx;
	int err = ext4_dir_block(fs, dir, lblk, &dx, &hole);

	l->ino = 0;
	l->n = 0;
	if (err <= 0)
		return err ? err : -EUCLEAN;
	for (off = 0; off < fs->block_size; off += rec_len) {
		const struct ext4_dir_entry *de = (const void *)(fs->data + off);

		err = ext4_dir_entry_ok(fs, de, off, &rec_len);
		if (err)
			return err;
		if (de->inode == 0 || de->name_len == 0 ||
		    (de->name[0] == '.' &&
		     (de->name_len == 1 || (de->name_len == 2 && de->name[1] == '.'))))
			continue;
		if (memchr(de->name, '/', de->name_len) || memchr(de->name, '\0', de->name_len))
			return -EUCLEAN;
		err = ext4_dx_name_hash(fs, version, de->name, de->name_len, &major, &minor);
		if (err)
			return err;
		ext4_dx_list_add(l, ext4_dx_cookie(major, minor), off);
		if (!ext4_dx_wanted(w, ext4_dx_cookie(major, minor)))
			continue;
		w->out->ino = de->inode;
		w->out->type =
			(fs->feat_incompat & EXT4_FEATURE_INCOMPAT_FILETYPE) ? de->file_type : 0;
		w->out->name_len = de->name_len;
		memcpy(w->out->name, de->name, de->name_len);
		w->out->name[de->name_len] = '\0';
	}
	l->ino = dir->ino;
	l->wgen = fs->wgen;
	l->lblk = lblk;
	l->lo = 0;
	l->hi = 1ull << 32;
	return 0;
}

/* The hashes a probe must be given to land on @p's current leaf: [*@lo, *@hi). */
static void ext4_dx_range(const struct ext4_dx_path *p, uint64_t *lo, uint64_t *hi)
{
	uint32_t level;

	*lo = 0;
	*hi = 1ull << 32;
	for (level = 0; level <= p->levels; level++) {
		const struct ext4_dx_frame *f = &p->f[level];

		if (f->at > 0)
			*lo = ext4_dx_hash_at(f->buf, f->coff, f->at);
		if (f->at + 1 < f->count)
			*hi = ext4_dx_hash_at(f->buf, f->coff, f->at + 1);
	}
}

/*
 * The listing's next entry from the cached leaf alone, when that is
 * enough: 1 (@out and *@pos set), or 0 (the full search must run): the
 * cache is stale, the position's probe lands elsewhere, or a later leaf
 * may hold a smaller cookie or more of the found one's run.
 */
static int ext4_dx_list_next(struct ext4_fs *fs, const struct ext4_inode *dir,
			     struct ext4_dir_pos *pos, struct ext4_dirent *out)
{
	const struct ext4_dx_list *l = fs->dxlist;
	uint64_t h = (pos->off >> 32) << 1;
	uint32_t lo = 0, hi, j, hole;
	const struct ext4_dir_entry *de;
	bool dx;

	if (l->ino != dir->ino || l->wgen != fs->wgen || h < l->lo || h >= l->hi)
		return 0;
	hi = l->n;
	while (lo < hi) { /* the first entry at or after the position */
		uint32_t m = lo + (hi - lo) / 2;

		if (l->e[m].cookie < pos->off)
			lo = m + 1;
		else
			hi = m;
	}
	for (j = lo; j < l->n && l->e[j].cookie == pos->off && j - lo < pos->run; j++)
		; /* listed before: earlier in the run */
	if (j >= l->n || (l->e[j].cookie >> 32) >= ((l->hi & ~1ull) >> 1))
		return 0;
	if (ext4_dir_block(fs, dir, l->lblk, &dx, &hole) != 1 || l->wgen != fs->wgen)
		return 0;
	de = (const void *)(fs->data + l->e[j].off);
	out->ino = de->inode;
	out->type = (fs->feat_incompat & EXT4_FEATURE_INCOMPAT_FILETYPE) ? de->file_type : 0;
	out->name_len = de->name_len;
	memcpy(out->name, de->name, de->name_len);
	out->name[de->name_len] = '\0';
	if (j + 1 < l->n && l->e[j + 1].cookie == l->e[j].cookie) {
		pos->run = l->e[j].cookie == pos->off ? pos->run + 1 : 1;
		pos->off = l->e[j].cookie;
	} else {
		pos->off = l->e[j].cookie + 1;
		pos->run = 0;
	}
	return 1;
}

bool ext4_dx_hashed_listing(const struct ext4_fs *fs, const struct ext4_inode *dir)
{
	const struct ext4_sb *sb = (const struct ext4_sb *)fs->sb;

	if (!(fs->feat_compat & EXT4_FEATURE_COMPAT_DIR_INDEX))
		return false;
	return (dir->flags & EXT4_INDEX_FL) ||
	       (dir->size == fs->block_size && sb->def_hash_version <= EXT4_DX_HASH_TEA);
}

/* Positions 0 and 1: "." and "..", the first two entries of block 0 (as Linux's dx listing). */
static int ext4_dx_dots(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t *pos,
			struct ext4_dirent *out)
{
	uint32_t off = 0, rec_len, hole;
	const struct ext4_dir_entry *de;
	bool dx;
	int err = ext4_dir_block(fs, dir, 0, &dx, &hole);

	if (err <= 0)
		return err ? err : -EUCLEAN;
	for (;;) {
		de = (const void *)(fs->data + off);
		err = ext4_dir_entry_ok(fs, de, off, &rec_len);
		if (err)
			return err;
		if (off || *pos == 0)
			break;
		off = rec_len;
	}
	if (de->name_len != *pos + 1 || memcmp(de->name, "..", de->name_len) != 0)
		return -EUCLEAN;
	out->ino = de->inode;
	out->type = (fs->feat_incompat & EXT4_FEATURE_INCOMPAT_FILETYPE) ? de->file_type : 0;
	out->name_len = de->name_len;
	memcpy(out->name, de->name, de->name_len);
	out->name[de->name_len] = '\0';
	(*pos)++;
	return 1;
}

int ext4_dx_readdir(struct ext4_fs *fs, const struct ext4_inode *dir, struct ext4_dir_pos *pos,
		    struct ext4_dirent *out)
{
	const struct ext4_sb *sb = (const struct ext4_sb *)fs->sb;
	struct ext4_dx_want w = { .pos = pos, .best = EXT4_DX_COOKIE_EOF, .out = out };
	struct ext4_dx_path p;
	uint32_t leaf, start;
	int r;

	if (pos->off >= EXT4_DX_COOKIE_EOF)
		return 0;
	if (pos->off < 2) {
		pos->run = 0;
		return ext4_dx_dots(fs, dir, &pos->off, out);
	}
	if (ext4_dx_list_next(fs, dir, pos, out))
		return 1;
	if (!(dir->flags & EXT4_INDEX_FL)) { /* one linear block */
		r = ext4_dx_leaf_min(fs, dir, 0, ext4_dx_version(fs, sb->def_hash_version), &w);
	} else {
		r = ext4_dx_probe(fs, dir, (uint32_t)(pos->off >> 32) << 1, &p, &leaf);
		while (!r) {
			r = ext4_dx_leaf_min(fs, dir, leaf, p.version, &w);
			ext4_dx_range(&p, &((struct ext4_dx_list *)fs->dxlist)->lo,
				      &((struct ext4_dx_list *)fs->dxlist)->hi);
			if (!r)
				r = ext4_dx_next(fs, dir, &p, &leaf, &start);
			if (r <= 0)
				break;
			/* A later leaf holds hashes >= its start: only a run may
			 * beat best, or hold more of its cookie. */
			r = w.best != EXT4_DX_COOKIE_EOF && ((start & ~1u) >> 1) > (w.best >> 32);
		}
		if (r > 0)
			r = 0;
	}
	if (r || w.best == EXT4_DX_COOKIE_EOF)
		return r;
	if (w.more) { /* stay inside the run: Linux's info->extra_fname */
		pos->run = w.best == pos->off ? pos->run + 1 : 1;
		pos->off = w.best;
	} else {
		pos->off = w.best + 1;
		pos->run = 0;
	}
	return 1;
}

/* ---- insertion ---- */

/* An entry of a leaf being split: its hash, offset and the bytes it needs. */
struct ext4_dx_map {
	uint32_t hash;
	uint16_t off, size;
};

size_t ext4_dxmap_size(const struct ext4_fs *fs)
{
	return (fs->block_size / ext4_rec_len_min(1) + 1) * sizeof(struct ext4_dx_map);
}

/* Sort @m by hash (insertion sort: a leaf holds at most a few hundred names, 5461 at 64 KiB). */
static void ext4_dx_sort(struct ext4_dx_map *m, uint32_t n)
{
	uint32_t i, j;

	for (i = 1; i < n; i++) {
		struct ext4_dx_map x = m[i];

		for (j = i; j > 0 && m[j - 1].hash > x.hash; j--)
			m[j] = m[j - 1];
		m[j] = x;
	}
}

/* Put @n entries of @m (from block @src) packed into @dst, a fresh leaf. */
static void ext4_dx_pack(const struct ext4_fs *fs, uint8_t *dst, const uint8_t *src,
			 const struct ext4_dx_map *m, uint32_t n)
{
	uint32_t off = 0, end = fs->block_size - (fs->csum ? EXT4_DIR_TAIL_SIZE : 0), i;
	struct ext4_dir_entry *de = NULL;

	memset(dst, 0, fs->block_size);
	for (i = 0; i < n; i++) {
		memcpy(dst + off, src + m[i].off, m[i].size);
		de = (void *)(dst + off);
		de->rec_len = m[i].size;
		off += m[i].size;
	}
	if (de)
		de->rec_len = (uint16_t)(de->rec_len + end - off);
	else
		((struct ext4_dir_entry *)dst)->rec_len = (uint16_t)end;
}

/* Insert (@hash, @blk) after entry @at of frame @f (which has room). */
static void ext4_dx_insert(struct ext4_dx_frame *f, uint32_t hash, uint32_t blk)
{
	uint8_t *e = f->buf + f->coff + 8 * (f->at + 1);

	memmove(e + 8, e, 8 * (f->count - f->at - 1));
	ext4_put32(e, hash);
	ext4_put32(e + 4, blk);
	f->count++;
	ext4_put16(f->buf + f->coff + 2, (uint16_t)f->count);
}

/* A new block at the end of @dir: its logical and physical numbers. */
static int ext4_dx_grow(struct ext4_fs *fs, struct ext4_inode *dir, uint32_t *lblk, uint64_t *pblk)
{
	uint64_t n = dir->size >> (10 + fs->log_block_size);
	int err;

	if (dir->size & (fs->block_size - 1))
		return -EUCLEAN;
	if (n >= EXT4_DX_BLOCK_MASK || dir->size + fs->block_size > EXT4_DIR_SIZE_MAX)
		return -ENOSPC;
	*lblk = (uint32_t)n;
	err = ext4_get_block(fs, dir, *lblk, pblk);
	if (!err)
		dir->size += fs->block_size;
	return err;
}

/* A fresh node block in @buf: the fake entry, then no entries (limit set). */
static void ext4_dx_node_init(const struct ext4_fs *fs, uint8_t *buf)
{
	memset(buf, 0, fs->block_size);
	ext4_put16(buf + 4, (uint16_t)fs->block_size);
	ext4_put16(buf + EXT4_DX_NODE_COFF, (uint16_t)ext4_dx_limit(fs, EXT4_DX_NODE_COFF));
}

/* The root is full and the tree has one level: its entries move into a new node. */
static int ext4_dx_add_level(struct ext4_fs *fs, struct ext4_inode *dir, struct ext4_dx_path *p)
{
	struct ext4_dx_frame *r = &p->f[0], *n = &p->f[1];
	uint32_t lblk;
	int err = ext4_dx_grow(fs, dir, &lblk, &n->pblk);

	if (err)
		return err;
	n->buf = fs->dx + fs->block_size;
	n->coff = EXT4_DX_NODE_COFF;
	ext4_dx_node_init(fs, n->buf);
	memcpy(n->buf + n->coff + 4, r->buf + r->coff + 4, 8 * r->count - 4);
	n->count = r->count;
	n->at = r->at;
	ext4_put16(n->buf + n->coff + 2, (uint16_t)n->count);
	r->count = 1;
	r->at = 0;
	ext4_put16(r->buf + r->coff + 2, 1);
	ext4_put32(r->buf + r->coff + 4, lblk);
	r->buf[EXT4_DX_ROOT_INFO + 6] = 1; /* indirect_levels */
	p->levels = 1;
	err = ext4_dx_write(fs, dir, n->buf, n->coff, n->pblk);
	return err ? err : ext4_dx_write(fs, dir, r->buf, r->coff, r->pblk);
}

/* The bottom node (level 1) is full: its upper half moves to a new node the root points at. */
static int ext4_dx_split_node(struct ext4_fs *fs, struct ext4_inode *dir, struct ext4_dx_path *p)
{
	struct ext4_dx_frame *r = &p->f[0], *n = &p->f[1];
	uint8_t *nb = fs->dx + 2 * (size_t)fs->block_size;
	uint32_t half = n->count / 2, moved = n->count - half, lblk, hash;
	uint64_t pblk;
	int err;

	if (r->count >= ext4_dx_limit(fs, r->coff))
		return -ENOSPC; /* Linux: "Directory index full" without largedir */
	err = ext4_dx_grow(fs, dir, &lblk, &pblk);
	if (err)
		return err;
	ext4_dx_node_init(fs, nb);
	hash = ext4_dx_hash_at(n->buf, n->coff, half);
	memcpy(nb + n->coff, n->buf + n->coff + 8 * half, 8 * moved);
	ext4_put16(nb + n->coff, (uint16_t)ext4_dx_limit(fs, n->coff));
	ext4_put16(nb + n->coff + 2, (uint16_t)moved);
	n->count = half;
	ext4_put16(n->buf + n->coff + 2, (uint16_t)half);
	ext4_dx_insert(r, hash, lblk);
	err = ext4_dx_write(fs, dir, n->buf, n->coff, n->pblk);
	if (!err)
		err = ext4_dx_write(fs, dir, nb, n->coff, pblk);
	if (!err)
		err = ext4_dx_write(fs, dir, r->buf, r->coff, r->pblk);
	if (!err && n->at >= half) { /* follow the half the new leaf goes into */
		memcpy(n->buf, nb, fs->block_size);
		n->pblk = pblk;
		n->at -= half;
		n->count = moved;
		r->at++;
	}
	return err;
}

/* Make room for one more entry in the bottom node of @p. */
static int ext4_dx_room(struct ext4_fs *fs, struct ext4_inode *dir, struct ext4_dx_path *p)
{
	struct ext4_dx_frame *f = &p->f[p->levels];

	if (f->count < ext4_dx_limit(fs, f->coff))
		return 0;
	if (p->levels == 0)
		return ext4_dx_add_level(fs, dir, p);
	return ext4_dx_split_node(fs, dir, p);
}

/*
 * Split the full leaf in fs->data (block @pblk) by hash (do_split): the
 * upper half moves to a new block, indexed after the bottom frame's entry.
 * *@split gets the hash where the new block starts (a new name at or
 * past it goes there); fs->data holds the block the name goes into.
 */
static int ext4_dx_split(struct ext4_fs *fs, struct ext4_inode *dir, struct ext4_dx_path *p,
			 uint64_t pblk, uint32_t hash, uint64_t *target)
{
	struct ext4_dx_map *m = fs->dxmap;
	uint8_t *nb = fs->dx + 2 * (size_t)fs->block_size,
		*old = fs->dx + 3 * (size_t)fs->block_size;
	uint32_t off, rec_len, n = 0, moved = 0, size = 0, split, minor, lblk, h2;
	uint64_t npblk;
	int err = ext4_dx_room(fs, dir, p);

	if (err)
		return err;
	for (off = 0; off < fs->block_size; off += rec_len) {
		const struct ext4_dir_entry *de = (const void *)(fs->data + off);

		err = ext4_dir_entry_ok(fs, de, off, &rec_len);
		if (err)
			return err;
		if (de->inode == 0 || de->name_len == 0)
			continue;
		err = ext4_dx_name_hash(fs, p->version, de->name, de->name_len, &m[n].hash, &minor);
		if (err)
			return err;
		m[n].off = (uint16_t)off;
		m[n++].size = (uint16_t)ext4_rec_len_min(de->name_len);
	}
	if (n < 2)
		return -EUCLEAN; /* a full leaf of fewer than two names is not ours to split */
	ext4_dx_sort(m, n);
	while (moved < n - 1 && size + m[n - 1 - moved].size / 2 <= fs->block_size / 2)
		size += m[n - 1 - moved++].size;
	if (moved == 0)
		moved = 1;
	split = n - moved;
	h2 = m[split].hash + (m[split].hash == m[split - 1].hash); /* bit 0: the run goes on */
	err = ext4_dx_grow(fs, dir, &lblk, &npblk);
	if (err)
		return err;
	memcpy(old, fs->data, fs->block_size);
	ext4_dx_pack(fs, nb, old, m + split, moved);
	ext4_dx_pack(fs, fs->data, old, m, split);
	ext4_dx_insert(&p->f[p->levels], h2, lblk);
	err = ext4_dx_write(fs, dir, p->f[p->levels].buf, p->f[p->levels].coff,
			    p->f[p->levels].pblk);
	if (!err)
		err = ext4_dir_leaf_write(fs, dir, pblk);
	if (!err && hash >= (h2 & ~1u)) {
		memcpy(fs->data, nb, fs->block_size); /* written once the name is in */
		fs->data_blk = 0;
		pblk = npblk;
	} else if (!err) {
		err = ext4_dir_leaf_write_buf(fs, dir, npblk, nb);
	}
	*target = pblk;
	return err;
}

/* Add the entry to indexed @dir: 0, -EOPNOTSUPP (an index this code cannot use), -errno. */
static int ext4_dx_add(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len,
		       uint32_t ino, uint8_t ft)
{
	struct ext4_dx_path p;
	uint32_t major, minor, leaf, hole;
	uint64_t pblk;
	bool dx;
	int err = ext4_dx_root(fs, dir, &p);

	if (!err)
		err = ext4_dx_name_hash(fs, p.version, name, len, &major, &minor);
	if (!err)
		err = ext4_dx_probe(fs, dir, major, &p, &leaf);
	if (!err)
		err = ext4_dir_block(fs, dir, leaf, &dx, &hole);
	if (err <= 0)
		return err ? err : -EUCLEAN;
	pblk = fs->data_blk;
	err = ext4_dir_leaf_add(fs, name, len, ino, ft);
	if (err == 0) {
		err = ext4_dx_split(fs, dir, &p, pblk, major, &pblk);
		if (!err)
			err = ext4_dir_leaf_add(fs, name, len, ino, ft);
		if (err == 0)
			err = -EUCLEAN; /* half a block is always room enough */
	}
	if (err < 0)
		return err;
	return ext4_dir_leaf_write(fs, dir, pblk);
}

/*
 * make_indexed_dir: one-block @dir (its block 0 in fs->data, full) becomes
 * indexed: its entries after ".." move to a new leaf, block 0 becomes the root.
 */
static int ext4_dx_make(struct ext4_fs *fs, struct ext4_inode *dir)
{
	const struct ext4_sb *sb = (const struct ext4_sb *)fs->sb;
	struct ext4_dx_map *m = fs->dxmap;
	uint8_t *root = fs->dx, *leafb = fs->dx + 2 * (size_t)fs->block_size;
	struct ext4_dir_entry *dot = (void *)fs->data, *dotdot;
	struct ext4_dx_root_info info = { .hash_version = sb->def_hash_version,
					  .info_length = EXT4_DX_INFO_LEN };
	uint32_t off, rec_len, n = 0, coff = EXT4_DX_ROOT_INFO + EXT4_DX_INFO_LEN, lblk;
	uint64_t root_pblk = fs->data_blk, leaf_pblk;
	int err;

	if (dot->rec_len != 12 || dot->name_len != 1 || dot->name[0] != '.')
		return -EUCLEAN;
	dotdot = (void *)(fs->data + 12);
	if (dotdot->name_len != 2 || memcmp(dotdot->name, "..", 2) != 0)
		return -EUCLEAN;
	for (off = 12; off < fs->block_size; off += rec_len) {
		const struct ext4_dir_entry *de = (const void *)(fs->data + off);

		err = ext4_dir_entry_ok(fs, de, off, &rec_len);
		if (err)
			return err;
		if (off == 12 || de->inode == 0 || de->name_len == 0)
			continue;
		m[n].off = (uint16_t)off;
		m[n++].size = (uint16_t)ext4_rec_len_min(de->name_len);
	}
	if (info.hash_version > EXT4_DX_HASH_TEA)
		return -EOPNOTSUPP;
	err = ext4_dx_grow(fs, dir, &lblk, &leaf_pblk);
	if (err)
		return err;
	ext4_dx_pack(fs, leafb, fs->data, m, n);
	memset(root, 0, fs->block_size);
	memcpy(root, fs->data, 12 + EXT4_DIR_ENTRY_HEAD + 4); /* ".", and ".." with its name */
	ext4_put16(root + 12 + 4, (uint16_t)(fs->block_size - 12));
	memcpy(root + EXT4_DX_ROOT_INFO, &info, sizeof(info));
	ext4_put16(root + coff, (uint16_t)ext4_dx_limit(fs, coff));
	ext4_put16(root + coff + 2, 1);
	ext4_put32(root + coff + 4, lblk);
	err = ext4_dir_leaf_write_buf(fs, dir, leaf_pblk, leafb);
	if (!err)
		err = ext4_dx_write(fs, dir, root, coff, root_pblk);
	if (err)
		return err;
	dir->flags |= EXT4_INDEX_FL;
	return ext4_inode_write(fs, dir);
}

int ext4_dx_add_entry(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len,
		      uint32_t ino, uint8_t ft)
{
	int err;

	if (!(fs->feat_compat & EXT4_FEATURE_COMPAT_DIR_INDEX) || fs->block_size == 65536)
		return -EOPNOTSUPP; /* 64 KiB: a node's rec_len needs encoding this code lacks */
	if (!(dir->flags & EXT4_INDEX_FL)) {
		uint32_t hole;
		bool dx;

		if (dir->size != fs->block_size)
			return -EOPNOTSUPP; /* Linux indexes a directory only as its first block fills */
		err = ext4_dir_block(fs, dir, 0, &dx, &hole);
		if (err <= 0)
			return err ? err : -EUCLEAN;
		err = ext4_dir_leaf_add(fs, name, len, ino, ft);
		if (err)
			return err < 0 ? err : ext4_dir_leaf_write(fs, dir, fs->data_blk);
		fs->dx_root_ino = 0; /* fs->dx becomes this root, written or not */
		err = ext4_dx_make(fs, dir);
		if (err)
			return err;
	}
	err = ext4_dx_add(fs, dir, name, len, ino, ft);
	fs->dx_root_ino = 0; /* the root in fs->dx may be changed, written or not */
	return err;
}

int ext4_dx_set_dotdot(struct ext4_fs *fs, const struct ext4_inode *dir, uint32_t parent)
{
	struct ext4_dx_path p;
	int err = ext4_dx_root(fs, dir, &p);

	fs->dx_root_ino = 0; /* changed below */
	if (err)
		return err;
	ext4_put32(p.f[0].buf + 12, parent);
	return ext4_dx_write(fs, dir, p.f[0].buf, p.f[0].coff, p.f[0].pblk);
}
