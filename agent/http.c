/*
 * The agent's HTTP/1.1 request parser (RFC 9112): the request line, the
 * header fields the API needs (Content-Length, Authorization, Connection,
 * Transfer-Encoding), and the body.  Everything else is skipped after a
 * syntax check.  Pure: see http.h.
 */
#include "http.h"

#include <string.h>

#define CONTENT_LENGTH_DIGITS 9 /* more digits are over HTTP_BODY_MAX anyway */

bool http_str_is(struct http_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool str_is_nocase(struct http_str s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lit[i])
			return false;
	return true;
}

/* RFC 9110 5.6.2: tchar, the characters of a token (method, field name). */
static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool token(struct http_str s)
{
	if (!s.n)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!tchar(s.p[i]))
			return false;
	return true;
}

/* The end of the head (the offset past CRLF CRLF), or 0 if not there yet. */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n')
			return i + 4;
	return 0;
}

/* Split the line at `*pos` (ending in CRLF before `end`) off. */
static struct http_str next_line(const char *buf, size_t *pos, size_t end)
{
	struct http_str l = { buf + *pos, 0 };

	while (*pos + l.n + 1 < end && !(buf[*pos + l.n] == '\r' && buf[*pos + l.n + 1] == '\n'))
		l.n++;
	*pos += l.n + 2;
	return l;
}

/* "METHOD SP TARGET SP HTTP/1.x": 0, or a negative status. */
static int request_line(struct http_str l, struct http_request *r, bool *http10)
{
	const char *sp1 = memchr(l.p, ' ', l.n), *sp2, *q;
	struct http_str version;

	if (!sp1)
		return -400;
	r->method = (struct http_str){ l.p, (size_t)(sp1 - l.p) };
	sp2 = memchr(sp1 + 1, ' ', l.n - (size_t)(sp1 + 1 - l.p));
	if (!sp2 || !token(r->method))
		return -400;
	r->path = (struct http_str){ sp1 + 1, (size_t)(sp2 - sp1 - 1) };
	version = (struct http_str){ sp2 + 1, l.n - (size_t)(sp2 + 1 - l.p) };
	if (!r->path.n || r->path.p[0] != '/')
		return -400; /* origin-form only: no proxy requests */
	for (size_t i = 0; i < r->path.n; i++)
		if ((unsigned char)r->path.p[i] <= ' ' || r->path.p[i] == 0x7f)
			return -400;
	if ((q = memchr(r->path.p, '?', r->path.n))) {
		r->query = (struct http_str){ q + 1, r->path.n - (size_t)(q + 1 - r->path.p) };
		r->path.n = (size_t)(q - r->path.p);
	}
	if (version.n != 8 || memcmp(version.p, "HTTP/1.", 7))
		return version.n >= 5 && !memcmp(version.p, "HTTP/", 5) ? -505 : -400;
	if (version.p[7] != '0' && version.p[7] != '1')
		return -505;
	*http10 = version.p[7] == '0';
	return 0;
}

static int content_length(struct http_str v, size_t *out)
{
	size_t n = 0;

	if (!v.n)
		return -400;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -400;
		if (i >= CONTENT_LENGTH_DIGITS)
			return -413;
		n = n * 10 + (size_t)(v.p[i] - '0');
	}
	if (n > HTTP_BODY_MAX)
		return -413;
	*out = n;
	return 0;
}

/* One header line: 0, or a negative status. */
static int header(struct http_str l, struct http_request *r, size_t *clen, bool *have_clen)
{
	const char *colon = memchr(l.p, ':', l.n);
	struct http_str name, v;
	size_t n;
	int err;

	if (!colon)
		return -400;
	name = (struct http_str){ l.p, (size_t)(colon - l.p) };
	if (!token(name)) /* also refuses obsolete line folding (RFC 9112 5.2) */
		return -400;
	v = (struct http_str){ colon + 1, l.n - name.n - 1 };
	while (v.n && (v.p[0] == ' ' || v.p[0] == '\t'))
		v.p++, v.n--;
	while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
		v.n--;
	for (size_t i = 0; i < v.n; i++)
		if (v.p[i] == '\r' || v.p[i] == '\n' || v.p[i] == 0)
			return -400;
	if (str_is_nocase(name, "content-length")) {
		if ((err = content_length(v, &n)))
			return err;
		if (*have_clen && n != *clen)
			return -400; /* two different lengths: smuggling (RFC 9112 6.3) */
		*clen = n;
		*have_clen = true;
	} else if (str_is_nocase(name, "transfer-encoding")) {
		return -501;
	} else if (str_is_nocase(name, "authorization")) {
		if (r->authorization.p)
			return -400; /* one credential, not two */
		r->authorization = v;
	} else if (str_is_nocase(name, "connection")) {
		if (str_is_nocase(v, "close"))
			r->keep_alive = false;
		else if (str_is_nocase(v, "keep-alive"))
			r->keep_alive = true;
	}
	return 0;
}

int http_parse(const char *buf, size_t len, struct http_request *req)
{
	size_t end = head_end(buf, len > HTTP_HEAD_MAX ? HTTP_HEAD_MAX : len);
	size_t pos = 0, clen = 0;
	bool have_clen = false, http10 = false;
	int err;

	memset(req, 0, sizeof(*req));
	if (!end)
		return len >= HTTP_HEAD_MAX ? -431 : 0;
	if ((err = request_line(next_line(buf, &pos, end), req, &http10)))
		return err;
	req->keep_alive = !http10;
	while (pos + 2 < end)
		if ((err = header(next_line(buf, &pos, end), req, &clen, &have_clen)))
			return err;
	if (len - end < clen)
		return 0;
	req->body = (struct http_str){ buf + end, clen };
	req->length = end + clen;
	return 1;
}

bool http_bearer_ok(struct http_str a, const char *token, size_t token_len)
{
	static const char scheme[] = "bearer ";
	size_t skip = sizeof(scheme) - 1;
	unsigned char diff = 0;

	if (a.n < skip || !str_is_nocase((struct http_str){ a.p, skip }, scheme))
		return false;
	a.p += skip, a.n -= skip;
	/* Constant time for the stored token's length: every byte of it is
	 * compared whatever the given one holds; a length mismatch is folded
	 * in, not returned early. */
	diff = (unsigned char)(a.n != token_len);
	for (size_t i = 0; i < token_len; i++)
		diff |= (unsigned char)(token[i] ^ (i < a.n ? a.p[i] : 0));
	return token_len > 0 && diff == 0;
}
