/*
 * libFuzzer target: the DEFLATE, gzip and base64 decoders
 * (kernel/lib/inflate.c, base64.c), which read cloud-init's write_files
 * content.  The first byte picks the decoder and the output room (so the
 * -E2BIG path is fuzzed); the output buffer is exactly that room, so the
 * address sanitizer sees any byte written past it.  A success must be
 * within the room; raw DEFLATE must say it used no more input than given.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../kernel/lib/base64.c"
#include "../../kernel/lib/inflate.c"

#define FUZZ_ROOM_SHIFT 4 /* rooms of 0 to 63 << 4... */
#define FUZZ_BIG_ROOM	(1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t room, used = 0;
	uint8_t *out;
	long n;

	if (size < 1)
		return 0;
	/* Low 2 bits: the decoder; the rest: the room (63 means 1 MiB). */
	room = (data[0] >> 2) == 63 ? FUZZ_BIG_ROOM : (size_t)(data[0] >> 2) << FUZZ_ROOM_SHIFT;
	out = malloc(room ? room : 1);
	if (!out)
		abort();
	switch (data[0] & 3) {
	case 0:
		n = inflate_raw(data + 1, size - 1, out, room, &used);
		if (n >= 0 && used > size - 1)
			abort();
		break;
	case 1:
	case 3:
		n = inflate_gzip(data + 1, size - 1, out, room);
		break;
	default:
		n = base64_decode((const char *)data + 1, size - 1, out, room);
		break;
	}
	if ((n < 0 && n != -EINVAL && n != -E2BIG) || (n >= 0 && (size_t)n > room))
		abort();
	free(out);
	return 0;
}
