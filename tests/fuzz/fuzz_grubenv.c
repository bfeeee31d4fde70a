/*
 * libFuzzer target: GRUB's environment block reader and writer
 * (kernel/lib/grubenv.c), which reads the block of a disk `monos export`
 * wrote: in the kernel at a trial boot, and in `monos update` on a disk
 * file the user names.  The input is the block (cut or padded with '#' to
 * GRUBENV_SIZE); a value found lies inside it, and a block valid before a
 * successful set is valid after it.  The A/B variables on top of it
 * (kernel/lib/bootslot.c, read by `monos inspect DISK` and the kernel): the
 * state read stays within its bounds and NUL-terminated, and each event
 * that succeeds leaves a valid block.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/lib/grubenv.c"
#include "../../kernel/lib/bootslot.c"

static void fuzz_get(const char *block, const char *name)
{
	size_t len = 0;
	const char *v = grubenv_get(block, name, &len);

	if (v && (v < block || len > (size_t)(block + GRUBENV_SIZE - v)))
		abort();
}

/* The A/B state and its events on a copy of the valid block `block`. */
static void fuzz_bootslot(const char *block)
{
	char b[GRUBENV_SIZE];
	struct bootslot_state s;
	unsigned fails, delay;

	memcpy(b, block, sizeof(b));
	bootslot_read(b, &s);
	if (strlen(s.why) > BOOTSLOT_WHY_MAX || strlen(s.fail_why) > BOOTSLOT_WHY_MAX ||
	    strlen(s.image[0]) > BOOTSLOT_IMAGE_MAX || strlen(s.image[1]) > BOOTSLOT_IMAGE_MAX ||
	    s.fails > BOOTSLOT_FAILS_MAX || s.backoff_s > BOOTSLOT_BACKOFF_MAX_S ||
	    (s.good != 'a' && s.good != 'b'))
		abort();
	(void)bootslot_both_bad(&s, s.good, s.fails);
	if ((bootslot_failed(b, "exited-status-1", &fails, &delay) == 0 && grubenv_check(b)) ||
	    (bootslot_abandon(b, 'b', "unhealthy") == 0 && grubenv_check(b)) ||
	    (bootslot_set_image(b, 'b', "app:v2@sha256:0") == 0 && grubenv_check(b)) ||
	    (bootslot_mark_good(b, 'a') == 0 && grubenv_check(b)))
		abort(); /* an event that succeeded left an invalid block */
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
	fuzz_bootslot(block);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (grubenv_set(block, names[i], values[i]) == 0 && grubenv_check(block))
			abort(); /* a set that succeeded left an invalid block */
	return 0;
}
