/*
 * Unit tests of kernel/lib/sha256.c: the FIPS 180-4 examples (NIST's
 * "SHA256.pdf": "abc", the two-block 448-bit message), the million 'a's of
 * the NIST test suite, the empty message, and that a digest fed in pieces of
 * every size equals the one-call digest (the partial-block paths).
 */
#include "unit.h"
#include "../../kernel/lib/sha256.c"

static const char *hex_of(const void *data, size_t len)
{
	static char out[SHA256_HEX_SIZE];
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256(data, len, d);
	sha256_hex(d, out);
	return out;
}

TEST(sha256_fips_examples)
{
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	CHECK_STR(hex_of("abc", 3),
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_STR(hex_of(two, strlen(two)),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	CHECK_STR(hex_of("", 0),
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(sha256_million_a)
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	char a[1000], out[SHA256_HEX_SIZE];

	memset(a, 'a', sizeof(a));
	sha256_init(&c);
	for (int i = 0; i < 1000; i++)
		sha256_update(&c, a, sizeof(a));
	sha256_final(&c, d);
	sha256_hex(d, out);
	CHECK_STR(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(sha256_pieces)
{
	uint8_t msg[300], whole[SHA256_DIGEST_SIZE], part[SHA256_DIGEST_SIZE];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 0; len <= sizeof(msg); len += 13) {
		sha256(msg, len, whole);
		for (size_t step = 1; step <= 70; step += 23) {
			struct sha256_ctx c;

			sha256_init(&c);
			for (size_t off = 0; off < len; off += step)
				sha256_update(&c, msg + off, len - off < step ? len - off : step);
			sha256_final(&c, part);
			CHECK(memcmp(whole, part, sizeof(whole)) == 0);
		}
	}
}

int main(void)
{
	RUN(sha256_fips_examples);
	RUN(sha256_million_a);
	RUN(sha256_pieces);
	return unit_summary();
}
