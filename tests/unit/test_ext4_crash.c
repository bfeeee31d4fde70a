/*
 * Crash tests of ext4's journaling (kernel/lib/ext4/journal.c): a workload
 * (create, write, rename, unlink, mkdir, rmdir, truncate, link, fsync) runs
 * on a device in memory that records every write and flush.  Then, for
 * every point N of that record, a "power cut" after event N keeps what was
 * flushed (in a second mode, also a random subset of the writes issued
 * since the last flush, as a disk's cache may keep), the image is mounted
 * (which replays the journal), every file an ext4_sync acknowledged before
 * the cut must read back whole, and after unmount `e2fsck -fn` must find
 * the image clean.  Images cut while the log held a committed transaction
 * are also replayed by e2fsck itself (-fy, then -fn clean) and read back
 * the same, and debugfs's logdump must read our log.  The log keeps
 * several committed transactions until a checkpoint: workloads cover a
 * log holding many, restarted at its first block over older ones, and a
 * revoked block reused as file data; a fsync's flushes are counted.
 */
#include "unit.h"
#include "ext4_host.h"

#define CRASH_FILES	6	    /* files fsync'ed by the workload */
#define CRASH_FILES_MAX 64	    /* files fsync'ed by the longest workload */
#define CRASH_EVENTS	100000	    /* the record's bound */
#define CRASH_SEED	0x2545F491u /* xorshift32 seed of the subset mode */

/* One event of the record: a write of @count device blocks at @blk (data at @off), or a flush. */
struct crash_event {
	bool flush;
	uint64_t blk;
	uint32_t count;
	size_t off;
};

/* The recording device: the image as the system sees it, and the record. */
struct crash_dev {
	uint8_t *img;
	size_t size;
	bool record;
	struct crash_event *ev;
	size_t nev;
	uint8_t *arena; /* the written data, in order */
	size_t arena_len, arena_cap;
};

static char tmpdir[] = "/tmp/monos-ext4c-XXXXXX";
static char img[4200], copy[4200];
static struct crash_dev cd;
static uint8_t *base;		      /* the image before the workload */
static size_t acked[CRASH_FILES_MAX]; /* the event count when file i's sync returned (0: never) */
static uint64_t jsb_blk;	      /* the journal superblock's filesystem block */
static uint32_t block_size;
static int e2fsck_replays; /* cuts e2fsck replayed a committed transaction from */

static int crash_read(void *ctx, uint64_t blk, uint32_t count, void *buf)
{
	struct crash_dev *d = ctx;

	if ((blk + count) * EXT4_DEV_BLOCK > d->size)
		return -EIO;
	memcpy(buf, d->img + blk * EXT4_DEV_BLOCK, (size_t)count * EXT4_DEV_BLOCK);
	return 0;
}

static int crash_write(void *ctx, uint64_t blk, uint32_t count, const void *buf)
{
	struct crash_dev *d = ctx;
	size_t len = (size_t)count * EXT4_DEV_BLOCK;

	if ((blk + count) * EXT4_DEV_BLOCK > d->size)
		return -EIO;
	memcpy(d->img + blk * EXT4_DEV_BLOCK, buf, len);
	if (!d->record || d->nev == CRASH_EVENTS)
		return 0;
	if (d->arena_len + len > d->arena_cap) {
		d->arena_cap = (d->arena_cap + len) * 2;
		d->arena = realloc(d->arena, d->arena_cap);
	}
	memcpy(d->arena + d->arena_len, buf, len);
	d->ev[d->nev++] = (struct crash_event){ false, blk, count, d->arena_len };
	d->arena_len += len;
	return 0;
}

static int crash_flush(void *ctx)
{
	struct crash_dev *d = ctx;

	if (d->record && d->nev < CRASH_EVENTS)
		d->ev[d->nev++] = (struct crash_event){ .flush = true };
	return 0;
}

static struct ext4_dev crash_ext4_dev = { .ctx = &cd,
					  .read_blocks = crash_read,
					  .write_blocks = crash_write,
					  .flush = crash_flush,
					  .alloc = host_alloc,
					  .free = host_free,
					  .now = host_now };

/* File i's content: @len bytes of a pattern of its own. */
static size_t crash_file(int i, uint8_t *buf)
{
	size_t len = 700 + (size_t)(i % CRASH_FILES) * 1500, k;

	for (k = 0; k < len; k++)
		buf[k] = (uint8_t)(k * 7 + (size_t)i * 13 + k / 251);
	return len;
}

static void crash_name(char *buf, const char *prefix, int i)
{
	snprintf(buf, 32, "%s%d", prefix, i);
}

/* Make /NAME with @len bytes of @data; its inode into @out. */
static int crash_make(struct ext4_fs *fs, struct ext4_inode *dir, const char *name,
		      const uint8_t *data, size_t len, struct ext4_inode *out)
{
	int err = ext4_create(fs, dir, name, strlen(name), EXT4_S_IFREG | 0644, 0, 0, NULL, out);

	if (!err && len && ext4_write(fs, out, 0, data, len) != (int64_t)len)
		err = -EIO;
	return err;
}

/* The churn of step @i: names made, renamed, truncated, linked and removed around the synced files. */
static void crash_churn(struct ext4_fs *fs, struct ext4_inode *root, int i, const uint8_t *data)
{
	char t[32], u[32], d[32], old[32];
	struct ext4_inode in, dir;

	crash_name(t, "t", i);
	crash_name(u, "u", i);
	crash_name(d, "d", i);
	CHECK_EQ(crash_make(fs, root, t, data, 3000 + (size_t)i * 900, &in), 0);
	CHECK_EQ(ext4_rename(fs, root, t, strlen(t), root, u, strlen(u)), 0);
	CHECK_EQ(ext4_create(fs, root, d, strlen(d), EXT4_S_IFDIR | 0755, 0, 0, NULL, &dir), 0);
	CHECK_EQ(crash_make(fs, &dir, "x", data, 2000, &in), 0);
	CHECK_EQ(ext4_link(fs, root, t, strlen(t), &in), 0);
	if (i >= 1) {
		struct ext4_inode prev;

		crash_name(old, "u", i - 1);
		CHECK_EQ(ext4_namei(fs, "/", root), 0);
		CHECK_EQ(ext4_lookup(fs, root, old, strlen(old), &prev.ino), 0);
		CHECK_EQ(ext4_iget(fs, prev.ino, &prev), 0);
		CHECK_EQ(ext4_truncate(fs, &prev, 1000), 0);
		crash_name(old, "d", i - 1);
		CHECK_EQ(ext4_namei(fs, "/", root), 0);
		CHECK_EQ(ext4_lookup(fs, root, old, strlen(old), &dir.ino), 0);
		CHECK_EQ(ext4_iget(fs, dir.ino, &dir), 0);
		CHECK_EQ(ext4_unlink(fs, &dir, "x", 1), 0);
		CHECK_EQ(ext4_rmdir(fs, root, old, strlen(old)), 0);
	}
	if (i >= 2) {
		crash_name(old, "u", i - 2);
		CHECK_EQ(ext4_unlink(fs, root, old, strlen(old)), 0);
	}
	CHECK_EQ(ext4_namei(fs, "/", root), 0);
}

/* Mount the device, recording from the mount on (it sets needs_recovery and the journal's features). */
static void crash_mount(struct ext4_fs *fs)
{
	cd.record = true;
	CHECK_EQ(ext4_mount(fs, &crash_ext4_dev, 0), 0);
	CHECK(fs->jnl != NULL);
	jsb_blk = fs->jnl ? fs->jnl->sb_blk : 0;
	block_size = fs->block_size;
}

/* The workload, recorded: each step syncs one file after churn around it. */
static void crash_workload(void)
{
	static uint8_t data[CRASH_FILES * 1500 + 8000];
	struct ext4_fs fs;
	struct ext4_inode root, in;
	char p[32];
	int i;

	crash_mount(&fs);
	CHECK_EQ(ext4_namei(&fs, "/", &root), 0);
	for (i = 0; i < CRASH_FILES; i++) {
		size_t len;

		/* The churn first: blocks it frees must not take p's data before the commit. */
		crash_churn(&fs, &root, i, data);
		len = crash_file(i, data);
		crash_name(p, "p", i);
		CHECK_EQ(crash_make(&fs, &root, p, data, len, &in), 0);
		CHECK_EQ(ext4_sync(&fs), 0);
		acked[i] = cd.nev;
	}
	ext4_unmount(&fs);
	cd.record = false;
}

/* Every file acknowledged by event @n reads back whole in the mounted @fs. */
static void crash_check_acked(struct ext4_fs *fs, size_t n)
{
	static uint8_t want[CRASH_FILES * 1500 + 8000], got[sizeof(want)];
	struct ext4_inode in;
	char p[32];
	int i;

	for (i = 0; i < CRASH_FILES_MAX; i++) {
		size_t len = crash_file(i, want);

		if (!acked[i] || acked[i] > n)
			continue;
		snprintf(p, sizeof(p), "/p%d", i);
		CHECK_EQ(ext4_namei(fs, p, &in), 0);
		CHECK_EQ(in.size, len);
		CHECK_EQ(ext4_read(fs, &in, 0, got, len), (int64_t)len);
		CHECK(memcmp(got, want, len) == 0);
	}
}

static uint32_t crash_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* The image after a cut at event @n: what was flushed, and with @subset a random part of the rest. */
static void crash_cut(size_t n, bool subset, uint32_t *rnd)
{
	size_t last_flush = 0, k;

	memcpy(cd.img, base, cd.size);
	for (k = 0; k < n; k++)
		if (cd.ev[k].flush)
			last_flush = k + 1;
	for (k = 0; k < n; k++) {
		const struct crash_event *e = &cd.ev[k];

		if (e->flush || (k >= last_flush && (!subset || crash_rand(rnd) % 2)))
			continue;
		memcpy(cd.img + e->blk * EXT4_DEV_BLOCK, cd.arena + e->off,
		       (size_t)e->count * EXT4_DEV_BLOCK);
	}
}

static bool crash_save(const char *path)
{
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(cd.img, 1, cd.size, f) == cd.size;

	return f && !fclose(f) && ok;
}

/* Whether the cut image's journal superblock has a log to replay (s_start != 0). */
static bool crash_log_pending(void)
{
	const uint8_t *jsb = cd.img + jsb_blk * block_size;

	return jsb[0x1c] | jsb[0x1d] | jsb[0x1e] | jsb[0x1f];
}

/* e2fsck replays the cut image's log as we do: clean after it, with the acknowledged files. */
static void crash_e2fsck_replay(size_t n)
{
	struct host_dev h;
	struct ext4_fs fs;

	CHECK(sh("cp %s %s && e2fsck -fy %s >/dev/null 2>&1; [ $? -le 1 ] && "
		 "e2fsck -fn %s >/dev/null 2>&1",
		 img, copy, copy, copy) == 0);
	CHECK(host_dev_open(&h, copy, false) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, EXT4_MOUNT_RDONLY), 0);
	crash_check_acked(&fs, n);
	ext4_unmount(&fs);
	host_dev_close(&h);
	e2fsck_replays++;
}

/* Cut at @n, mount (replaying), check, unmount, e2fsck -fn. */
static void crash_at(size_t n, bool subset, uint32_t *rnd)
{
	struct ext4_fs fs;
	int before = unit_failed_checks, err;

	crash_cut(n, subset, rnd);
	CHECK(crash_save(img));
	if (!subset && crash_log_pending())
		crash_e2fsck_replay(n);
	err = ext4_mount(&fs, &crash_ext4_dev, 0);
	CHECK_EQ(err, 0);
	if (err) {
		printf("  cut after event %zu: %s\n", n, fs.error ? fs.error : "");
		return;
	}
	crash_check_acked(&fs, n);
	ext4_unmount(&fs);
	CHECK(crash_save(img));
	CHECK(sh("e2fsck -fn %s >%s/fsck.log 2>&1 || { head -20 %s/fsck.log; false; }", img, tmpdir,
		 tmpdir) == 0);
	if (unit_failed_checks != before)
		printf("  ^ cut after event %zu of %zu%s\n", n, cd.nev,
		       subset ? " (with a subset of unflushed writes)" : "");
}

/* A fresh image made by mkfs.ext4 @opts on the device, nothing recorded yet. */
static void crash_load(const char *opts)
{
	size_t len = 0;

	CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q %s %s", img, img, opts, img) == 0);
	free(base);
	free(cd.img);
	base = host_slurp(img, &len);
	cd.img = malloc(len);
	cd.size = len;
	cd.nev = cd.arena_len = 0;
	memset(acked, 0, sizeof(acked));
	memcpy(cd.img, base, len);
	crash_ext4_dev.nr_blocks = len / EXT4_DEV_BLOCK;
}

/*
 * Cut at every event: the image a cut keeps changes only at a flush, so the
 * cut just before each flush (the last one with that image, the one the
 * most acknowledged files must survive) stands for every cut since the
 * previous flush.
 */
static void crash_every_flush_point(void)
{
	size_t n;

	for (n = 0; n < cd.nev; n++)
		if (cd.ev[n].flush)
			crash_at(n, false, NULL);
	crash_at(cd.nev, false, NULL);
}

/* A fresh image made by mkfs.ext4 @opts, mounted and recorded. */
static void crash_mount_fresh(struct ext4_fs *fs, const char *opts)
{
	crash_load(opts);
	crash_mount(fs);
}

/* Run the workload on a fresh image made by mkfs.ext4 @opts. */
static void crash_setup(const char *opts)
{
	crash_load(opts);
	crash_workload();
}

TEST(ext4_survives_a_power_cut_anywhere_1k)
{
	crash_setup("-b 1024");
	CHECK(cd.nev > 100);
	crash_every_flush_point();
	CHECK(e2fsck_replays > 0);
}

/*
 * Only this mode tells journaling from writing metadata in place: with
 * every flush at an ext4_sync, in-place writes leave each flushed prefix
 * consistent too.  Cutting with some of the unflushed writes kept is what
 * a disk's cache does, and what the journal is for.
 */
TEST(ext4_survives_lost_unflushed_writes_1k)
{
	uint32_t rnd = CRASH_SEED;
	size_t n;

	for (n = 1; n <= cd.nev; n++)
		if (!cd.ev[n - 1].flush)
			crash_at(n, true, &rnd);
}

/* The same with 4 KiB blocks (the superblock shares block 0); unflushed subsets at every 4th event. */
TEST(ext4_survives_a_power_cut_anywhere_4k)
{
	uint32_t rnd = CRASH_SEED;
	size_t n;

	crash_setup("-b 4096");
	CHECK(cd.nev > 100);
	crash_every_flush_point();
	for (n = 1; n <= cd.nev; n += 4)
		if (!cd.ev[n - 1].flush)
			crash_at(n, true, &rnd);
}

/*
 * Cut at the first flush after which the log holds a committed transaction
 * not yet checkpointed (debugfs finds its commit block); the image saved in
 * img.  Whether there was one.
 */
static bool crash_cut_committed(void)
{
	char cmd[4400];
	size_t n;

	snprintf(cmd, sizeof(cmd),
		 "debugfs -R logdump %s 2>/dev/null | grep -q 'Found expected sequence .*commit "
		 "block'",
		 img);
	for (n = 0; n < cd.nev; n++) {
		if (!cd.ev[n].flush)
			continue;
		crash_cut(n + 1, false, NULL);
		if (crash_log_pending() && crash_save(img) && system(cmd) == 0)
			return true;
	}
	return false;
}

/* debugfs reads our log: a transaction left committed but not checkpointed shows its blocks. */
TEST(ext4_log_reads_in_debugfs)
{
	crash_setup("-b 1024");
	CHECK(crash_cut_committed());
	CHECK(sh("debugfs -R 'logdump -a' %s 2>/dev/null | grep -q 'FS block .* logged at'", img) ==
	      0);
	CHECK(sh("debugfs -R logdump %s 2>/dev/null | grep -q 'No magic number.*end of journal'",
		 img) == 0);
}

/*
 * A transaction grown past a quarter of the log is committed before the
 * next operation, without any ext4_sync: 300 directories (a directory
 * block and an inode each) exceed the 256 blocks of a 1 MiB log's quarter.
 * A cut anywhere in the middle still leaves a clean image.
 */
TEST(ext4_commits_a_growing_transaction)
{
	struct ext4_fs fs;
	struct ext4_inode root, d;
	size_t flushes = 0, k;
	char name[32];
	int i;

	crash_mount_fresh(&fs, "-b 1024");
	memset(acked, 0, sizeof(acked));
	CHECK_EQ(ext4_namei(&fs, "/", &root), 0);
	for (i = 0; i < 300; i++) {
		crash_name(name, "dir", i);
		CHECK_EQ(ext4_create(&fs, &root, name, strlen(name), EXT4_S_IFDIR | 0755, 0, 0,
				     NULL, &d),
			 0);
	}
	for (k = 0; k < cd.nev; k++)
		flushes += cd.ev[k].flush;
	CHECK(flushes >= 2 + 2); /* the mount's two, then a commit's two at least */
	ext4_unmount(&fs);
	cd.record = false;
	crash_every_flush_point();
}

/* Block @blk of the image in @path equals @want. */
static bool crash_block_is(const char *path, uint64_t blk, const uint8_t *want)
{
	size_t len;
	uint8_t *p = host_slurp(path, &len);
	bool same = p && (blk + 1) * block_size <= len &&
		    memcmp(p + blk * block_size, want, block_size) == 0;

	free(p);
	return same;
}

/*
 * A logged block that begins with the journal's magic number is escaped in
 * the log (its first word zeroed, JBD2_FLAG_ESCAPE in its tag) and comes
 * back whole from our replay and from e2fsck's.  The block is a free one,
 * so its content is nobody's business but the test's.
 */
TEST(ext4_escapes_the_journal_magic)
{
	static uint8_t want[4096];
	struct ext4_fs fs;
	uint64_t blk;
	size_t k;

	crash_mount_fresh(&fs, "-b 1024");
	blk = fs.blocks_count - 1; /* free in a fresh 8 MiB image */
	for (k = 0; k < sizeof(want); k++)
		want[k] = (uint8_t)(k * 5 + 1);
	put_be32(want, JBD2_MAGIC);
	CHECK_EQ(ext4_journal_dirty(&fs, blk, want), 0);
	CHECK_EQ(ext4_sync(&fs), 0);
	ext4_unmount(&fs);
	cd.record = false;
	CHECK(crash_cut_committed());
	CHECK(memcmp(cd.img + blk * block_size, want, block_size) != 0); /* not checkpointed */
	CHECK(sh("debugfs -R 'logdump -a' %s 2>/dev/null | grep -q 'FS block %llu logged at "
		 ".*flags "
		 "0x[0-9a-f]*[13579bdf])'",
		 img, (unsigned long long)blk) == 0);
	CHECK(sh("cp %s %s && e2fsck -fy %s >/dev/null 2>&1; [ $? -le 1 ]", img, copy, copy) == 0);
	CHECK(crash_block_is(copy, blk, want));
	CHECK_EQ(ext4_mount(&fs, &crash_ext4_dev, 0), 0);
	ext4_unmount(&fs);
	CHECK(crash_save(img));
	CHECK(crash_block_is(img, blk, want));
}

/* Flushes recorded since event @from. */
static size_t crash_flushes_since(size_t from)
{
	size_t n = 0, k;

	for (k = from; k < cd.nev; k++)
		n += cd.ev[k].flush;
	return n;
}

/* Flushes an ext4_sync of @fs takes now. */
static size_t crash_sync_flushes(struct ext4_fs *fs)
{
	size_t from = cd.nev;

	CHECK_EQ(ext4_sync(fs), 0);
	return crash_flushes_since(from);
}

/*
 * An fsync costs two flushes, as Linux's jbd2 without async_commit: the log
 * and the file data, then the commit block.  The committed transactions
 * stay in the log (no checkpoint per fsync); an fsync with nothing to
 * commit costs one flush (the file data), and so does an fdatasync after
 * an overwrite in place; unmount checkpoints (two more).
 */
TEST(ext4_fsync_takes_two_flushes)
{
	static uint8_t data[4096];
	struct ext4_fs fs;
	struct ext4_inode root, in;
	size_t len = crash_file(1, data), from;

	crash_mount_fresh(&fs, "-b 1024");
	CHECK_EQ(ext4_namei(&fs, "/", &root), 0);
	CHECK_EQ(crash_make(&fs, &root, "p1", data, len, &in), 0);
	CHECK_EQ(crash_sync_flushes(&fs), 2);
	CHECK_EQ(crash_sync_flushes(&fs), 1);
	CHECK_EQ(ext4_write(&fs, &in, 0, data, len), (int64_t)len); /* in place: mtime changes */
	CHECK_EQ(crash_sync_flushes(&fs), 2);
	CHECK(fs.jnl->head > fs.jnl->j.first); /* two transactions in the log */
	/* fdatasync: an overwrite in place needs the data flushed, not its mtime committed, */
	CHECK_EQ(ext4_write(&fs, &in, 0, data, len), (int64_t)len);
	from = cd.nev;
	CHECK_EQ(ext4_sync_data(&fs, in.ino), 0);
	CHECK_EQ(crash_flushes_since(from), 1);
	/* but a new block, or a new size, is committed. */
	CHECK_EQ(ext4_write(&fs, &in, len, data, 1), 1);
	from = cd.nev;
	CHECK_EQ(ext4_sync_data(&fs, in.ino), 0);
	CHECK_EQ(crash_flushes_since(from), 2);
	CHECK_EQ(ext4_truncate(&fs, &in, len), 0);
	from = cd.nev;
	CHECK_EQ(ext4_sync_data(&fs, in.ino), 0);
	CHECK_EQ(crash_flushes_since(from), 2);
	acked[1] = cd.nev; /* p1 whole again from here (its size went up and back) */
	from = cd.nev;
	ext4_unmount(&fs);
	CHECK_EQ(crash_flushes_since(from), 2 + 1); /* the checkpoint's, then needs_recovery's */
	cd.record = false;
	crash_every_flush_point();
}

/*
 * Revoke records: a directory block logged by one transaction and freed by
 * the next (rmdir) is taken as file data by a third, written in place.  A
 * replay of the log after that (a cut before the checkpoint) must not
 * write the directory block over the file's data: the freeing transaction
 * revokes it.  Without the revoke, the acknowledged file reads back wrong.
 */
TEST(ext4_revoke_keeps_a_reused_block)
{
	static uint8_t data[4096];
	struct ext4_fs fs;
	struct ext4_inode root, d, in;
	uint64_t dblk = 0, pblk = 0;
	uint32_t count;
	size_t len = crash_file(0, data);
	uint32_t rnd = CRASH_SEED;
	size_t n;

	crash_mount_fresh(&fs, "-b 1024");
	CHECK_EQ(ext4_namei(&fs, "/", &root), 0);
	CHECK_EQ(ext4_create(&fs, &root, "d", 1, EXT4_S_IFDIR | 0755, 0, 0, NULL, &d), 0);
	CHECK_EQ(ext4_bmap(&fs, &d, 0, &dblk, &count), 0);
	CHECK_EQ(ext4_sync(&fs), 0);
	CHECK_EQ(ext4_rmdir(&fs, &root, "d", 1), 0);
	CHECK_EQ(ext4_sync(&fs), 0);
	CHECK_EQ(crash_make(&fs, &root, "p0", data, len, &in), 0);
	CHECK_EQ(ext4_bmap(&fs, &in, 0, &pblk, &count), 0);
	CHECK_EQ(pblk, dblk); /* the workload does what it says */
	CHECK_EQ(ext4_sync(&fs), 0);
	acked[0] = cd.nev;
	ext4_unmount(&fs);
	cd.record = false;
	crash_every_flush_point();
	for (n = 1; n <= cd.nev; n++)
		if (!cd.ev[n - 1].flush)
			crash_at(n, true, &rnd);
}

/*
 * Many transactions: 24 steps of churn (directories made and removed:
 * revokes), six more directories and an fsync'ed file each fill the log past half several times,
 * so it is checkpointed and started again at its first block mid-workload,
 * over the blocks of older transactions.  A cut at every flush.
 */
TEST(ext4_log_holds_many_transactions)
{
	static uint8_t data[3000 + 24 * 900]; /* crash_churn's longest file */
	struct ext4_fs fs;
	struct ext4_inode root, in;
	uint32_t most = 0, restarts = 0, txns = 0, rnd = CRASH_SEED;
	char p[32];
	size_t n;
	int i;

	crash_mount_fresh(&fs, "-b 1024");
	CHECK_EQ(ext4_namei(&fs, "/", &root), 0);
	for (i = 0; i < 24; i++) {
		size_t len;
		int k;

		crash_churn(&fs, &root, i, data);
		for (k = 0; k < 6; k++) { /* more blocks per transaction: the log fills sooner */
			snprintf(p, sizeof(p), "k%d.%d", i, k);
			CHECK_EQ(ext4_create(&fs, &root, p, strlen(p), EXT4_S_IFDIR | 0755, 0, 0,
					     NULL, &in),
				 0);
		}
		len = crash_file(i, data);
		crash_name(p, "p", i);
		CHECK_EQ(crash_make(&fs, &root, p, data, len, &in), 0);
		CHECK_EQ(ext4_sync(&fs), 0);
		acked[i] = cd.nev;
		txns = fs.jnl->head == fs.jnl->j.first ? 0 : txns + 1;
		restarts += !txns;
		most = txns > most ? txns : most;
	}
	CHECK(restarts >= 1);
	CHECK(most >= 8);
	ext4_unmount(&fs);
	cd.record = false;
	crash_every_flush_point();
	for (n = 1; n <= cd.nev; n += 16)
		if (!cd.ev[n - 1].flush)
			crash_at(n, true, &rnd);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(img, sizeof(img), "%s/img", tmpdir);
	snprintf(copy, sizeof(copy), "%s/copy", tmpdir);
	cd.ev = malloc(CRASH_EVENTS * sizeof(*cd.ev));
	RUN(ext4_survives_a_power_cut_anywhere_1k);
	RUN(ext4_survives_lost_unflushed_writes_1k);
	RUN(ext4_survives_a_power_cut_anywhere_4k);
	RUN(ext4_log_reads_in_debugfs);
	RUN(ext4_escapes_the_journal_magic);
	RUN(ext4_commits_a_growing_transaction);
	RUN(ext4_fsync_takes_two_flushes);
	RUN(ext4_revoke_keeps_a_reused_block);
	RUN(ext4_log_holds_many_transactions);
	sh("rm -rf %s", tmpdir);
	return unit_summary();
}
