/*
 * libFuzzer target: the kernel command-line parser (kernel/lib/cmdline.c).
 * Input: KEY, a NUL byte, then the command line (without a NUL, the whole
 * input is the command line and the key is "monos.channel").  The key is
 * looked up, its value checked to lie inside the command line, and the
 * value handed to each number parser, as the kernel does with
 * virtio_mmio.device= and monos.ip=; the whole line also goes to the
 * per-run user entry's parser and, line by line, to the per-run rlimits
 * entry's (parse_rlimit).
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../kernel/lib/cmdline.c"

static void fuzz_numbers(const char *v, size_t len)
{
	uint64_t n, size, addr;
	unsigned irq;

	if (parse_u64(v, len, &n) == 0 && parse_size(v, len, &size) == 0 && size != n)
		abort(); /* without a suffix a size is the number itself */
	if (cmdline_parse_mmio(v, len, &size, &addr, &irq) == 0 &&
	    (size == 0 || size - 1 > UINT64_MAX - addr))
		abort();
}

/* The per-run user entry ("UID:GID[:G1,...]"), which the kernel reads at
 * boot: no id it accepts is (uid_t)-1, and the groups fit. */
static void fuzz_user_ids(const char *v, size_t len)
{
	uint32_t ids[2], groups[4];
	unsigned n = 99;

	if (parse_user_ids(v, len, ids, groups, 4, &n) != 0)
		return;
	if (ids[0] == UINT32_MAX || ids[1] == UINT32_MAX || n > 4)
		abort();
	for (unsigned i = 0; i < n; i++)
		if (groups[i] == UINT32_MAX)
			abort();
}

/* The per-run rlimits entry ("RESOURCE SOFT HARD" lines), read at boot: an
 * accepted line has a resource below 2^31 and soft <= hard. */
static void fuzz_rlimits(const char *s, size_t len)
{
	while (len) {
		const char *nl = memchr(s, '\n', len);
		size_t n = nl ? (size_t)(nl - s) : len;
		uint64_t soft, hard;
		unsigned res;

		if (parse_rlimit(s, n, &res, &soft, &hard) == 0 && (res >= 1u << 31 || soft > hard))
			abort();
		s += n;
		len -= n;
		if (nl) {
			s++;
			len--;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	const char *key = "monos.channel", *line = buf, *v;
	const char *nul;
	size_t vlen = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	nul = memchr(buf, '\0', size);
	if (nul) {
		key = buf;
		line = nul + 1;
	}
	v = cmdline_find(line, key, &vlen);
	if (v) {
		size_t linelen = strlen(line);

		if (v < line || v > line + linelen || vlen > (size_t)(line + linelen - v) ||
		    memchr(v, ' ', vlen))
			abort();
		fuzz_numbers(v, vlen);
	}
	(void)cmdline_flag(line, key);
	fuzz_numbers(line, strlen(line));
	fuzz_user_ids(line, strlen(line));
	fuzz_rlimits(line, strlen(line));
	free(buf);
	return 0;
}
