/*
 * libFuzzer target: the HTTP/1.x response parser (kernel/lib/http.c), which
 * reads the answers of cloud-init's NoCloud seed server.  Each input is an
 * answer, copied into a buffer of exactly its size so the address
 * sanitizer sees any read past it.  Besides "no crash", it checks the
 * parser's contracts: only the documented errors; a head within
 * HTTP_HEAD_MAX and within the input; a head found in the whole input is
 * -EAGAIN in every shorter prefix of it (the first byte picks which) and
 * the same head in every longer one; a body within the input, and the
 * same body length whether the peer closed or not once it is whole.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../kernel/lib/http.c"

static char *copy(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);

	if (!buf)
		abort();
	memcpy(buf, data, size);
	return buf;
}

/* Check the head of the @cut-byte prefix against the whole input's @whole. */
static void check_prefix(const uint8_t *data, size_t cut, const struct http_response *whole)
{
	struct http_response r;
	char *buf = copy(data, cut);
	int e = http_parse_head(buf, cut, &r);

	if (cut < whole->head_len ? e != -EAGAIN : (e || r.head_len != whole->head_len))
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response r;
	char *buf = copy(data, size);
	long open, closed;
	int e = http_parse_head(buf, size, &r);

	if (e) {
		if (e != -EAGAIN && e != -E2BIG && e != -EPROTO)
			abort();
		free(buf);
		return 0;
	}
	if (r.head_len > size || r.head_len > HTTP_HEAD_MAX || r.status < 100 || r.status > 599)
		abort();
	check_prefix(data, size ? data[0] % (size + 1) : 0, &r);
	open = http_body(&r, buf, size, false);
	if (open != -EAGAIN && open != -EPROTO && open < 0)
		abort();
	memcpy(buf, data, size); /* a chunked body was decoded in place */
	closed = http_body(&r, buf, size, true);
	if (closed < 0 ? closed != -EIO && closed != -EPROTO : (size_t)closed > size - r.head_len)
		abort();
	if (open >= 0 && open != closed)
		abort();
	free(buf);
	return 0;
}
