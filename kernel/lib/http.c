/*
 * HTTP/1.x response parsing (contracts in <lib/http.h>): the head line by
 * line (RFC 9112 sections 2-6), then the body by Content-Length, by chunks
 * (section 7.1) or up to the connection's end.  Every read is bounded by
 * the length given; nothing here allocates.
 */
#include <lib/errno.h>
#include <lib/http.h>
#include <lib/string.h>

#define HTTP_VERSION_PREFIX "HTTP/1."
#define HTTP_STATUS_MIN	    100
#define HTTP_STATUS_MAX	    599
#define HTTP_NO_CONTENT	    204 /* RFC 9110 section 15.3.5 */
#define HTTP_NOT_MODIFIED   304 /* RFC 9110 section 15.4.5 */
/* Content-Length and chunk sizes beyond this are refused: no answer this
 * big fits in memory, and the bound keeps the arithmetic from overflowing. */
#define HTTP_LENGTH_MAX ((uint64_t)1 << 48)

/* One line of @buf from @pos: its content is [pos, *end) without the CR or
 * LF; the next line starts at *next.  False if no LF ends it within @len. */
static bool http_line(const char *buf, size_t len, size_t pos, size_t *end, size_t *next)
{
	const char *lf = memchr(buf + pos, '\n', len - pos);

	if (!lf)
		return false;
	*next = (size_t)(lf - buf) + 1;
	*end = *next - 1;
	if (*end > pos && buf[*end - 1] == '\r')
		(*end)--;
	return true;
}

static bool http_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A token character (RFC 9110 section 5.6.2): a header name's alphabet. */
static bool http_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || http_digit(c) ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static char http_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether the @n bytes at @s are @lit (lower case), ignoring case. */
static bool http_is(const char *s, size_t n, const char *lit)
{
	if (n != strlen(lit))
		return false;
	for (size_t i = 0; i < n; i++)
		if (http_lower(s[i]) != lit[i])
			return false;
	return true;
}

/* Parse the @n decimal digits at @s (1*DIGIT, nothing else): -EPROTO. */
static int http_decimal(const char *s, size_t n, uint64_t *v)
{
	*v = 0;
	if (!n)
		return -EPROTO;
	for (size_t i = 0; i < n; i++) {
		if (!http_digit(s[i]) || *v > HTTP_LENGTH_MAX)
			return -EPROTO;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return *v > HTTP_LENGTH_MAX ? -EPROTO : 0;
}

/* "HTTP/1.D SP DDD [SP reason]" in [0, end). */
static int http_status_line(const char *buf, size_t end, struct http_response *r)
{
	size_t vlen = strlen(HTTP_VERSION_PREFIX);
	uint64_t status;

	if (end < vlen + 5 || memcmp(buf, HTTP_VERSION_PREFIX, vlen) || !http_digit(buf[vlen]) ||
	    buf[vlen + 1] != ' ' || http_decimal(buf + vlen + 2, 3, &status) ||
	    (end > vlen + 5 && buf[vlen + 5] != ' '))
		return -EPROTO;
	if (status < HTTP_STATUS_MIN || status > HTTP_STATUS_MAX)
		return -EPROTO;
	r->minor = (unsigned int)(buf[vlen] - '0');
	r->status = (unsigned int)status;
	return 0;
}

/* One header line [pos, end): its name, and the framing it may set. */
static int http_header(const char *buf, size_t pos, size_t end, struct http_response *r)
{
	size_t name = pos, vend = end;
	uint64_t cl;

	while (pos < end && http_tchar(buf[pos]))
		pos++;
	if (pos == name || pos == end || buf[pos] != ':') /* also a fold: leading blank */
		return -EPROTO;
	size_t nlen = pos - name, v = pos + 1;
	while (v < vend && (buf[v] == ' ' || buf[v] == '\t'))
		v++;
	while (vend > v && (buf[vend - 1] == ' ' || buf[vend - 1] == '\t'))
		vend--;
	if (http_is(buf + name, nlen, "content-length")) {
		if (http_decimal(buf + v, vend - v, &cl) ||
		    (r->content_length >= 0 && (uint64_t)r->content_length != cl))
			return -EPROTO;
		r->content_length = (int64_t)cl;
	} else if (http_is(buf + name, nlen, "transfer-encoding")) {
		if (r->chunked || !http_is(buf + v, vend - v, "chunked"))
			return -EPROTO;
		r->chunked = true;
	}
	return 0;
}

int http_parse_head(const char *buf, size_t len, struct http_response *r)
{
	size_t pos = 0, end, next;
	int e;

	*r = (struct http_response){ .content_length = -1 };
	for (;;) {
		if (!http_line(buf, len, pos, &end, &next))
			return len >= HTTP_HEAD_MAX ? -E2BIG : -EAGAIN;
		if (next > HTTP_HEAD_MAX)
			return -E2BIG;
		if (!pos)
			e = http_status_line(buf, end, r);
		else if (end == pos)
			break; /* the empty line: the head's end */
		else
			e = http_header(buf, pos, end, r);
		if (e)
			return e;
		pos = next;
	}
	if (r->chunked && r->content_length >= 0)
		return -EPROTO;
	r->head_len = next;
	return 0;
}

static int http_hex(char c)
{
	if (http_digit(c))
		return c - '0';
	c = http_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A chunk's size line [pos, end): 1*HEXDIG, then extensions we skip. */
static int http_chunk_size(const char *buf, size_t pos, size_t end, uint64_t *size)
{
	size_t start = pos;
	int d;

	*size = 0;
	while (pos < end && (d = http_hex(buf[pos])) >= 0) {
		if (*size > HTTP_LENGTH_MAX)
			return -EPROTO;
		*size = *size * 16 + (uint64_t)d;
		pos++;
	}
	if (pos == start || *size > HTTP_LENGTH_MAX)
		return -EPROTO;
	while (pos < end && (buf[pos] == ' ' || buf[pos] == '\t'))
		pos++;
	return pos == end || buf[pos] == ';' ? 0 : -EPROTO;
}

/* Walk the chunked body from @pos; with @decode, move each chunk's data
 * down to its decoded place.  The decoded length, or -EAGAIN (not all
 * here), -EPROTO. */
static long http_chunks(char *buf, size_t len, size_t pos, bool decode)
{
	size_t out = pos, end, next;
	uint64_t size;
	int e;

	for (;;) {
		if (!http_line(buf, len, pos, &end, &next))
			return -EAGAIN;
		if ((e = http_chunk_size(buf, pos, end, &size)))
			return e;
		pos = next;
		if (!size)
			break;
		if (size > len - pos)
			return -EAGAIN;
		if (decode)
			memmove(buf + out, buf + pos, (size_t)size);
		out += (size_t)size;
		pos += (size_t)size;
		if (!http_line(buf, len, pos, &end, &next))
			return -EAGAIN;
		if (end != pos) /* data longer than its size said */
			return -EPROTO;
		pos = next;
	}
	/* The trailer section: header lines up to an empty one, ignored. */
	for (bool empty = false; !empty; pos = next) {
		if (!http_line(buf, len, pos, &end, &next))
			return -EAGAIN;
		empty = end == pos;
	}
	return (long)out;
}

long http_body(const struct http_response *r, char *buf, size_t len, bool eof)
{
	size_t have;
	long n;

	if (r->head_len > len)
		return -EPROTO;
	have = len - r->head_len;
	if (r->status < 200 || r->status == HTTP_NO_CONTENT || r->status == HTTP_NOT_MODIFIED)
		return 0;
	if (r->chunked) {
		n = http_chunks(buf, len, r->head_len, false);
		if (n >= 0)
			n = http_chunks(buf, len, r->head_len, true) - (long)r->head_len;
		return n == -EAGAIN && eof ? -EIO : n;
	}
	if (r->content_length >= 0) {
		if ((uint64_t)r->content_length <= have)
			return (long)r->content_length;
		return eof ? -EIO : -EAGAIN;
	}
	return eof ? (long)have : -EAGAIN;
}
