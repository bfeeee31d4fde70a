/*
 * The agent's HTTP request parser and token check (agent/http.c): whole
 * and partial requests, the limits, the refusals that keep request
 * smuggling out, and the bearer comparison.
 */
#include "unit.h"

#include "../../agent/http.c"

static int parse(const char *s, struct http_request *r)
{
	return http_parse(s, strlen(s), r);
}

TEST(get_with_headers_and_query)
{
	struct http_request r;
	const char *s = "GET /v1/os?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization:  Bearer t0k \r\n\r\n";

	CHECK_EQ(parse(s, &r), 1);
	CHECK(http_str_is(r.method, "GET"));
	CHECK(http_str_is(r.path, "/v1/os"));
	CHECK(http_str_is(r.query, "x=1"));
	CHECK(http_str_is(r.authorization, "Bearer t0k"));
	CHECK(r.keep_alive);
	CHECK_EQ(r.length, strlen(s));
}

TEST(incomplete_head_and_body_wait)
{
	struct http_request r;

	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n", &r), 0);
	CHECK_EQ(parse("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", &r), 0);
	CHECK_EQ(parse("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcdeGET", &r), 1);
	CHECK(http_str_is(r.body, "abcde"));
	CHECK_EQ(r.length, strlen("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde"));
}

TEST(http10_and_connection_close)
{
	struct http_request r;

	CHECK_EQ(parse("GET / HTTP/1.0\r\n\r\n", &r), 1);
	CHECK(!r.keep_alive);
	CHECK_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r), 1);
	CHECK(r.keep_alive);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nconnection: close\r\n\r\n", &r), 1);
	CHECK(!r.keep_alive);
}

TEST(malformed_requests_are_400)
{
	struct http_request r;

	CHECK_EQ(parse("GET\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET /\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET http://x/ HTTP/1.1\r\n\r\n", &r), -400);
	CHECK_EQ(parse("G(T / HTTP/1.1\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nNoColon\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\n folded: x\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / FTP/1.0\r\n\r\n", &r), -400);
}

TEST(smuggling_shapes_are_refused)
{
	struct http_request r;

	CHECK_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", &r),
		 -400);
	CHECK_EQ(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", &r), -501);
	CHECK_EQ(parse("GET / HTTP/2.0\r\n\r\n", &r), -505);
	CHECK_EQ(parse("GET / HTTP/1.2\r\n\r\n", &r), -505);
}

TEST(limits)
{
	static char big[HTTP_HEAD_MAX + 64];
	struct http_request r;
	char clen[96];

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	CHECK_EQ(http_parse(big, sizeof(big), &r), -431);
	CHECK_EQ(http_parse(big, HTTP_HEAD_MAX - 1, &r), 0); /* may still end in time */
	snprintf(clen, sizeof(clen), "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
		 HTTP_BODY_MAX + 1);
	CHECK_EQ(parse(clen, &r), -413);
	CHECK_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", &r),
		 -413);
}

TEST(bearer_token)
{
	struct http_str a = { "Bearer s3cret", 13 }, lower = { "bearer s3cret", 13 };
	struct http_str wrong = { "Bearer s3creT", 13 }, shorter = { "Bearer s3cre", 12 };
	struct http_str longer = { "Bearer s3crett", 14 }, basic = { "Basic s3cret", 12 };
	struct http_str none = { "", 0 };

	CHECK(http_bearer_ok(a, "s3cret", 6));
	CHECK(http_bearer_ok(lower, "s3cret", 6));
	CHECK(!http_bearer_ok(wrong, "s3cret", 6));
	CHECK(!http_bearer_ok(shorter, "s3cret", 6));
	CHECK(!http_bearer_ok(longer, "s3cret", 6));
	CHECK(!http_bearer_ok(basic, "s3cret", 6));
	CHECK(!http_bearer_ok(none, "s3cret", 6));
	CHECK(!http_bearer_ok((struct http_str){ "Bearer ", 7 }, "", 0)); /* no empty token */
}

int main(void)
{
	RUN(get_with_headers_and_query);
	RUN(incomplete_head_and_body_wait);
	RUN(http10_and_connection_close);
	RUN(malformed_requests_are_400);
	RUN(smuggling_shapes_are_refused);
	RUN(limits);
	RUN(bearer_token);
	return unit_summary();
}
