/*
 * ChaCha20 (RFC 8439) and the kernel's random generator built on it: fast
 * key erasure (D. J. Bernstein, "Fast-key-erasure random-number
 * generators", 2017) over ChaCha20 blocks.
 *
 * Generator, one "round" per request that the buffer cannot satisfy, all
 * under the current key K and nonce (rekey count, 0):
 *     block 0 of K:    bytes 0-31 become the next key (never output),
 *                      bytes 32-63 are discarded;
 *     blocks 1..n:     written straight to the caller;
 *     block n+1:       kept in buf for the next small requests.
 * K is then overwritten, so the state never holds what produced earlier
 * output; bytes handed out from buf are wiped as they go.
 */
#include <lib/chacha20.h>
#include <lib/string.h>

/* "expand 32-byte k", as little-endian words (RFC 8439 section 2.3). */
#define CHACHA_C0	     0x61707865u
#define CHACHA_C1	     0x3320646eu
#define CHACHA_C2	     0x79622d32u
#define CHACHA_C3	     0x6b206574u
#define CHACHA_DOUBLE_ROUNDS 10

/* Most blocks generated under one key before rekeying (keeps counters 32-bit). */
#define CHACHA_RNG_MAX_BLOCKS 4096u
/* Marks the nonce of a mix step, so it never equals a refill's nonce. */
#define CHACHA_RNG_MIX_TAG 0x80000000u

static inline uint32_t chacha_rotl(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

#define QUARTER_ROUND(x, a, b, c, d)                                                               \
	do {                                                                                       \
		x[a] += x[b];                                                                      \
		x[d] = chacha_rotl(x[d] ^ x[a], 16);                                               \
		x[c] += x[d];                                                                      \
		x[b] = chacha_rotl(x[b] ^ x[c], 12);                                               \
		x[a] += x[b];                                                                      \
		x[d] = chacha_rotl(x[d] ^ x[a], 8);                                                \
		x[c] += x[d];                                                                      \
		x[b] = chacha_rotl(x[b] ^ x[c], 7);                                                \
	} while (0)

static inline uint32_t chacha_load32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void chacha_store32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
		    uint8_t out[64])
{
	uint32_t init[16] = { CHACHA_C0, CHACHA_C1, CHACHA_C2, CHACHA_C3 };
	uint32_t x[16];
	int i;

	for (i = 0; i < 8; i++)
		init[4 + i] = key[i];
	init[12] = counter;
	for (i = 0; i < 3; i++)
		init[13 + i] = nonce[i];
	for (i = 0; i < 16; i++)
		x[i] = init[i];
	for (i = 0; i < CHACHA_DOUBLE_ROUNDS; i++) {
		/* a column round, then a diagonal round */
		QUARTER_ROUND(x, 0, 4, 8, 12);
		QUARTER_ROUND(x, 1, 5, 9, 13);
		QUARTER_ROUND(x, 2, 6, 10, 14);
		QUARTER_ROUND(x, 3, 7, 11, 15);
		QUARTER_ROUND(x, 0, 5, 10, 15);
		QUARTER_ROUND(x, 1, 6, 11, 12);
		QUARTER_ROUND(x, 2, 7, 8, 13);
		QUARTER_ROUND(x, 3, 4, 9, 14);
	}
	for (i = 0; i < 16; i++)
		chacha_store32(out + 4 * i, x[i] + init[i]);
}

void chacha20_xor(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], void *out,
		  const void *in, size_t len)
{
	uint8_t *o = out;
	const uint8_t *p = in;
	uint8_t ks[CHACHA20_BLOCK_SIZE];

	while (len) {
		size_t n = len < sizeof(ks) ? len : sizeof(ks);

		chacha20_block(key, counter++, nonce, ks);
		for (size_t i = 0; i < n; i++)
			o[i] = p[i] ^ ks[i];
		o += n;
		p += n;
		len -= n;
	}
	memset(ks, 0, sizeof(ks));
}

/* The nonce of the generator's current key: its rekey count, and a tag. */
static void chacha_rng_nonce(const struct chacha_rng *r, uint32_t tag, uint32_t nonce[3])
{
	nonce[0] = (uint32_t)r->counter;
	nonce[1] = (uint32_t)(r->counter >> 32);
	nonce[2] = tag;
}

/* Replace the key by the first 32 bytes of @block. */
static void chacha_rng_rekey(struct chacha_rng *r, const uint8_t block[64])
{
	for (int i = 0; i < 8; i++)
		r->key[i] = chacha_load32(block + 4 * i);
	r->counter++;
}

void chacha_rng_init(struct chacha_rng *r, const uint8_t seed[32])
{
	for (int i = 0; i < 8; i++)
		r->key[i] = chacha_load32(seed + 4 * i);
	r->counter = 0;
	memset(r->buf, 0, sizeof(r->buf));
	r->avail = 0;
}

/*
 * Absorb @data 32 bytes at a time: XOR a chunk into the key, then replace
 * the key by keystream of the result, whose nonce carries the chunk length
 * (so a short final chunk differs from the same bytes NUL padded).
 */
void chacha_rng_mix(struct chacha_rng *r, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t block[CHACHA20_BLOCK_SIZE];
	uint32_t nonce[3];

	while (len) {
		size_t n = len < 32 ? len : 32;

		for (size_t i = 0; i < n; i++)
			r->key[i / 4] ^= (uint32_t)p[i] << (8 * (i % 4));
		chacha_rng_nonce(r, CHACHA_RNG_MIX_TAG | (uint32_t)n, nonce);
		chacha20_block(r->key, 0, nonce, block);
		chacha_rng_rekey(r, block);
		p += n;
		len -= n;
	}
	memset(block, 0, sizeof(block));
	memset(r->buf, 0, sizeof(r->buf));
	r->avail = 0;
}

/* Hand out up to @len buffered bytes, wiping them; returns how many. */
static size_t chacha_rng_take(struct chacha_rng *r, uint8_t *out, size_t len)
{
	size_t n = len < r->avail ? len : r->avail;
	uint8_t *src = r->buf + sizeof(r->buf) - r->avail;

	memcpy(out, src, n);
	memset(src, 0, n);
	r->avail -= (unsigned)n;
	return n;
}

/* One round: @nblocks blocks to @out, one block to buf, then a new key. */
static void chacha_rng_round(struct chacha_rng *r, uint8_t *out, uint32_t nblocks)
{
	uint8_t block[CHACHA20_BLOCK_SIZE];
	uint32_t nonce[3];
	uint32_t i;

	chacha_rng_nonce(r, 0, nonce);
	for (i = 0; i < nblocks; i++)
		chacha20_block(r->key, 1 + i, nonce, out + (size_t)i * CHACHA20_BLOCK_SIZE);
	chacha20_block(r->key, 1 + nblocks, nonce, r->buf);
	r->avail = sizeof(r->buf);
	chacha20_block(r->key, 0, nonce, block);
	chacha_rng_rekey(r, block);
	memset(block, 0, sizeof(block));
}

void chacha_rng_fill(struct chacha_rng *r, void *out, size_t len)
{
	uint8_t *o = out;
	size_t n = chacha_rng_take(r, o, len);

	o += n;
	len -= n;
	while (len) {
		size_t blocks = len / CHACHA20_BLOCK_SIZE;

		if (blocks > CHACHA_RNG_MAX_BLOCKS)
			blocks = CHACHA_RNG_MAX_BLOCKS;
		chacha_rng_round(r, o, (uint32_t)blocks);
		o += blocks * CHACHA20_BLOCK_SIZE;
		len -= blocks * CHACHA20_BLOCK_SIZE;
		n = chacha_rng_take(r, o, len);
		o += n;
		len -= n;
	}
}
