/*
 * JSON strings (RFC 8259 section 7) for the parser in json.c: escapes,
 * \u surrogate pairs decoded to UTF-8, and the UTF-8 the text carries
 * checked as RFC 3629 says.  A string is read twice in the build pass:
 * once for its exact length, once to decode it into its room.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include "json_impl.h"

/* Unicode limits (The Unicode Standard, 3.9: UTF-16 surrogates, UTF-8). */
#define JSON_SURROGATE_HI   0xd800
#define JSON_SURROGATE_LO   0xdc00
#define JSON_SURROGATE_END  0xe000
#define JSON_FIRST_PRINTING 0x20 /* RFC 8259 section 7: below it, escape */

/* Append code point @cp as UTF-8 at @out + *@n (if @out), counting in *@n. */
static void json_put_utf8(char *out, size_t *n, uint32_t cp)
{
	unsigned char b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (out)
		memcpy(out + *n, b, k);
	*n += k;
}

/* The 4 hex digits of a \u escape at pos; -1 if they are not that. */
static int32_t json_hex4(const struct json_parser *p)
{
	int32_t v = 0;

	if (p->len - p->pos < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A \u escape, pos after the 'u': one code point, or a surrogate pair. */
static bool json_unicode_escape(struct json_parser *p, uint32_t *cp)
{
	size_t at = p->pos - 2;
	int32_t hi = json_hex4(p), lo;

	if (hi < 0)
		return json_fail(p, "\\u must be followed by 4 hex digits");
	p->pos += 4;
	if (hi >= JSON_SURROGATE_LO && hi < JSON_SURROGATE_END)
		return json_fail_at(p, at, -EINVAL, "lone low surrogate in a \\u escape");
	if (hi < JSON_SURROGATE_HI || hi >= JSON_SURROGATE_LO) {
		*cp = (uint32_t)hi;
		return true;
	}
	if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
		return json_fail_at(p, at, -EINVAL,
				    "high surrogate not followed by a \\u low surrogate");
	p->pos += 2;
	lo = json_hex4(p);
	if (lo < 0)
		return json_fail(p, "\\u must be followed by 4 hex digits");
	if (lo < JSON_SURROGATE_LO || lo >= JSON_SURROGATE_END)
		return json_fail_at(p, at, -EINVAL,
				    "high surrogate not followed by a \\u low surrogate");
	p->pos += 4;
	*cp = 0x10000 + (((uint32_t)hi - JSON_SURROGATE_HI) << 10) +
	      ((uint32_t)lo - JSON_SURROGATE_LO);
	return true;
}

/* A backslash escape, pos after the backslash (RFC 8259 section 7). */
static bool json_escape(struct json_parser *p, uint32_t *cp)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	int c = json_peek(p);

	if (c == 'u') {
		p->pos++;
		return json_unicode_escape(p, cp);
	}
	e = c > 0 ? strchr(from, c) : NULL;
	if (!e)
		return json_fail_at(p, p->pos - 1, -EINVAL, "invalid escape in a string");
	*cp = (unsigned char)to[e - from];
	p->pos++;
	return true;
}

/*
 * Length of the valid UTF-8 sequence starting with byte @c0 at pos (RFC
 * 3629 section 4's table: the second byte's range depends on the first, so
 * overlong forms, surrogates and code points past U+10FFFF are refused),
 * or 0 if it is not one.
 */
size_t json_utf8_len(const struct json_parser *p, unsigned char c0)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c0 >= 0xc2 && c0 <= 0xdf)
		n = 2;
	else if (c0 >= 0xe0 && c0 <= 0xef)
		n = 3;
	else if (c0 >= 0xf0 && c0 <= 0xf4)
		n = 4;
	else
		return 0;
	if (c0 == 0xe0)
		lo = 0xa0;
	else if (c0 == 0xed)
		hi = 0x9f;
	else if (c0 == 0xf0)
		lo = 0x90;
	else if (c0 == 0xf4)
		hi = 0x8f;
	if (p->len - p->pos < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)p->s[p->pos + i];

		if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return n;
}

/*
 * A string, pos on its opening quote: decoded into @out (if not NULL, the
 * build pass) with its length in *@n.  pos ends after the closing quote.
 */
static bool json_string_body(struct json_parser *p, char *out, size_t *n)
{
	uint32_t cp = 0;
	size_t k;

	*n = 0;
	p->pos++;
	for (;;) {
		int c = json_peek(p);

		if (c < 0)
			return json_fail(p, "unterminated string");
		if (c == '"') {
			p->pos++;
			return true;
		}
		if (c < JSON_FIRST_PRINTING)
			return json_fail(p, "control character in a string (escape it)");
		if (c == '\\') {
			p->pos++;
			if (!json_escape(p, &cp))
				return false;
			json_put_utf8(out, n, cp);
		} else if (c < 0x80) {
			if (out)
				out[*n] = (char)c;
			++*n;
			p->pos++;
		} else {
			k = json_utf8_len(p, (unsigned char)c);
			if (!k)
				return json_fail(p, "invalid UTF-8 in a string");
			if (out)
				memcpy(out + *n, p->s + p->pos, k);
			*n += k;
			p->pos += k;
		}
	}
}

/* Room for @n bytes and a NUL in the string region (the build pass). */
char *json_str_room(struct json_parser *p, size_t n)
{
	char *s = p->str_mem;

	p->str_bytes += n + 1;
	if (!p->build)
		return NULL;
	if ((size_t)(p->str_end - s) < n + 1) {
		json_fail(p, "internal error: the passes disagree");
		return NULL;
	}
	p->str_mem += n + 1;
	return s;
}

/*
 * A string at pos into fresh room: *@s (the build pass) and *@n.  Scanned
 * once to learn its length (it never grows when decoded, but its exact
 * length keeps the block exact), then decoded in the build pass.
 */
bool json_string(struct json_parser *p, const char **s, size_t *n)
{
	size_t start = p->pos;
	char *out;

	if (!json_string_body(p, NULL, n))
		return false;
	*s = "";
	out = json_str_room(p, *n);
	if (!p->build)
		return true;
	if (!out)
		return false;
	p->pos = start;
	json_string_body(p, out, n);
	out[*n] = '\0';
	*s = out;
	return true;
}
