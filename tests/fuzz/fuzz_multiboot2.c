/*
 * libFuzzer target: the kernel's Multiboot2 boot information reader
 * (kernel/arch/x86_64/multiboot2.c), which reads what GRUB leaves in
 * memory on a disk `monos export` wrote.  What it returns must lie inside
 * the input: strings NUL terminated there, the RSDP copy whole, modules
 * ordered, counts within their arrays.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdlib.h>
#include <string.h>

#include "../../kernel/arch/x86_64/multiboot2.c"

static void fuzz_inside(const void *p, size_t n, const uint8_t *buf, size_t len)
{
	const uint8_t *q = p;

	if (!(q >= buf && q <= buf + len && n <= (size_t)(buf + len - q)))
		abort();
}

static void fuzz_string(const char *s, const uint8_t *buf, size_t len)
{
	fuzz_inside(s, 1, buf, len);
	fuzz_inside(s, strnlen(s, (size_t)(buf + len - (const uint8_t *)s)) + 1, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct multiboot2_info info;

	if (multiboot2_parse(data, size, &info))
		return 0;
	if (info.nmodules > MULTIBOOT2_MAX_MODULES || info.nmmap > MULTIBOOT2_MAX_MMAP)
		abort();
	if (info.cmdline)
		fuzz_string(info.cmdline, data, size);
	for (unsigned i = 0; i < info.nmodules; i++) {
		if (info.modules[i].end < info.modules[i].start)
			abort();
		fuzz_string(info.modules[i].string, data, size);
	}
	if (info.rsdp)
		fuzz_inside(info.rsdp, info.rsdp_len, data, size);
	return 0;
}
