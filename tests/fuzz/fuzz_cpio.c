/*
 * libFuzzer target: the kernel's cpio reader (kernel/lib/cpio.c), which
 * reads the image and the per-run data the host hands in.  Each entry it
 * returns is checked against <lib/cpio.h>'s promises (name and data inside
 * the buffer, the name NUL terminated, stripped of "./" and "/"), and its
 * fields are written back with cpio_header() and read again, which must
 * give the same entry.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../kernel/lib/cpio.c"

#define FUZZ_MAX_ENTRIES 100000 /* a reader that never ends is a bug too */

static bool fuzz_inside(const void *p, size_t n, const uint8_t *buf, size_t len)
{
	const uint8_t *q = p;

	return q >= buf && q <= buf + len && n <= (size_t)(buf + len - q);
}

/* Write @e back as a one-entry archive and read it again: the same entry. */
static void fuzz_roundtrip(const struct cpio_entry *e)
{
	size_t namesize = e->namelen + 1;
	size_t len = CPIO_HEADER_SIZE + namesize + 3 + e->size + 3;
	uint8_t *buf = calloc(1, len);
	struct cpio_iter it;
	struct cpio_entry back;
	size_t off;

	if (!buf)
		abort();
	if (!cpio_header((char *)buf, e, namesize))
		abort(); /* every field came from 8 hex digits: it fits */
	off = CPIO_HEADER_SIZE;
	memcpy(buf + off, e->name, e->namelen);
	off += namesize;
	off += cpio_pad(off);
	memcpy(buf + off, e->data, e->size);
	cpio_iter_init(&it, buf, off + e->size);
	if (cpio_next(&it, &back) != 1 || back.size != e->size || back.mode != e->mode ||
	    back.uid != e->uid || back.gid != e->gid || back.ino != e->ino ||
	    back.nlink != e->nlink || back.mtime != e->mtime || back.namelen > e->namelen ||
	    memcmp(back.data, e->data, e->size))
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int rc, n = 0;

	cpio_iter_init(&it, data, size);
	while ((rc = cpio_next(&it, &e)) == 1) {
		if (++n > FUZZ_MAX_ENTRIES)
			abort();
		if (!fuzz_inside(e.name, e.namelen + 1, data, size) || e.name[e.namelen] ||
		    strnlen(e.name, e.namelen) != e.namelen || e.name[0] == '/' ||
		    (e.namelen >= 2 && e.name[0] == '.' && e.name[1] == '/') ||
		    !fuzz_inside(e.data, e.size, data, size))
			abort();
		/* "./TRAILER!!!" is an entry, but written back it would end the archive. */
		if (strcmp(e.name, CPIO_TRAILER))
			fuzz_roundtrip(&e);
	}
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc == -EINVAL && cpio_next(&it, &e) != -EINVAL)
		abort(); /* an error is reported again on every later call */
	return 0;
}
