/*
 * base64 decoding (RFC 4648 section 4), for cloud-init's write_files
 * encodings b64 and gz+b64.  Pure; any context may call it.
 */
#ifndef LIB_BASE64_H
#define LIB_BASE64_H

#include <stddef.h>
#include <stdint.h>

/*
 * base64_decode - decode the base64 text at @in (@inlen bytes: the "+/"
 * alphabet, "=" padding; blanks and line breaks anywhere are skipped) into
 * @out, room for @cap bytes ((@inlen / 4) * 3 always suffices).  Returns
 * the bytes written; -EINVAL for any other character, misplaced padding or
 * a final group of one character; -E2BIG past @cap.  A final group of two
 * or three characters without its padding is accepted, as Python's
 * base64 module does not (cloud-init) but most decoders do.
 */
long base64_decode(const char *in, size_t inlen, uint8_t *out, size_t cap);

#endif
