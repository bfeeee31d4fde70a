/*
 * Kernel command-line options and the number parsing they need (contracts
 * in <lib/cmdline.h>).  The command line carries kernel options only
 * (include/monos/bootinfo.h), so there is no quoting to understand.
 */
#include <lib/cmdline.h>
#include <lib/errno.h>
#include <lib/string.h>

#define CMDLINE_KIB 10 /* shift of the K suffix; M and G follow by 10 each */

static bool cmdline_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whether @key holds a byte no key may hold. */
static bool cmdline_bad_key(const char *key, size_t klen)
{
	for (size_t i = 0; i < klen; i++)
		if (key[i] == '=' || cmdline_is_space(key[i]))
			return true;
	return false;
}

/* Whether @key (@klen bytes) is the word at @w (@wlen bytes), or its "key=" part. */
static bool cmdline_word_is(const char *w, size_t wlen, const char *key, size_t klen)
{
	return wlen >= klen && !memcmp(w, key, klen) && (wlen == klen || w[klen] == '=');
}

const char *cmdline_find(const char *cmdline, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);
	const char *found = NULL, *p = cmdline;
	size_t flen = 0;

	/* A key never holds '=' or a space: such a "key" is never found. */
	if (!cmdline || !klen || cmdline_bad_key(key, klen))
		return NULL;
	while (*p) {
		const char *w;
		size_t wlen;

		while (cmdline_is_space(*p))
			p++;
		w = p;
		while (*p && !cmdline_is_space(*p))
			p++;
		wlen = (size_t)(p - w);
		if (wlen && cmdline_word_is(w, wlen, key, klen)) {
			/* A bare key's "value" is the empty string at its end. */
			found = w + klen + (wlen > klen);
			flen = wlen > klen ? wlen - klen - 1 : 0;
		}
	}
	if (found && vlen)
		*vlen = flen;
	return found;
}

static bool cmdline_value_is(const char *v, size_t vlen, const char *word)
{
	return vlen == strlen(word) && !memcmp(v, word, vlen);
}

bool cmdline_flag(const char *cmdline, const char *key)
{
	size_t vlen;
	const char *v = cmdline_find(cmdline, key, &vlen);

	if (!v)
		return false;
	/* A bare key is on; "key=" (empty) is not. */
	if (vlen == 0)
		return v[-1] != '=';
	return cmdline_value_is(v, vlen, "1") || cmdline_value_is(v, vlen, "on") ||
	       cmdline_value_is(v, vlen, "yes") || cmdline_value_is(v, vlen, "y") ||
	       cmdline_value_is(v, vlen, "true");
}

static int cmdline_digit(char c, unsigned base)
{
	int d = -1;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	return d >= 0 && (unsigned)d < base ? d : -1;
}

int parse_u64(const char *s, size_t len, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int d = cmdline_digit(s[i], base);

		if (d < 0)
			return -EINVAL;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -ERANGE;
		v = v * base + (unsigned)d;
	}
	*out = v;
	return 0;
}

/* The shift of a K/M/G suffix, or 0 if @c is none of them. */
static unsigned cmdline_suffix_shift(char c)
{
	switch (c) {
	case 'K':
	case 'k':
		return CMDLINE_KIB;
	case 'M':
	case 'm':
		return 2 * CMDLINE_KIB;
	case 'G':
	case 'g':
		return 3 * CMDLINE_KIB;
	default:
		return 0;
	}
}

int parse_size(const char *s, size_t len, uint64_t *out)
{
	unsigned shift = len ? cmdline_suffix_shift(s[len - 1]) : 0;
	uint64_t v;
	int r;

	/* No hex digit is K, M or G, so "0x10M" is unambiguous. */
	r = parse_u64(s, shift ? len - 1 : len, &v);
	if (r)
		return r;
	if (v > UINT64_MAX >> shift)
		return -ERANGE;
	*out = v << shift;
	return 0;
}

/* Split @s at the first @c: the part before it in *@n, the rest after it. */
static const char *cmdline_split(const char *s, size_t len, char c, size_t *n)
{
	const char *at = memchr(s, c, len);

	if (!at)
		return NULL;
	*n = (size_t)(at - s);
	return at + 1;
}

int cmdline_parse_mmio(const char *s, size_t len, uint64_t *size, uint64_t *addr, unsigned *irq)
{
	const char *a, *i, *end = s + len;
	size_t slen, alen;
	uint64_t sz, ad, iv;
	int r;

	a = cmdline_split(s, len, '@', &slen);
	i = a ? cmdline_split(a, (size_t)(end - a), ':', &alen) : NULL;
	if (!i)
		return -EINVAL;
	r = parse_size(s, slen, &sz);
	if (!r)
		r = parse_size(a, alen, &ad);
	if (!r)
		r = parse_u64(i, (size_t)(end - i), &iv);
	if (r)
		return r;
	if (sz == 0)
		return -EINVAL;
	if (iv > UINT32_MAX || sz - 1 > UINT64_MAX - ad)
		return -ERANGE;
	*size = sz;
	*addr = ad;
	*irq = (unsigned)iv;
	return 0;
}

/* One decimal id of @len bytes below (uint32_t)-1: 0 or -EINVAL. */
static int parse_one_id(const char *s, size_t len, uint32_t *id)
{
	uint64_t v;

	if (!len || (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return -EINVAL;
	if (parse_u64(s, len, &v) || v >= UINT32_MAX)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

/* The end of the field starting at @p: the next @sep, or @end. */
static const char *field_end(const char *p, const char *end, char sep)
{
	while (p < end && *p != sep)
		p++;
	return p;
}

int parse_user_ids(const char *s, size_t len, uint32_t ids[2], uint32_t *groups, unsigned max,
		   unsigned *n)
{
	const char *end = s + len, *p = s, *q;

	*n = 0;
	for (int i = 0; i < 2; i++) {
		q = field_end(p, end, ':');
		if (parse_one_id(p, q - p, &ids[i]) || (i == 0 && q == end))
			return -EINVAL;
		p = q + (q < end);
	}
	if (p == end)
		return p[-1] == ':' ? -EINVAL : 0; /* "UID:GID:" */
	for (;;) {
		q = field_end(p, end, ',');
		if (*n == max)
			return -ERANGE;
		if (parse_one_id(p, q - p, &groups[(*n)++]))
			return -EINVAL;
		if (q == end)
			return 0;
		p = q + 1;
	}
}

int parse_rlimit(const char *s, size_t len, unsigned *res, uint64_t *soft, uint64_t *hard)
{
	uint64_t v[3];
	size_t start = 0, k = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ' ')
			continue;
		if (k == 3 || parse_u64(s + start, i - start, &v[k++]))
			return -EINVAL;
		start = i + 1;
	}
	if (k != 3 || v[0] > INT32_MAX || v[1] > v[2])
		return -EINVAL;
	*res = (unsigned)v[0];
	*soft = v[1];
	*hard = v[2];
	return 0;
}
