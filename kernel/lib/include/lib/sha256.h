/*
 * SHA-256 (FIPS 180-4, section 6.2): the digest that names images in the
 * host's content-addressed store (cli/store.c), and that a booted disk can
 * check an image against later.  Pure code, callable from any context; a
 * context is the caller's own, so there is nothing to lock.
 */
#ifndef LIB_SHA256_H
#define LIB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE  64
#define SHA256_HEX_SIZE	   (2 * SHA256_DIGEST_SIZE + 1) /* hex digits and a NUL */

struct sha256_ctx {
	uint32_t h[8];			/* the chaining value */
	uint64_t len;			/* bytes hashed so far */
	uint8_t buf[SHA256_BLOCK_SIZE]; /* a partial block */
};

/* sha256_init - start a digest. */
void sha256_init(struct sha256_ctx *c);
/* sha256_update - hash @len more bytes at @data. */
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* sha256_final - pad, and write the digest to @out; @c is then spent. */
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE]);
/* sha256 - the digest of @len bytes at @data, in one call. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]);
/* sha256_hex - @d as 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t d[SHA256_DIGEST_SIZE], char out[SHA256_HEX_SIZE]);

#endif
