/*
 * libFuzzer target: tests/tools/logreplay.c's reader of QEMU blklogwrites
 * logs, which trusts nothing in the log.  The input is the log; every entry
 * the super counts is walked and applied to a small image (a memfd): no
 * read past the input (ASan), and the image never grows.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#define LOGREPLAY_NO_MAIN
#include "../tools/logreplay.c"

#define FUZZ_IMAGE_SIZE 65536 /* bytes: 128 of the usual 512-byte sectors */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct logreplay r;
	const char *why = NULL;
	struct stat st;

	if (fd < 0 &&
	    ((fd = memfd_create("fuzz_logreplay", 0)) < 0 || ftruncate(fd, FUZZ_IMAGE_SIZE)))
		abort();
	if (logreplay_open(&r, data, size, &why))
		return 0;
	if (logreplay_walk(&r, r.nr_entries, false, fd, FUZZ_IMAGE_SIZE, &why) && !why)
		abort(); /* a failure always says why */
	if (fstat(fd, &st) || st.st_size != FUZZ_IMAGE_SIZE)
		abort();
	return 0;
}
