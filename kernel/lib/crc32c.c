/*
 * CRC-32C, eight bytes at a time ("slicing-by-8", Intel's 2008 paper by
 * Kounavis and Berry): eight 256-entry tables, built at the first call from
 * the polynomial rather than written out.  Filesystem metadata is checksummed
 * block by block (4 KiB a directory block, inode bitmaps, extent leaves), so
 * this is on every write's path.  The kernel is built without SSE, so the
 * SSE4.2 crc32 instruction is left for later, where a profile asks for it.
 */
#include <stdbool.h>

#include <lib/crc32c.h>

#define CRC32C_POLY 0x82F63B78u /* Castagnoli, reflected (RFC 3720 B.4) */

static uint32_t crc32c_table[8][256];
static bool crc32c_ready;

/*
 * Fill the tables: [0] is the usual byte table, [k][n] the CRC of byte n
 * followed by k zero bytes.  Idempotent, so two first callers racing write
 * the same values; the flag is set last.
 */
static void crc32c_init(void)
{
	uint32_t n, k, c;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY : 0);
		crc32c_table[0][n] = c;
	}
	for (n = 0; n < 256; n++)
		for (k = 1; k < 8; k++)
			crc32c_table[k][n] = (crc32c_table[k - 1][n] >> 8) ^
					     crc32c_table[0][crc32c_table[k - 1][n] & 0xff];
	crc32c_ready = true;
}

uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!crc32c_ready)
		crc32c_init();
	for (; len >= 8; len -= 8, p += 8) {
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24);

		crc = crc32c_table[7][lo & 0xff] ^ crc32c_table[6][(lo >> 8) & 0xff] ^
		      crc32c_table[5][(lo >> 16) & 0xff] ^ crc32c_table[4][lo >> 24] ^
		      crc32c_table[3][p[4]] ^ crc32c_table[2][p[5]] ^ crc32c_table[1][p[6]] ^
		      crc32c_table[0][p[7]];
	}
	while (len--)
		crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
	return crc;
}

uint32_t crc32c(const void *buf, size_t len)
{
	return ~crc32c_update(~0u, buf, len);
}
