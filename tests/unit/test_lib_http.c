/*
 * Unit tests of kernel/lib/http.c, the HTTP/1.x response parser: status
 * lines, Content-Length, chunked bodies, answers cut at every length,
 * oversized heads and the framings refused.  Each answer is copied to end
 * right before an inaccessible page, so a read past its length crashes the
 * test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "unit.h"
#include "../../kernel/lib/http.c"

/* A copy of @len bytes of @src ending at a PROT_NONE page (one at a time). */
static char *guarded(const char *src, size_t len)
{
	static char *map;
	static size_t maplen;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (map)
		munmap(map, maplen);
	maplen = (len + page - 1) / page * page + page;
	map = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(map + maplen - page, page, PROT_NONE);
	memcpy(map + maplen - page - len, src, len);
	return map + maplen - page - len;
}

/* Parse the whole answer @s (closed by the peer): the body's length, its
 * bytes in *@body (in the guarded copy), or the first -errno. */
static long parse(const char *s, struct http_response *r, char **body)
{
	size_t len = strlen(s);
	char *buf = guarded(s, len);
	long n = http_parse_head(buf, len, r);

	if (n)
		return n;
	n = http_body(r, buf, len, true);
	*body = buf + r->head_len;
	return n;
}

TEST(http_content_length)
{
	struct http_response r;
	char *b;
	long n = parse("HTTP/1.0 200 OK\r\nServer: x\r\ncontent-LENGTH:  5 \r\n\r\nhelloEXTRA", &r,
		       &b);

	CHECK_EQ(n, 5);
	CHECK(!memcmp(b, "hello", 5));
	CHECK_EQ(r.status, 200);
	CHECK_EQ(r.minor, 0);
	CHECK_EQ(r.content_length, 5);
	CHECK(!r.chunked);
	/* The same length twice is one length; two lengths are refused. */
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab", &r,
		       &b),
		 2);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", &r,
		       &b),
		 -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nab", &r, &b), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nab", &r, &b), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nab", &r, &b), -EPROTO);
	CHECK_EQ(
		parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", &r, &b),
		-EPROTO);
}

TEST(http_body_to_close_and_bare_lf)
{
	struct http_response r;
	char *b;

	/* Python's http.server: HTTP/1.0, no length, the body ends at close. */
	CHECK_EQ(parse("HTTP/1.0 200 OK\nServer: SimpleHTTP\n\nabc\n", &r, &b), 4);
	CHECK(!memcmp(b, "abc\n", 4));
	CHECK_EQ(r.content_length, -1);
	/* No reason phrase; an empty body. */
	CHECK_EQ(parse("HTTP/1.1 200\r\n\r\n", &r, &b), 0);
	CHECK_EQ(parse("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!", &r, &b), 3);
	CHECK_EQ(r.status, 404);
	CHECK_EQ(parse("HTTP/1.1 204 No Content\r\n\r\nignored", &r, &b), 0);
}

TEST(http_chunked)
{
	struct http_response r;
	char *b;
	long n = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
		       "5\r\nhello\r\n1;ext=\"x\"\r\n \r\nA \r\n0123456789\r\n0\r\nTrailer: "
		       "t\r\n\r\nEXTRA",
		       &r, &b);

	CHECK_EQ(n, 16);
	CHECK(n == 16 && !memcmp(b, "hello 0123456789", 16));
	CHECK(r.chunked);
	/* Bare LF line ends, no trailer. */
	CHECK_EQ(parse("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n", &r, &b), 3);
	CHECK(!memcmp(b, "abc", 3));
	/* Data longer than its size, a size that is not hex, too big a size. */
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
		       &r, &b),
		 -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n", &r, &b),
		 -EPROTO);
	CHECK_EQ(
		parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
		      &r, &b),
		-EPROTO);
	/* Other codings, chunked twice, and both framings are refused. */
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &r, &b),
		 -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
		       "chunked\r\n\r\n",
		       &r, &b),
		 -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		       &r, &b),
		 -EPROTO);
}

/* Every prefix of a whole answer is -EAGAIN while open and -EIO (or the
 * head's -EAGAIN) once closed; only the whole answer parses. */
static void check_truncations(const char *whole, long body_len)
{
	size_t len = strlen(whole);
	struct http_response r;

	for (size_t cut = 0; cut <= len; cut++) {
		char *buf = guarded(whole, cut);
		int h = http_parse_head(buf, cut, &r);
		if (h) {
			CHECK_EQ(h, -EAGAIN);
			continue;
		}
		long open = http_body(&r, buf, cut, false);
		buf = guarded(whole, cut);
		long closed = http_body(&r, buf, cut, true);
		if (cut < len) {
			CHECK_EQ(open, -EAGAIN);
			CHECK_EQ(closed, -EIO);
		} else {
			CHECK_EQ(closed, body_len);
		}
	}
}

TEST(http_truncated)
{
	check_truncations("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 10);
	check_truncations("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "4\r\nabcd\r\n2;x\r\nef\r\n0\r\nT: 1\r\n\r\n",
			  6);
}

TEST(http_bad_status_lines)
{
	static const char *const bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"HTTP/1.x 200 OK\r\n\r\n",
		"HTTP/1.1 099 OK\r\n\r\n",
		"HTTP/1.1 600 OK\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"HTTP/1.1 2a0 OK\r\n\r\n",
		"\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
	};
	struct http_response r;
	char *b;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(parse(bad[i], &r, &b), -EPROTO);
}

TEST(http_bad_headers)
{
	struct http_response r;
	char *b;

	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", &r, &b), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nName : space\r\n\r\n", &r, &b), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", &r, &b), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", &r, &b), -EPROTO);
	/* A malformed line is refused before the head ends. */
	CHECK_EQ(http_parse_head("HTTP/1.1 200 OK\r\nbad\r\n", 22, &r), -EPROTO);
}

TEST(http_oversized_head)
{
	size_t len = HTTP_HEAD_MAX + 100;
	char *s = malloc(len + 1);
	struct http_response r;

	/* One header too long, never ended: -EAGAIN up to the bound, then -E2BIG. */
	memset(s, 'a', len);
	memcpy(s, "HTTP/1.1 200 OK\r\nX: ", 20);
	s[len] = 0;
	CHECK_EQ(http_parse_head(guarded(s, HTTP_HEAD_MAX - 1), HTTP_HEAD_MAX - 1, &r), -EAGAIN);
	CHECK_EQ(http_parse_head(guarded(s, HTTP_HEAD_MAX), HTTP_HEAD_MAX, &r), -E2BIG);
	/* Ended, but past the bound. */
	memcpy(s + HTTP_HEAD_MAX, "\r\n\r\n", 4);
	CHECK_EQ(http_parse_head(guarded(s, len), len, &r), -E2BIG);
	/* Just within the bound. */
	memcpy(s + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	CHECK_EQ(http_parse_head(guarded(s, len), len, &r), 0);
	CHECK_EQ(r.head_len, HTTP_HEAD_MAX);
	free(s);
}

int main(void)
{
	RUN(http_content_length);
	RUN(http_body_to_close_and_bare_lf);
	RUN(http_chunked);
	RUN(http_truncated);
	RUN(http_bad_status_lines);
	RUN(http_bad_headers);
	RUN(http_oversized_head);
	return unit_summary();
}
