/*
 * Unit tests of kernel/lib/p9.c: requests built byte for byte as the
 * 9P2000.L wire format lays them out (checked against hand-made bytes of
 * Linux's and QEMU's layouts), and replies read back, with every way a
 * host could send a bad one refused: short, a size past what arrived, a
 * wrong tag or type, an Rlerror code out of range, a string or data count
 * past the end, a truncated directory entry.
 */
#include "unit.h"
#include "../../kernel/lib/p9.c"

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A reply's header into `buf`: size, type, tag. */
static void hdr(uint8_t *buf, uint32_t size, uint8_t type, uint16_t tag)
{
	put_le(buf, size, 4);
	buf[4] = type;
	put_le(buf + 5, tag, 2);
}

TEST(p9_build_version)
{
	uint8_t buf[64];
	static const uint8_t want[] = { 21, 0, 0,   0,	 100, 0xff, 0xff, 0,   0,   1,	0,
					8,  0, '9', 'P', '2', '0',  '0',  '0', '.', 'L' };
	size_t n = p9_build(buf, sizeof(buf), P9_TVERSION, P9_NOTAG, "ds", (uint32_t)65536,
			    P9_VERSION, (size_t)8);

	CHECK_EQ(n, sizeof(want));
	CHECK(!memcmp(buf, want, sizeof(want)));
}

TEST(p9_build_all_widths)
{
	uint8_t buf[64];
	size_t n = p9_build(buf, sizeof(buf), P9_TREAD, 3, "bwdq", 0x11u, 0x2233u,
			    (uint32_t)0x44556677, (uint64_t)0x8899aabbccddeeffull);

	CHECK_EQ(n, 7 + 1 + 2 + 4 + 8);
	CHECK_EQ(buf[7], 0x11);
	CHECK_EQ(buf[8], 0x33);
	CHECK_EQ(buf[9], 0x22);
	CHECK_EQ(buf[10], 0x77);
	CHECK_EQ(buf[14], 0xff);
	CHECK_EQ(buf[21], 0x88);
}

TEST(p9_build_refuses_what_does_not_fit)
{
	uint8_t buf[16];

	CHECK_EQ(p9_build(buf, sizeof(buf), P9_TWALK, 1, "dds", (uint32_t)1, (uint32_t)2,
			  "a-long-name", (size_t)11),
		 0);
	CHECK_EQ(p9_build(buf, 6, P9_TCLUNK, 1, ""), 0);
	CHECK_EQ(p9_build(buf, sizeof(buf), P9_TCLUNK, 1, "x"), 0); /* unknown letter */
	CHECK_EQ(p9_build(buf, sizeof(buf), P9_TCLUNK, 1, "d", (uint32_t)9), 11);
}

TEST(p9_add_size_counts_separate_data)
{
	uint8_t buf[32];
	size_t n = p9_build(buf, sizeof(buf), P9_TWRITE, 1, "dqd", (uint32_t)1, (uint64_t)0,
			    (uint32_t)100);

	CHECK_EQ(n, P9_TWRITE_HDR);
	CHECK(p9_add_size(buf, 100));
	CHECK_EQ(buf[0], P9_TWRITE_HDR + 100);
	put_le(buf, 0xfffffff0u, 4);
	CHECK(!p9_add_size(buf, 0x20));
}

TEST(p9_parse_attach_qid)
{
	uint8_t buf[32];
	struct p9_qid q;

	hdr(buf, 7 + 13, P9_REPLY(P9_TATTACH), 5);
	buf[7] = P9_QTDIR;
	put_le(buf + 8, 7, 4);
	put_le(buf + 12, 0x1234567890ull, 8);
	CHECK_EQ(p9_parse(buf, 20, P9_TATTACH, 5, "Q", &q), 0);
	CHECK_EQ(q.type, P9_QTDIR);
	CHECK_EQ(q.version, 7);
	CHECK_EQ(q.path, 0x1234567890ull);
	/* Bytes past the size field are the buffer's, not the message's. */
	CHECK_EQ(p9_parse(buf, sizeof(buf), P9_TATTACH, 5, "Q", &q), 0);
}

TEST(p9_parse_getattr)
{
	uint8_t buf[160];
	struct p9_attr a;
	size_t size = 7 + 8 + 13 + 12 + 15 * 8;

	memset(buf, 0, sizeof(buf));
	hdr(buf, (uint32_t)size, P9_REPLY(P9_TGETATTR), 1);
	put_le(buf + 7, P9_GETATTR_BASIC, 8);
	put_le(buf + 28, 0100644, 4); /* after valid and the qid */
	put_le(buf + 32, 1000, 4);
	put_le(buf + 36, 100, 4);
	put_le(buf + 40, 2, 8);	       /* nlink */
	put_le(buf + 56, 12345, 8);    /* size */
	put_le(buf + 112, 99, 8);      /* ctime_sec */
	put_le(buf + size - 8, 42, 8); /* data_version */
	CHECK_EQ(p9_parse(buf, size, P9_TGETATTR, 1, "A", &a), 0);
	CHECK_EQ(a.mode, 0100644);
	CHECK_EQ(a.uid, 1000);
	CHECK_EQ(a.gid, 100);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(a.size, 12345);
	CHECK_EQ(a.ctime_sec, 99);
	CHECK_EQ(a.data_version, 42);
	CHECK_EQ(p9_parse(buf, size - 1, P9_TGETATTR, 1, "A", &a), -EPROTO);
}

TEST(p9_parse_lerror)
{
	uint8_t buf[11];

	hdr(buf, 11, P9_RLERROR, 2);
	put_le(buf + 7, 2, 4);
	CHECK_EQ(p9_parse(buf, 11, P9_TWALK, 2, "w", &(uint16_t){ 0 }), -ENOENT);
	put_le(buf + 7, 0, 4);
	CHECK_EQ(p9_parse(buf, 11, P9_TWALK, 2, ""), -EPROTO);
	put_le(buf + 7, P9_MAX_ERRNO + 1, 4);
	CHECK_EQ(p9_parse(buf, 11, P9_TWALK, 2, ""), -EPROTO);
	hdr(buf, 9, P9_RLERROR, 2); /* its code cut short */
	CHECK_EQ(p9_parse(buf, 11, P9_TWALK, 2, ""), -EPROTO);
}

TEST(p9_parse_refuses_bad_headers)
{
	uint8_t buf[16];

	hdr(buf, 7, P9_REPLY(P9_TCLUNK), 4);
	CHECK_EQ(p9_parse(buf, 7, P9_TCLUNK, 4, ""), 0);
	CHECK_EQ(p9_parse(buf, 6, P9_TCLUNK, 4, ""), -EPROTO); /* short */
	CHECK_EQ(p9_parse(buf, 7, P9_TCLUNK, 5, ""), -EPROTO); /* another tag */
	CHECK_EQ(p9_parse(buf, 7, P9_TFSYNC, 4, ""), -EPROTO); /* another type */
	hdr(buf, 8, P9_REPLY(P9_TCLUNK), 4);		       /* more than arrived */
	CHECK_EQ(p9_parse(buf, 7, P9_TCLUNK, 4, ""), -EPROTO);
	hdr(buf, 3, P9_REPLY(P9_TCLUNK), 4); /* less than a header */
	CHECK_EQ(p9_parse(buf, 7, P9_TCLUNK, 4, ""), -EPROTO);
}

TEST(p9_parse_strings_and_data_stay_inside)
{
	uint8_t buf[32];
	const char *s;
	const uint8_t *d;
	uint16_t sn;
	uint32_t dn;

	hdr(buf, 7 + 2 + 3, P9_REPLY(P9_TREADLINK), 1);
	put_le(buf + 7, 3, 2);
	memcpy(buf + 9, "abc", 3);
	CHECK_EQ(p9_parse(buf, 12, P9_TREADLINK, 1, "s", &s, &sn), 0);
	CHECK_EQ(sn, 3);
	CHECK(s == (const char *)buf + 9);
	put_le(buf + 7, 4, 2); /* one byte more than the message */
	CHECK_EQ(p9_parse(buf, sizeof(buf), P9_TREADLINK, 1, "s", &s, &sn), -EPROTO);

	hdr(buf, 7 + 4 + 2, P9_REPLY(P9_TREAD), 1);
	put_le(buf + 7, 2, 4);
	CHECK_EQ(p9_parse(buf, 13, P9_TREAD, 1, "D", &d, &dn), 0);
	CHECK_EQ(dn, 2);
	put_le(buf + 7, 0xffffffffu, 4);
	CHECK_EQ(p9_parse(buf, 13, P9_TREAD, 1, "D", &d, &dn), -EPROTO);
	CHECK_EQ(p9_parse(buf, 13, P9_TREAD, 1, "?"), -EPROTO);
}

TEST(p9_dirents)
{
	uint8_t buf[64];
	struct p9_dirent e;
	size_t at = 0, n = 0;

	memset(buf, 0, sizeof(buf));
	buf[0] = P9_QTDIR;
	put_le(buf + 5, 77, 8); /* qid.path */
	put_le(buf + 13, 1, 8); /* offset */
	buf[21] = 4;		/* DT_DIR */
	put_le(buf + 22, 3, 2);
	memcpy(buf + 24, "abc", 3);
	n = 27;
	put_le(buf + n + 13, 2, 8);
	put_le(buf + n + 22, 1, 2);
	buf[n + 24] = 'z';
	n += 25;
	CHECK_EQ(p9_dirent_next(buf, n, &at, &e), 1);
	CHECK_EQ(e.qid.path, 77);
	CHECK_EQ(e.offset, 1);
	CHECK_EQ(e.type, 4);
	CHECK_EQ(e.namelen, 3);
	CHECK(!memcmp(e.name, "abc", 3));
	CHECK_EQ(p9_dirent_next(buf, n, &at, &e), 1);
	CHECK_EQ(e.offset, 2);
	CHECK_EQ(e.name[0], 'z');
	CHECK_EQ(p9_dirent_next(buf, n, &at, &e), 0);
	at = 0;
	CHECK_EQ(p9_dirent_next(buf, n - 1, &at, &e), 1);
	CHECK_EQ(p9_dirent_next(buf, n - 1, &at, &e), -EPROTO); /* name cut */
	CHECK_EQ(at, 27);					/* left where it was */
}

TEST(p9_parse_data_header)
{
	uint8_t buf[P9_RREAD_HDR];
	uint32_t n = 0;

	hdr(buf, P9_RREAD_HDR + 100, P9_REPLY(P9_TREAD), 3);
	put_le(buf + 7, 100, 4);
	CHECK_EQ(p9_parse_data(buf, P9_RREAD_HDR + 100, P9_TREAD, 3, &n), 0);
	CHECK_EQ(n, 100);
	/* The device wrote less than the size says. */
	CHECK_EQ(p9_parse_data(buf, P9_RREAD_HDR + 99, P9_TREAD, 3, &n), -EPROTO);
	CHECK_EQ(p9_parse_data(buf, 10, P9_TREAD, 3, &n), -EPROTO);
	/* The size and the count disagree. */
	put_le(buf + 7, 101, 4);
	CHECK_EQ(p9_parse_data(buf, 200, P9_TREAD, 3, &n), -EPROTO);
	CHECK_EQ(p9_parse_data(buf, 200, P9_TREAD, 4, &n), -EPROTO);
	CHECK_EQ(p9_parse_data(buf, 200, P9_TREADDIR, 3, &n), -EPROTO);
	hdr(buf, P9_RREAD_HDR, P9_RLERROR, 3);
	put_le(buf + 7, 13, 4);
	CHECK_EQ(p9_parse_data(buf, P9_RREAD_HDR, P9_TREAD, 3, &n), -EACCES);
}

int main(void)
{
	RUN(p9_build_version);
	RUN(p9_build_all_widths);
	RUN(p9_build_refuses_what_does_not_fit);
	RUN(p9_add_size_counts_separate_data);
	RUN(p9_parse_attach_qid);
	RUN(p9_parse_getattr);
	RUN(p9_parse_lerror);
	RUN(p9_parse_refuses_bad_headers);
	RUN(p9_parse_strings_and_data_stay_inside);
	RUN(p9_dirents);
	RUN(p9_parse_data_header);
	return unit_summary();
}
