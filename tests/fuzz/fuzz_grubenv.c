/*
 * libFuzzer target: GRUB's environment block reader and writer
 * (kernel/lib/grubenv.c), which reads the block of a disk `monos export`
 * wrote: in the kernel at a trial boot, and in `monos update` on a disk
 * file the user names.  The input is the block (cut or padded with '#' to
 * GRUBENV_SIZE); a value found lies inside it, and a block valid before a
 * successful set is valid after it.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/lib/grubenv.c"

static void fuzz_get(const char *block, const char *name)
{
	size_t len = 0;
	const char *v = grubenv_get(block, name, &len);

	if (v && (v < block || len > (size_t)(block + GRUBENV_SIZE - v)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "monos_slot", "monos_try", "monos_pending", "a" };
	static const char *const values[] = { "b", NULL, "1", "a-much-longer-value-than-before" };
	char block[GRUBENV_SIZE];

	memset(block, '#', sizeof(block));
	memcpy(block, data, size < sizeof(block) ? size : sizeof(block));
	if (grubenv_check(block))
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		fuzz_get(block, names[i]);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (grubenv_set(block, names[i], values[i]) == 0 && grubenv_check(block))
			abort(); /* a set that succeeded left an invalid block */
	return 0;
}
