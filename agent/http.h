/*
 * The agent's HTTP/1.1 request parser (agent/http.c): pure code over a
 * buffer, no I/O, no allocation, so it is unit-tested on the host
 * (tests/unit/test_agent_http.c) and fuzzed (tests/fuzz/fuzz_httpreq.c).
 * It reads untrusted network input: every length is bounded here.
 */
#ifndef AGENT_HTTP_H
#define AGENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 8192 /* request line and headers: more is 431 */
#define HTTP_BODY_MAX 4096 /* a body: more is 413 (the API takes small JSON) */

/* A slice of the caller's buffer (not NUL-terminated). */
struct http_str {
	const char *p;
	size_t n;
};

struct http_request {
	struct http_str method, path, query; /* path without the "?query" */
	struct http_str authorization;	     /* the header's value, or empty */
	struct http_str body;		     /* Content-Length bytes, or empty */
	bool keep_alive; /* HTTP/1.1 without "Connection: close", or 1.0 with keep-alive */
	size_t length;	 /* head and body: where the next request starts */
};

/*
 * http_parse - parse one request from `buf` (`len` bytes received so far).
 * Returns 1 with `req` filled when a whole request (head and body) is
 * there; 0 when more bytes are needed (and may come: the head is below
 * HTTP_HEAD_MAX); or a negative HTTP status for a request that can never
 * be served: -400 malformed, -413 body too large, -431 head too large,
 * -501 Transfer-Encoding (not supported), -505 not HTTP/1.0 or 1.1.
 * `req`'s slices point into `buf`.
 */
int http_parse(const char *buf, size_t len, struct http_request *req);

/* http_str_is - whether `s` equals the C string `lit` (case-sensitive). */
bool http_str_is(struct http_str s, const char *lit);

/*
 * http_bearer_ok - whether the Authorization value is "Bearer TOKEN" (the
 * scheme's case ignored, RFC 7235) with TOKEN equal to `token`
 * (`token_len` bytes).  The comparison takes the same time whatever the
 * bytes, for a given length of the stored token: it never stops at the
 * first difference.
 */
bool http_bearer_ok(struct http_str authorization, const char *token, size_t token_len);

#endif
