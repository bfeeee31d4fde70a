/*
 * Unit tests of the ext4 journal's recovery (kernel/lib/ext4/journal.c).
 * Journals needing recovery are made with debugfs's journal commands
 * (e2fsprogs 1.47: jo opens the journal, -c with checksums v3; jw writes a
 * transaction of given blocks from a file, or -r revokes blocks; jc closes
 * it without checkpointing).  A real change is logged by writing, as one
 * transaction, the blocks in which a copy of the image changed after
 * debugfs created a file and a directory.  After ext4_mount replays it the
 * image must hold the change, equal e2fsck's own replay block for block
 * (outside the superblocks), and pass e2fsck -fn.
 */
#include "unit.h"
#include "ext4_host.h"

#define BS 1024 /* the images' block size */

static char tmpdir[] = "/tmp/monos-ext4j-XXXXXX";
static char img[4200], ref[4200], pat[4200];

/* Write the blocks where file @b differs from file @a (excluding the superblock) as a jw list. */
static int diff_blocks(const char *a, const char *b, char *list, size_t cap, const char *data)
{
	size_t la, lb, i, n = 0;
	uint8_t *pa = host_slurp(a, &la), *pb = host_slurp(b, &lb);
	FILE *out = fopen(data, "wb");
	int count = 0;

	list[0] = '\0';
	for (i = 2; pa && pb && out && la == lb && i < la / BS; i++) {
		if (memcmp(pa + i * BS, pb + i * BS, BS) == 0)
			continue;
		n += (size_t)snprintf(list + n, cap - n, "%s%zu", count ? "," : "", i);
		fwrite(pb + i * BS, 1, BS, out);
		count++;
	}
	if (out)
		fclose(out);
	free(pa);
	free(pb);
	return count;
}

/* Mount @path read-write (so the journal can be replayed) and return the result. */
static int mount_rw(const char *path, struct ext4_fs *fs, struct host_dev *h)
{
	int err;

	CHECK(host_dev_open(h, path, false) == 0);
	err = ext4_mount(fs, &h->dev, 0);
	if (err)
		printf("  mount: %d (%s)\n", err, fs->error ? fs->error : "");
	return err;
}

/* Blocks 2.. of @a and @b equal except the journal superblock at @jsb. */
static void same_blocks(const char *a, const char *b, uint64_t jsb)
{
	size_t la, lb, i;
	uint8_t *pa = host_slurp(a, &la), *pb = host_slurp(b, &lb);

	CHECK(pa && pb && la == lb);
	for (i = 2; pa && pb && la == lb && i < la / BS; i++)
		if (i != jsb && memcmp(pa + i * BS, pb + i * BS, BS) != 0) {
			printf("  block %zu differs\n", i);
			CHECK(0);
			break;
		}
	free(pa);
	free(pb);
}

/* The journal superblock's block: the journal inode's first block. */
static uint64_t journal_sb_block(struct ext4_fs *fs)
{
	struct ext4_inode j;
	uint64_t pblk = 0;
	uint32_t count;

	CHECK_EQ(ext4_iget(fs, ((struct ext4_sb *)fs->sb)->journal_inum, &j), 0);
	CHECK_EQ(ext4_bmap(fs, &j, 0, &pblk, &count), 0);
	return pblk;
}

/* A file and a directory logged as one transaction; @jo_opts for debugfs's jo. */
static void replay_change(const char *jo_opts)
{
	char list[65536], data[4300], after[4300];
	struct host_dev h;
	struct ext4_fs fs;
	struct ext4_inode in;
	char buf[64];
	int n;

	snprintf(data, sizeof(data), "%s/data", tmpdir);
	snprintf(after, sizeof(after), "%s/after", tmpdir);
	CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q -b %d %s", img, img, BS, img) == 0);
	CHECK(sh("cp %s %s && debugfs -w -f - %s >/dev/null 2>&1 <<'END'\nwrite %s /newfile\n"
		 "mkdir /newdir\nEND",
		 img, after, after, pat) == 0);
	n = diff_blocks(img, after, list, sizeof(list), data);
	CHECK(n > 3);
	CHECK(sh("debugfs -w -f - %s >/dev/null 2>&1 <<'END'\njo %s\njw -b %s %s\njc\nEND", img,
		 jo_opts, list, data) == 0);
	CHECK(sh("dumpe2fs -h %s 2>/dev/null | grep -q needs_recovery", img) == 0);
	CHECK(sh("cp %s %s && e2fsck -fy %s >/dev/null 2>&1; [ $? -le 1 ]", img, ref, ref) == 0);
	CHECK_EQ(mount_rw(img, &fs, &h), 0);
	CHECK_EQ(ext4_namei(&fs, "/newdir", &in), 0);
	CHECK_EQ(ext4_namei(&fs, "/newfile", &in), 0);
	CHECK_EQ(ext4_read(&fs, &in, 1000, buf, 4), 4);
	CHECK(memcmp(buf, "\xe8\xe9\xea\xeb", 4) == 0);
	same_blocks(img, ref, journal_sb_block(&fs));
	ext4_unmount(&fs);
	host_dev_close(&h);
	CHECK(sh("e2fsck -fn %s >/dev/null 2>&1", img) == 0);
	CHECK(sh("dumpe2fs -h %s 2>/dev/null | grep -q 'Journal start: *0$'", img) == 0);
	/* A writable mount keeps needs_recovery set while mounted; unmount clears it. */
	CHECK(sh("! dumpe2fs -h %s 2>/dev/null | grep -q needs_recovery", img) == 0);
}

TEST(ext4_replays_a_transaction)
{
	replay_change("");
}

TEST(ext4_replays_a_checksummed_transaction)
{
	replay_change("-c");
}

/*
 * Revokes: block 300 is logged in transaction 1 and revoked in 2, so it is
 * not replayed; block 301 is logged in 1, revoked in 2 and logged again in
 * 3, which the revoke does not cancel.  The log is then: 1 descriptor, 2-3
 * data, 4 commit, 5 revoke, 6 commit, 7 descriptor, 8 data, 9 commit.
 */
static void make_revokes(void)
{
	CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q -b %d %s", img, img, BS, img) == 0);
	CHECK(sh("debugfs -w -f - %s >/dev/null 2>&1 <<'END'\njo -c\njw -b 300,301 %s\njw -r "
		 "300,301\n"
		 "jw -b 301 %s\njc\nEND",
		 img, pat, pat) == 0);
}

/* Replay @img and compare with e2fsck's replay; block 301 must hold the pattern or zeros. */
static void check_revokes(bool want_301)
{
	struct host_dev h;
	struct ext4_fs fs;

	CHECK(sh("cp %s %s && e2fsck -fy %s >/dev/null 2>&1; [ $? -le 1 ]", img, ref, ref) == 0);
	CHECK_EQ(mount_rw(img, &fs, &h), 0);
	same_blocks(img, ref, journal_sb_block(&fs));
	ext4_unmount(&fs);
	host_dev_close(&h);
	CHECK(sh("dd if=%s bs=%d skip=300 count=1 status=none | cmp -s -n %d - /dev/zero", img, BS,
		 BS) == 0);
	CHECK(sh("dd if=%s bs=%d skip=301 count=1 status=none | cmp -s -n %d - %s", img, BS, BS,
		 want_301 ? pat : "/dev/zero") == 0);
	CHECK(sh("e2fsck -fn %s >/dev/null 2>&1", img) == 0);
}

TEST(ext4_honours_revokes)
{
	make_revokes();
	check_revokes(true);
}

/* Transaction 3 without its commit block (log block 9 zeroed) is not replayed. */
TEST(ext4_ignores_an_uncommitted_transaction)
{
	make_revokes();
	CHECK(sh("b=$(debugfs -R 'bmap <8> 9' %s 2>/dev/null) && "
		 "dd if=/dev/zero of=%s bs=%d seek=$b count=1 conv=notrunc status=none",
		 img, img, BS) == 0);
	check_revokes(false);
}

/* A journal needing recovery on a read-only device: refused, the image untouched. */
TEST(ext4_recovery_needs_a_writable_device)
{
	struct host_dev h;
	struct ext4_fs fs;

	CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q -b %d %s", img, img, BS, img) == 0);
	CHECK(sh("debugfs -w -f - %s >/dev/null 2>&1 <<'END'\njo\njw -b 300 %s\njc\nEND", img,
		 pat) == 0);
	CHECK(host_dev_open(&h, img, true) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, EXT4_MOUNT_RDONLY), -EROFS);
	CHECK_STR(fs.error, "ext4: the journal needs recovery but the device is read-only");
	host_dev_close(&h);
	/* A read-only mount of a writable device recovers, as Linux does. */
	CHECK(host_dev_open(&h, img, false) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, EXT4_MOUNT_RDONLY), 0);
	CHECK(fs.read_only);
	ext4_unmount(&fs);
	host_dev_close(&h);
	CHECK(sh("e2fsck -fn %s >/dev/null 2>&1", img) == 0);
}

/* A writer that ended without unmounting (its log checkpointed, empty,
 * needs_recovery still set, as at an instance's end: the kernel syncs each
 * mount, ext4fs_sync, which checkpoints) leaves an image a read-only
 * device mounts as it is: nothing to replay. */
TEST(ext4_empty_log_mounts_on_a_readonly_device)
{
	struct host_dev h;
	struct ext4_fs fs;
	struct ext4_inode r, f;

	CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q -b %d %s", img, img, BS, img) == 0);
	CHECK(host_dev_open(&h, img, false) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	CHECK_EQ(ext4_iget(&fs, EXT4_ROOT_INO, &r), 0);
	CHECK_EQ(ext4_create(&fs, &r, "kept", 4, EXT4_S_IFREG | 0644, 0, 0, NULL, &f), 0);
	CHECK_EQ(ext4_write(&fs, &f, 0, "hello", 5), 5);
	CHECK_EQ(ext4_checkpoint(&fs), 0);
	/* The image as the instance's end leaves it: copied before unmount. */
	CHECK(sh("cp %s %s", img, ref) == 0);
	ext4_unmount(&fs);
	host_dev_close(&h);
	CHECK(host_dev_open(&h, ref, true) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, EXT4_MOUNT_RDONLY), 0);
	CHECK_EQ(ext4_namei(&fs, "/kept", &f), 0);
	CHECK_EQ(f.size, 5);
	ext4_unmount(&fs);
	host_dev_close(&h);
}

int main(void)
{
	uint8_t buf[4 * BS];
	size_t i;
	FILE *f;

	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(img, sizeof(img), "%s/img", tmpdir);
	snprintf(ref, sizeof(ref), "%s/ref", tmpdir);
	snprintf(pat, sizeof(pat), "%s/pattern", tmpdir);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	f = fopen(pat, "wb");
	if (!f || fwrite(buf, 1, sizeof(buf), f) != sizeof(buf) || fclose(f))
		return 1;
	RUN(ext4_replays_a_transaction);
	RUN(ext4_replays_a_checksummed_transaction);
	RUN(ext4_honours_revokes);
	RUN(ext4_ignores_an_uncommitted_transaction);
	RUN(ext4_recovery_needs_a_writable_device);
	RUN(ext4_empty_log_mounts_on_a_readonly_device);
	sh("rm -rf %s", tmpdir);
	return unit_summary();
}
