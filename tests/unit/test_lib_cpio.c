/*
 * Unit tests of kernel/lib/cpio.c: archives made by GNU cpio at test time,
 * hand-made and corrupted ones, truncation at every length, concatenation,
 * and the header writer read back by GNU cpio.  Buffers are placed right
 * before an inaccessible page, so any read past their end crashes the test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "../../kernel/lib/cpio.c"

static char tmpdir[] = "/tmp/monos-cpio-XXXXXX";

/* Read a whole file into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len + 1);
	if (fread(buf, 1, *len, f) != *len)
		*len = 0;
	fclose(f);
	return buf;
}

/* A copy of @len bytes ending exactly at a PROT_NONE page. */
struct guarded {
	uint8_t *map, *data;
	size_t maplen;
};

static struct guarded guard(const void *src, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (len + (size_t)page - 1) / (size_t)page + 1;
	struct guarded g;

	g.maplen = pages * (size_t)page;
	g.map = mmap(NULL, g.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(g.map + g.maplen - page, (size_t)page, PROT_NONE);
	g.data = g.map + g.maplen - page - len;
	memcpy(g.data, src, len);
	return g;
}

static void unguard(struct guarded g)
{
	munmap(g.map, g.maplen);
}

/*
 * Iterate over @len bytes; returns the entry count, or the error.  Every
 * entry returned must lie inside the buffer: its bytes are read (a read
 * past a guarded buffer crashes) and its bounds checked.
 */
static int count_entries(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	struct cpio_iter it;
	struct cpio_entry e;
	int n = 0, r;
	volatile uint8_t sink = 0;

	cpio_iter_init(&it, buf, len);
	while ((r = cpio_next(&it, &e)) == 1) {
		n++;
		if ((const uint8_t *)e.name < b || e.namelen >= len ||
		    (const uint8_t *)e.name + e.namelen >= b + len || e.data < b || e.size > len ||
		    e.data + e.size > b + len) {
			printf("  entry %d outside the buffer\n", n);
			return -1000;
		}
		for (size_t i = 0; i < e.size; i++)
			sink ^= e.data[i];
		CHECK_EQ(e.name[e.namelen], '\0');
	}
	(void)sink;
	return r < 0 ? r : n;
}

/* Make the test tree and archives of it with GNU cpio. */
static int make_archives(void)
{
	char cmd[1024];

	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p t/dir && cd t && printf 'hello world\\n' > hello && "
		 ": > empty && printf abcde > dir/five && ln -s hello link && "
		 "find . | LC_ALL=C sort | cpio -o -H newc --quiet > ../newc.cpio && "
		 "find . | LC_ALL=C sort | cpio -o -H crc --quiet > ../crc.cpio",
		 tmpdir);
	return system(cmd);
}

static int find_entry(const uint8_t *buf, size_t len, const char *name, struct cpio_entry *out)
{
	struct cpio_iter it;
	struct cpio_entry e;

	cpio_iter_init(&it, buf, len);
	while (cpio_next(&it, &e) == 1)
		if (e.namelen == strlen(name) && !memcmp(e.name, name, e.namelen)) {
			*out = e;
			return 1;
		}
	return 0;
}

static void check_tree(const uint8_t *buf, size_t len)
{
	struct cpio_entry e;

	CHECK_EQ(count_entries(buf, len), 6); /* . dir dir/five empty hello link */
	CHECK(find_entry(buf, len, "hello", &e));
	CHECK_EQ(e.size, 12);
	CHECK(!memcmp(e.data, "hello world\n", 12));
	CHECK(S_ISREG(e.mode));
	CHECK_EQ(e.name[e.namelen], '\0');
	CHECK(find_entry(buf, len, "dir/five", &e));
	CHECK_EQ(e.size, 5);
	CHECK(!memcmp(e.data, "abcde", 5));
	CHECK(find_entry(buf, len, "dir", &e));
	CHECK(S_ISDIR(e.mode));
	CHECK(find_entry(buf, len, "empty", &e));
	CHECK_EQ(e.size, 0);
	CHECK(find_entry(buf, len, "link", &e));
	CHECK(S_ISLNK(e.mode));
	CHECK_EQ(e.size, 5);
	CHECK(!memcmp(e.data, "hello", 5));
	CHECK(find_entry(buf, len, ".", &e));
	CHECK(!find_entry(buf, len, "./hello", &e)); /* "./" is stripped */
	CHECK(!find_entry(buf, len, CPIO_TRAILER, &e));
}

TEST(cpio_reads_gnu_newc_and_crc)
{
	char path[256];
	size_t len;
	uint8_t *buf;
	struct guarded g;

	snprintf(path, sizeof(path), "%s/newc.cpio", tmpdir);
	buf = slurp(path, &len);
	CHECK(buf && len > 0);
	g = guard(buf, len);
	check_tree(g.data, len);
	unguard(g);
	free(buf);
	snprintf(path, sizeof(path), "%s/crc.cpio", tmpdir);
	buf = slurp(path, &len);
	CHECK(buf && len > 0 && !memcmp(buf, CPIO_MAGIC_CRC, 6));
	g = guard(buf, len);
	check_tree(g.data, len);
	unguard(g);
	free(buf);
}

/* A wrong checksum in the "crc" variant is malformed. */
TEST(cpio_crc_mismatch)
{
	char path[256];
	size_t len;
	uint8_t *buf, *p;

	snprintf(path, sizeof(path), "%s/crc.cpio", tmpdir);
	buf = slurp(path, &len);
	p = memmem(buf, len, "hello world", 11);
	CHECK(p != NULL);
	if (p) {
		p[0] = 'H';
		CHECK_EQ(count_entries(buf, len), -EINVAL);
	}
	free(buf);
}

/* Every prefix of a valid archive either ends cleanly at an entry boundary
 * or is malformed; none reads outside the buffer. */
TEST(cpio_truncated_everywhere)
{
	char path[256];
	size_t len, cut;
	uint8_t *buf;
	int full, clean = 0, bad = 0, wrong = 0;

	snprintf(path, sizeof(path), "%s/newc.cpio", tmpdir);
	buf = slurp(path, &len);
	full = count_entries(buf, len);
	for (cut = 0; cut < len; cut++) {
		struct guarded g = guard(buf, cut);
		int r = count_entries(g.data, cut);

		if (r == -EINVAL)
			bad++;
		else if (r >= 0 && r <= full)
			clean++;
		else
			wrong++;
		unguard(g);
	}
	CHECK_EQ(wrong, 0);
	CHECK(bad > 0 && clean > 0);
	CHECK(bad > clean); /* most cuts land inside an entry */
	free(buf);
}

/* Two archives with NUL padding between and after, as the CLI appends the
 * per-run data to the image. */
TEST(cpio_concatenated)
{
	char path[256];
	size_t len, total;
	uint8_t *buf, *cat;

	snprintf(path, sizeof(path), "%s/newc.cpio", tmpdir);
	buf = slurp(path, &len);
	total = 2 * len + 1000;
	cat = calloc(1, total + 8);
	memcpy(cat, buf, len);
	memcpy(cat + len + 3, buf, len); /* odd amount of padding in between */
	CHECK_EQ(count_entries(cat, total), 12);
	CHECK_EQ(count_entries(cat, 2 * len + 3), 12);
	/* Garbage instead of a second header is malformed. */
	memcpy(cat + 2 * len + 100, "junk", 4);
	CHECK_EQ(count_entries(cat, total), -EINVAL);
	free(cat);
	free(buf);
}

/* Build one entry by hand: header from cpio_header, name padded, data. */
static size_t build(uint8_t *out, const char *name, size_t namesize, const char *data,
		    uint32_t mode)
{
	struct cpio_entry e = { .mode = mode, .nlink = 1, .size = strlen(data), .mtime = 1234 };
	size_t off = cpio_header((char *)out, &e, namesize);

	memset(out + off, 0, namesize + 3);
	memcpy(out + off, name, strlen(name));
	off += namesize;
	off += cpio_pad(off);
	memcpy(out + off, data, e.size);
	off += e.size;
	memset(out + off, 0, 3);
	off += cpio_pad(off);
	return off;
}

/* A name field padded with NULs (page-aligned data) and a stripped "/". */
TEST(cpio_padded_names)
{
	static uint8_t buf[16384];
	size_t off = build(buf, "/bin/app", 4096 - CPIO_HEADER_SIZE, "ELF!", 0100755);
	struct cpio_entry e;
	struct cpio_iter it;

	off += build(buf + off, "/", 2, "", 040755);
	off += build(buf + off, CPIO_TRAILER, sizeof(CPIO_TRAILER), "", 0);
	cpio_iter_init(&it, buf, off);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_EQ(e.namelen, 7);
	CHECK_STR(e.name, "bin/app");
	CHECK_EQ(e.data - buf, 4096); /* data where the packer aligned it */
	CHECK_EQ(e.mode, 0100755);
	CHECK_EQ(e.mtime, 1234);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_EQ(e.namelen, 0);
	CHECK_EQ(cpio_next(&it, &e), 0);
	CHECK_EQ(cpio_next(&it, &e), 0);
}

/* Corrupt one header field of a hand-made entry; expect -EINVAL. */
static int corrupt(size_t field, const char *value)
{
	static uint8_t buf[1024];
	size_t len = build(buf, "file", 5, "data", 0100644);
	struct guarded g;
	int r;

	len += build(buf + len, CPIO_TRAILER, sizeof(CPIO_TRAILER), "", 0);
	memcpy(buf + 6 + 8 * field, value, 8);
	g = guard(buf, len);
	r = count_entries(g.data, len);
	unguard(g);
	return r;
}

TEST(cpio_rejects_bad_fields)
{
	CHECK_EQ(corrupt(F_MODE, "000081A4"), 1); /* the unmodified entry is fine */
	CHECK_EQ(corrupt(F_MODE, "000081a4"), 1); /* lower case hex too */
	CHECK_EQ(corrupt(F_MODE, "0000G1A4"), -EINVAL);
	CHECK_EQ(corrupt(F_INO, " 0000000"), -EINVAL);
	CHECK_EQ(corrupt(F_CHECK, "-0000000"), -EINVAL);
	CHECK_EQ(corrupt(F_FILESIZE, "FFFFFFFF"), -EINVAL);
	CHECK_EQ(corrupt(F_FILESIZE, "00000400"), -EINVAL);
	CHECK_EQ(corrupt(F_NAMESIZE, "FFFFFFFF"), -EINVAL);
	CHECK_EQ(corrupt(F_NAMESIZE, "00000000"), -EINVAL);
	CHECK_EQ(corrupt(F_NAMESIZE, "00000004"), -EINVAL); /* no NUL in the name */
}

/* The byte-at-a-time reading cpio_hex8 replaced: the reference. */
static int64_t hex8_ref(const uint8_t *p)
{
	int64_t v = 0;

	for (int i = 0; i < 8; i++) {
		int d = p[i] >= '0' && p[i] <= '9'   ? p[i] - '0'
			: p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10
			: p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10
						     : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

TEST(cpio_hex8_matches_bytewise)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	uint8_t b[8];
	unsigned seed = 1, mismatches = 0;

	/* Every byte value in every position among valid digits. */
	for (int pos = 0; pos < 8; pos++)
		for (int c = 0; c < 256; c++) {
			memcpy(b, "9aF0c3E7", 8);
			b[pos] = (uint8_t)c;
			mismatches += cpio_hex8(b) != hex8_ref(b);
		}
	/* Random strings, mostly digits, some bytes anything. */
	for (int n = 0; n < 1000000; n++) {
		for (int i = 0; i < 8; i++) {
			seed = seed * 1103515245u + 12345u;
			b[i] = (seed >> 16) % 16 ? (uint8_t)hex[(seed >> 8) % 22]
						 : (uint8_t)(seed >> 20);
		}
		mismatches += cpio_hex8(b) != hex8_ref(b);
	}
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(cpio_hex8((const uint8_t *)"FFFFFFFF"), 0xffffffff);
	CHECK_EQ(cpio_hex8((const uint8_t *)"00000000"), 0);
	CHECK_EQ(cpio_hex8((const uint8_t *)"0123abCD"), 0x0123abcd);
}

TEST(cpio_rejects_bad_magic_and_stays_failed)
{
	uint8_t buf[256];
	size_t len = build(buf, "file", 5, "data", 0100644);
	struct cpio_iter it;
	struct cpio_entry e;

	buf[5] = '7'; /* "070707": the old binary-ish odc format, unsupported */
	cpio_iter_init(&it, buf, len);
	CHECK_EQ(cpio_next(&it, &e), -EINVAL);
	buf[5] = '1';
	CHECK_EQ(cpio_next(&it, &e), -EINVAL); /* still failed */
	cpio_iter_init(&it, buf, len);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_EQ(cpio_next(&it, &e), 0); /* no trailer, buffer end: the end */
	CHECK_EQ(count_entries(buf, 0), 0);
	CHECK_EQ(count_entries("\0\0\0\0", 4), 0);
	CHECK_EQ(count_entries("\0\0\0\0x", 5), -EINVAL);
}

/* What cpio_header writes, GNU cpio reads back. */
TEST(cpio_header_read_by_gnu_cpio)
{
	static uint8_t buf[16384];
	char path[256], cmd[512];
	size_t off = 0;
	FILE *f;
	size_t got;
	uint8_t *out;
	struct cpio_entry big = { .size = (size_t)UINT32_MAX + 1 };
	char hdr[CPIO_HEADER_SIZE];

	off += build(buf + off, "a.txt", 6, "alpha\n", 0100644);
	off += build(buf + off, "b/c", 4096 - CPIO_HEADER_SIZE, "gamma!\n", 0100600);
	off += build(buf + off, CPIO_TRAILER, sizeof(CPIO_TRAILER), "", 0);
	snprintf(path, sizeof(path), "%s/ours.cpio", tmpdir);
	f = fopen(path, "wb");
	fwrite(buf, 1, off, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cpio -i -t --quiet < %s > %s/list 2>&1", path, tmpdir);
	CHECK_EQ(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/list", tmpdir);
	out = slurp(path, &got);
	CHECK(out && got == 10 && !memcmp(out, "a.txt\nb/c\n", 10));
	free(out);
	CHECK_EQ(cpio_header(hdr, &big, 2), 0);
}

int main(void)
{
	if (make_archives() != 0) {
		printf("FAIL cpio_setup (is GNU cpio installed?)\n");
		return 1;
	}
	RUN(cpio_reads_gnu_newc_and_crc);
	RUN(cpio_crc_mismatch);
	RUN(cpio_truncated_everywhere);
	RUN(cpio_concatenated);
	RUN(cpio_padded_names);
	RUN(cpio_rejects_bad_fields);
	RUN(cpio_hex8_matches_bytewise);
	RUN(cpio_rejects_bad_magic_and_stays_failed);
	RUN(cpio_header_read_by_gnu_cpio);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			printf("  could not remove %s\n", tmpdir);
	}
	return unit_summary();
}
