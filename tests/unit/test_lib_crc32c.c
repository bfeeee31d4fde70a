/*
 * Unit tests of kernel/lib/crc32c.c: the check value of the CRC catalogue,
 * RFC 3720's test vectors (appendix B.4), and that a checksum continued
 * over pieces equals the checksum of the whole.
 */
#include "unit.h"
#include "../../kernel/lib/crc32c.c"

TEST(crc32c_check_value)
{
	CHECK_EQ(crc32c("123456789", 9), 0xE3069283u);
	CHECK_EQ(crc32c("", 0), 0);
}

TEST(crc32c_rfc3720_vectors)
{
	uint8_t buf[32];
	int i;

	memset(buf, 0, sizeof(buf));
	CHECK_EQ(crc32c(buf, sizeof(buf)), 0x8A9136AAu);
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(crc32c(buf, sizeof(buf)), 0x62A8AB43u);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	CHECK_EQ(crc32c(buf, sizeof(buf)), 0x46DD794Eu);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	CHECK_EQ(crc32c(buf, sizeof(buf)), 0x113FDB5Cu);
}

TEST(crc32c_continues_over_pieces)
{
	const char *s = "the quick brown fox jumps over the lazy dog";
	size_t n = strlen(s), cut;

	for (cut = 0; cut <= n; cut++) {
		uint32_t c = crc32c_update(~0u, s, cut);

		CHECK_EQ(~crc32c_update(c, s + cut, n - cut), crc32c(s, n));
	}
}

int main(void)
{
	RUN(crc32c_check_value);
	RUN(crc32c_rfc3720_vectors);
	RUN(crc32c_continues_over_pieces);
	return unit_summary();
}
