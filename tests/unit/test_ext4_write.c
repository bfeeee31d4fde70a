/*
 * Unit tests of the ext4 write path (kernel/lib/ext4/alloc.c, write.c,
 * dir_write.c) on images made by Debian's mkfs.ext4: every test ends with
 * e2fsck -fn finding the image clean, and reads what was written back
 * with debugfs -R "cat ..." (e2fsprogs' own reader) as well as ours.
 * Covers files growing through extent trees of depth 0 and 1 (leaf
 * splits), truncation, fallocate, directories, symlinks, links, unlink,
 * rmdir, rename in its forms, an htree directory written to, and a
 * directory of 100,000 entries.
 */
#include "unit.h"
#include "ext4_host.h"

static char tmpdir[] = "/tmp/monos-ext4w-XXXXXX";
static char img[4200], out[4200];

static struct host_dev h;
static struct ext4_fs fs;

/* A fresh image (mkfs.ext4 @opts, @size) mounted read-write into h and fs. */
static void fresh(const char *opts, const char *size)
{
	CHECK(sh("rm -f %s && truncate -s %s %s && mkfs.ext4 -q %s %s", img, size, img, opts,
		 img) == 0);
	CHECK(host_dev_open(&h, img, false) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	CHECK(!fs.read_only);
}

/* Sync, unmount, and have e2fsck check the image. */
static void done(void)
{
	CHECK_EQ(ext4_sync(&fs), 0);
	ext4_unmount(&fs);
	host_dev_close(&h);
	CHECK(sh("e2fsck -fn %s >%s/fsck.log 2>&1 || { cat %s/fsck.log; false; }", img, tmpdir,
		 tmpdir) == 0);
}

/* debugfs's view of file @path equals @len bytes at @want. */
static void debugfs_has(const char *path, const void *want, size_t len)
{
	size_t got_len = 0;
	uint8_t *got;

	CHECK(sh("debugfs -R 'cat %s' %s >%s 2>/dev/null", path, img, out) == 0);
	got = host_slurp(out, &got_len);
	CHECK_EQ(got_len, len);
	CHECK(got && memcmp(got, want, len < got_len ? len : got_len) == 0);
	free(got);
}

static void pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 131 + seed) ^ (i >> 9));
}

static struct ext4_inode root(void)
{
	struct ext4_inode r;

	CHECK_EQ(ext4_iget(&fs, EXT4_ROOT_INO, &r), 0);
	return r;
}

/* Files written in odd-sized pieces, read back by us and by debugfs. */
static void check_files(const char *opts)
{
	static uint8_t want[3 << 20], got[3 << 20];
	struct ext4_inode r, d, f, back;
	size_t off, step = 10007;

	fresh(opts, "32M");
	r = root();
	pattern(want, sizeof(want), 7);
	CHECK_EQ(ext4_create(&fs, &r, "dir", 3, EXT4_S_IFDIR | 0755, 1000, 1000, NULL, &d), 0);
	CHECK_EQ(ext4_create(&fs, &d, "big", 3, EXT4_S_IFREG | 0644, 1000, 1000, NULL, &f), 0);
	for (off = 0; off < sizeof(want); off += step)
		CHECK_EQ(ext4_write(&fs, &f, off, want + off,
				    off + step > sizeof(want) ? sizeof(want) - off : step),
			 off + step > sizeof(want) ? sizeof(want) - off : step);
	CHECK_EQ(ext4_write(&fs, &f, 100, "overwrite", 9), 9);
	memcpy(want + 100, "overwrite", 9);
	CHECK_EQ(ext4_namei(&fs, "/dir/big", &back), 0);
	CHECK_EQ(back.size, sizeof(want));
	CHECK_EQ(back.uid, 1000);
	CHECK_EQ(ext4_read(&fs, &back, 0, got, sizeof(got)), sizeof(got));
	CHECK(memcmp(got, want, sizeof(want)) == 0);
	CHECK_EQ(r.links, 4); /* ".", "..", lost+found's "..", dir's ".." */
	done();
	debugfs_has("/dir/big", want, sizeof(want));
}

TEST(ext4_writes_files_1k)
{
	check_files("-b 1024");
}

TEST(ext4_writes_files_4k)
{
	check_files("-b 4096");
}

/*
 * A file of 300 one-block islands: 300 extents, so the tree grows from the
 * inode's 4 to depth 1 and its leaves split (84 extents a 1 KiB leaf).
 * Truncations then cut it back to depth 0 and to nothing.
 */
TEST(ext4_extent_tree_grows_and_shrinks)
{
	struct ext4_inode r, f;
	uint8_t blk[1024], zero[7000] = { 0 };
	static uint8_t want[600 * 1024];
	uint32_t i;

	fresh("-b 1024 -O ^has_journal", "16M");
	r = root();
	CHECK_EQ(ext4_create(&fs, &r, "islands", 7, EXT4_S_IFREG | 0600, 0, 0, NULL, &f), 0);
	for (i = 0; i < 300; i++) {
		pattern(blk, sizeof(blk), i);
		CHECK_EQ(ext4_write(&fs, &f, (uint64_t)i * 2048, blk, sizeof(blk)), sizeof(blk));
		memcpy(want + i * 2048, blk, sizeof(blk));
	}
	CHECK_EQ(((struct ext4_extent_header *)f.block)->depth, 1);
	CHECK_EQ(((struct ext4_extent_header *)f.block)->entries, 4);
	done();
	debugfs_has("/islands", want, 299 * 2048 + 1024);
	CHECK(host_dev_open(&h, img, false) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	CHECK_EQ(ext4_namei(&fs, "/islands", &f), 0);
	CHECK_EQ(ext4_truncate(&fs, &f, 100 * 2048 + 500), 0); /* mid-island: the tail is zeroed */
	CHECK_EQ(ext4_truncate(&fs, &f, 100 * 2048 + 1024), 0);
	memset(want + 100 * 2048 + 500, 0, 524);
	done();
	debugfs_has("/islands", want, 100 * 2048 + 1024);
	CHECK(host_dev_open(&h, img, false) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	CHECK_EQ(ext4_namei(&fs, "/islands", &f), 0);
	CHECK_EQ(ext4_truncate(&fs, &f, 3 * 1024), 0);
	CHECK_EQ(((struct ext4_extent_header *)f.block)->depth, 1);
	CHECK_EQ(ext4_truncate(&fs, &f, 0), 0);
	CHECK_EQ(((struct ext4_extent_header *)f.block)->depth, 0);
	CHECK_EQ(f.blocks, 0);
	/* fallocate: blocks that read as zeros, the size kept or grown. */
	CHECK_EQ(ext4_fallocate(&fs, &f, 0, 5000, true), 0);
	CHECK_EQ(f.size, 0);
	CHECK_EQ(f.blocks, 10);
	CHECK_EQ(ext4_fallocate(&fs, &f, 4000, 3000, false), 0);
	CHECK_EQ(f.size, 7000);
	done();
	debugfs_has("/islands", zero, sizeof(zero));
}

#define UW_WRITES 64
#define UW_STRIDE (64 * 1024)

/* Whether block @lblk of @f lies in an unwritten extent. */
static bool unwritten_at(struct ext4_inode *f, uint32_t lblk)
{
	uint64_t pblk;
	uint32_t count;

	return ext4_bmap(&fs, f, lblk, &pblk, &count) == 0 && !pblk && fs.bmap_unwritten;
}

/*
 * fallocate makes unwritten extents (FALLOC_FL_KEEP_SIZE past the end too):
 * they read as zeros, e2fsck accepts them, and writes convert them a chunk
 * at a time: one write, sequential writes (the written chunks join one
 * extent), and a write every 64 blocks of a 4 MiB extent, whose pieces
 * grow the tree to depth 1 and split its leaves (84 extents a 1 KiB leaf);
 * written blocks never pass i_size (e2fsck would call it wrong).
 */
TEST(ext4_unwritten_extents)
{
	static uint8_t want[4 << 20], got[4 << 20];
	struct ext4_inode r, f;
	uint8_t head[3000];
	uint32_t i;

	fresh("-b 1024", "32M");
	r = root();
	CHECK_EQ(ext4_create(&fs, &r, "u", 1, EXT4_S_IFREG | 0644, 0, 0, NULL, &f), 0);
	pattern(head, sizeof(head), 3);
	CHECK_EQ(ext4_write(&fs, &f, 0, head, sizeof(head)), sizeof(head));
	CHECK_EQ(ext4_fallocate(&fs, &f, 0, 200 << 10, true), 0);
	CHECK_EQ(f.size, sizeof(head));
	CHECK_EQ(f.blocks, 400);
	CHECK(unwritten_at(&f, 10) && unwritten_at(&f, 199) && !unwritten_at(&f, 200));
	CHECK(!unwritten_at(&f, 2)); /* written before: kept */
	done();
	debugfs_has("/u", head, sizeof(head));
	CHECK(host_dev_open(&h, img, false) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	CHECK_EQ(ext4_namei(&fs, "/u", &f), 0);
	memset(want, 0, sizeof(want));
	memcpy(want, head, sizeof(head));
	pattern(want + 50000, 100, 9);
	CHECK_EQ(ext4_write(&fs, &f, 50000, want + 50000, 100), 100);
	CHECK(!unwritten_at(&f, 48) && unwritten_at(&f, 47) && unwritten_at(&f, 64));
	for (i = 100; i < 150; i++) { /* sequential, a block at a time */
		pattern(want + i * 1024, 1024, i);
		CHECK_EQ(ext4_write(&fs, &f, i * 1024, want + i * 1024, 1024), 1024);
	}
	CHECK_EQ(f.size, 150 * 1024);
	/* Six extents: W 0-2, U 3-47, W 48-63, U 64-95, W 96-159 (the
	 * sequential chunks joined), U 160-199; so one leaf block more. */
	CHECK_EQ(((struct ext4_extent_header *)f.block)->depth, 1);
	CHECK_EQ(f.blocks, 402);
	CHECK_EQ(ext4_read(&fs, &f, 0, got, 150 * 1024), 150 * 1024);
	CHECK(memcmp(got, want, 150 * 1024) == 0);
	/* A 4 MiB extent written every 64 blocks: about 190 extents. */
	CHECK_EQ(ext4_fallocate(&fs, &f, 1 << 20, 4 << 20, true), 0);
	for (i = 0; i < UW_WRITES; i++)
		CHECK_EQ(ext4_write(&fs, &f, (1u << 20) + i * UW_STRIDE + 100, "x", 1), 1);
	CHECK_EQ(((struct ext4_extent_header *)f.block)->depth, 1);
	CHECK_EQ(((struct ext4_extent_header *)f.block)->entries, 3);
	CHECK_EQ(f.size, (1u << 20) + (UW_WRITES - 1) * UW_STRIDE + 101);
	CHECK_EQ(ext4_read(&fs, &f, 1 << 20, got, sizeof(got)), f.size - (1u << 20));
	for (i = 0; i < f.size - (1u << 20); i++)
		if (got[i] != (i % UW_STRIDE == 100 ? 'x' : 0)) {
			CHECK_EQ(i, -1);
			break;
		}
	done();
	/* debugfs reads the same: the first 150 KiB, zeros, the x's. */
	uint8_t *all = calloc(1, f.size);
	memcpy(all, want, 150 * 1024);
	for (i = 0; i < UW_WRITES; i++)
		all[(1u << 20) + i * UW_STRIDE + 100] = 'x';
	debugfs_has("/u", all, f.size);
	free(all);
}

/* Names: fast and slow symlinks, hard links, unlink, rmdir, rename's forms. */
TEST(ext4_names)
{
	struct ext4_inode r, a, b, f, g, l, s, x;
	char target[300], buf[300];
	uint32_t ino;

	fresh("-b 4096", "16M");
	r = root();
	memset(target, 't', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	CHECK_EQ(ext4_create(&fs, &r, "a", 1, EXT4_S_IFDIR | 0755, 0, 0, NULL, &a), 0);
	CHECK_EQ(ext4_create(&fs, &r, "b", 1, EXT4_S_IFDIR | 0755, 0, 0, NULL, &b), 0);
	CHECK_EQ(ext4_create(&fs, &a, "f", 1, EXT4_S_IFREG | 0644, 0, 0, NULL, &f), 0);
	CHECK_EQ(ext4_write(&fs, &f, 0, "file f\n", 7), 7);
	CHECK_EQ(ext4_create(&fs, &a, "g", 1, EXT4_S_IFREG | 0644, 0, 0, NULL, &g), 0);
	CHECK_EQ(ext4_write(&fs, &g, 0, "file g\n", 7), 7);
	CHECK_EQ(ext4_create(&fs, &r, "fast", 4, EXT4_S_IFLNK | 0777, 0, 0, "a/f", &l), 0);
	CHECK_EQ(ext4_create(&fs, &r, "slow", 4, EXT4_S_IFLNK | 0777, 0, 0, target, &s), 0);
	CHECK_EQ(ext4_create(&fs, &r, "fifo", 4, EXT4_S_IFIFO | 0600, 0, 0, NULL, &x), 0);
	CHECK_EQ(ext4_readlink(&fs, &l, buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "a/f", 3) == 0);
	CHECK_EQ(ext4_readlink(&fs, &s, buf, sizeof(buf)), 299);
	CHECK(memcmp(buf, target, 299) == 0);
	CHECK_EQ(ext4_link(&fs, &b, "f2", 2, &f), 0);
	CHECK_EQ(f.links, 2);
	CHECK_EQ(ext4_link(&fs, &b, "dir", 3, &a), -EPERM);
	/* rename a file over another across directories: g's inode goes */
	CHECK_EQ(ext4_rename(&fs, &a, "g", 1, &b, "f2", 2), 0);
	CHECK_EQ(ext4_iget(&fs, f.ino, &f), 0);
	CHECK_EQ(f.links, 1);
	CHECK_EQ(ext4_lookup(&fs, &a, "g", 1, &ino), -ENOENT);
	/* a directory moved into another: ".." and both parents' counts follow */
	CHECK_EQ(ext4_create(&fs, &a, "sub", 3, EXT4_S_IFDIR | 0755, 0, 0, NULL, &x), 0);
	CHECK_EQ(ext4_create(&fs, &x, "inner", 5, EXT4_S_IFREG | 0644, 0, 0, NULL, &g), 0);
	CHECK_EQ(ext4_rename(&fs, &a, "sub", 3, &b, "moved", 5), 0);
	CHECK_EQ(a.links, 2);
	CHECK_EQ(b.links, 3);
	CHECK_EQ(ext4_namei(&fs, "/b/moved/inner", &g), 0);
	CHECK_EQ(ext4_namei(&fs, "/b/moved", &x), 0);
	CHECK_EQ(ext4_lookup(&fs, &x, "..", 2, &ino), 0);
	CHECK_EQ(ino, b.ino);
	CHECK_EQ(ext4_rename(&fs, &r, "a", 1, &b, "moved", 5), -ENOTEMPTY);
	CHECK_EQ(ext4_rmdir(&fs, &b, "moved", 5), -ENOTEMPTY);
	CHECK_EQ(ext4_unlink(&fs, &x, "inner", 5), 0);
	/* rename within one directory, then over an empty directory */
	CHECK_EQ(ext4_rename(&fs, &r, "fast", 4, &r, "fast2", 5), 0);
	CHECK_EQ(ext4_rename(&fs, &r, "a", 1, &b, "moved", 5), 0);
	CHECK_EQ(b.links, 3);
	CHECK_EQ(ext4_unlink(&fs, &r, "b", 1), -EISDIR);
	CHECK_EQ(ext4_unlink(&fs, &r, "slow", 4), 0);
	CHECK_EQ(ext4_rmdir(&fs, &b, "moved", 5), -ENOTEMPTY); /* it holds f */
	CHECK_EQ(ext4_namei(&fs, "/b/moved/f", &f), 0);
	CHECK_EQ(ext4_namei(&fs, "/b/moved", &a), 0);
	CHECK_EQ(ext4_unlink(&fs, &a, "f", 1), 0);
	CHECK_EQ(ext4_rmdir(&fs, &b, "moved", 5), 0);
	CHECK_EQ(b.links, 2);
	CHECK_EQ(ext4_namei(&fs, "/b/f2", &f), 0);
	done();
	debugfs_has("/b/f2", "file g\n", 7);
	CHECK(sh("debugfs -R 'stat /fast2' %s 2>/dev/null | grep -q 'Fast link dest: \"a/f\"'",
		 img) == 0);
}

/* An htree directory (mkfs -d, then e2fsck -D) written to: still indexed, every name kept. */
TEST(ext4_writes_into_an_htree_directory)
{
	struct ext4_inode d, f;
	uint32_t ino;
	char name[32];
	int i;

	CHECK(sh("mkdir -p %s/src/d && cd %s/src/d && seq -f 'e%%.0f' 1 500 | xargs touch", tmpdir,
		 tmpdir) == 0);
	CHECK(sh("rm -f %s && truncate -s 16M %s && mkfs.ext4 -q -b 1024 -d %s/src %s && "
		 "{ e2fsck -fyD %s >/dev/null 2>&1; [ $? -le 1 ]; }",
		 img, img, tmpdir, img, img) == 0);
	CHECK(host_dev_open(&h, img, false) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	CHECK_EQ(ext4_namei(&fs, "/d", &d), 0);
	CHECK(d.flags & EXT4_INDEX_FL);
	CHECK_EQ(ext4_create(&fs, &d, "new", 3, EXT4_S_IFREG | 0644, 0, 0, NULL, &f), 0);
	CHECK(d.flags & EXT4_INDEX_FL);
	CHECK_EQ(ext4_unlink(&fs, &d, "e250", 4), 0);
	for (i = 1; i <= 500; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		CHECK_EQ(ext4_lookup(&fs, &d, name, strlen(name), &ino), i == 250 ? -ENOENT : 0);
	}
	done();
}

/* A full volume: ENOSPC, a short write, and a volume e2fsck still finds clean; freeing makes room. */
TEST(ext4_full_volume)
{
	static uint8_t buf[64 << 10];
	struct ext4_inode r, f, g;
	uint64_t total = 0;
	int64_t n;
	char name[16];
	int i;

	fresh("-b 1024 -O ^has_journal -N 64", "2M");
	r = root();
	CHECK_EQ(ext4_create(&fs, &r, "fill", 4, EXT4_S_IFREG | 0644, 0, 0, NULL, &f), 0);
	/* Scattered blocks: every other write lands past a hole, so the extent tree grows too. */
	while ((n = ext4_write(&fs, &f, total * 2, buf, sizeof(buf))) == (int64_t)sizeof(buf))
		total += (uint64_t)n;
	CHECK(n == -ENOSPC || (n > 0 && n < (int64_t)sizeof(buf)));
	CHECK_EQ(ext4_write(&fs, &f, f.size, buf, 1024), -ENOSPC);
	for (i = 0; i < 70; i++) { /* inodes run out too: a name without an inode is never left */
		snprintf(name, sizeof(name), "e%d", i);
		n = ext4_create(&fs, &r, name, strlen(name), EXT4_S_IFREG | 0644, 0, 0, NULL, &g);
		if (n)
			break;
	}
	CHECK(n == -ENOSPC);
	done();
	CHECK(host_dev_open(&h, img, false) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	r = root();
	CHECK_EQ(ext4_unlink(&fs, &r, "fill", 4), 0);
	CHECK_EQ(ext4_create(&fs, &r, "after", 5, EXT4_S_IFREG | 0644, 0, 0, NULL, &f), 0);
	CHECK_EQ(ext4_write(&fs, &f, 0, buf, sizeof(buf)), sizeof(buf));
	done();
}

/*
 * Inode numbers: the search starts past the last one taken (alloc.c's
 * goal), yet a freed number below it is taken again first, and a full
 * group moves on to the next (64 inodes a group here): every number is
 * the lowest free one, as without the goal.
 */
TEST(ext4_inode_numbers_reused_lowest_first)
{
	struct ext4_inode r, f;
	uint32_t ino[80];
	char name[16];
	int i;

	fresh("-b 1024 -O ^has_journal -N 128 -g 1024", "2M");
	r = root();
	for (i = 0; i < 80; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		CHECK_EQ(ext4_create(&fs, &r, name, strlen(name), EXT4_S_IFREG | 0644, 0, 0, NULL,
				     &f),
			 0);
		ino[i] = f.ino;
		CHECK(i == 0 || ino[i] == ino[i - 1] + 1);
	}
	CHECK(ino[79] > fs.inodes_per_group); /* into the second group */
	CHECK_EQ(ext4_unlink(&fs, &r, "f7", 2), 0);
	CHECK_EQ(ext4_unlink(&fs, &r, "f3", 2), 0);
	CHECK_EQ(ext4_create(&fs, &r, "a", 1, EXT4_S_IFREG | 0644, 0, 0, NULL, &f), 0);
	CHECK_EQ(f.ino, ino[3]);
	CHECK_EQ(ext4_create(&fs, &r, "b", 1, EXT4_S_IFREG | 0644, 0, 0, NULL, &f), 0);
	CHECK_EQ(f.ino, ino[7]);
	CHECK_EQ(ext4_create(&fs, &r, "c", 1, EXT4_S_IFREG | 0644, 0, 0, NULL, &f), 0);
	CHECK_EQ(f.ino, ino[79] + 1);
	done();
}

/* Groups mkfs left BLOCK_UNINIT and INODE_UNINIT (8 MiB groups of 1 KiB blocks): allocated from after group 0 fills. */
TEST(ext4_uses_uninitialised_groups)
{
	static uint8_t want[40 << 20];
	struct ext4_inode r, f;

	fresh("-b 1024 -O ^has_journal", "64M");
	CHECK(ext4_gd(&fs, 1)->flags & EXT4_BG_BLOCK_UNINIT);
	r = root();
	pattern(want, sizeof(want), 3);
	CHECK_EQ(ext4_create(&fs, &r, "big", 3, EXT4_S_IFREG | 0644, 0, 0, NULL, &f), 0);
	CHECK_EQ(ext4_write(&fs, &f, 0, want, sizeof(want)), sizeof(want));
	CHECK(!(ext4_gd(&fs, 1)->flags & EXT4_BG_BLOCK_UNINIT));
	done();
	debugfs_has("/big", want, sizeof(want));
}

/* 100,000 entries in one directory, made here (mkfs -d would take minutes). */
TEST(ext4_directory_of_100000_entries)
{
	struct ext4_inode r, d, f;
	struct ext4_dirent de;
	struct ext4_dir_pos pos = { 0, 0 };
	uint32_t ino;
	char name[32];
	int i, n = 0, rc;

	fresh("-b 4096 -N 110000", "128M");
	r = root();
	CHECK_EQ(ext4_create(&fs, &r, "d", 1, EXT4_S_IFDIR | 0755, 0, 0, NULL, &d), 0);
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "entry-%d", i);
		rc = ext4_create(&fs, &d, name, strlen(name), EXT4_S_IFREG | 0644, 0, 0, NULL, &f);
		if (rc) {
			CHECK_EQ(rc, 0);
			break;
		}
	}
	while ((rc = ext4_readdir(&fs, &d, &pos, &de)) == 1)
		n++;
	CHECK_EQ(rc, 0);
	CHECK_EQ(n, 100002);
	for (i = 0; i < 100000; i += 24999) {
		snprintf(name, sizeof(name), "entry-%d", i);
		CHECK_EQ(ext4_lookup(&fs, &d, name, strlen(name), &ino), 0);
	}
	CHECK_EQ(ext4_lookup(&fs, &d, "entry-100000", 12, &ino), -ENOENT);
	done();
	CHECK(sh("debugfs -R 'ls /d' %s 2>/dev/null | grep -q 'entry-99999'", img) == 0);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(img, sizeof(img), "%s/img", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	RUN(ext4_writes_files_1k);
	RUN(ext4_unwritten_extents);
	RUN(ext4_writes_files_4k);
	RUN(ext4_extent_tree_grows_and_shrinks);
	RUN(ext4_names);
	RUN(ext4_writes_into_an_htree_directory);
	RUN(ext4_full_volume);
	RUN(ext4_inode_numbers_reused_lowest_first);
	RUN(ext4_uses_uninitialised_groups);
	RUN(ext4_directory_of_100000_entries);
	sh("rm -rf %s", tmpdir);
	return unit_summary();
}
