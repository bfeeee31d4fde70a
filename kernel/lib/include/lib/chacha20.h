/*
 * ChaCha20 (RFC 8439) and the random generator monos builds on it.
 *
 * The generator backs getrandom() and AT_RANDOM.  It is seeded with the
 * per-run seed from the host and may fold in more entropy (RDRAND) at any
 * time.  It uses fast key erasure: each request is answered from a key that
 * is then replaced by keystream that is never output, so a later compromise
 * of the state reveals nothing already handed out.
 *
 * The generator is not locked: its owner serialises access to it.
 */
#ifndef LIB_CHACHA20_H
#define LIB_CHACHA20_H

#include <stddef.h>
#include <stdint.h>

#define CHACHA20_KEY_WORDS   8
#define CHACHA20_NONCE_WORDS 3
#define CHACHA20_BLOCK_SIZE  64

/*
 * chacha20_block - the ChaCha20 block function (RFC 8439 section 2.3): the
 * 64 keystream bytes for @key (words as read little endian from the 32-byte
 * key), block @counter and @nonce.
 */
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
		    uint8_t out[64]);

/*
 * chacha20_xor - ChaCha20 encryption (RFC 8439 section 2.4): XORs @len bytes
 * of keystream starting at block @counter into @out from @in (which may be
 * the same buffer).  The counter must not wrap within @len.
 */
void chacha20_xor(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], void *out,
		  const void *in, size_t len);

/* The generator's state; treat as opaque. */
struct chacha_rng {
	uint32_t key[8];  /* the current key, replaced after every request */
	uint64_t counter; /* number of rekeyings so far, used as nonce */
	uint8_t buf[64];  /* keystream not yet handed out: the last @avail bytes */
	unsigned avail;
};

/* chacha_rng_init - start a generator from a 32-byte @seed. */
void chacha_rng_init(struct chacha_rng *r, const uint8_t seed[32]);

/*
 * chacha_rng_mix - fold @len bytes of further entropy into the generator.
 * The new state depends on the old state and all of @data; buffered
 * keystream is discarded so the next output depends on it too.
 */
void chacha_rng_mix(struct chacha_rng *r, const void *data, size_t len);

/* chacha_rng_fill - write @len random bytes to @out. */
void chacha_rng_fill(struct chacha_rng *r, void *out, size_t len);

#endif
