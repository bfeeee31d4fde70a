/*
 * Unit tests of kernel/lib/iso9660.c over seeds made at test time by
 * cloud-localds and genisoimage (Rock Ridge and Joliet, each alone and
 * both), files of several sectors, and corrupted or truncated images: a
 * lying image gives an error, never a read outside the image (which is
 * mapped right before an inaccessible page).
 */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "image_file.h"
#include "../../kernel/lib/iso9660.c"

static int img_read(void *ctx, uint64_t sector, void *buf, unsigned count)
{
	struct image *im = ctx;

	if (sector + count > im->len / ISO9660_SECTOR || (int64_t)sector == im->fail_at)
		return -EIO;
	memcpy(buf, im->data + sector * ISO9660_SECTOR, (size_t)count * ISO9660_SECTOR);
	return 0;
}

static const char meta[] = "instance-id: iid-local01\nlocal-hostname: seedhost\n";
static const char user[] = "#cloud-config\nhostname: web1\n";
static const char net[] = "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* Check that image @name holds the seed's files, found by @how. */
static void check_seed(const char *name, bool vendor)
{
	struct image im = load(name);
	struct iso9660 fs;
	char buf[16384];
	static char big[12000];

	CHECK_EQ(iso9660_open(&fs, img_read, &im, im.len / ISO9660_SECTOR), 0);
	CHECK(iso9660_label_is(&fs, "cidata"));
	CHECK(!iso9660_label_is(&fs, "cidat"));
	CHECK_EQ(iso9660_read(&fs, "meta-data", buf, sizeof(buf)), (long)strlen(meta));
	CHECK(!memcmp(buf, meta, strlen(meta)));
	CHECK_EQ(iso9660_read(&fs, "user-data", buf, sizeof(buf)), (long)strlen(user));
	CHECK(!memcmp(buf, user, strlen(user)));
	CHECK_EQ(iso9660_read(&fs, "network-config", buf, sizeof(buf)), (long)strlen(net));
	CHECK(!memcmp(buf, net, strlen(net)));
	CHECK_EQ(iso9660_read(&fs, "user-data", buf, 5), -E2BIG);
	CHECK_EQ(iso9660_read(&fs, "missing", buf, sizeof(buf)), -ENOENT);
	if (vendor) {
		FILE *f;
		char path[256];

		snprintf(path, sizeof(path), "%s/vendor-data", tmpdir);
		f = fopen(path, "rb");
		CHECK(f && fread(big, 1, sizeof(big), f) == sizeof(big));
		if (f)
			fclose(f);
		CHECK_EQ(iso9660_read(&fs, "vendor-data", buf, sizeof(buf)), (long)sizeof(big));
		CHECK(!memcmp(buf, big, sizeof(big)));
	}
	munmap(im.map, im.maplen);
}

TEST(cloud_localds_seed)
{
	CHECK_EQ(sh("cloud-localds -N network-config seed.iso user-data meta-data"), 0);
	check_seed("seed.iso", false);
}

TEST(genisoimage_rock_and_joliet)
{
	const char *files = "user-data meta-data network-config vendor-data";
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "genisoimage -output both.iso -volid cidata -joliet -rock %s",
		 files);
	CHECK_EQ(sh(cmd), 0);
	check_seed("both.iso", true);
	snprintf(cmd, sizeof(cmd), "genisoimage -output rr.iso -volid CIDATA -rock %s", files);
	CHECK_EQ(sh(cmd), 0);
	check_seed("rr.iso", true);
	snprintf(cmd, sizeof(cmd), "genisoimage -output joliet.iso -volid cidata -joliet %s",
		 files);
	CHECK_EQ(sh(cmd), 0);
	check_seed("joliet.iso", true);
}

TEST(not_an_image_and_read_errors)
{
	struct image im = load("both.iso");
	struct iso9660 fs;
	char buf[256];

	CHECK_EQ(iso9660_open(&fs, img_read, &im, 16), -EINVAL); /* no descriptor */
	im.fail_at = 16;
	CHECK_EQ(iso9660_open(&fs, img_read, &im, im.len / ISO9660_SECTOR), -EIO);
	im.fail_at = -1;
	CHECK_EQ(iso9660_open(&fs, img_read, &im, im.len / ISO9660_SECTOR), 0);
	im.fail_at = (int)fs.root;
	CHECK_EQ(iso9660_read(&fs, "user-data", buf, sizeof(buf)), -EIO);
	im.fail_at = -1;
	/* Claimed smaller than the volume: the root still fits, files may not. */
	memset(im.data + 16 * ISO9660_SECTOR + 1, 'X', 5);
	CHECK_EQ(iso9660_open(&fs, img_read, &im, im.len / ISO9660_SECTOR), -EINVAL);
	munmap(im.map, im.maplen);
}

TEST(lying_images_give_errors)
{
	struct image im = load("both.iso"), orig = load("both.iso");
	struct iso9660 fs;
	char buf[16384];
	unsigned seed = 1;
	int errors = 0, found = 0;

	/* Flip bytes in the descriptors and directories (sectors 16 to 40). */
	for (int round = 0; round < 3000; round++) {
		memcpy(im.data, orig.data, im.len);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245 + 12345;
			size_t off = 16 * ISO9660_SECTOR + (seed >> 8) % (25 * ISO9660_SECTOR);
			im.data[off] = (uint8_t)(seed >> 3);
		}
		if (iso9660_open(&fs, img_read, &im, im.len / ISO9660_SECTOR)) {
			errors++;
			continue;
		}
		CHECK(fs.sectors <= im.len / ISO9660_SECTOR);
		found += iso9660_read(&fs, "vendor-data", buf, sizeof(buf)) > 0;
		(void)iso9660_read(&fs, "meta-data", buf, sizeof(buf));
	}
	CHECK(found > 0); /* most flips hit bytes that do not matter */
	/* Every truncation of the image: an error or the file, never a crash. */
	memcpy(im.data, orig.data, im.len); /* the pristine image, to copy from */
	for (size_t sectors = 0; sectors <= im.len / ISO9660_SECTOR; sectors++) {
		struct image cut = orig;

		cut.len = sectors * ISO9660_SECTOR;
		cut.data = orig.data + orig.len - cut.len; /* still ends at the guard */
		memcpy(cut.data, im.data, cut.len);
		long r = -1;

		if (!iso9660_open(&fs, img_read, &cut, sectors))
			r = iso9660_read(&fs, "vendor-data", buf, sizeof(buf));
		/* The file, or -EINVAL once something would pass the end: no -EIO. */
		CHECK(r == 12000 || r == -EINVAL || r == -1); /* -1: refused at open */
		if (cut.len == im.len)
			CHECK_EQ(r, 12000);
	}
	munmap(im.map, im.maplen);
	munmap(orig.map, orig.maplen);
}

int main(void)
{
	int rc;

	if (!mkdtemp(tmpdir) ||
	    system("command -v genisoimage >/dev/null && command -v cloud-localds >/dev/null")) {
		printf("SKIP iso9660: genisoimage and cloud-localds (Debian: genisoimage, "
		       "cloud-image-utils) are needed\n");
		return 0;
	}
	write_file("meta-data", meta);
	write_file("user-data", user);
	write_file("network-config", net);
	sh("head -c 12000 /dev/urandom > vendor-data");
	RUN(cloud_localds_seed);
	RUN(genisoimage_rock_and_joliet);
	RUN(not_an_image_and_read_errors);
	RUN(lying_images_give_errors);
	rc = unit_summary();
	return remove_tmpdir() ? 1 : rc;
}
