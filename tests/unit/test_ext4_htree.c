/*
 * Unit tests of ext4 hash-tree directories (kernel/lib/ext4/htree.c):
 * the name hashes against e2fsprogs' own (debugfs dx_hash, asked at test
 * time), reading indexes that mkfs.ext4 -d and e2fsck -D built, and
 * directories grown here through conversion, leaf splits, a second index
 * level and node splits, listed while they grow, renamed across and
 * unlinked from: e2fsck -fn must find every image clean and debugfs's
 * htree command must read what was written.  Unsigned hashes (s_flags)
 * have no debugfs spelling: e2fsck, which checks every name's hash against
 * its leaf's range, is their oracle.
 */
#include "unit.h"
#include "ext4_host.h"

static char tmpdir[] = "/tmp/monos-ext4h-XXXXXX";
static char img[4200], out[4200];

static struct host_dev h;
static struct ext4_fs fs;

/*
 * s_hash_seed of every image made here: mkfs picks a random one, and some
 * seeds make two names of a test hash alike (TEA's equivalent keys: with
 * this one "\xe9-2052" and "\xe9-2153", "\xe9-2157" and "\xe9-2359"),
 * so a test would pass or fail by chance.  This seed makes collisions
 * (ext4_htree_collision_runs checks that it does).
 */
#define TEST_SEED "323ec04a-44d8-2784-9bf4-f640e98da1bd"

/* A fresh image (mkfs.ext4 @opts, @size), optionally changed by debugfs -w @ssv, mounted. */
static void fresh(const char *opts, const char *size, const char *ssv)
{
	CHECK(sh("rm -f %s && truncate -s %s %s && mkfs.ext4 -q -E hash_seed=%s %s %s", img, size,
		 img, TEST_SEED, opts, img) == 0);
	if (ssv)
		CHECK(sh("debugfs -w -R '%s' %s >/dev/null 2>&1", ssv, img) == 0);
	CHECK(host_dev_open(&h, img, false) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
}

/* Sync, unmount, and have e2fsck and debugfs's htree reader check the image. */
static void done(const char *dir)
{
	CHECK_EQ(ext4_sync(&fs), 0);
	ext4_unmount(&fs);
	host_dev_close(&h);
	CHECK(sh("e2fsck -fn %s >%s/fsck.log 2>&1 || { head -30 %s/fsck.log; false; }", img, tmpdir,
		 tmpdir) == 0);
	if (dir)
		CHECK(sh("debugfs -R 'htree %s' %s >%s 2>&1 && grep -q 'Root node dump' %s && "
			 "! grep -aiwq 'corrupt\\|bad\\|error' %s",
			 dir, img, out, out, out) == 0);
}

/* The 16 bytes of UUID @uuid as s_hash_seed's four little-endian words. */
static void seed_of(const char *uuid, uint32_t seed[4])
{
	uint8_t b[16];
	int i = 0;

	for (const char *p = uuid; *p && i < 16; p++)
		if (*p != '-') {
			sscanf(p, "%2hhx", &b[i++]);
			p++;
		}
	memcpy(seed, b, sizeof(b));
}

/* Names to hash: short, long (past one 32-byte and 16-byte round), 255 bytes, high bytes. */
static const char *hash_names[] = {
	"a",
	"hello",
	"entry-12345",
	"0123456789abcdefX",
	"0123456789abcdef0123456789abcdefXY",
	"h\xe9llo",
	"\xff\xfe\x80",
	NULL,
};

TEST(ext4_hashes_match_debugfs)
{
	static const char *alg[] = { "legacy", "half_md4", "tea" };
	static const char *seeds[] = { "00000000-0000-0000-0000-000000000000",
				       "11111111-2222-3333-4444-555555555555",
				       "ef5f3564-9a39-412d-acd0-58e53f0dc973" };
	char long_name[256], cmd[1024];
	uint32_t seed[4], major, minor, want_major, want_minor;

	memset(long_name, 'q', 255);
	long_name[255] = '\0';
	long_name[7] = '\xc3';
	CHECK(sh("rm -f %s && truncate -s 2M %s && mkfs.ext4 -q %s", img, img, img) == 0);
	for (unsigned v = 0; v < 3; v++)
		for (unsigned s = 0; s < 3; s++)
			for (int n = 0; n <= 7; n++) {
				const char *name = hash_names[n] ? hash_names[n] : long_name;
				FILE *p;
				int got;

				seed_of(seeds[s], seed);
				snprintf(cmd, sizeof(cmd),
					 "debugfs -R 'dx_hash -h %s -s %s %s' %s 2>/dev/null",
					 alg[v], seeds[s], name, img);
				p = popen(cmd, "r");
				got = p ? fscanf(p, "Hash of %*s is 0x%x (minor 0x%x)", &want_major,
						 &want_minor)
					: 0;
				if (p)
					pclose(p);
				CHECK_EQ(got, 2);
				CHECK_EQ(ext4_dx_hash(seed, v, name, strlen(name), &major, &minor),
					 0);
				CHECK_EQ(major, want_major);
				CHECK_EQ(minor, want_minor);
			}
	CHECK_EQ(ext4_dx_hash(NULL, 6, "a", 1, &major, &minor), -EOPNOTSUPP); /* siphash */
}

/* Every name of @dir listed exactly once: @n names "@fmt" with i in [0, n) (bitmap @seen). */
static void check_listing(struct ext4_inode *d, const char *prefix, int n, int step)
{
	uint8_t *seen = calloc((size_t)n, 1);
	struct ext4_dirent de;
	struct ext4_dir_pos pos = { 0, 0 };
	int rc, count = 0, bad = 0;

	while ((rc = ext4_readdir(&fs, d, &pos, &de)) == 1) {
		size_t pl = strlen(prefix);
		int i;

		if (strncmp(de.name, prefix, pl) != 0)
			continue;
		i = atoi(de.name + pl);
		if (i < 0 || i >= n || i % step || seen[i]++)
			bad++;
		count++;
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(count, (n + step - 1) / step);
	free(seen);
}

/* Reading indexes that e2fsprogs built: mkfs -d, then e2fsck -D (two levels at 1 KiB). */
TEST(ext4_reads_linux_htree)
{
	struct ext4_inode d;
	uint32_t ino;
	char name[32];
	int i;

	CHECK(sh("rm -rf %s/src && mkdir -p %s/src/d && cd %s/src/d && "
		 "seq -f 'linux-entry-name-%%.0f' 0 7999 | xargs touch",
		 tmpdir, tmpdir, tmpdir) == 0);
	CHECK(sh("rm -f %s && truncate -s 64M %s && mkfs.ext4 -q -b 1024 -N 10000 -d %s/src %s && "
		 "{ e2fsck -fyD %s >/dev/null 2>&1; [ $? -le 1 ]; }",
		 img, img, tmpdir, img, img) == 0);
	CHECK(sh("debugfs -R 'htree /d' %s 2>/dev/null | grep -q 'Indirect levels: 1'", img) == 0);
	CHECK(host_dev_open(&h, img, true) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, EXT4_MOUNT_RDONLY), 0);
	CHECK_EQ(ext4_namei(&fs, "/d", &d), 0);
	CHECK(d.flags & EXT4_INDEX_FL);
	for (i = 0; i < 8000; i++) {
		snprintf(name, sizeof(name), "linux-entry-name-%d", i);
		CHECK_EQ(ext4_lookup(&fs, &d, name, strlen(name), &ino), 0);
	}
	CHECK_EQ(ext4_lookup(&fs, &d, "linux-entry-name-8000", 21, &ino), -ENOENT);
	check_listing(&d, "linux-entry-name-", 8000, 1);
	ext4_unmount(&fs);
	host_dev_close(&h);
}

/*
 * Grow one directory to @n entries (converted, split, two levels), list it
 * while inserting between reads, rename every third entry into another
 * directory, unlink every other one, and check each step.
 */
static void grow_and_shrink(int n, const char *opts, const char *size, const char *ssv,
			    const char *prefix)
{
	struct ext4_inode r, d, e, f;
	struct ext4_dirent de;
	struct ext4_dir_pos pos = { 0, 0 };
	uint32_t ino;
	char name[300], nname[300];
	int i, rc, listed = 0, extra = 0;

	fresh(opts, size, ssv);
	CHECK_EQ(ext4_iget(&fs, EXT4_ROOT_INO, &r), 0);
	CHECK_EQ(ext4_create(&fs, &r, "d", 1, EXT4_S_IFDIR | 0755, 0, 0, NULL, &d), 0);
	CHECK_EQ(ext4_create(&fs, &r, "e", 1, EXT4_S_IFDIR | 0755, 0, 0, NULL, &e), 0);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		rc = ext4_create(&fs, &d, name, strlen(name), EXT4_S_IFREG | 0644, 0, 0, NULL, &f);
		if (rc) {
			CHECK_EQ(rc, 0);
			break;
		}
	}
	CHECK_EQ(!!(d.flags & EXT4_INDEX_FL), !strstr(opts, "^dir_index"));
	for (i = 0; i < n; i += n / 7 + 1) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		CHECK_EQ(ext4_lookup(&fs, &d, name, strlen(name), &ino), 0);
	}
	/* List while inserting: every first name exactly once, whatever splits meanwhile. */
	{
		uint8_t *seen = calloc((size_t)n, 1);
		int bad = 0;

		while ((rc = ext4_readdir(&fs, &d, &pos, &de)) == 1) {
			size_t pl = strlen(prefix);

			if (strncmp(de.name, prefix, pl) == 0) {
				i = atoi(de.name + pl);
				if (i < 0 || i >= n || seen[i]++)
					bad++;
				listed++;
			}
			if (listed % 3 == 0 && extra < n / 4) {
				snprintf(name, sizeof(name), "late-%d", extra++);
				CHECK_EQ(ext4_create(&fs, &d, name, strlen(name),
						     EXT4_S_IFREG | 0644, 0, 0, NULL, &f),
					 0);
			}
		}
		CHECK_EQ(rc, 0);
		CHECK_EQ(bad, 0);
		CHECK_EQ(listed, n);
		free(seen);
	}
	for (i = 0; i < n; i += 3) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		snprintf(nname, sizeof(nname), "moved-%d", i);
		CHECK_EQ(ext4_rename(&fs, &d, name, strlen(name), &e, nname, strlen(nname)), 0);
	}
	for (i = 1; i < n; i += 2) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		if (i % 3)
			CHECK_EQ(ext4_unlink(&fs, &d, name, strlen(name)), 0);
	}
	for (i = 0; i < n; i += n / 11 + 1) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		CHECK_EQ(ext4_lookup(&fs, &d, name, strlen(name), &ino),
			 i % 3 == 0 || i % 2 ? -ENOENT : 0);
		snprintf(nname, sizeof(nname), "moved-%d", i);
		CHECK_EQ(ext4_lookup(&fs, &e, nname, strlen(nname), &ino), i % 3 ? -ENOENT : 0);
	}
	check_listing(&e, "moved-", n, 3);
	done(strstr(opts, "^dir_index") ? NULL : "/d");
}

TEST(ext4_htree_100000_entries_4k)
{
	/* No journal: its commits' flushes would make this minutes on a busy disk. */
	grow_and_shrink(100000, "-b 4096 -N 140000 -O ^has_journal", "256M", NULL, "entry-");
	CHECK(sh("debugfs -R 'ls /d' %s 2>/dev/null | grep -q 'entry-99998'", img) == 0);
}

/* 1 KiB blocks: the root fills, a second level comes, and its nodes split. */
TEST(ext4_htree_two_levels_1k)
{
	grow_and_shrink(12000, "-b 1024 -N 16000 -O ^has_journal", "64M", NULL,
			"a-rather-longer-name-");
	CHECK(sh("debugfs -R 'htree /d' %s 2>/dev/null | grep -q 'Indirect levels: 1'", img) == 0);
}

/* Unsigned hashes (s_flags), high-byte names; and the TEA and legacy hashes. */
TEST(ext4_htree_unsigned_tea_legacy)
{
	grow_and_shrink(5000, "-b 1024", "32M", "ssv flags 2", "\xe9\xe8-");
	grow_and_shrink(5000, "-b 1024", "32M", "ssv def_hash_version tea", "\xe9-");
	grow_and_shrink(3000, "-b 1024 -O ^metadata_csum", "32M", "ssv def_hash_version legacy",
			"\xe9-");
}

/* The names "@prefix@i" for i in [0, @n) whose cookies equal another's
 * (under TEST_SEED, @version): how many. */
static int collisions(unsigned version, const char *prefix, int n)
{
	uint64_t *c = calloc((size_t)n, sizeof(*c));
	uint32_t seed[4], major, minor;
	char name[64];
	int i, j, k = 0;

	seed_of(TEST_SEED, seed);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		CHECK_EQ(ext4_dx_hash(seed, version, name, strlen(name), &major, &minor), 0);
		c[i] = ext4_dx_cookie(major, minor);
		for (j = 0; j < i; j++)
			k += c[j] == c[i];
	}
	free(c);
	return k;
}

/*
 * A run of names with one cookie, with a listing stopping inside it (as a
 * getdents whose buffer fills after the run's first name) while names are
 * added: every name exactly once.  The position kept between the calls is
 * all a new call gets, as the open file's is.
 */
TEST(ext4_htree_collision_runs)
{
	struct ext4_inode r, d, f;
	struct ext4_dirent de;
	struct ext4_dir_pos pos = { 0, 0 }, kept;
	uint8_t seen[2400] = { 0 };
	char name[64];
	int i, rc, listed = 0, extra = 0, inside = 0, bad = 0;

	CHECK_EQ(collisions(EXT4_DX_HASH_TEA, "\xe9-", 2400), 2);
	fresh("-b 1024", "16M", "ssv def_hash_version tea");
	CHECK_EQ(ext4_iget(&fs, EXT4_ROOT_INO, &r), 0);
	CHECK_EQ(ext4_create(&fs, &r, "d", 1, EXT4_S_IFDIR | 0755, 0, 0, NULL, &d), 0);
	for (i = 0; i < 2400; i++) {
		snprintf(name, sizeof(name), "\xe9-%d", i);
		CHECK_EQ(ext4_create(&fs, &d, name, strlen(name), EXT4_S_IFREG | 0644, 0, 0, NULL,
				     &f),
			 0);
	}
	while ((rc = ext4_readdir(&fs, &d, &pos, &de)) == 1) {
		if ((unsigned char)de.name[0] == 0xe9) {
			i = atoi(de.name + 2);
			bad += i < 0 || i >= 2400 || seen[i]++;
			listed++;
		}
		if (pos.run == 0)
			continue;
		inside++; /* the buffer is full: add names, then a new call goes on */
		kept = pos;
		memset(&pos, 0xff, sizeof(pos));
		for (i = 0; i < 50; i++) {
			snprintf(name, sizeof(name), "late-%d", extra++);
			CHECK_EQ(ext4_create(&fs, &d, name, strlen(name), EXT4_S_IFREG | 0644, 0, 0,
					     NULL, &f),
				 0);
		}
		pos = kept;
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(inside, 2);
	CHECK_EQ(bad, 0);
	CHECK_EQ(listed, 2400);
	done("/d");
}

/* Without dir_index a directory stays linear, as Linux keeps it. */
TEST(ext4_no_dir_index_stays_linear)
{
	grow_and_shrink(2000, "-b 1024 -O ^dir_index", "16M", NULL, "x");
}

/* An indexed directory moved to another parent: ".." in its root changes, and so does the root's dx_tail checksum. */
TEST(ext4_htree_directory_moves)
{
	struct ext4_inode r, a, b, big, f;
	char name[64];
	int i;

	fresh("-b 1024", "16M", NULL);
	CHECK_EQ(ext4_iget(&fs, EXT4_ROOT_INO, &r), 0);
	CHECK_EQ(ext4_create(&fs, &r, "a", 1, EXT4_S_IFDIR | 0755, 0, 0, NULL, &a), 0);
	CHECK_EQ(ext4_create(&fs, &r, "b", 1, EXT4_S_IFDIR | 0755, 0, 0, NULL, &b), 0);
	CHECK_EQ(ext4_create(&fs, &a, "big", 3, EXT4_S_IFDIR | 0755, 0, 0, NULL, &big), 0);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "name-%d", i);
		CHECK_EQ(ext4_create(&fs, &big, name, strlen(name), EXT4_S_IFREG | 0644, 0, 0, NULL,
				     &f),
			 0);
	}
	CHECK(big.flags & EXT4_INDEX_FL);
	CHECK_EQ(ext4_rename(&fs, &a, "big", 3, &b, "moved", 5), 0);
	done("/b/moved");
	CHECK(sh("debugfs -R 'ls /b/moved/..' %s 2>/dev/null | grep -q moved", img) == 0);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(img, sizeof(img), "%s/img", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	RUN(ext4_hashes_match_debugfs);
	RUN(ext4_reads_linux_htree);
	RUN(ext4_htree_100000_entries_4k);
	RUN(ext4_htree_two_levels_1k);
	RUN(ext4_htree_unsigned_tea_legacy);
	RUN(ext4_htree_collision_runs);
	RUN(ext4_no_dir_index_stays_linear);
	RUN(ext4_htree_directory_moves);
	sh("rm -rf %s", tmpdir);
	return unit_summary();
}
