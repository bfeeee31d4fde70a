/*
 * Decompression of DEFLATE data (RFC 1951) and of gzip files (RFC 1952),
 * for cloud-init's "gz+b64" write_files (base64 is in <lib/base64.h>).
 *
 * The input is untrusted: every length and distance is checked, the
 * output never passes the room the caller gives (a "zip bomb" ends with
 * -E2BIG, having written only that much), and no read goes past the
 * input.  Nothing allocates: the Huffman tables live on the stack (about
 * 1.6 KiB).  Any context may call these functions.
 */
#ifndef LIB_INFLATE_H
#define LIB_INFLATE_H

#include <stddef.h>
#include <stdint.h>

/*
 * inflate_raw - decompress the DEFLATE stream at @in (@inlen bytes) into
 * @out (room for @cap bytes).  Returns the bytes written; -EINVAL if the
 * stream is malformed or ends early, -E2BIG if the output would pass @cap.
 * *@used (if not NULL) gets the input bytes the stream took, its last
 * partial byte included.
 */
long inflate_raw(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *used);

/*
 * inflate_gzip - decompress a gzip file (one member or several
 * concatenated, as gzip -d reads them) into @out (room for @cap bytes).
 * Each member's header is checked (magic, method 8, no reserved flags, the
 * optional extra field, name, comment and header CRC skipped) and its
 * trailer too: the CRC-32 and the length of its data.  Returns the bytes
 * written, -EINVAL if malformed, -E2BIG past @cap.
 */
long inflate_gzip(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap);

/* inflate_crc32 - the CRC-32 of gzip and zlib (ISO 3309), continued from
 * @crc (0 to start) over @n bytes at @p. */
uint32_t inflate_crc32(uint32_t crc, const void *p, size_t n);

#endif
