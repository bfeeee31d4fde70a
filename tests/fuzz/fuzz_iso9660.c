/*
 * libFuzzer target: the ISO 9660 seed reader (kernel/lib/iso9660.c).  The
 * input is the image from sector 16 on (the 32 KiB system area before it
 * is never read, so the corpus need not carry it); a read past the input
 * fails with -EIO.  Every seed file is looked up and read into a buffer of
 * exactly the room given, so the address sanitizer sees any overrun; a
 * success must fit the room and lie within the image.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../kernel/lib/iso9660.c"

#define FUZZ_SYSTEM_AREA 16 /* sectors before the descriptors */
#define FUZZ_ROOM	 20000

struct fuzz_image {
	const uint8_t *data;
	size_t len;
};

static int fuzz_read(void *ctx, uint64_t sector, void *buf, unsigned count)
{
	const struct fuzz_image *im = ctx;
	uint64_t first = sector - FUZZ_SYSTEM_AREA;

	if (sector < FUZZ_SYSTEM_AREA || count != 1 || (first + 1) * ISO9660_SECTOR > im->len)
		abort(); /* the reader asked for what open() said was not there */
	memcpy(buf, im->data + first * ISO9660_SECTOR, ISO9660_SECTOR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "meta-data", "user-data", "network-config",
					     "vendor-data" };
	struct fuzz_image im = { data, size };
	static struct iso9660 fs;
	uint8_t *buf = malloc(FUZZ_ROOM);

	if (!buf)
		abort();
	if (!iso9660_open(&fs, fuzz_read, &im, FUZZ_SYSTEM_AREA + size / ISO9660_SECTOR)) {
		(void)iso9660_label_is(&fs, "cidata");
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			long n = iso9660_read(&fs, names[i], buf, FUZZ_ROOM);

			if (n > FUZZ_ROOM ||
			    (n < 0 && n != -ENOENT && n != -EISDIR && n != -EINVAL && n != -E2BIG))
				abort();
		}
	}
	free(buf);
	return 0;
}
