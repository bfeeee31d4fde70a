/*
 * libFuzzer target: the 9P2000.L reply reader (kernel/lib/p9.c), which
 * reads what QEMU's 9p server (the host) writes into the guest's buffers.
 * The input is taken as a reply to each request type the share driver
 * sends, with each format the filesystem parses; every string and data
 * pointer it returns must lie inside the input, every error be -EPROTO or
 * an errno in range, and a directory listing must end.  ASan catches any
 * read past the input.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../kernel/lib/p9.c"

static void fuzz_inside(const void *p, size_t n, const uint8_t *buf, size_t len)
{
	const uint8_t *q = p;

	if (q < buf || q > buf + len || n > (size_t)(buf + len - q))
		abort();
}

static void fuzz_err(int err)
{
	if (err > 0 || (err < 0 && err != -EPROTO && -err > P9_MAX_ERRNO))
		abort();
}

static void fuzz_dirents(const uint8_t *data, uint32_t n)
{
	struct p9_dirent e;
	size_t at = 0, count = 0;
	int r;

	while ((r = p9_dirent_next(data, n, &at, &e)) == 1) {
		fuzz_inside(e.name, e.namelen, data, n);
		if (++count > n)
			abort(); /* each entry takes bytes: a loop is a bug */
	}
	if (r != 0 && r != -EPROTO)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct p9_attr a;
	struct p9_qid q;
	struct p9_statfs s;
	const char *str;
	const uint8_t *data;
	uint16_t sn, nq, tag = len > 6 ? (uint16_t)(buf[5] | buf[6] << 8) : 0;
	uint32_t n, d;
	uint64_t v;
	int err;

	fuzz_err(p9_parse(buf, len, P9_TVERSION, tag, "ds", &d, &str, &sn));
	if (!p9_parse(buf, len, P9_TVERSION, tag, "ds", &d, &str, &sn))
		fuzz_inside(str, sn, buf, len);
	fuzz_err(p9_parse(buf, len, P9_TATTACH, tag, "Q", &q));
	fuzz_err(p9_parse(buf, len, P9_TWALK, tag, "w", &nq));
	fuzz_err(p9_parse(buf, len, P9_TGETATTR, tag, "A", &a));
	fuzz_err(p9_parse(buf, len, P9_TLOPEN, tag, "Qd", &q, &d));
	fuzz_err(p9_parse(buf, len, P9_TSTATFS, tag, "ddqqqqqqd", &s.type, &s.bsize, &s.blocks,
			  &s.bfree, &s.bavail, &s.files, &s.ffree, &s.fsid, &s.namelen));
	fuzz_err(p9_parse(buf, len, P9_TWRITE, tag, "d", &d));
	fuzz_err(p9_parse(buf, len, P9_TXATTRWALK, tag, "q", &v));
	if (!(err = p9_parse(buf, len, P9_TREADLINK, tag, "s", &str, &sn)))
		fuzz_inside(str, sn, buf, len);
	fuzz_err(err);
	if (!(err = p9_parse(buf, len, P9_TREADDIR, tag, "D", &data, &n))) {
		fuzz_inside(data, n, buf, len);
		fuzz_dirents(data, n);
	}
	fuzz_err(err);
	fuzz_err(p9_parse_data(buf, len, P9_TREAD, tag, &n));
	if (len > 64 && !p9_parse_data(buf, len - 64, P9_TREAD, tag, &n) && n > len - 64)
		abort(); /* a count past what the device wrote */
	fuzz_dirents(buf, (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len));
	return 0;
}
