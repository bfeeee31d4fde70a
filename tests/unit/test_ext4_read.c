/*
 * Unit tests of the ext4 read path (kernel/lib/ext4/): a directory tree is
 * made on the host (files of awkward sizes, a sparse file with a depth-2
 * extent tree, a file larger than 4 GiB, fast and slow symlinks, nested
 * and empty directories), put into images by Debian's mkfs.ext4 -d with 1
 * KiB and 4 KiB blocks, with and without a journal, with extents and with
 * old block maps, and read back: every name, type, mode, size, time, byte
 * and link target must be what the host has.  Also a directory of 100,000
 * entries, refused features, and corrupted checksums.
 */
#include <dirent.h>
#include <sys/time.h>

#include "unit.h"
#include "ext4_host.h"

/* /one's i_mtime_extra: 987654321 ns, epoch 1 (seconds + 2^32). */
#define ONE_MTIME_EXTRA (987654321u << 2 | 1)

static char tmpdir[] = "/tmp/monos-ext4-XXXXXX";
static char src[4200], img[4200];

/* Deterministic bytes: a file's content is a function of its name and offset. */
static void fill(uint8_t *buf, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

static void make_file(const char *name, size_t size, uint32_t seed)
{
	char path[4400];
	uint8_t *buf = malloc(size + 1);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", src, name);
	fill(buf, size, seed);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	CHECK(fd >= 0 && write(fd, buf, size) == (ssize_t)size);
	close(fd);
	free(buf);
}

/* A sparse file: @n one-KiB islands of data, 2 KiB apart, then data past 4 GiB. */
static void make_sparse(const char *name, int n, bool huge)
{
	char path[4400];
	uint8_t buf[1024];
	int fd, i;

	snprintf(path, sizeof(path), "%s/%s", src, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (i = 0; i < n; i++) {
		fill(buf, sizeof(buf), (uint32_t)i);
		CHECK(pwrite(fd, buf, sizeof(buf), (off_t)i * 2048) == sizeof(buf));
	}
	if (huge)
		CHECK(pwrite(fd, "end", 3, (off_t)5 << 30) == 3);
	close(fd);
}

static void make_tree(void)
{
	char link[300];
	struct timeval tv[2] = { { 1234567890, 123456 }, { 1600000000, 987654 } };
	char path[4400];

	snprintf(src, sizeof(src), "%s/src", tmpdir);
	CHECK(sh("mkdir -p %s/a/b/c %s/empty", src, src) == 0);
	make_file("zero", 0, 1);
	make_file("one", 1, 2);
	make_file("kib-1", 1023, 3);
	make_file("kib", 1024, 4);
	make_file("page+1", 4097, 5);
	make_file("a/b/c/big", 3 * 1024 * 1024 + 17, 6);
	make_file("a/mid", 300 * 1024, 7);
	make_sparse("sparse", 2000, false);
	make_sparse("a/huge", 4, true);
	memset(link, 'l', sizeof(link) - 1);
	link[sizeof(link) - 1] = '\0';
	snprintf(path, sizeof(path), "%s/slow-link", src);
	CHECK(symlink(link, path) == 0);
	snprintf(path, sizeof(path), "%s/a/fast-link", src);
	CHECK(symlink("../one", path) == 0);
	snprintf(path, sizeof(path), "%s/one", src);
	CHECK(utimes(path, tv) == 0);
}

/* Compare ext4 inode @in with host file @path: type, mode, size, mtime, content or target. */
static void compare_file(struct ext4_fs *fs, const struct ext4_inode *in, const char *path,
			 const struct stat *st)
{
	CHECK_EQ(in->mode, st->st_mode);
	CHECK_EQ(in->uid, st->st_uid);
	if (fs->inode_size > EXT4_OLD_INO_SIZE && strcmp(path + strlen(src), "/one") == 0) {
		CHECK_EQ(in->mtime.sec, st->st_mtim.tv_sec + (1ll << 32));
		CHECK_EQ(in->mtime.nsec, ONE_MTIME_EXTRA >> 2);
	} else {
		CHECK_EQ(in->mtime.sec, st->st_mtim.tv_sec);
		CHECK_EQ(in->mtime.nsec, 0);
	}
	if (S_ISDIR(st->st_mode))
		return;
	CHECK_EQ(in->size, st->st_size);
	if (S_ISLNK(st->st_mode)) {
		char want[4096], got[4096];
		ssize_t n = readlink(path, want, sizeof(want));

		CHECK_EQ(ext4_readlink(fs, in, got, sizeof(got)), n);
		CHECK(n > 0 && memcmp(got, want, (size_t)n) == 0);
	} else if (st->st_size < (1 << 30)) {
		size_t len = 0;
		uint8_t *want = host_slurp(path, &len), *got = malloc(len + 1);
		size_t off, step = 7777; /* reads that cross block boundaries */

		for (off = 0; off < len; off += step) {
			size_t n = len - off < step ? len - off : step;

			CHECK_EQ(ext4_read(fs, in, off, got + off, n), n);
		}
		CHECK_EQ(ext4_read(fs, in, len, got, 1), 0);
		CHECK(len == 0 || memcmp(got, want, len) == 0);
		free(want);
		free(got);
	} else { /* the > 4 GiB file: a hole reads as zeros, then the tail */
		char buf[8];

		CHECK_EQ(ext4_read(fs, in, ((uint64_t)5 << 30) - 5, buf, 8), 8);
		CHECK(memcmp(buf, "\0\0\0\0\0end", 8) == 0);
		CHECK_EQ(ext4_read(fs, in, 4096 * 3 + 100, buf, 4), 4);
		CHECK(memcmp(buf, "\0\0\0\0", 4) == 0);
	}
}

/* Walk host directory @rel (under src) and ext4 directory @dir together. */
static void compare_dir(struct ext4_fs *fs, const char *rel, const struct ext4_inode *dir)
{
	char hpath[4800], epath[4800];
	struct ext4_dirent de;
	struct ext4_dir_pos pos = { 0, 0 };
	struct dirent *d;
	int host_n = 0, ext4_n = 0, rc;
	DIR *dh;

	snprintf(hpath, sizeof(hpath), "%s%s", src, rel);
	dh = opendir(hpath);
	CHECK(dh != NULL);
	while (dh && (d = readdir(dh))) {
		struct ext4_inode in;
		struct stat st;
		uint32_t ino;

		host_n++;
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		snprintf(hpath, sizeof(hpath), "%s%s/%s", src, rel, d->d_name);
		snprintf(epath, sizeof(epath), "%s/%s", rel, d->d_name);
		CHECK(lstat(hpath, &st) == 0);
		CHECK_EQ(ext4_lookup(fs, dir, d->d_name, strlen(d->d_name), &ino), 0);
		CHECK_EQ(ext4_namei(fs, epath, &in), 0);
		CHECK_EQ(in.ino, ino);
		compare_file(fs, &in, hpath, &st);
		if (S_ISDIR(st.st_mode))
			compare_dir(fs, epath, &in);
	}
	if (dh)
		closedir(dh);
	while ((rc = ext4_readdir(fs, dir, &pos, &de)) == 1)
		if (strcmp(de.name, "lost+found") != 0 || rel[0])
			ext4_n++;
	CHECK_EQ(rc, 0);
	CHECK_EQ(ext4_n, host_n);
}

/* mkfs.ext4 @opts -d src into a fresh image of @size; mount it and compare everything. */
static void check_image(const char *opts, const char *size)
{
	struct host_dev h;
	struct ext4_fs fs;
	struct ext4_inode root;

	snprintf(img, sizeof(img), "%s/img", tmpdir);
	CHECK(sh("rm -f %s && truncate -s %s %s && mkfs.ext4 -q -E nodiscard %s -d %s %s "
		 ">/dev/null 2>&1",
		 img, size, img, opts, src, img) == 0);
	/* mkfs -d keeps whole seconds only: set /one's nanoseconds and epoch bits by hand. */
	CHECK(sh("debugfs -w -R 'sif /one mtime_extra %u' %s 2>/dev/null", ONE_MTIME_EXTRA, img) ==
	      0);
	CHECK(host_dev_open(&h, img, true) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	CHECK(fs.read_only);
	CHECK_EQ(ext4_iget(&fs, EXT4_ROOT_INO, &root), 0);
	compare_dir(&fs, "", &root);
	ext4_unmount(&fs);
	host_dev_close(&h);
}

TEST(ext4_reads_1k_blocks)
{
	check_image("-b 1024", "6G");
}

TEST(ext4_reads_4k_blocks)
{
	check_image("-b 4096", "6G");
}

TEST(ext4_reads_without_journal)
{
	check_image("-b 4096 -O ^has_journal", "6G");
}

TEST(ext4_reads_block_maps)
{
	/* Without extents, files use direct, indirect and double-indirect blocks. */
	check_image("-b 1024 -O ^extent,^64bit,^flex_bg,^huge_file", "6G");
}

TEST(ext4_reads_128_byte_inodes)
{
	check_image("-b 4096 -I 128", "6G");
}

/* Mount @img read-only: ext4_mount's result, fs->error copied to @why. */
static int try_mount(const char *why_want)
{
	struct host_dev h;
	struct ext4_fs fs;
	int err;

	CHECK(host_dev_open(&h, img, true) == 0);
	err = ext4_mount(&fs, &h.dev, 0);
	if (why_want)
		CHECK_STR(fs.error ? fs.error : "(none)", why_want);
	if (!err)
		ext4_unmount(&fs);
	host_dev_close(&h);
	return err;
}

TEST(ext4_refuses_unknown_incompat_by_name)
{
	CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q -O inline_data %s", img, img,
		 img) == 0);
	CHECK_EQ(try_mount("ext4: unsupported feature inline_data"), -EINVAL);
	CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q -O meta_bg,^resize_inode %s", img,
		 img, img) == 0);
	CHECK_EQ(try_mount("ext4: unsupported feature meta_bg"), -EINVAL);
}

TEST(ext4_mounts_unknown_ro_compat_read_only)
{
	struct host_dev h;
	struct ext4_fs fs;

	CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q -O quota %s", img, img, img) == 0);
	CHECK(host_dev_open(&h, img, false) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	CHECK(fs.read_only);
	CHECK_STR(fs.error, "ext4: unknown ro_compat feature: mounted read-only");
	ext4_unmount(&fs);
	host_dev_close(&h);
}

/* Flip one byte of @img at @off. */
static void flip(uint64_t off)
{
	int fd = open(img, O_RDWR);
	uint8_t b = 0;

	CHECK(pread(fd, &b, 1, (off_t)off) == 1);
	b ^= 0x40;
	CHECK(pwrite(fd, &b, 1, (off_t)off) == 1);
	close(fd);
}

TEST(ext4_refuses_bad_checksums)
{
	struct host_dev h;
	struct ext4_fs fs;
	struct ext4_inode in;

	CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q -b 1024 %s", img, img, img) == 0);
	CHECK_EQ(try_mount(NULL), 0);
	flip(EXT4_SB_OFFSET + 0x78); /* the volume name */
	CHECK_EQ(try_mount("ext4: superblock checksum mismatch"), -EUCLEAN);
	flip(EXT4_SB_OFFSET + 0x78);
	flip(2048 + 0x0c); /* group 0's free block count, in block 2 */
	CHECK_EQ(try_mount("ext4: group descriptor checksum mismatch"), -EUCLEAN);
	flip(2048 + 0x0c);
	CHECK(host_dev_open(&h, img, true) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	/* The root inode's mode, in the inode table. */
	flip(ext4_gd_inode_table(&fs, ext4_gd(&fs, 0)) * 1024 + fs.inode_size + 1);
	CHECK_EQ(ext4_iget(&fs, EXT4_ROOT_INO, &in), -EUCLEAN);
	CHECK_EQ(ext4_iget(&fs, 0, &in), -EINVAL);
	CHECK_EQ(ext4_iget(&fs, fs.inodes_count + 1, &in), -EINVAL);
	ext4_unmount(&fs);
	host_dev_close(&h);
	CHECK(sh("dd if=/dev/zero of=%s bs=1024 seek=1 count=1 conv=notrunc status=none", img) ==
	      0);
	CHECK_EQ(try_mount("ext4: bad magic number"), -EINVAL);
}

/* A directory's leaf block with a bad checksum: listing it and looking up in it fail, cleanly. */
TEST(ext4_refuses_bad_directory_block)
{
	struct host_dev h;
	struct ext4_fs fs;
	struct ext4_inode in;
	struct ext4_dirent de;
	uint64_t pblk;
	struct ext4_dir_pos pos = { 0, 0 };
	uint32_t count, ino;

	CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q -b 1024 -d %s %s", img, img, src,
		 img) == 0);
	CHECK(host_dev_open(&h, img, true) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	CHECK_EQ(ext4_namei(&fs, "/a/b", &in), 0);
	CHECK_EQ(ext4_bmap(&fs, &in, 0, &pblk, &count), 0);
	flip(pblk * 1024 + 20); /* inside the ".." entry's name area */
	fs.data_blk = 0;
	CHECK_EQ(ext4_readdir(&fs, &in, &pos, &de), -EUCLEAN);
	CHECK_EQ(ext4_lookup(&fs, &in, "c", 1, &ino), -EUCLEAN);
	CHECK_EQ(ext4_namei(&fs, "/a/b/c", &in), -EUCLEAN);
	CHECK_EQ(ext4_namei(&fs, "/one/x", &in), -ENOTDIR);
	CHECK_EQ(ext4_namei(&fs, "/nope", &in), -ENOENT);
	ext4_unmount(&fs);
	host_dev_close(&h);
}

/* A name with '/' or NUL in it (fuzz_ext4 found NUL) is corrupt, not a name to pass on. */
TEST(ext4_refuses_slash_or_nul_in_names)
{
	static const char bad[] = { '/', '\0' };
	struct host_dev h;
	struct ext4_fs fs;
	struct ext4_inode in;
	struct ext4_dirent de;
	uint64_t pblk;
	struct ext4_dir_pos pos;
	uint32_t count;
	size_t i;

	for (i = 0; i < sizeof(bad); i++) {
		CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q -b 1024 -O ^metadata_csum "
			 "-d %s %s",
			 img, img, src, img) == 0);
		CHECK(host_dev_open(&h, img, false) == 0);
		CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
		CHECK_EQ(ext4_namei(&fs, "/a/b", &in), 0);
		CHECK_EQ(ext4_bmap(&fs, &in, 0, &pblk, &count), 0);
		/* The block holds ".", "..", then "c": its name starts at 12 + 12 + 8. */
		CHECK(pwrite(h.fd, &bad[i], 1, (off_t)(pblk * 1024 + 32)) == 1);
		fs.data_blk = 0;
		pos = (struct ext4_dir_pos){ 0, 0 };
		CHECK_EQ(ext4_readdir(&fs, &in, &pos, &de), 1);
		CHECK_EQ(ext4_readdir(&fs, &in, &pos, &de), 1);
		CHECK_EQ(ext4_readdir(&fs, &in, &pos, &de), -EUCLEAN);
		ext4_unmount(&fs);
		host_dev_close(&h);
	}
}

/* A directory of 2 GiB or more is corrupt without large_dir: every scan of one stays bounded. */
TEST(ext4_refuses_huge_directories)
{
	struct ext4_inode in;

	CHECK(sh("rm -f %s && truncate -s 8M %s && mkfs.ext4 -q -b 1024 -d %s %s && "
		 "debugfs -w -R 'sif /a/b size 0x80000000' %s >/dev/null 2>&1",
		 img, img, src, img, img) == 0);
	CHECK_EQ(try_mount(NULL), 0);
	{
		struct host_dev h;
		struct ext4_fs fs;

		CHECK(host_dev_open(&h, img, true) == 0);
		CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
		CHECK_EQ(ext4_namei(&fs, "/a/b", &in), -EUCLEAN);
		CHECK_EQ(ext4_namei(&fs, "/a", &in), 0);
		ext4_unmount(&fs);
		host_dev_close(&h);
	}
}

/*
 * A directory of BIG_DIR entries (an htree directory with several index
 * levels' worth of leaves): every one listed, and lookups hit and miss.
 * mkfs.ext4 -d inserts each name with a linear scan, so 100,000 entries take
 * it minutes; the 100,000-entry directory is made by the write path's tests.
 */
#define BIG_DIR 3000
TEST(ext4_big_directory)
{
	char dir[4400], name[32];
	struct host_dev h;
	struct ext4_fs fs;
	struct ext4_inode in;
	struct ext4_dirent de;
	struct ext4_dir_pos pos = { 0, 0 };
	uint32_t ino;
	int i, n = 0, rc;

	snprintf(dir, sizeof(dir), "%s/big/d", tmpdir);
	CHECK(sh("mkdir -p %s && cd %s && seq -f 'entry-%%.0f' 0 %d | xargs touch", dir, dir,
		 BIG_DIR - 1) == 0);
	CHECK(sh("rm -f %s && truncate -s 64M %s && mkfs.ext4 -q -N %d -d %s/big %s", img, img,
		 2 * BIG_DIR, tmpdir, img) == 0);
	/* mkfs -d makes linear directories; e2fsck -D indexes them (exit 1: "changed"). */
	CHECK(sh("e2fsck -fyD %s >/dev/null 2>&1; [ $? -le 1 ]", img) == 0);
	CHECK(host_dev_open(&h, img, true) == 0);
	CHECK_EQ(ext4_mount(&fs, &h.dev, 0), 0);
	CHECK_EQ(ext4_namei(&fs, "/d", &in), 0);
	CHECK(in.flags & EXT4_INDEX_FL);
	while ((rc = ext4_readdir(&fs, &in, &pos, &de)) == 1)
		n += strncmp(de.name, "entry-", 6) == 0 && de.type == EXT4_FT_REG_FILE;
	CHECK_EQ(rc, 0);
	CHECK_EQ(n, BIG_DIR);
	for (i = 0; i < BIG_DIR; i += BIG_DIR / 3 - 1) {
		snprintf(name, sizeof(name), "entry-%d", i);
		CHECK_EQ(ext4_lookup(&fs, &in, name, strlen(name), &ino), 0);
	}
	CHECK_EQ(ext4_lookup(&fs, &in, "entry-x", 7, &ino), -ENOENT);
	ext4_unmount(&fs);
	host_dev_close(&h);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	make_tree();
	RUN(ext4_reads_1k_blocks);
	RUN(ext4_reads_4k_blocks);
	RUN(ext4_reads_without_journal);
	RUN(ext4_reads_block_maps);
	RUN(ext4_reads_128_byte_inodes);
	RUN(ext4_refuses_unknown_incompat_by_name);
	RUN(ext4_mounts_unknown_ro_compat_read_only);
	RUN(ext4_refuses_bad_checksums);
	RUN(ext4_refuses_bad_directory_block);
	RUN(ext4_refuses_slash_or_nul_in_names);
	RUN(ext4_refuses_huge_directories);
	RUN(ext4_big_directory);
	sh("rm -rf %s", tmpdir);
	return unit_summary();
}
