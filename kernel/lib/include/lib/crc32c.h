/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of
 * ext4's metadata_csum and of jbd2's csum v2/v3 (RFC 3720 appendix B.4 gives
 * the test vectors).
 *
 * crc32c_update() follows Linux's crc32c(): no inversion on entry or exit,
 * so ext4's "crc32c(~0, buf, len)" is crc32c_update(~0u, buf, len), and a
 * checksum may be continued over several pieces.  The standard CRC-32C of a
 * buffer is crc32c(buf, len) == ~crc32c_update(~0u, buf, len).
 * Pure code, callable from any context.
 */
#ifndef LIB_CRC32C_H
#define LIB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* crc32c_update - continue @crc over @len bytes at @buf (no pre/post inversion). */
uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len);

/* crc32c - the standard CRC-32C of @len bytes at @buf ("123456789" gives 0xE3069283). */
uint32_t crc32c(const void *buf, size_t len);

#endif
