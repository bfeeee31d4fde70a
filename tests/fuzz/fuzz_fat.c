/*
 * libFuzzer target: the FAT seed reader (kernel/lib/fat.c).  The input is
 * the start of a 64 MiB device whose rest reads as zeros (so the corpus
 * need not carry a volume's empty tail, and FAT32 fits).  Every seed file
 * is read into a buffer of exactly the room given, so the address
 * sanitizer sees any overrun; a success must fit the room, and a walk may
 * not read more sectors than the device has (no endless chain).
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../kernel/lib/fat.c"

#define FUZZ_DEV_SECTORS (64u << 20) / FAT_DEV_SECTOR
#define FUZZ_ROOM	 20000

struct fuzz_dev {
	const uint8_t *data;
	size_t len;
	uint64_t reads;
};

static int fuzz_read(void *ctx, uint64_t sector, void *buf, unsigned count)
{
	struct fuzz_dev *d = ctx;
	uint64_t off = sector * FAT_DEV_SECTOR, n = (uint64_t)count * FAT_DEV_SECTOR;

	if (sector + count > FUZZ_DEV_SECTORS || ++d->reads > 4 * FUZZ_DEV_SECTORS)
		abort(); /* past the device it was told of, or walking forever */
	memset(buf, 0, n);
	if (off < d->len)
		memcpy(buf, d->data + off, d->len - off < n ? d->len - off : n);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "meta-data", "user-data", "network-config",
					     "vendor-data", "readme" };
	struct fuzz_dev dev = { data, size, 0 };
	static struct fat fs;
	uint8_t *buf = malloc(FUZZ_ROOM);

	if (!buf)
		abort();
	if (!fat_open(&fs, fuzz_read, &dev, FUZZ_DEV_SECTORS)) {
		(void)fat_label_is(&fs, "cidata");
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			long n = fat_read(&fs, names[i], buf, FUZZ_ROOM);

			if (n > FUZZ_ROOM ||
			    (n < 0 && n != -ENOENT && n != -EISDIR && n != -EINVAL && n != -E2BIG))
				abort();
		}
	}
	free(buf);
	return 0;
}
