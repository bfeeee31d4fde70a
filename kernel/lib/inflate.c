/*
 * DEFLATE (RFC 1951) and gzip (RFC 1952) decompression, and base64
 * (contracts in <lib/inflate.h>).  A canonical Huffman decoder reads codes
 * bit by bit, counting codes of each length, as RFC 1951 section 3.2.2
 * builds them: small tables, no allocation, every length checked.
 */
#include <lib/errno.h>
#include <lib/inflate.h>
#include <lib/string.h>

#define INFLATE_MAXBITS	 15  /* longest code (RFC 1951 3.2.7) */
#define INFLATE_NLITLEN	 288 /* literal/length symbols, 286 and 287 unused */
#define INFLATE_NDIST	 30  /* distance symbols */
#define INFLATE_NCLEN	 19  /* code length symbols */
#define INFLATE_END	 256 /* the end-of-block symbol */
#define INFLATE_FIRSTLEN 257 /* the first length symbol */

struct inflate_in {
	const uint8_t *in;
	size_t len, pos;
	uint32_t bitbuf; /* bits not yet used, lowest first */
	unsigned bitcnt;
	uint8_t *out;
	size_t cap, n;
};

/* A canonical Huffman code: how many codes of each length, and the symbols
 * in code order. */
struct inflate_huff {
	uint16_t count[INFLATE_MAXBITS + 1];
	uint16_t symbol[INFLATE_NLITLEN];
};

/* Take @need bits (at most 16), lowest first. */
static int inflate_bits(struct inflate_in *s, unsigned need)
{
	uint32_t v;

	while (s->bitcnt < need) {
		if (s->pos == s->len)
			return -EINVAL;
		s->bitbuf |= (uint32_t)s->in[s->pos++] << s->bitcnt;
		s->bitcnt += 8;
	}
	v = s->bitbuf & ((1u << need) - 1);
	s->bitbuf >>= need;
	s->bitcnt -= need;
	return (int)v;
}

/*
 * Build @h from the code lengths of @n symbols.  Returns 0 for a complete
 * code, 1 for an incomplete one (allowed for a lone distance code, RFC 1951
 * 3.2.7), -EINVAL if over-subscribed.
 */
static int inflate_build(struct inflate_huff *h, const uint8_t *lengths, unsigned n)
{
	uint16_t offs[INFLATE_MAXBITS + 1];
	int left = 1;

	memset(h->count, 0, sizeof(h->count));
	for (unsigned i = 0; i < n; i++)
		h->count[lengths[i]]++;
	for (unsigned len = 1; len <= INFLATE_MAXBITS; len++) {
		left = 2 * left - h->count[len];
		if (left < 0)
			return -EINVAL;
	}
	offs[1] = 0;
	for (unsigned len = 1; len < INFLATE_MAXBITS; len++)
		offs[len + 1] = (uint16_t)(offs[len] + h->count[len]);
	for (unsigned i = 0; i < n; i++)
		if (lengths[i])
			h->symbol[offs[lengths[i]]++] = (uint16_t)i;
	return left > 0;
}

/* Decode one symbol with @h. */
static int inflate_decode(struct inflate_in *s, const struct inflate_huff *h)
{
	int code = 0, first = 0, index = 0;

	for (unsigned len = 1; len <= INFLATE_MAXBITS; len++) {
		int bit = inflate_bits(s, 1), count = h->count[len];

		if (bit < 0)
			return bit;
		code |= bit;
		if (code - count < first)
			return h->symbol[index + (code - first)];
		index += count;
		first = (first + count) << 1;
		code <<= 1;
	}
	return -EINVAL; /* a code no symbol has (an incomplete code) */
}

/* Length and distance bases and extra bits, RFC 1951 section 3.2.5. */
static const uint16_t inflate_len_base[] = { 3,	 4,  5,	 6,   7,   8,	9,   10,  11, 13,
					     15, 17, 19, 23,  27,  31,	35,  43,  51, 59,
					     67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const uint8_t inflate_len_extra[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
					     2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const uint16_t inflate_dist_base[] = { 1,    2,	  3,	4,     5,     7,    9,	  13,
					      17,   25,	  33,	49,    65,    97,   129,  193,
					      257,  385,  513,	769,   1025,  1537, 2049, 3073,
					      4097, 6145, 8193, 12289, 16385, 24577 };
static const uint8_t inflate_dist_extra[] = { 0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
					      6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

/* One length/distance pair after length symbol @sym: copy from the output. */
static int inflate_copy(struct inflate_in *s, int sym, const struct inflate_huff *dist)
{
	int len, d, extra;
	size_t distance;

	sym -= INFLATE_FIRSTLEN;
	if (sym >= (int)sizeof(inflate_len_extra))
		return -EINVAL; /* symbols 286 and 287 */
	extra = inflate_bits(s, inflate_len_extra[sym]);
	if (extra < 0)
		return extra;
	len = inflate_len_base[sym] + extra;
	d = inflate_decode(s, dist);
	if (d < 0 || d >= INFLATE_NDIST)
		return -EINVAL;
	extra = inflate_bits(s, inflate_dist_extra[d]);
	if (extra < 0)
		return extra;
	distance = (size_t)inflate_dist_base[d] + (size_t)extra;
	if (distance > s->n)
		return -EINVAL; /* before the start of the output */
	if ((size_t)len > s->cap - s->n)
		return -E2BIG;
	for (; len; len--, s->n++)
		s->out[s->n] = s->out[s->n - distance];
	return 0;
}

/* A Huffman-coded block's data, with the codes @lit and @dist. */
static int inflate_codes(struct inflate_in *s, const struct inflate_huff *lit,
			 const struct inflate_huff *dist)
{
	for (;;) {
		int sym = inflate_decode(s, lit), rc;

		if (sym < 0)
			return sym;
		if (sym == INFLATE_END)
			return 0;
		if (sym < INFLATE_END) {
			if (s->n == s->cap)
				return -E2BIG;
			s->out[s->n++] = (uint8_t)sym;
			continue;
		}
		rc = inflate_copy(s, sym, dist);
		if (rc)
			return rc;
	}
}

/* A stored block (BTYPE 00): LEN, its complement, LEN bytes. */
static int inflate_stored(struct inflate_in *s)
{
	size_t len;

	s->bitbuf = 0; /* stored data starts at a byte boundary */
	s->bitcnt = 0;
	if (s->len - s->pos < 4)
		return -EINVAL;
	len = s->in[s->pos] | (size_t)s->in[s->pos + 1] << 8;
	if ((s->in[s->pos] ^ s->in[s->pos + 2]) != 0xff ||
	    (s->in[s->pos + 1] ^ s->in[s->pos + 3]) != 0xff)
		return -EINVAL; /* NLEN is LEN's complement */
	s->pos += 4;
	if (s->len - s->pos < len)
		return -EINVAL;
	if (len > s->cap - s->n)
		return -E2BIG;
	memcpy(s->out + s->n, s->in + s->pos, len);
	s->pos += len;
	s->n += len;
	return 0;
}

/* A block with the fixed codes (BTYPE 01, RFC 1951 3.2.6). */
static int inflate_fixed(struct inflate_in *s)
{
	struct inflate_huff lit, dist;
	uint8_t lengths[INFLATE_NLITLEN];
	unsigned i;

	for (i = 0; i < 144; i++)
		lengths[i] = 8;
	for (; i < 256; i++)
		lengths[i] = 9;
	for (; i < 280; i++)
		lengths[i] = 7;
	for (; i < INFLATE_NLITLEN; i++)
		lengths[i] = 8;
	inflate_build(&lit, lengths, INFLATE_NLITLEN);
	memset(lengths, 5, INFLATE_NDIST);
	inflate_build(&dist, lengths, INFLATE_NDIST);
	return inflate_codes(s, &lit, &dist);
}

/* The order code length code lengths come in (RFC 1951 3.2.7). */
static const uint8_t inflate_clen_order[INFLATE_NCLEN] = { 16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
							   11, 4,  12, 3, 13, 2, 14, 1, 15 };

/* Read @n code lengths into @lengths with the code length code @clen. */
static int inflate_lengths(struct inflate_in *s, const struct inflate_huff *clen, uint8_t *lengths,
			   unsigned n)
{
	for (unsigned i = 0; i < n;) {
		int sym = inflate_decode(s, clen), rep, base;
		uint8_t value = 0;

		if (sym < 0)
			return sym;
		if (sym < 16) {
			lengths[i++] = (uint8_t)sym;
			continue;
		}
		if (sym == 16) {
			if (!i)
				return -EINVAL; /* nothing to repeat */
			value = lengths[i - 1];
		}
		base = sym == 16 ? 3 : sym == 17 ? 3 : 11;
		rep = inflate_bits(s, sym == 16 ? 2 : sym == 17 ? 3 : 7);
		if (rep < 0)
			return rep;
		rep += base;
		if (i + (unsigned)rep > n)
			return -EINVAL;
		while (rep--)
			lengths[i++] = value;
	}
	return 0;
}

/* A block with dynamic codes (BTYPE 10, RFC 1951 3.2.7). */
static int inflate_dynamic(struct inflate_in *s)
{
	uint8_t lengths[INFLATE_NLITLEN + INFLATE_NDIST];
	struct inflate_huff lit, dist;
	int nlen = inflate_bits(s, 5), ndist = inflate_bits(s, 5), ncode = inflate_bits(s, 4), rc;

	if (nlen < 0 || ndist < 0 || ncode < 0)
		return -EINVAL;
	nlen += 257;
	ndist += 1;
	ncode += 4;
	if (nlen > 286 || ndist > INFLATE_NDIST)
		return -EINVAL;
	memset(lengths, 0, INFLATE_NCLEN);
	for (int i = 0; i < ncode; i++) {
		int v = inflate_bits(s, 3);

		if (v < 0)
			return v;
		lengths[inflate_clen_order[i]] = (uint8_t)v;
	}
	if (inflate_build(&lit, lengths, INFLATE_NCLEN) != 0)
		return -EINVAL; /* the code length code must be complete */
	rc = inflate_lengths(s, &lit, lengths, (unsigned)(nlen + ndist));
	if (rc)
		return rc;
	if (!lengths[INFLATE_END])
		return -EINVAL; /* no way to end the block */
	/* Incomplete codes are allowed only when they hold a single code. */
	rc = inflate_build(&lit, lengths, (unsigned)nlen);
	if (rc < 0 || (rc > 0 && nlen - lit.count[0] != 1))
		return -EINVAL;
	rc = inflate_build(&dist, lengths + nlen, (unsigned)ndist);
	if (rc < 0 || (rc > 0 && ndist - dist.count[0] != 1))
		return -EINVAL;
	return inflate_codes(s, &lit, &dist);
}

long inflate_raw(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *used)
{
	struct inflate_in s = { .in = in, .len = inlen, .out = out, .cap = cap };
	int last, type, rc;

	do {
		last = inflate_bits(&s, 1);
		type = inflate_bits(&s, 2);
		if (last < 0 || type < 0)
			return -EINVAL;
		rc = type == 0	 ? inflate_stored(&s)
		     : type == 1 ? inflate_fixed(&s)
		     : type == 2 ? inflate_dynamic(&s)
				 : -EINVAL;
		if (rc)
			return rc;
	} while (!last);
	if (used)
		*used = s.pos;
	return (long)s.n;
}

uint32_t inflate_crc32(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;

	crc = ~crc;
	while (n--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^
			      (0xedb88320u & (0u - (crc & 1))); /* the reflected polynomial */
	}
	return ~crc;
}

/* gzip header flags and fields (RFC 1952 section 2.3). */
#define GZIP_ID1      0x1f
#define GZIP_ID2      0x8b
#define GZIP_DEFLATE  8
#define GZIP_FHCRC    0x02
#define GZIP_FEXTRA   0x04
#define GZIP_FNAME    0x08
#define GZIP_FCOMMENT 0x10
#define GZIP_RESERVED 0xe0
#define GZIP_HEADER   10 /* ID1 ID2 CM FLG MTIME(4) XFL OS */
#define GZIP_TRAILER  8	 /* CRC32 ISIZE */

static uint32_t inflate_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Skip a NUL-terminated header field from *@pos; false if it never ends. */
static int inflate_skip_string(const uint8_t *in, size_t len, size_t *pos)
{
	const uint8_t *nul = memchr(in + *pos, 0, len - *pos);

	if (!nul)
		return -EINVAL;
	*pos = (size_t)(nul - in) + 1;
	return 0;
}

/* A member's header; returns the offset of its DEFLATE data, or -EINVAL. */
static long inflate_gzip_header(const uint8_t *in, size_t len)
{
	size_t pos = GZIP_HEADER;
	uint8_t flg;

	if (len < GZIP_HEADER || in[0] != GZIP_ID1 || in[1] != GZIP_ID2 || in[2] != GZIP_DEFLATE)
		return -EINVAL;
	flg = in[3];
	if (flg & GZIP_RESERVED)
		return -EINVAL;
	if (flg & GZIP_FEXTRA) {
		size_t xlen;

		if (len - pos < 2)
			return -EINVAL;
		xlen = in[pos] | (size_t)in[pos + 1] << 8;
		pos += 2;
		if (len - pos < xlen)
			return -EINVAL;
		pos += xlen;
	}
	if ((flg & GZIP_FNAME) && inflate_skip_string(in, len, &pos))
		return -EINVAL;
	if ((flg & GZIP_FCOMMENT) && inflate_skip_string(in, len, &pos))
		return -EINVAL;
	if (flg & GZIP_FHCRC) {
		if (len - pos < 2 ||
		    (inflate_crc32(0, in, pos) & 0xffff) != (uint32_t)(in[pos] | in[pos + 1] << 8))
			return -EINVAL;
		pos += 2;
	}
	return (long)pos;
}

long inflate_gzip(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap)
{
	size_t pos = 0, n = 0;

	do {
		long start = inflate_gzip_header(in + pos, inlen - pos), got;
		size_t used;

		if (start < 0)
			return start;
		pos += (size_t)start;
		got = inflate_raw(in + pos, inlen - pos, out + n, cap - n, &used);
		if (got < 0)
			return got;
		pos += used;
		if (inlen - pos < GZIP_TRAILER ||
		    inflate_le32(in + pos) != inflate_crc32(0, out + n, (size_t)got) ||
		    inflate_le32(in + pos + 4) != (uint32_t)got)
			return -EINVAL;
		pos += GZIP_TRAILER;
		n += (size_t)got;
	} while (pos < inlen);
	return (long)n;
}
