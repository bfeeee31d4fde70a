/*
 * Unit tests of kernel/lib/inflate.c and base64.c against gzip(1) and
 * base64(1) run at test time: stored, fixed and dynamic blocks, levels 1
 * and 9, several members, optional header fields, the output limit (a zip
 * bomb), corruption and truncation at every length.  Inputs sit right
 * before an inaccessible page, so any read past their end crashes the test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "unit.h"
#include "../../kernel/lib/base64.c"
#include "../../kernel/lib/inflate.c"

static char tmpdir[] = "/tmp/monos-inflate-XXXXXX";

/* The output of shell command @cmd, malloc'd; its length in *@len. */
static uint8_t *run(const char *cmd, size_t *len)
{
	FILE *f = popen(cmd, "r");
	size_t cap = 1 << 16;
	uint8_t *buf = malloc(cap);
	size_t got;

	*len = 0;
	while (f && (got = fread(buf + *len, 1, cap - *len, f)) > 0) {
		*len += got;
		if (*len == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (f)
		pclose(f);
	return buf;
}

/* A copy of @len bytes ending exactly at a PROT_NONE page. */
static uint8_t *guard(const void *src, size_t len, size_t *maplen, uint8_t **map)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (len + (size_t)page - 1) / (size_t)page + 1;

	*maplen = pages * (size_t)page;
	*map = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(*map + *maplen - page, (size_t)page, PROT_NONE);
	memcpy(*map + *maplen - page - len, src, len);
	return *map + *maplen - page - len;
}

/* Compress file @name with "gzip @opts -c" and check inflate_gzip gives it back. */
static void roundtrip(const char *name, const char *opts)
{
	char cmd[256];
	size_t plen, zlen, maplen;
	uint8_t *plain, *z, *map, *g, *out;
	long n;

	snprintf(cmd, sizeof(cmd), "cat %s/%s", tmpdir, name);
	plain = run(cmd, &plen);
	snprintf(cmd, sizeof(cmd), "gzip %s -c %s/%s", opts, tmpdir, name);
	z = run(cmd, &zlen);
	g = guard(z, zlen, &maplen, &map);
	out = malloc(plen + 1);
	n = inflate_gzip(g, zlen, out, plen);
	CHECK_EQ(n, (long)plen);
	CHECK(n == (long)plen && !memcmp(out, plain, plen));
	if (plen)
		CHECK_EQ(inflate_gzip(g, zlen, out, plen - 1), -E2BIG);
	munmap(map, maplen);
	free(plain);
	free(z);
	free(out);
}

static void make_file(const char *name, const char *cmd)
{
	char full[512];

	snprintf(full, sizeof(full), "cd %s && ( %s ) > %s", tmpdir, cmd, name);
	if (system(full))
		printf("  could not make %s\n", name);
}

TEST(gzip_roundtrips)
{
	make_file("empty", "true");
	make_file("hello", "echo hello");
	make_file("text", "seq 1 20000; cat /etc/services 2>/dev/null");
	make_file("random", "head -c 300000 /dev/urandom");
	make_file("zeros", "head -c 1000000 /dev/zero");
	roundtrip("empty", "");
	roundtrip("hello", "");	 /* a fixed-code block */
	roundtrip("text", "-1"); /* dynamic codes */
	roundtrip("text", "-9");
	roundtrip("random", "");  /* stored blocks */
	roundtrip("zeros", "-9"); /* long matches at distance 1 */
	roundtrip("text", "-n");  /* no name in the header */
}

TEST(gzip_members_concatenated)
{
	char cmd[512];
	size_t zlen, plen;
	uint8_t *z, *plain, out[64];

	snprintf(cmd, sizeof(cmd), "cd %s && (gzip -c hello; echo world | gzip -c)", tmpdir);
	z = run(cmd, &zlen);
	plain = (uint8_t *)"hello\nworld\n";
	plen = strlen((char *)plain);
	CHECK_EQ(inflate_gzip(z, zlen, out, sizeof(out)), (long)plen);
	CHECK(!memcmp(out, plain, plen));
	free(z);
}

TEST(gzip_optional_header_fields)
{
	char cmd[256];
	size_t zlen, n = 0;
	uint8_t *z, hdr[128], out[64];
	uint32_t crc;
	static uint8_t member[4096];

	snprintf(cmd, sizeof(cmd), "gzip -n -c %s/hello", tmpdir);
	z = run(cmd, &zlen);
	memcpy(hdr, z, 10);
	hdr[3] = GZIP_FEXTRA | GZIP_FNAME | GZIP_FCOMMENT | GZIP_FHCRC;
	n = 10;
	hdr[n++] = 3, hdr[n++] = 0, hdr[n++] = 'x', hdr[n++] = 'y', hdr[n++] = 'z';
	memcpy(hdr + n, "name\0comment\0", 13);
	n += 13;
	crc = inflate_crc32(0, hdr, n);
	hdr[n++] = (uint8_t)crc, hdr[n++] = (uint8_t)(crc >> 8);
	memcpy(member, hdr, n);
	memcpy(member + n, z + 10, zlen - 10);
	CHECK_EQ(inflate_gzip(member, n + zlen - 10, out, sizeof(out)), 6);
	CHECK(!memcmp(out, "hello\n", 6));
	member[n - 1] ^= 1; /* a wrong header CRC */
	CHECK_EQ(inflate_gzip(member, n + zlen - 10, out, sizeof(out)), -EINVAL);
	member[n - 1] ^= 1;
	member[3] |= 0x20; /* a reserved flag */
	CHECK_EQ(inflate_gzip(member, n + zlen - 10, out, sizeof(out)), -EINVAL);
	free(z);
}

TEST(gzip_corruption_and_truncation)
{
	char cmd[256];
	size_t zlen, maplen;
	uint8_t *z, *map, *g, *out = malloc(1 << 20);

	snprintf(cmd, sizeof(cmd), "gzip -9 -c %s/text", tmpdir);
	z = run(cmd, &zlen);
	/* Every truncation fails cleanly (the guard page catches overreads). */
	for (size_t len = 0; len < zlen; len += len < 200 ? 1 : 97) {
		g = guard(z, len, &maplen, &map);
		CHECK(inflate_gzip(g, len, out, 1 << 20) < 0);
		munmap(map, maplen);
	}
	/* A wrong CRC or length in the trailer. */
	z[zlen - 8] ^= 1;
	CHECK_EQ(inflate_gzip(z, zlen, out, 1 << 20), -EINVAL);
	z[zlen - 8] ^= 1;
	z[zlen - 1] ^= 1;
	CHECK_EQ(inflate_gzip(z, zlen, out, 1 << 20), -EINVAL);
	z[zlen - 1] ^= 1;
	/* Flipped bits anywhere: an error or different data, never a crash. */
	for (size_t i = 10; i < zlen - 8; i += 13) {
		z[i] ^= (uint8_t)(1u << (i % 8));
		CHECK(inflate_gzip(z, zlen, out, 1 << 20) != (long)zlen + 1);
		z[i] ^= (uint8_t)(1u << (i % 8));
	}
	/* Whole, it decodes; with trailing garbage it is refused. */
	g = guard(z, zlen, &maplen, &map);
	CHECK(inflate_gzip(g, zlen, out, 1 << 20) > 0);
	munmap(map, maplen);
	z = realloc(z, zlen + 1);
	z[zlen] = 0;
	CHECK_EQ(inflate_gzip(z, zlen + 1, out, 1 << 20), -EINVAL);
	free(z);
	free(out);
}

TEST(zip_bomb_stops_at_the_limit)
{
	char cmd[256];
	size_t zlen;
	uint8_t *z, *out = malloc(4096);

	snprintf(cmd, sizeof(cmd), "head -c 50000000 /dev/zero | gzip -9 -c");
	z = run(cmd, &zlen);
	CHECK(zlen < 100000);
	CHECK_EQ(inflate_gzip(z, zlen, out, 4096), -E2BIG);
	free(z);
	free(out);
}

TEST(raw_deflate_hand_made)
{
	/* Stored block "abc": BFINAL=1 BTYPE=00, LEN=3, NLEN=~3. */
	static const uint8_t stored[] = { 0x01, 0x03, 0x00, 0xfc, 0xff, 'a', 'b', 'c' };
	static const uint8_t bad_nlen[] = { 0x01, 0x03, 0x00, 0xfc, 0xfe, 'a', 'b', 'c' };
	/* Fixed block whose first symbol copies from distance 1: before the output. */
	static const uint8_t far[] = { 0x03, 0x02, 0x00 };
	static const uint8_t btype3[] = { 0x07 };
	uint8_t out[16];
	size_t used = 0;

	CHECK_EQ(inflate_raw(stored, sizeof(stored), out, sizeof(out), &used), 3);
	CHECK_EQ(used, sizeof(stored));
	CHECK(!memcmp(out, "abc", 3));
	CHECK_EQ(inflate_raw(bad_nlen, sizeof(bad_nlen), out, sizeof(out), NULL), -EINVAL);
	CHECK_EQ(inflate_raw(far, sizeof(far), out, sizeof(out), NULL), -EINVAL);
	CHECK_EQ(inflate_raw(btype3, sizeof(btype3), out, sizeof(out), NULL), -EINVAL);
	CHECK_EQ(inflate_raw(stored, 0, out, sizeof(out), NULL), -EINVAL);
}

TEST(crc32_known_value)
{
	CHECK_EQ(inflate_crc32(0, "123456789", 9), 0xcbf43926u); /* the check value */
	CHECK_EQ(inflate_crc32(inflate_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
}

TEST(base64_against_base64_tool)
{
	char cmd[256];
	size_t plen, blen;
	uint8_t *plain, *b64, *out;

	snprintf(cmd, sizeof(cmd), "head -c 5000 %s/random", tmpdir);
	plain = run(cmd, &plen);
	for (size_t cut = plen - 3; cut <= plen; cut++) {
		snprintf(cmd, sizeof(cmd), "head -c %zu %s/random | base64", cut, tmpdir);
		b64 = run(cmd, &blen); /* wrapped at 76 columns */
		out = malloc(blen);
		CHECK_EQ(base64_decode((char *)b64, blen, out, blen / 4 * 3), (long)cut);
		CHECK(!memcmp(out, plain, cut));
		free(out);
		free(b64);
	}
	free(plain);
}

TEST(base64_edges)
{
	uint8_t out[16];

	CHECK_EQ(base64_decode("aGVsbG8K", 8, out, sizeof(out)), 6);
	CHECK(!memcmp(out, "hello\n", 6));
	CHECK_EQ(base64_decode("aGk=", 4, out, sizeof(out)), 2);
	CHECK_EQ(base64_decode("aA==", 4, out, sizeof(out)), 1);
	CHECK_EQ(base64_decode("aGk", 3, out, sizeof(out)), 2); /* unpadded */
	CHECK_EQ(base64_decode("", 0, out, sizeof(out)), 0);
	CHECK_EQ(base64_decode(" a G k = \n", 10, out, sizeof(out)), 2);
	CHECK_EQ(base64_decode("a", 1, out, sizeof(out)), -EINVAL);
	CHECK_EQ(base64_decode("a===", 4, out, sizeof(out)), -EINVAL);
	CHECK_EQ(base64_decode("aA=", 3, out, sizeof(out)), -EINVAL);
	CHECK_EQ(base64_decode("aA==aA==", 8, out, sizeof(out)), -EINVAL);
	CHECK_EQ(base64_decode("a-bc", 4, out, sizeof(out)), -EINVAL);
	CHECK_EQ(base64_decode("aGVsbG8K", 8, out, 5), -E2BIG);
	CHECK_EQ(base64_decode("aGk", 3, out, 1), -E2BIG);
}

int main(void)
{
	char cmd[64];
	int rc;

	if (!mkdtemp(tmpdir) ||
	    system("command -v gzip >/dev/null && command -v base64 >/dev/null")) {
		printf("SKIP inflate: gzip(1) and base64(1) are needed\n");
		return 0;
	}
	RUN(gzip_roundtrips);
	RUN(gzip_members_concatenated);
	RUN(gzip_optional_header_fields);
	RUN(gzip_corruption_and_truncation);
	RUN(zip_bomb_stops_at_the_limit);
	RUN(raw_deflate_hand_made);
	RUN(crc32_known_value);
	RUN(base64_against_base64_tool);
	RUN(base64_edges);
	rc = unit_summary();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		rc = 1;
	return rc;
}
