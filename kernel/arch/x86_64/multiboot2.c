/*
 * The Multiboot2 boot information reader (multiboot2.h): pure parsing of
 * what GRUB leaves in memory, checked tag by tag, so that a damaged or
 * hostile information is refused rather than read out of bounds.  The
 * kernel's use of it is multiboot2_entry.c; the host fuzzes it
 * (tests/fuzz/fuzz_multiboot2.c).
 */
#include "multiboot2.h"

#define MB2_FIXED_PART	 8  /* total_size, reserved */
#define MB2_TAG_HEAD	 8  /* type, size */
#define MB2_MODULE_HEAD	 16 /* type, size, mod_start, mod_end */
#define MB2_MMAP_HEAD	 16 /* type, size, entry_size, entry_version */
#define MB2_MMAP_ENTRY	 24 /* base, length, type, reserved */
#define MB2_RSDP_MIN_LEN 20 /* the ACPI 1.0 RSDP */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Whether the `n` bytes at `s` hold a NUL. */
static int has_nul(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i])
			return 1;
	return 0;
}

static int parse_module(const uint8_t *t, uint32_t size, struct multiboot2_info *out)
{
	struct multiboot2_module *m;

	if (size < MB2_MODULE_HEAD + 1 || !has_nul(t + MB2_MODULE_HEAD, size - MB2_MODULE_HEAD))
		return -1;
	if (get32(t + 12) < get32(t + 8))
		return -1;
	if (out->nmodules == MULTIBOOT2_MAX_MODULES) {
		out->modules_dropped++;
		return 0;
	}
	m = &out->modules[out->nmodules++];
	m->start = get32(t + 8);
	m->end = get32(t + 12);
	m->string = (const char *)t + MB2_MODULE_HEAD;
	return 0;
}

/* The memory map: entries of entry_size bytes (at least the 24 this
 * reader knows, so later versions may grow them). */
static int parse_mmap(const uint8_t *t, uint32_t size, struct multiboot2_info *out)
{
	uint32_t esize;

	if (size < MB2_MMAP_HEAD)
		return -1;
	esize = get32(t + 8);
	if (esize < MB2_MMAP_ENTRY || (size - MB2_MMAP_HEAD) % esize)
		return -1;
	for (uint32_t off = MB2_MMAP_HEAD; off < size && out->nmmap < MULTIBOOT2_MAX_MMAP;
	     off += esize) {
		struct multiboot2_mmap *e = &out->mmap[out->nmmap++];

		e->addr = get64(t + off);
		e->len = get64(t + off + 8);
		e->type = get32(t + off + 16);
	}
	return 0;
}

static int parse_tag(const uint8_t *t, uint32_t type, uint32_t size, struct multiboot2_info *out)
{
	switch (type) {
	case MULTIBOOT2_TAG_CMDLINE:
		if (size <= MB2_TAG_HEAD || !has_nul(t + MB2_TAG_HEAD, size - MB2_TAG_HEAD))
			return -1;
		out->cmdline = (const char *)t + MB2_TAG_HEAD;
		return 0;
	case MULTIBOOT2_TAG_MODULE:
		return parse_module(t, size, out);
	case MULTIBOOT2_TAG_MMAP:
		return parse_mmap(t, size, out);
	case MULTIBOOT2_TAG_ACPI_OLD:
	case MULTIBOOT2_TAG_ACPI_NEW:
		if (size < MB2_TAG_HEAD + MB2_RSDP_MIN_LEN)
			return -1;
		/* The 2.0 copy wins over the 1.0 one, whichever comes first. */
		if (type == MULTIBOOT2_TAG_ACPI_NEW || !out->rsdp) {
			out->rsdp = t + MB2_TAG_HEAD;
			out->rsdp_len = size - MB2_TAG_HEAD;
		}
		return 0;
	default: /* a tag this kernel does not use */
		return 0;
	}
}

int multiboot2_parse(const void *mbi, size_t avail, struct multiboot2_info *out)
{
	const uint8_t *p = mbi;
	uint32_t total;
	size_t off = MB2_FIXED_PART;

	*out = (struct multiboot2_info){ 0 };
	if (avail < MB2_FIXED_PART)
		return -1;
	total = get32(p);
	if (total > avail || total > MULTIBOOT2_MAX_SIZE || total < MB2_FIXED_PART + MB2_TAG_HEAD)
		return -1;
	/* Tags start 8-aligned and are at least their head; the end tag
	 * closes the list (spec 3.6.1). */
	while (off + MB2_TAG_HEAD <= total) {
		uint32_t type = get32(p + off), size = get32(p + off + 4);

		if (size < MB2_TAG_HEAD || size > total - off)
			return -1;
		if (type == MULTIBOOT2_TAG_END)
			return 0;
		if (parse_tag(p + off, type, size, out))
			return -1;
		off += (size + MULTIBOOT2_TAG_ALIGN - 1) & ~(size_t)(MULTIBOOT2_TAG_ALIGN - 1);
	}
	return -1; /* no end tag */
}
