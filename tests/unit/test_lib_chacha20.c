/*
 * Unit tests of kernel/lib/chacha20.c: the RFC 8439 vectors (sections 2.3.2,
 * 2.4.2 and A.1) and the generator's promises.
 */
#include <stdint.h>
#include "unit.h"
#include "../../kernel/lib/chacha20.c"

/* Parse a hex string (spaces ignored) into @out; returns the byte count. */
static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	for (; *hex; hex++) {
		if (*hex == ' ')
			continue;
		sscanf(hex, "%2x", &v);
		out[n++] = (uint8_t)v;
		hex++;
	}
	return n;
}

static void words(const uint8_t *bytes, uint32_t *w, int n)
{
	for (int i = 0; i < n; i++)
		w[i] = chacha_load32(bytes + 4 * i);
}

/* Check one block: @key_hex (32 bytes), @counter, @nonce_hex (12), expected. */
static int block_matches(const char *key_hex, uint32_t counter, const char *nonce_hex,
			 const char *expect_hex)
{
	uint8_t kb[32], nb[12], expect[64], out[64];
	uint32_t key[8], nonce[3];

	unhex(key_hex, kb);
	unhex(nonce_hex, nb);
	unhex(expect_hex, expect);
	words(kb, key, 8);
	words(nb, nonce, 3);
	chacha20_block(key, counter, nonce, out);
	return memcmp(out, expect, 64) == 0;
}

#define KEY_SEQ	 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_ZERO "0000000000000000000000000000000000000000000000000000000000000000"

TEST(chacha20_block_rfc8439_2_3_2)
{
	CHECK(block_matches(KEY_SEQ, 1, "000000090000004a00000000",
			    "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
			    "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"));
	/* The same block with one bit of the counter changed must differ. */
	CHECK(!block_matches(KEY_SEQ, 2, "000000090000004a00000000",
			     "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
			     "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"));
}

/* RFC 8439 appendix A.1: keystream test vectors #1 to #5. */
TEST(chacha20_block_rfc8439_a1)
{
	CHECK(block_matches(KEY_ZERO, 0, "000000000000000000000000",
			    "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
			    "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"));
	CHECK(block_matches(KEY_ZERO, 1, "000000000000000000000000",
			    "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
			    "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f"));
	CHECK(block_matches("0000000000000000000000000000000000000000000000000000000000000001", 1,
			    "000000000000000000000000",
			    "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a"
			    "8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0"));
	CHECK(block_matches("00ff000000000000000000000000000000000000000000000000000000000000", 2,
			    "000000000000000000000000",
			    "72d54dfbf12ec44b362692df94137f328fea8da73990265ec1bbbea1ae9af0ca"
			    "13b25aa26cb4a648cb9b9d1be65b2c0924a66c54d545ec1b7374f4872e99f096"));
	CHECK(block_matches(KEY_ZERO, 0, "000000000000000000000002",
			    "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c7"
			    "8a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d"));
}

/* RFC 8439 section 2.4.2: encrypting the "sunscreen" text, 114 bytes. */
TEST(chacha20_encrypt_rfc8439_2_4_2)
{
	static const char plain[] =
	    "Ladies and Gentlemen of the class of '99: If I could offer you "
	    "only one tip for the future, sunscreen would be it.";
	static const char cipher_hex[] =
	    "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
	    "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
	    "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
	    "5af90bbf74a35be6b40b8eedf2785e42874d";
	uint8_t kb[32], nb[12], expect[128], out[128], back[128];
	uint32_t key[8], nonce[3];

	unhex(KEY_SEQ, kb);
	unhex("000000000000004a00000000", nb);
	words(kb, key, 8);
	words(nb, nonce, 3);
	CHECK_EQ(unhex(cipher_hex, expect), sizeof(plain) - 1);
	chacha20_xor(key, 1, nonce, out, plain, sizeof(plain) - 1);
	CHECK(memcmp(out, expect, sizeof(plain) - 1) == 0);
	/* Decrypting is the same operation, here in place. */
	memcpy(back, out, sizeof(plain) - 1);
	chacha20_xor(key, 1, nonce, back, back, sizeof(plain) - 1);
	CHECK(memcmp(back, plain, sizeof(plain) - 1) == 0);
}

/*
 * The generator's construction, checked against an independent ChaCha20
 * (Python's cryptography package) following the steps in chacha20.c:
 * seed 00..1f; fill 16, fill 16, fill 40 (crossing a rekey).
 */
TEST(chacha_rng_known_answer)
{
	uint8_t seed[32], expect[72], out[72];
	struct chacha_rng r;

	unhex(KEY_SEQ, seed);
	unhex("18b84231ade6a6d113615c61af434e27f8b1f3f5e1ad5b5cecf8fc122a35755c"
	      "7208086dd1ee3c5d9d815824640e003c9ba0f65ede5d59ce0d2a4a7f31955acd"
	      "8af5abdfbf8b035f",
	      expect);
	chacha_rng_init(&r, seed);
	chacha_rng_fill(&r, out, 16);
	chacha_rng_fill(&r, out + 16, 16);
	chacha_rng_fill(&r, out + 32, 40);
	CHECK(memcmp(out, expect, sizeof(out)) == 0);
}

TEST(chacha_rng_seeds_differ)
{
	uint8_t s1[32] = {1}, s2[32] = {2}, a[256], b[256], c[256];
	struct chacha_rng r1, r2, r3;

	chacha_rng_init(&r1, s1);
	chacha_rng_init(&r2, s2);
	chacha_rng_init(&r3, s1);
	chacha_rng_fill(&r1, a, sizeof(a));
	chacha_rng_fill(&r2, b, sizeof(b));
	chacha_rng_fill(&r3, c, sizeof(c));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(memcmp(a, c, sizeof(a)) == 0); /* deterministic for one seed */
	/* Successive requests never repeat. */
	chacha_rng_fill(&r3, c, sizeof(c));
	CHECK(memcmp(a, c, sizeof(a)) != 0);
}

/* Forward secrecy: after a request, the state holds neither the key that
 * produced the output nor any byte handed out. */
TEST(chacha_rng_key_erasure)
{
	uint8_t seed[32] = {7}, out[100];
	uint32_t old_key[8];
	struct chacha_rng r;

	chacha_rng_init(&r, seed);
	memcpy(old_key, r.key, sizeof(old_key));
	chacha_rng_fill(&r, out, sizeof(out));
	CHECK(memcmp(old_key, r.key, sizeof(old_key)) != 0);
	CHECK_EQ(r.avail, 28); /* 100 = 64 direct + 36 of the buffered block */
	for (int i = 0; i < 36; i++)
		CHECK_EQ(r.buf[i], 0);
	CHECK(memmem(&r, sizeof(r), out + 64, 8) == NULL);
}

TEST(chacha_rng_mix_changes_stream)
{
	uint8_t seed[32] = {9}, a[64], b[64], c[64], d[64];
	struct chacha_rng r1, r2, r3, r4;
	static const uint8_t entropy[] = "0123456789abcdef0123456789abcdef0123"; /* 37 bytes */

	chacha_rng_init(&r1, seed);
	chacha_rng_init(&r2, seed);
	chacha_rng_init(&r3, seed);
	chacha_rng_init(&r4, seed);
	chacha_rng_fill(&r1, a, 8); /* leave buffered bytes that mix must discard */
	chacha_rng_fill(&r2, b, 8);
	chacha_rng_mix(&r2, entropy, sizeof(entropy));
	chacha_rng_fill(&r1, a, sizeof(a));
	chacha_rng_fill(&r2, b, sizeof(b));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	/* Same entropy, same result; one bit different, different result. */
	chacha_rng_mix(&r3, entropy, sizeof(entropy));
	chacha_rng_mix(&r4, entropy, sizeof(entropy) - 1);
	chacha_rng_fill(&r3, c, sizeof(c));
	chacha_rng_fill(&r4, d, sizeof(d));
	CHECK(memcmp(c, d, sizeof(c)) != 0);
	chacha_rng_init(&r4, seed);
	chacha_rng_mix(&r4, entropy, sizeof(entropy));
	chacha_rng_fill(&r4, d, sizeof(d));
	CHECK(memcmp(c, d, sizeof(c)) == 0);
}

/* A request larger than one round's worth of blocks, at an odd length. */
TEST(chacha_rng_large_fill)
{
	enum { LEN = 3 * 4096 * 64 + 13 };
	static uint8_t buf[LEN + 1];
	uint8_t seed[32] = {3};
	struct chacha_rng r;
	size_t zeros = 0;

	buf[LEN] = 0xAA;
	chacha_rng_init(&r, seed);
	chacha_rng_fill(&r, buf, LEN);
	CHECK_EQ(buf[LEN], 0xAA); /* nothing written past the end */
	for (size_t i = 0; i < LEN; i++)
		zeros += buf[i] == 0;
	/* About LEN/256 zero bytes are expected; far more means unfilled parts. */
	CHECK(zeros > LEN / 256 / 2 && zeros < LEN / 256 * 2);
	/* Each 64-byte block differs from the next (no repeated counter). */
	CHECK(memcmp(buf, buf + 4096 * 64, 64) != 0);
}

int main(void)
{
	RUN(chacha20_block_rfc8439_2_3_2);
	RUN(chacha20_block_rfc8439_a1);
	RUN(chacha20_encrypt_rfc8439_2_4_2);
	RUN(chacha_rng_known_answer);
	RUN(chacha_rng_seeds_differ);
	RUN(chacha_rng_key_erasure);
	RUN(chacha_rng_mix_changes_stream);
	RUN(chacha_rng_large_fill);
	return unit_summary();
}
