/*
 * The ext4 journal (jbd2).  Recovery: at mount, a journal marked as
 * needing recovery is replayed as Linux's fs/jbd2/recovery.c does, in three
 * passes over the log from s_start: SCAN finds the last committed
 * transaction, REVOKE gathers the revoke records, REPLAY copies each logged
 * block home unless a revoke of the same or a later transaction cancels it.
 * Then the journal is marked empty and the superblock's needs_recovery
 * flag cleared.  Journaling (ordered mode) is the second half of this
 * file, after the recovery code whose helpers it shares.
 *
 * A transaction counts only if its commit block is there, with the right
 * sequence and, with csum v2/v3, a good checksum; a descriptor block with a
 * bad checksum ends the log there (the transaction is not replayed), which
 * is never less safe than Linux, only sometimes more conservative.  Every
 * walk of the log is bounded by the log's length.
 *
 * The journal is big-endian (include/linux/jbd2.h).
 */
#include <lib/crc32c.h>
#include <lib/errno.h>
#include <lib/string.h>

#include "ext4_disk.h"

#define JBD2_MAGIC	      0xC03B3998u
#define JBD2_DESCRIPTOR_BLOCK 1
#define JBD2_COMMIT_BLOCK     2
#define JBD2_SUPERBLOCK_V1    3
#define JBD2_SUPERBLOCK_V2    4
#define JBD2_REVOKE_BLOCK     5

#define JBD2_FEATURE_INCOMPAT_REVOKE	   0x1
#define JBD2_FEATURE_INCOMPAT_64BIT	   0x2
#define JBD2_FEATURE_INCOMPAT_ASYNC_COMMIT 0x4
#define JBD2_FEATURE_INCOMPAT_CSUM_V2	   0x8
#define JBD2_FEATURE_INCOMPAT_CSUM_V3	   0x10
#define JBD2_INCOMPAT_OK                                                                           \
	(JBD2_FEATURE_INCOMPAT_REVOKE | JBD2_FEATURE_INCOMPAT_64BIT |                              \
	 JBD2_FEATURE_INCOMPAT_ASYNC_COMMIT | JBD2_FEATURE_INCOMPAT_CSUM_V2 |                      \
	 JBD2_FEATURE_INCOMPAT_CSUM_V3)

#define JBD2_FLAG_ESCAPE    1 /* the block began with JBD2_MAGIC, zeroed in the log */
#define JBD2_FLAG_SAME_UUID 2 /* no 16-byte UUID follows the tag */
#define JBD2_FLAG_LAST_TAG  8

#define JBD2_HEADER_SIZE   12 /* h_magic, h_blocktype, h_sequence */
#define JBD2_UUID_SIZE	   16
#define JBD2_TAIL_SIZE	   4  /* struct jbd2_journal_block_tail */
#define JBD2_TAG3_SIZE	   16 /* journal_block_tag3_t */
#define JBD2_TAG_SIZE	   12 /* journal_block_tag_t */
#define JBD2_REVOKE_HEADER 16 /* header and r_count */
#define JBD2_SB_SIZE	   1024
/* Offsets in every block's header (journal_header_t) and the superblock (journal_superblock_t). */
#define JBD2_BLOCKTYPE_OFF    4
#define JBD2_SEQUENCE_OFF     8
#define JBD2_SB_BLOCKSIZE_OFF 0x0c
#define JBD2_SB_MAXLEN_OFF    0x10
#define JBD2_SB_FIRST_OFF     0x14
#define JBD2_SB_INCOMPAT_OFF  0x28
#define JBD2_SB_SEQUENCE_OFF  0x18
#define JBD2_SB_START_OFF     0x1c
#define JBD2_SB_UUID_OFF      0x30
#define JBD2_SB_CSUM_OFF      0xfc
#define JBD2_COMMIT_CSUM_OFF  16 /* h_chksum[0] of struct commit_header */

enum { JBD2_PASS_SCAN, JBD2_PASS_REVOKE, JBD2_PASS_REPLAY };

/* A revoke record: block @blk may not be replayed from transactions up to @seq. */
struct jbd2_revoke {
	uint64_t blk;
	uint32_t seq;
};

/* The state of one recovery. */
struct jbd2 {
	struct ext4_fs *fs;
	struct ext4_inode inode; /* the journal's inode */
	uint32_t first, maxlen, start, seq, end_seq, incompat, csum_seed;
	uint8_t *buf, *sb; /* a log block; the journal superblock (one block) */
	struct jbd2_revoke *revoke;
	uint32_t nrevoke, revoke_cap;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool jbd2_csum(const struct jbd2 *j)
{
	return j->incompat & (JBD2_FEATURE_INCOMPAT_CSUM_V2 | JBD2_FEATURE_INCOMPAT_CSUM_V3);
}

/* The filesystem block holding log block @lblk. */
static int jbd2_map(struct jbd2 *j, uint32_t lblk, uint64_t *pblk)
{
	uint32_t count;
	int err = ext4_bmap(j->fs, &j->inode, lblk, pblk, &count);

	if (!err && !*pblk)
		err = -EUCLEAN; /* a journal has no holes */
	return err;
}

static int jbd2_read(struct jbd2 *j, uint32_t lblk, uint8_t *buf)
{
	uint64_t pblk;
	int err = jbd2_map(j, lblk, &pblk);

	return err ? err : ext4_read_block(j->fs, pblk, buf);
}

/* Write around fs->read_only: recovery happens even on a read-only mount, as in Linux. */
static int jbd2_write_fs_block(struct ext4_fs *fs, uint64_t blk, const void *buf)
{
	uint32_t per = fs->block_size / EXT4_DEV_BLOCK;

	if (blk >= fs->blocks_count)
		return -EUCLEAN;
	return fs->dev->write_blocks(fs->dev->ctx, blk * per, per, buf);
}

/* Whole-block checksum with the 4 bytes at @off counted as zero (descriptor, revoke, commit). */
static bool jbd2_block_csum_ok(const struct jbd2 *j, uint8_t *blk, size_t off)
{
	uint32_t want = be32(blk + off), got;

	if (!jbd2_csum(j))
		return true;
	put_be32(blk + off, 0);
	got = crc32c_update(j->csum_seed, blk, j->fs->block_size);
	put_be32(blk + off, want);
	return got == want;
}

/* Size in bytes of one tag in a descriptor block (jbd2.h journal_tag_bytes). */
static size_t jbd2_tag_bytes(const struct jbd2 *j)
{
	size_t sz = JBD2_TAG_SIZE;

	if (j->incompat & JBD2_FEATURE_INCOMPAT_CSUM_V3)
		return JBD2_TAG3_SIZE;
	if (j->incompat & JBD2_FEATURE_INCOMPAT_CSUM_V2)
		sz += 2;
	return (j->incompat & JBD2_FEATURE_INCOMPAT_64BIT) ? sz : sz - 4;
}

/* Log block after @b, wrapping from the end of the log to its first block. */
static uint32_t jbd2_next(const struct jbd2 *j, uint32_t b)
{
	return b + 1 >= j->maxlen ? j->first : b + 1;
}

/* Whether a revoke of block @blk in a transaction >= @seq cancels replaying it from @seq. */
static bool jbd2_revoked(const struct jbd2 *j, uint64_t blk, uint32_t seq)
{
	uint32_t lo = 0, hi = j->nrevoke;

	while (lo < hi) { /* the records are sorted by block, one per block */
		uint32_t mid = lo + (hi - lo) / 2;

		if (j->revoke[mid].blk == blk)
			return (int32_t)(j->revoke[mid].seq - seq) >= 0;
		if (j->revoke[mid].blk < blk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Record the revokes of the revoke block in j->buf (transaction @seq), or count them in SCAN. */
static int jbd2_revoke_block(struct jbd2 *j, int pass, uint32_t seq)
{
	size_t rec = (j->incompat & JBD2_FEATURE_INCOMPAT_64BIT) ? 8 : 4;
	size_t end = be32(j->buf + JBD2_HEADER_SIZE), off;
	size_t limit = j->fs->block_size - (jbd2_csum(j) ? JBD2_TAIL_SIZE : 0);

	if (end > limit || end < JBD2_REVOKE_HEADER)
		return -EUCLEAN;
	for (off = JBD2_REVOKE_HEADER; off + rec <= end; off += rec) {
		uint64_t blk = be32(j->buf + off);

		if (rec == 8)
			blk = blk << 32 | be32(j->buf + off + 4);
		if (pass == JBD2_PASS_SCAN) {
			j->revoke_cap++;
		} else if (pass == JBD2_PASS_REVOKE && j->nrevoke < j->revoke_cap) {
			j->revoke[j->nrevoke].blk = blk;
			j->revoke[j->nrevoke++].seq = seq;
		}
	}
	return 0;
}

/* Sort the revoke records by block and keep one per block, with the latest sequence. */
static void jbd2_revoke_sort(struct jbd2 *j)
{
	uint32_t gap, i, k, n = 0;

	for (gap = j->nrevoke / 2; gap > 0; gap /= 2) /* Shell sort: no recursion, no memory */
		for (i = gap; i < j->nrevoke; i++) {
			struct jbd2_revoke r = j->revoke[i];

			for (k = i; k >= gap && j->revoke[k - gap].blk > r.blk; k -= gap)
				j->revoke[k] = j->revoke[k - gap];
			j->revoke[k] = r;
		}
	for (i = 0; i < j->nrevoke; i++) {
		if (n && j->revoke[n - 1].blk == j->revoke[i].blk) {
			if ((int32_t)(j->revoke[i].seq - j->revoke[n - 1].seq) > 0)
				j->revoke[n - 1].seq = j->revoke[i].seq;
		} else {
			j->revoke[n++] = j->revoke[i];
		}
	}
	j->nrevoke = n;
}

/* Replay the data block for @tag (at @log in the log) of transaction @seq. */
static int jbd2_replay_block(struct jbd2 *j, const uint8_t *tag, uint32_t log, uint32_t seq,
			     uint8_t *data)
{
	bool v3 = j->incompat & JBD2_FEATURE_INCOMPAT_CSUM_V3;
	uint32_t flags = v3 ? be32(tag + 4) : (uint32_t)(tag[6] << 8 | tag[7]);
	uint64_t blk = be32(tag);
	int err;

	if (j->incompat & JBD2_FEATURE_INCOMPAT_64BIT)
		blk |= (uint64_t)be32(tag + 8) << 32;
	if (jbd2_revoked(j, blk, seq))
		return 0;
	err = jbd2_read(j, log, data);
	if (err)
		return err;
	if (jbd2_csum(j)) {
		uint32_t be_seq, c, want = v3 ? be32(tag + 12) : (uint32_t)(tag[4] << 8 | tag[5]);

		put_be32((uint8_t *)&be_seq, seq);
		c = crc32c_update(j->csum_seed, &be_seq, sizeof(be_seq));
		c = crc32c_update(c, data, j->fs->block_size);
		if ((v3 ? c : (c & 0xffff)) != want)
			return -EUCLEAN;
	}
	if (flags & JBD2_FLAG_ESCAPE)
		put_be32(data, JBD2_MAGIC);
	return jbd2_write_fs_block(j->fs, blk, data);
}

/*
 * Walk the tags of the descriptor block in j->buf (at log block *@b), each
 * followed by its data block in the log; in REPLAY, copy each home.
 * Leaves *@b at the last data block.
 */
static int jbd2_descriptor(struct jbd2 *j, int pass, uint32_t *b, uint32_t seq, uint8_t *data)
{
	size_t tag_bytes = jbd2_tag_bytes(j), off = JBD2_HEADER_SIZE;
	size_t end = j->fs->block_size - (jbd2_csum(j) ? JBD2_TAIL_SIZE : 0);
	bool v3 = j->incompat & JBD2_FEATURE_INCOMPAT_CSUM_V3;

	while (off + tag_bytes <= end) {
		const uint8_t *tag = j->buf + off;
		uint32_t flags = v3 ? be32(tag + 4) : (uint32_t)(tag[6] << 8 | tag[7]);

		*b = jbd2_next(j, *b);
		if (pass == JBD2_PASS_REPLAY) {
			int err = jbd2_replay_block(j, tag, *b, seq, data);

			if (err)
				return err;
		}
		off += tag_bytes + ((flags & JBD2_FLAG_SAME_UUID) ? 0 : JBD2_UUID_SIZE);
		if (flags & JBD2_FLAG_LAST_TAG)
			break;
	}
	return 0;
}

/*
 * One pass over the log.  SCAN sets j->end_seq (the first transaction not
 * committed) and counts the revoke records; the later passes stop there.
 */
static int jbd2_pass(struct jbd2 *j, int pass, uint8_t *data)
{
	uint32_t b = j->start, seq = j->seq, steps;
	int err;

	for (steps = 0; steps < j->maxlen; steps++, b = jbd2_next(j, b)) {
		if (pass != JBD2_PASS_SCAN && seq == j->end_seq)
			return 0;
		err = jbd2_read(j, b, j->buf);
		if (err)
			return err;
		if (be32(j->buf) != JBD2_MAGIC || be32(j->buf + JBD2_SEQUENCE_OFF) != seq)
			break; /* the end of the log */
		switch (be32(j->buf + JBD2_BLOCKTYPE_OFF)) {
		case JBD2_DESCRIPTOR_BLOCK:
			if (!jbd2_block_csum_ok(j, j->buf, j->fs->block_size - JBD2_TAIL_SIZE))
				goto end;
			err = jbd2_descriptor(j, pass, &b, seq, data);
			break;
		case JBD2_REVOKE_BLOCK:
			if (!jbd2_block_csum_ok(j, j->buf, j->fs->block_size - JBD2_TAIL_SIZE))
				goto end;
			err = jbd2_revoke_block(j, pass, seq);
			break;
		case JBD2_COMMIT_BLOCK:
			if (!jbd2_block_csum_ok(j, j->buf, JBD2_COMMIT_CSUM_OFF))
				goto end;
			seq++;
			break;
		default:
			goto end;
		}
		if (err)
			return err;
	}
end:
	if (pass == JBD2_PASS_SCAN)
		j->end_seq = seq;
	return pass == JBD2_PASS_SCAN || seq == j->end_seq ? 0 : -EUCLEAN;
}

/* The journal superblock's checksum: crc32c(~0) of its 1024 bytes, s_checksum counted as zero. */
static uint32_t jbd2_sb_csum(const struct jbd2 *j)
{
	static const uint8_t zero[4];
	uint32_t c = crc32c_update(~0u, j->sb, JBD2_SB_CSUM_OFF);

	c = crc32c_update(c, zero, sizeof(zero));
	return crc32c_update(c, j->sb + JBD2_SB_CSUM_OFF + 4, JBD2_SB_SIZE - JBD2_SB_CSUM_OFF - 4);
}

/* Read and check the journal superblock: the log's geometry and features. */
static int jbd2_load(struct jbd2 *j)
{
	const struct ext4_sb *sb = (const struct ext4_sb *)j->fs->sb;
	uint32_t type, bs;
	int err = ext4_iget(j->fs, sb->journal_inum, &j->inode);

	if (err)
		return err;
	err = jbd2_read(j, 0, j->sb);
	if (err)
		return err;
	type = be32(j->sb + JBD2_BLOCKTYPE_OFF);
	bs = be32(j->sb + JBD2_SB_BLOCKSIZE_OFF);
	j->maxlen = be32(j->sb + JBD2_SB_MAXLEN_OFF);
	j->first = be32(j->sb + JBD2_SB_FIRST_OFF);
	j->seq = be32(j->sb + JBD2_SB_SEQUENCE_OFF);
	j->start = be32(j->sb + JBD2_SB_START_OFF);
	j->incompat = type == JBD2_SUPERBLOCK_V2 ? be32(j->sb + JBD2_SB_INCOMPAT_OFF) : 0;
	if (be32(j->sb) != JBD2_MAGIC ||
	    (type != JBD2_SUPERBLOCK_V1 && type != JBD2_SUPERBLOCK_V2) || bs != j->fs->block_size ||
	    j->first == 0 || j->first >= j->maxlen ||
	    j->maxlen > j->inode.size / j->fs->block_size ||
	    (j->start && (j->start < j->first || j->start >= j->maxlen)))
		return -EUCLEAN;
	if (j->incompat & ~(uint32_t)JBD2_INCOMPAT_OK) {
		j->fs->error = "ext4: unsupported journal feature (fast_commit?)";
		return -EINVAL;
	}
	j->csum_seed = crc32c_update(~0u, j->sb + JBD2_SB_UUID_OFF, JBD2_UUID_SIZE);
	if (jbd2_csum(j) && be32(j->sb + JBD2_SB_CSUM_OFF) != jbd2_sb_csum(j))
		return -EUCLEAN;
	return 0;
}

/* Mark the log empty: s_start 0, and a sequence past every transaction in it. */
static int jbd2_reset(struct jbd2 *j)
{
	uint64_t pblk;
	int err = jbd2_map(j, 0, &pblk);

	if (err)
		return err;
	put_be32(j->sb + JBD2_SB_SEQUENCE_OFF, j->end_seq + 1);
	put_be32(j->sb + JBD2_SB_START_OFF, 0);
	if (jbd2_csum(j))
		put_be32(j->sb + JBD2_SB_CSUM_OFF, jbd2_sb_csum(j));
	return jbd2_write_fs_block(j->fs, pblk, j->sb);
}

static int jbd2_flush(struct ext4_fs *fs)
{
	return fs->dev->flush ? fs->dev->flush(fs->dev->ctx) : 0;
}

/* The three passes, then the reset of the log, each made durable before the next step. */
static int jbd2_recover(struct jbd2 *j, uint8_t *data)
{
	int err = jbd2_pass(j, JBD2_PASS_SCAN, data);

	if (err)
		return err;
	if (j->revoke_cap) {
		if (j->revoke_cap > j->maxlen * (j->fs->block_size / 4))
			return -EUCLEAN;
		j->revoke = j->fs->dev->alloc(j->fs->dev->ctx, j->revoke_cap * sizeof(*j->revoke));
		if (!j->revoke)
			return -ENOMEM;
		err = jbd2_pass(j, JBD2_PASS_REVOKE, data);
		if (err)
			return err;
		jbd2_revoke_sort(j);
	}
	err = jbd2_pass(j, JBD2_PASS_REPLAY, data);
	if (!err)
		err = jbd2_flush(j->fs);
	if (!err)
		err = jbd2_reset(j);
	if (!err)
		err = jbd2_flush(j->fs);
	return err;
}

int ext4_journal_empty(struct ext4_fs *fs)
{
	const struct ext4_dev *dev = fs->dev;
	struct jbd2 j = { .fs = fs };
	int err = -ENOMEM;

	if (!(fs->feat_compat & EXT4_FEATURE_COMPAT_HAS_JOURNAL))
		return -EUCLEAN;
	j.buf = dev->alloc(dev->ctx, fs->block_size);
	j.sb = dev->alloc(dev->ctx, fs->block_size);
	if (j.buf && j.sb)
		err = jbd2_load(&j);
	if (j.sb)
		dev->free(dev->ctx, j.sb, fs->block_size);
	if (j.buf)
		dev->free(dev->ctx, j.buf, fs->block_size);
	return err ? err : !j.start;
}

int ext4_journal_replay(struct ext4_fs *fs)
{
	const struct ext4_dev *dev = fs->dev;
	struct jbd2 j = { .fs = fs };
	uint8_t *data;
	int err;

	if (!dev->write_blocks) {
		fs->error = "ext4: the journal needs recovery but the device is read-only";
		return -EROFS;
	}
	if (!(fs->feat_compat & EXT4_FEATURE_COMPAT_HAS_JOURNAL))
		return -EUCLEAN;
	j.buf = dev->alloc(dev->ctx, fs->block_size);
	j.sb = dev->alloc(dev->ctx, fs->block_size);
	data = dev->alloc(dev->ctx, fs->block_size);
	err = -ENOMEM;
	if (j.buf && j.sb && data) {
		err = jbd2_load(&j);
		if (!err && j.start)
			err = jbd2_recover(&j, data);
	}
	if (j.revoke)
		dev->free(dev->ctx, j.revoke, j.revoke_cap * sizeof(*j.revoke));
	if (data)
		dev->free(dev->ctx, data, fs->block_size);
	if (j.sb)
		dev->free(dev->ctx, j.sb, fs->block_size);
	if (j.buf)
		dev->free(dev->ctx, j.buf, fs->block_size);
	if (err && !fs->error)
		fs->error = "ext4: journal recovery failed";
	return err;
}

/*
 * The journal's write side: ordered mode, several committed transactions
 * in the log, checkpointed lazily.
 *
 * Every metadata block the write path changes (ext4_write_block) is kept
 * as a copy in the running transaction instead of being written in place,
 * and reads see the newest copy (ext4_read_block): the running one, else
 * the last committed one not yet written home.  File data goes straight to
 * the device (ext4_write_data).  ext4_journal_commit appends one
 * transaction to the log: (when the log was empty, the journal superblock
 * with s_start), revoke blocks, descriptor blocks with v3 tags and the
 * copies, escaped; a flush, which also makes the data written before it
 * durable (ordered mode); the commit block; a flush.  Two flushes per
 * fsync, as Linux without async_commit (which Linux refuses with
 * data=ordered: a commit block made durable by the same flush as the data
 * may outlive it).  The committed copies stay in memory; a checkpoint
 * writes them all home, flushes, and sets s_start 0 (the log is empty, the
 * next transaction starts again at s_first), flushes: when the log is past
 * half full or holds JBD2_DONE_MAX blocks, when the next transaction would
 * not fit, and at unmount and whole-filesystem sync (ext4_checkpoint, also
 * the commit thread's).  So the log never wraps: a transaction is always
 * written between s_first and the log's end.
 *
 * Blocks freed in the running transaction are not handed out again until
 * it commits (ext4_journal_was_freed): the last committed state may still
 * use them as metadata.  A freed block the log holds gets a revoke record
 * in the freeing transaction, and its copies are dropped: once that
 * transaction commits the block may be written in place as file data,
 * which no replay of an older transaction may then overwrite.
 */

/* A metadata block the journal holds. */
struct jbd2_buf {
	uint64_t blk;
	uint8_t *run;  /* its copy in the running transaction, or NULL */
	uint8_t *done; /* its newest committed copy not yet checkpointed, or NULL */
	uint32_t next; /* the next entry of its hash chain, plus one (0: the end) */
	bool forget;   /* freed by the running transaction: not logged, dropped at commit */
};

/* A range of blocks freed in the running transaction. */
struct jbd2_freed {
	uint64_t blk;
	uint32_t count;
};

#define JBD2_HASH      1024 /* hash chains of the held blocks (a power of two) */
#define JBD2_DSYNC_MAX 32   /* inodes listed for fdatasync per transaction */

struct ext4_journal {
	struct jbd2 j;	  /* j.seq: the running transaction's sequence */
	uint64_t sb_blk;  /* the journal superblock's filesystem block */
	uint8_t *scratch; /* an escaped copy of a logged block */
	struct jbd2_buf *bufs;
	uint32_t nbufs, cap_bufs;
	uint32_t nrun;	/* entries with a running copy to log */
	uint32_t ndone; /* entries with a committed copy */
	uint32_t head;	/* the log block the next transaction starts at (j.first: empty) */
	uint32_t hash[JBD2_HASH]; /* the first entry of each chain, plus one */
	uint64_t *revoke;	  /* blocks the running transaction revokes */
	uint32_t nrevoke, cap_revoke;
	struct jbd2_freed *freed;
	uint32_t nfreed, cap_freed;
	uint32_t dsync
		[JBD2_DSYNC_MAX]; /* inodes whose size or block map the running transaction changed */
	uint32_t ndsync;	  /* JBD2_DSYNC_MAX + 1: too many to list, all count */
};

#define JBD2_SB_CSUM_TYPE_OFF 0x50 /* s_checksum_type */
#define JBD2_CRC32C_CHKSUM    4
#define JBD2_COMMIT_SEC_OFF   0x30 /* h_commit_sec (be64), then h_commit_nsec */
#define JBD2_COMMIT_NSEC_OFF  0x38
#define JBD2_TXN_SOFT_DIVISOR 4 /* commit before an operation once a quarter of the log is used, */
#define JBD2_TXN_SOFT_MAX     512  /* or this many blocks are held, */
#define JBD2_FREED_SOFT_MAX   256  /* or this many freed ranges are held back */
#define JBD2_CKPT_DIVISOR     2	   /* checkpoint after a commit once half the log is used, */
#define JBD2_DONE_MAX	      1024 /* or this many committed copies are held (memory) */

static void *jbd2_grow(struct ext4_fs *fs, void *old, uint32_t n, uint32_t *cap, size_t size)
{
	uint32_t ncap = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return old;
	p = fs->dev->alloc(fs->dev->ctx, ncap * size);
	if (!p)
		return NULL;
	if (old) {
		memcpy(p, old, (size_t)n * size);
		fs->dev->free(fs->dev->ctx, old, *cap * size);
	}
	*cap = ncap;
	return p;
}

static uint32_t jbd2_hash(uint64_t blk)
{
	return (uint32_t)((blk * 0x9E3779B97F4A7C15ull) >> 54) & (JBD2_HASH - 1); /* Fibonacci */
}

static struct jbd2_buf *jbd2_find(struct ext4_journal *jn, uint64_t blk)
{
	uint32_t e;

	for (e = jn->hash[jbd2_hash(blk)]; e; e = jn->bufs[e - 1].next)
		if (jn->bufs[e - 1].blk == blk)
			return &jn->bufs[e - 1];
	return NULL;
}

/* A new entry for @blk, no copies yet; NULL without memory. */
static struct jbd2_buf *jbd2_add(struct ext4_fs *fs, struct ext4_journal *jn, uint64_t blk)
{
	struct jbd2_buf *nb = jbd2_grow(fs, jn->bufs, jn->nbufs, &jn->cap_bufs, sizeof(*nb));
	uint32_t h = jbd2_hash(blk);

	if (!nb)
		return NULL;
	jn->bufs = nb;
	nb = &jn->bufs[jn->nbufs++];
	*nb = (struct jbd2_buf){ .blk = blk, .next = jn->hash[h] };
	jn->hash[h] = jn->nbufs;
	return nb;
}

/* Drop the entries with no copy left and rebuild the chains. */
static void jbd2_compact(struct ext4_journal *jn)
{
	uint32_t i, n = 0, h;

	memset(jn->hash, 0, sizeof(jn->hash));
	for (i = 0; i < jn->nbufs; i++) {
		if (!jn->bufs[i].run && !jn->bufs[i].done)
			continue;
		jn->bufs[n] = jn->bufs[i];
		h = jbd2_hash(jn->bufs[n].blk);
		jn->bufs[n].next = jn->hash[h];
		jn->hash[h] = ++n;
	}
	jn->nbufs = n;
}

static void jbd2_free_copy(struct ext4_fs *fs, uint8_t **p)
{
	if (*p)
		fs->dev->free(fs->dev->ctx, *p, fs->block_size);
	*p = NULL;
}

bool ext4_journal_read(struct ext4_fs *fs, uint64_t blk, void *buf)
{
	struct jbd2_buf *b = fs->jnl ? jbd2_find(fs->jnl, blk) : NULL;
	const uint8_t *data = b ? (b->run ? b->run : b->done) : NULL;

	if (data)
		memcpy(buf, data, fs->block_size);
	return data != NULL;
}

int ext4_journal_dirty(struct ext4_fs *fs, uint64_t blk, const void *buf)
{
	struct ext4_journal *jn = fs->jnl;
	struct jbd2_buf *b = jbd2_find(jn, blk);

	if (!b && !(b = jbd2_add(fs, jn, blk)))
		return -ENOMEM;
	if (!b->run) {
		b->run = fs->dev->alloc(fs->dev->ctx, fs->block_size);
		if (!b->run)
			return -ENOMEM; /* an entry with no copy: dropped at the next compaction */
		jn->nrun += !b->forget;
	}
	memcpy(b->run, buf, fs->block_size);
	return 0;
}

/* Block @blk, freed by the running transaction: revoke it if the log holds it, log it no more. */
static int jbd2_forget(struct ext4_fs *fs, struct ext4_journal *jn, struct jbd2_buf *b)
{
	uint64_t *r;

	if (b->forget)
		return 0;
	if (b->done) {
		r = jbd2_grow(fs, jn->revoke, jn->nrevoke, &jn->cap_revoke, sizeof(*r));
		if (!r)
			return -ENOMEM;
		jn->revoke = r;
		jn->revoke[jn->nrevoke++] = b->blk;
	}
	b->forget = true;
	jn->nrun -= b->run != NULL;
	return 0;
}

int ext4_journal_freed(struct ext4_fs *fs, uint64_t blk, uint32_t count)
{
	struct ext4_journal *jn = fs->jnl;
	struct jbd2_freed *f;
	uint32_t k;
	int err = 0;

	if (!jn)
		return 0;
	f = jbd2_grow(fs, jn->freed, jn->nfreed, &jn->cap_freed, sizeof(*f));
	if (!f)
		return -ENOMEM;
	jn->freed = f;
	jn->freed[jn->nfreed++] = (struct jbd2_freed){ blk, count };
	/* Whichever is shorter: a look-up per freed block, or a pass over the held ones. */
	for (k = 0; !err && count <= jn->nbufs && k < count; k++) {
		struct jbd2_buf *b = jbd2_find(jn, blk + k);

		err = b ? jbd2_forget(fs, jn, b) : 0;
	}
	for (k = 0; !err && count > jn->nbufs && k < jn->nbufs; k++)
		if (jn->bufs[k].blk >= blk && jn->bufs[k].blk - blk < count)
			err = jbd2_forget(fs, jn, &jn->bufs[k]);
	return err;
}

bool ext4_journal_was_freed(const struct ext4_fs *fs, uint64_t blk)
{
	uint32_t i;

	for (i = 0; fs->jnl && i < fs->jnl->nfreed; i++)
		if (blk >= fs->jnl->freed[i].blk &&
		    blk - fs->jnl->freed[i].blk < fs->jnl->freed[i].count)
			return true;
	return false;
}

/* Tags that fit in one descriptor block after the first (which carries the UUID). */
static uint32_t jbd2_tags_per_desc(const struct jbd2 *j)
{
	size_t room = j->fs->block_size - JBD2_HEADER_SIZE - (jbd2_csum(j) ? JBD2_TAIL_SIZE : 0);

	return (uint32_t)((room - JBD2_UUID_SIZE) / jbd2_tag_bytes(j));
}

/* Bytes of one revoke record (jbd2 writes 8 with the 64bit feature). */
static size_t jbd2_revoke_rec(const struct jbd2 *j)
{
	return (j->incompat & JBD2_FEATURE_INCOMPAT_64BIT) ? 8 : 4;
}

/* Revoke records that fit in one revoke block. */
static uint32_t jbd2_revokes_per_block(const struct jbd2 *j)
{
	size_t room = j->fs->block_size - JBD2_REVOKE_HEADER - (jbd2_csum(j) ? JBD2_TAIL_SIZE : 0);

	return (uint32_t)(room / jbd2_revoke_rec(j));
}

/* Log blocks the running transaction takes: revoke blocks, descriptors, the blocks, the commit block. */
static uint32_t jbd2_txn_len(const struct ext4_journal *jn)
{
	uint32_t per = jbd2_tags_per_desc(&jn->j), rper = jbd2_revokes_per_block(&jn->j);

	return jn->nrun + (jn->nrun + per - 1) / per + (jn->nrevoke + rper - 1) / rper + 1;
}

static int jbd2_write_log(struct jbd2 *j, uint32_t lblk, const uint8_t *buf)
{
	uint64_t pblk;
	int err = jbd2_map(j, lblk, &pblk);

	return err ? err : jbd2_write_fs_block(j->fs, pblk, buf);
}

static void jbd2_header(uint8_t *buf, uint32_t type, uint32_t seq)
{
	put_be32(buf, JBD2_MAGIC);
	put_be32(buf + JBD2_BLOCKTYPE_OFF, type);
	put_be32(buf + JBD2_SEQUENCE_OFF, seq);
}

/* Fill tag @tag for @b, logged as @data (escaped), in transaction @seq. */
static void jbd2_tag(const struct jbd2 *j, uint8_t *tag, uint64_t blk, const uint8_t *data,
		     uint32_t flags, uint32_t seq)
{
	bool v3 = j->incompat & JBD2_FEATURE_INCOMPAT_CSUM_V3;

	memset(tag, 0, jbd2_tag_bytes(j));
	put_be32(tag, (uint32_t)blk);
	if (j->incompat & JBD2_FEATURE_INCOMPAT_64BIT)
		put_be32(tag + 8, (uint32_t)(blk >> 32));
	if (v3) {
		uint32_t be_seq, c;

		put_be32(tag + 4, flags);
		put_be32((uint8_t *)&be_seq, seq);
		c = crc32c_update(j->csum_seed, &be_seq, sizeof(be_seq));
		put_be32(tag + 12, crc32c_update(c, data, j->fs->block_size));
	} else {
		tag[6] = (uint8_t)(flags >> 8);
		tag[7] = (uint8_t)flags;
	}
}

/* Checksum a descriptor or revoke block's tail (v2/v3), as jbd2_descriptor_block_csum_set. */
static void jbd2_block_csum_set(const struct jbd2 *j, uint8_t *buf, size_t off)
{
	if (!jbd2_csum(j))
		return;
	put_be32(buf + off, 0);
	put_be32(buf + off, crc32c_update(j->csum_seed, buf, j->fs->block_size));
}

/* Whether entry @b has a running copy to log. */
static bool jbd2_logged(const struct jbd2_buf *b)
{
	return b->run && !b->forget;
}

/*
 * Write one descriptor block at log block *@b and the running copies of
 * bufs[*@i...] after it, as many as fit; advance *@b past them and *@i.
 */
static int jbd2_write_desc(struct ext4_journal *jn, uint32_t *b, uint32_t *i)
{
	struct jbd2 *j = &jn->j;
	size_t off = JBD2_HEADER_SIZE, tb = jbd2_tag_bytes(j);
	size_t end = j->fs->block_size - (jbd2_csum(j) ? JBD2_TAIL_SIZE : 0);
	uint32_t desc = *b;
	uint8_t *tag = NULL;
	int err;

	memset(j->buf, 0, j->fs->block_size);
	jbd2_header(j->buf, JBD2_DESCRIPTOR_BLOCK, j->seq);
	for (; *i < jn->nbufs && off + tb + (off == JBD2_HEADER_SIZE ? JBD2_UUID_SIZE : 0) <= end;
	     (*i)++) {
		const struct jbd2_buf *bf = &jn->bufs[*i];
		uint32_t flags = off == JBD2_HEADER_SIZE ? 0 : JBD2_FLAG_SAME_UUID;

		if (!jbd2_logged(bf))
			continue;
		memcpy(jn->scratch, bf->run, j->fs->block_size);
		if (be32(jn->scratch) == JBD2_MAGIC) {
			put_be32(jn->scratch, 0);
			flags |= JBD2_FLAG_ESCAPE;
		}
		tag = j->buf + off;
		jbd2_tag(j, tag, bf->blk, jn->scratch, flags, j->seq);
		off += tb;
		if (!(flags & JBD2_FLAG_SAME_UUID)) {
			memcpy(j->buf + off, j->sb + JBD2_SB_UUID_OFF, JBD2_UUID_SIZE);
			off += JBD2_UUID_SIZE;
		}
		*b = jbd2_next(j, *b);
		err = jbd2_write_log(j, *b, jn->scratch);
		if (err)
			return err;
	}
	if (tag) { /* the last tag: set JBD2_FLAG_LAST_TAG where this format keeps the flags */
		if (j->incompat & JBD2_FEATURE_INCOMPAT_CSUM_V3)
			put_be32(tag + 4, be32(tag + 4) | JBD2_FLAG_LAST_TAG);
		else
			tag[7] |= JBD2_FLAG_LAST_TAG;
	}
	jbd2_block_csum_set(j, j->buf, j->fs->block_size - JBD2_TAIL_SIZE);
	*b = jbd2_next(j, *b);
	return jbd2_write_log(j, desc, j->buf);
}

/* Write the running transaction's revoke records from revoke[*@i] on into one revoke block at *@b. */
static int jbd2_write_revoke(struct ext4_journal *jn, uint32_t *b, uint32_t *i)
{
	struct jbd2 *j = &jn->j;
	size_t rec = jbd2_revoke_rec(j), off = JBD2_REVOKE_HEADER;
	uint32_t n;
	int err;

	memset(j->buf, 0, j->fs->block_size);
	jbd2_header(j->buf, JBD2_REVOKE_BLOCK, j->seq);
	for (n = 0; n < jbd2_revokes_per_block(j) && *i < jn->nrevoke; n++, (*i)++, off += rec) {
		uint64_t blk = jn->revoke[*i];

		if (rec == 8)
			put_be32(j->buf + off, (uint32_t)(blk >> 32));
		put_be32(j->buf + off + rec - 4, (uint32_t)blk);
	}
	put_be32(j->buf + JBD2_HEADER_SIZE, (uint32_t)off); /* r_count: bytes used */
	jbd2_block_csum_set(j, j->buf, j->fs->block_size - JBD2_TAIL_SIZE);
	err = jbd2_write_log(j, *b, j->buf);
	*b = jbd2_next(j, *b);
	return err;
}

/* The journal superblock with @start and @seq, its checksum updated. */
static int jbd2_sb_write(struct ext4_journal *jn, uint32_t start, uint32_t seq)
{
	struct jbd2 *j = &jn->j;

	put_be32(j->sb + JBD2_SB_SEQUENCE_OFF, seq);
	put_be32(j->sb + JBD2_SB_START_OFF, start);
	if (jbd2_csum(j))
		put_be32(j->sb + JBD2_SB_CSUM_OFF, jbd2_sb_csum(j));
	return jbd2_write_fs_block(j->fs, jn->sb_blk, j->sb);
}

static int jbd2_write_commit(struct ext4_journal *jn, uint32_t b)
{
	struct jbd2 *j = &jn->j;
	int64_t sec = 0;
	uint32_t nsec = 0;

	if (j->fs->dev->now)
		j->fs->dev->now(j->fs->dev->ctx, &sec, &nsec);
	memset(j->buf, 0, j->fs->block_size);
	jbd2_header(j->buf, JBD2_COMMIT_BLOCK, j->seq);
	put_be32(j->buf + JBD2_COMMIT_SEC_OFF, (uint32_t)((uint64_t)sec >> 32));
	put_be32(j->buf + JBD2_COMMIT_SEC_OFF + 4, (uint32_t)sec);
	put_be32(j->buf + JBD2_COMMIT_NSEC_OFF, nsec);
	jbd2_block_csum_set(j, j->buf, JBD2_COMMIT_CSUM_OFF);
	return jbd2_write_log(j, b, j->buf);
}

/*
 * Write every committed copy home, flush, then mark the log empty (s_start
 * 0, s_sequence the running transaction's), flush.  The running
 * transaction's copies stay.
 */
static int jbd2_checkpoint(struct ext4_journal *jn)
{
	struct ext4_fs *fs = jn->j.fs;
	uint32_t i;
	int err = 0;

	if (jn->head == jn->j.first)
		return 0;
	for (i = 0; !err && i < jn->nbufs; i++)
		if (jn->bufs[i].done)
			err = jbd2_write_fs_block(fs, jn->bufs[i].blk, jn->bufs[i].done);
	if (!err)
		err = jbd2_flush(fs);
	if (!err)
		err = jbd2_sb_write(jn, 0, jn->j.seq);
	if (!err)
		err = jbd2_flush(fs);
	if (err)
		return err;
	for (i = 0; i < jn->nbufs; i++)
		jbd2_free_copy(fs, &jn->bufs[i].done);
	jn->ndone = 0;
	jn->head = jn->j.first;
	jbd2_compact(jn);
	return 0;
}

/* The running transaction committed (or had nothing to log): its copies become the committed ones. */
static void jbd2_txn_end(struct ext4_journal *jn)
{
	struct ext4_fs *fs = jn->j.fs;
	uint32_t i;

	for (i = 0; i < jn->nbufs; i++) {
		struct jbd2_buf *b = &jn->bufs[i];

		if (b->forget) { /* revoked, or never logged: the block is free now */
			jn->ndone -= b->done != NULL;
			jbd2_free_copy(fs, &b->run);
			jbd2_free_copy(fs, &b->done);
			b->forget = false;
		} else if (b->run) {
			jn->ndone += !b->done;
			jbd2_free_copy(fs, &b->done);
			b->done = b->run;
			b->run = NULL;
		}
	}
	jn->nrun = jn->nrevoke = jn->nfreed = jn->ndsync = 0;
	jbd2_compact(jn);
}

void ext4_journal_dsync(struct ext4_fs *fs, uint32_t ino)
{
	struct ext4_journal *jn = fs->jnl;
	uint32_t i;

	if (!jn || jn->ndsync > JBD2_DSYNC_MAX)
		return;
	for (i = 0; i < jn->ndsync; i++)
		if (jn->dsync[i] == ino)
			return;
	if (jn->ndsync < JBD2_DSYNC_MAX)
		jn->dsync[jn->ndsync] = ino;
	jn->ndsync++;
}

/* Whether the running transaction changed inode @ino's size or block map. */
static bool jbd2_dsync_pending(const struct ext4_journal *jn, uint32_t ino)
{
	uint32_t i;

	for (i = 0; i < jn->ndsync && i < JBD2_DSYNC_MAX; i++)
		if (jn->dsync[i] == ino)
			return true;
	return jn->ndsync > JBD2_DSYNC_MAX;
}

int ext4_journal_sync_data(struct ext4_fs *fs, uint32_t ino)
{
	if (jbd2_dsync_pending(fs->jnl, ino))
		return ext4_journal_commit(fs);
	return jbd2_flush(fs); /* the data written in place; timestamps ride the next commit */
}

bool ext4_pending(const struct ext4_fs *fs)
{
	const struct ext4_journal *jn = fs->jnl;

	return !fs->read_only &&
	       (fs->sb_dirty || (jn && (jn->nrun || jn->nrevoke || jn->head != jn->j.first)));
}

/* The first entry from @i on with a running copy to log, or nbufs. */
static uint32_t jbd2_next_logged(const struct ext4_journal *jn, uint32_t i)
{
	while (i < jn->nbufs && !jbd2_logged(&jn->bufs[i]))
		i++;
	return i;
}

/* Append the running transaction to the log: revokes, descriptors and copies, flush, commit block, flush. */
static int jbd2_commit_log(struct ext4_journal *jn)
{
	struct jbd2 *j = &jn->j;
	uint32_t b = jn->head, i = 0, r = 0;
	int err = 0;

	if (b == j->first) /* the log was empty: it starts here now */
		err = jbd2_sb_write(jn, j->first, j->seq);
	while (!err && r < jn->nrevoke)
		err = jbd2_write_revoke(jn, &b, &r);
	while (!err && (i = jbd2_next_logged(jn, i)) < jn->nbufs)
		err = jbd2_write_desc(jn, &b, &i);
	if (!err)
		err = jbd2_flush(
			j->fs); /* the log and the transaction's file data (ordered mode) */
	if (!err)
		err = jbd2_write_commit(jn, b);
	if (!err)
		err = jbd2_flush(j->fs);
	if (!err)
		jn->head = b + 1;
	return err;
}

int ext4_journal_commit(struct ext4_fs *fs)
{
	struct ext4_journal *jn = fs->jnl;
	struct jbd2 *j = &jn->j;
	int err = 0;

	if (fs->sb_dirty) {
		err = ext4_super_write(fs);
		if (err)
			return err;
		fs->sb_dirty = false;
	}
	if (!jn->nrun && !jn->nrevoke) {
		jbd2_txn_end(jn);
		return jbd2_flush(fs); /* the file data written in place */
	}
	if (jbd2_txn_len(jn) > j->maxlen - jn->head)
		err = jbd2_checkpoint(jn);
	if (!err && jbd2_txn_len(jn) > j->maxlen - j->first)
		err = -ENOSPC; /* one operation changed more than the log holds */
	if (!err)
		err = jbd2_commit_log(jn);
	if (err)
		return err;
	j->seq++;
	jbd2_txn_end(jn);
	if (jn->head - j->first > (j->maxlen - j->first) / JBD2_CKPT_DIVISOR ||
	    jn->ndone > JBD2_DONE_MAX)
		err = jbd2_checkpoint(jn);
	return err;
}

int ext4_journal_checkpoint(struct ext4_fs *fs)
{
	struct ext4_journal *jn = fs->jnl;
	int err = 0;

	if (fs->sb_dirty || jn->nrun || jn->nrevoke)
		err = ext4_journal_commit(fs);
	if (err)
		return err;
	if (jn->head == jn->j.first)
		return jbd2_flush(fs); /* the file data written in place */
	return jbd2_checkpoint(jn);    /* its first flush covers the file data */
}

int ext4_journal_room(struct ext4_fs *fs)
{
	struct ext4_journal *jn = fs->jnl;

	if (!jn || (jbd2_txn_len(jn) <= (jn->j.maxlen - jn->j.first) / JBD2_TXN_SOFT_DIVISOR &&
		    jn->nrun < JBD2_TXN_SOFT_MAX && jn->nfreed < JBD2_FREED_SOFT_MAX))
		return 0;
	return ext4_journal_commit(fs);
}

/* Take the journal for writing: checksums v3 with metadata_csum, 64-bit tags with 64bit, as Linux sets them. */
static int jbd2_open_log(struct ext4_journal *jn)
{
	struct jbd2 *j = &jn->j;
	uint32_t count;
	int err = jbd2_load(j);

	if (!err)
		err = ext4_bmap(j->fs, &j->inode, 0, &jn->sb_blk, &count);
	if (err)
		return err;
	if (!jn->sb_blk || j->start || be32(j->sb + JBD2_BLOCKTYPE_OFF) != JBD2_SUPERBLOCK_V2) {
		/* Recovery ran at mount if needs_recovery was set: a log left now is e2fsck's to judge. */
		j->fs->error =
			"ext4: the journal holds a log but needs_recovery is clear, or is v1";
		return -EUCLEAN;
	}
	if (j->fs->csum) {
		j->incompat &= ~(uint32_t)JBD2_FEATURE_INCOMPAT_CSUM_V2;
		j->incompat |= JBD2_FEATURE_INCOMPAT_CSUM_V3;
		j->sb[JBD2_SB_CSUM_TYPE_OFF] = JBD2_CRC32C_CHKSUM;
	}
	if (j->fs->feat_incompat & EXT4_FEATURE_INCOMPAT_64BIT)
		j->incompat |= JBD2_FEATURE_INCOMPAT_64BIT;
	j->incompat |= JBD2_FEATURE_INCOMPAT_REVOKE;
	put_be32(j->sb + JBD2_SB_INCOMPAT_OFF, j->incompat);
	jn->head = j->first;
	return jbd2_sb_write(jn, 0, j->seq);
}

void ext4_journal_close(struct ext4_fs *fs)
{
	struct ext4_journal *jn = fs->jnl;
	const struct ext4_dev *dev = fs->dev;
	uint32_t i;

	if (!jn)
		return;
	fs->jnl = NULL;
	for (i = 0; i < jn->nbufs; i++) {
		jbd2_free_copy(fs, &jn->bufs[i].run);
		jbd2_free_copy(fs, &jn->bufs[i].done);
	}
	if (jn->bufs)
		dev->free(dev->ctx, jn->bufs, jn->cap_bufs * sizeof(*jn->bufs));
	if (jn->revoke)
		dev->free(dev->ctx, jn->revoke, jn->cap_revoke * sizeof(*jn->revoke));
	if (jn->freed)
		dev->free(dev->ctx, jn->freed, jn->cap_freed * sizeof(*jn->freed));
	if (jn->scratch)
		dev->free(dev->ctx, jn->scratch, fs->block_size);
	if (jn->j.buf)
		dev->free(dev->ctx, jn->j.buf, fs->block_size);
	if (jn->j.sb)
		dev->free(dev->ctx, jn->j.sb, fs->block_size);
	dev->free(dev->ctx, jn, sizeof(*jn));
}

int ext4_journal_open(struct ext4_fs *fs)
{
	const struct ext4_dev *dev = fs->dev;
	struct ext4_journal *jn = dev->alloc(dev->ctx, sizeof(*jn));
	int err;

	if (!jn)
		return -ENOMEM;
	memset(jn, 0, sizeof(*jn));
	jn->j.fs = fs;
	jn->j.buf = dev->alloc(dev->ctx, fs->block_size);
	jn->j.sb = dev->alloc(dev->ctx, fs->block_size);
	jn->scratch = dev->alloc(dev->ctx, fs->block_size);
	err = jn->j.buf && jn->j.sb && jn->scratch ? jbd2_open_log(jn) : -ENOMEM;
	if (!err)
		err = jbd2_flush(fs);
	fs->jnl = jn;
	if (err)
		ext4_journal_close(fs);
	return err;
}
