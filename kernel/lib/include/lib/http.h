/*
 * HTTP/1.x response parsing (RFC 9112): the status line, the headers that
 * frame the body (Content-Length, Transfer-Encoding: chunked) and the body
 * itself.  Pure code over a buffer the caller filled, so it is unit-tested
 * and fuzzed on the host (tests/unit/test_lib_http.c, tests/fuzz/
 * fuzz_http.c); the kernel's client is net/lwip/http.c (cloud-init's
 * NoCloud seed over HTTP).  The bytes are untrusted: every function reads
 * only within the length it is given and needs no terminating NUL.  Any
 * context may call them.
 *
 * Use: feed http_parse_head() the bytes received so far until it stops
 * returning -EAGAIN; then, once the answer is whole (or the peer closed),
 * http_body() finds the body after r->head_len.
 */
#ifndef LIB_HTTP_H
#define LIB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest head (status line and headers) accepted, as many servers
 * bound a request's head (nginx's large_client_header_buffers: 8 KiB). */
#define HTTP_HEAD_MAX 8192

/* What http_parse_head() learnt from a response's head. */
struct http_response {
	unsigned int status;	/* 100-599 */
	unsigned int minor;	/* HTTP/1.minor */
	size_t head_len;	/* bytes of the head, its final empty line included */
	int64_t content_length; /* -1: no Content-Length header */
	bool chunked;		/* Transfer-Encoding: chunked */
};

/*
 * http_parse_head - parse the head of an HTTP/1.x response at @buf (@len
 * bytes received so far) into @r.  Lines end in CRLF or a bare LF (RFC 9112
 * section 2.2).  Returns 0 once the head is whole; -EAGAIN if it is not yet
 * (more bytes may complete it); -E2BIG if it passes HTTP_HEAD_MAX without
 * ending; -EPROTO for a malformed status line ("HTTP/1.D SP DDD", the
 * reason phrase optional), a header line without a colon or with a folded
 * continuation, an invalid or conflicting Content-Length, a
 * Transfer-Encoding other than "chunked", or both framings at once (RFC
 * 9112 section 6.1: a sign of request smuggling, refused).
 */
int http_parse_head(const char *buf, size_t len, struct http_response *r);

/*
 * http_body - find the body of the response whose head @r describes, in
 * @buf (@len bytes: the head and all that followed; @eof when the peer has
 * closed, so nothing more will come).  A chunked body is decoded in place
 * (the decoded bytes are never longer than the encoded ones), from
 * @buf + r->head_len.  Returns the body's length, its first byte at
 * @buf + r->head_len; -EAGAIN if it is not all there and !@eof; -EIO if the
 * peer closed before the end Content-Length or the last chunk promised
 * (truncated); -EPROTO for a malformed chunk.  Bytes past the body's end
 * are ignored.  1xx, 204 and 304 answers have no body (RFC 9112 6.3).
 * Without either framing the body runs to @eof.  A chunked body is decoded
 * only when complete, so call it again with the same @buf only on -EAGAIN.
 */
long http_body(const struct http_response *r, char *buf, size_t len, bool eof);

#endif
