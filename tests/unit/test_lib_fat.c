/*
 * Unit tests of kernel/lib/fat.c over vfat seeds made at test time by
 * mkfs.vfat and mcopy (FAT12, FAT16, FAT32), long and 8.3
 * names, a fragmented file, labels, and corrupted or truncated images: a
 * lying image gives an error, never a read outside the image (which is
 * mapped right before an inaccessible page) and never an endless chain.
 */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "image_file.h"
#include "../../kernel/lib/fat.c"

static int img_read(void *ctx, uint64_t sector, void *buf, unsigned count)
{
	struct image *im = ctx;

	im->reads++;
	if (sector + count > im->len / FAT_DEV_SECTOR)
		return -EIO;
	memcpy(buf, im->data + sector * FAT_DEV_SECTOR, (size_t)count * FAT_DEV_SECTOR);
	return 0;
}

static const char meta[] = "instance-id: iid-local01\nlocal-hostname: seedhost\n";
static const char user[] = "#cloud-config\nhostname: web1\n";

/* The bytes of file @name of the temporary folder into @buf; its length. */
static long slurp(const char *name, char *buf, size_t cap)
{
	char path[256];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "rb");
	if (!f)
		return -1;
	n = (long)fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* Make a CIDATA seed with mkfs.vfat @opts (@kib KiB) and check it. */
static void check_seed(const char *opts, unsigned kib, unsigned bits)
{
	char cmd[512];
	static char buf[100000], want[100000];
	struct image im;
	static struct fat fs;
	long n;

	snprintf(cmd, sizeof(cmd),
		 "rm -f seed.img && mkfs.vfat -C %s -n CIDATA seed.img %u && "
		 "mcopy -i seed.img meta-data user-data network-config vendor-data README ::",
		 opts, kib);
	CHECK_EQ(sh(cmd), 0);
	im = load("seed.img");
	CHECK_EQ(fat_open(&fs, img_read, &im, im.len / FAT_DEV_SECTOR), 0);
	CHECK_EQ(fs.bits, bits);
	CHECK(fat_label_is(&fs, "cidata"));
	CHECK_EQ(fat_read(&fs, "meta-data", buf, sizeof(buf)), (long)strlen(meta));
	CHECK(!memcmp(buf, meta, strlen(meta)));
	CHECK_EQ(fat_read(&fs, "USER-DATA", buf, sizeof(buf)), (long)strlen(user));
	CHECK(!memcmp(buf, user, strlen(user)));
	n = slurp("network-config", want, sizeof(want));
	CHECK_EQ(fat_read(&fs, "network-config", buf, sizeof(buf)), n);
	CHECK(!memcmp(buf, want, (size_t)n));
	n = slurp("vendor-data", want, sizeof(want));
	CHECK_EQ(fat_read(&fs, "vendor-data", buf, sizeof(buf)), n);
	CHECK(!memcmp(buf, want, (size_t)n));
	CHECK_EQ(fat_read(&fs, "readme", buf, sizeof(buf)), 6); /* an 8.3 name only */
	CHECK_EQ(fat_read(&fs, "vendor-data", buf, 100), -E2BIG);
	CHECK_EQ(fat_read(&fs, "missing", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(fat_read(&fs, "cidata", buf, sizeof(buf)), -ENOENT); /* the label is no file */
	munmap(im.map, im.maplen);
}

TEST(fat12_fat16_fat32_seeds)
{
	check_seed("-F 12", 1440, 12);
	check_seed("-F 16", 20000, 16);
	check_seed("-F 32", 40000, 32);
}

TEST(fragmented_file_and_subdirectory)
{
	static char buf[100000], want[100000];
	struct image im;
	static struct fat fs;
	long n;

	CHECK_EQ(sh("rm -f frag.img && mkfs.vfat -C -F 12 -n cidata frag.img 1440 && "
		    "mcopy -i frag.img meta-data ::a && mcopy -i frag.img README ::b && "
		    "mcopy -i frag.img meta-data ::c && mdel -i frag.img ::a ::c && "
		    "mcopy -i frag.img vendor-data ::user-data && mmd -i frag.img ::dir"),
		 0);
	im = load("frag.img");
	CHECK_EQ(fat_open(&fs, img_read, &im, im.len / FAT_DEV_SECTOR), 0);
	CHECK(fat_label_is(&fs, "CIDATA"));
	n = slurp("vendor-data", want, sizeof(want));
	CHECK_EQ(fat_read(&fs, "user-data", buf, sizeof(buf)), n);
	CHECK(!memcmp(buf, want, (size_t)n));
	CHECK_EQ(fat_read(&fs, "a", buf, sizeof(buf)), -ENOENT); /* deleted */
	CHECK_EQ(fat_read(&fs, "dir", buf, sizeof(buf)), -EISDIR);
	munmap(im.map, im.maplen);
}

TEST(chain_loops_and_bad_clusters_are_errors)
{
	static char buf[100000];
	struct image im;
	static struct fat fs;
	uint8_t *fat1;

	/* vendor-data takes clusters 2 to 16 of a new FAT16 volume. */
	CHECK_EQ(sh("rm -f loop.img && mkfs.vfat -C -F 16 -n CIDATA loop.img 20000 && "
		    "mcopy -i loop.img vendor-data ::"),
		 0);
	im = load("loop.img");
	CHECK_EQ(fat_open(&fs, img_read, &im, im.len / FAT_DEV_SECTOR), 0);
	fat1 = im.data + fs.fat_start * fs.sector_size;
	CHECK_EQ(fat_le16(fat1 + 2 * 2), 3);
	/* A loop (3 -> 3): the size still bounds the walk. */
	fat1[2 * 3] = 3;
	fs.cached = UINT64_MAX;
	im.reads = 0;
	(void)fat_read(&fs, "vendor-data", buf, sizeof(buf));
	CHECK(im.reads < 100);
	/* A free cluster (0) inside the chain. */
	fat1[2 * 3] = 0;
	fs.cached = UINT64_MAX;
	CHECK_EQ(fat_read(&fs, "vendor-data", buf, sizeof(buf)), -EINVAL);
	/* A cluster number past the volume. */
	fat1[2 * 3] = 0xf0;
	fat1[2 * 3 + 1] = 0xff;
	fs.cached = UINT64_MAX;
	CHECK_EQ(fat_read(&fs, "vendor-data", buf, sizeof(buf)), -EINVAL);
	munmap(im.map, im.maplen);

	/* FAT32's root directory is a chain: a loop there ends with -EINVAL. */
	CHECK_EQ(sh("rm -f loop32.img && mkfs.vfat -C -F 32 -n CIDATA loop32.img 40000"), 0);
	im = load("loop32.img");
	CHECK_EQ(fat_open(&fs, img_read, &im, im.len / FAT_DEV_SECTOR), 0);
	fat1 = im.data + fs.fat_start * fs.sector_size;
	memcpy(fat1 + 4 * fs.root_cluster, &fs.root_cluster, 4);
	/* Deleted entries fill the root cluster: no end-of-directory entry. */
	for (uint32_t off = 0; off < fs.cluster_sectors * fs.sector_size; off += FAT_DIRENT)
		im.data[((uint64_t)fs.data_start + (fs.root_cluster - 2) * fs.cluster_sectors) *
				fs.sector_size +
			off] = FAT_DE_FREE;
	fs.cached = UINT64_MAX;
	CHECK_EQ(fat_read(&fs, "missing", buf, sizeof(buf)), -EINVAL);
	munmap(im.map, im.maplen);
}

TEST(lying_images_give_errors)
{
	static char buf[100000];
	struct image im, orig;
	static struct fat fs;
	unsigned seed = 7;
	int opened = 0;

	CHECK_EQ(sh("rm -f lie.img && mkfs.vfat -C -F 12 -n CIDATA lie.img 1440 && "
		    "mcopy -i lie.img meta-data user-data network-config vendor-data ::"),
		 0);
	im = load("lie.img");
	orig = load("lie.img");
	/* Flip bytes of the boot sector, the FATs and the root directory. */
	for (int round = 0; round < 3000; round++) {
		memcpy(im.data, orig.data, im.len);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245 + 12345;
			im.data[(seed >> 8) % (40 * FAT_DEV_SECTOR)] = (uint8_t)(seed >> 3);
		}
		im.reads = 0;
		if (fat_open(&fs, img_read, &im, im.len / FAT_DEV_SECTOR))
			continue;
		opened++;
		(void)fat_read(&fs, "vendor-data", buf, sizeof(buf));
		(void)fat_read(&fs, "user-data", buf, sizeof(buf));
		CHECK(im.reads < 5000); /* no endless walk */
	}
	CHECK(opened > 0);
	/* Every truncation: an error or the file, never a crash. */
	memcpy(im.data, orig.data, im.len);
	for (size_t sectors = 0; sectors <= im.len / FAT_DEV_SECTOR; sectors += 7) {
		struct image cut = orig;
		long r = -1;

		cut.len = sectors * FAT_DEV_SECTOR;
		cut.data = orig.data + orig.len - cut.len;
		memcpy(cut.data, im.data, cut.len);
		if (!fat_open(&fs, img_read, &cut, sectors))
			r = fat_read(&fs, "vendor-data", buf, sizeof(buf));
		CHECK(r == -1 || r == -EIO || r == 30000);
	}
	munmap(im.map, im.maplen);
	munmap(orig.map, orig.maplen);
}

int main(void)
{
	int rc;

	if (!mkdtemp(tmpdir) ||
	    system("command -v mkfs.vfat >/dev/null && command -v mcopy >/dev/null")) {
		printf("SKIP fat: mkfs.vfat and mcopy (Debian: dosfstools, mtools) are needed\n");
		return 0;
	}
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	sh("printf 'instance-id: iid-local01\\nlocal-hostname: seedhost\\n' > meta-data");
	sh("printf '#cloud-config\\nhostname: web1\\n' > user-data");
	sh("seq 1 2000 > network-config && head -c 30000 /dev/urandom > vendor-data");
	sh("echo hello > README");
	RUN(fat12_fat16_fat32_seeds);
	RUN(fragmented_file_and_subdirectory);
	RUN(chain_loops_and_bad_clusters_are_errors);
	RUN(lying_images_give_errors);
	rc = unit_summary();
	return remove_tmpdir() ? 1 : rc;
}
