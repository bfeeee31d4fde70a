/*
 * libFuzzer target: the agent's HTTP request parser (agent/http.c), which
 * reads whatever a network peer sends to the management API.  Every prefix
 * of the input is parsed, as the agent parses a request arriving piecewise;
 * a whole request's slices must lie inside the input and its length must
 * cover them; the bearer check runs on whatever Authorization came, against
 * a fixed token.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../agent/http.c"

static void inside(struct http_str s, const char *buf, size_t len)
{
	if (s.n && (s.p < buf || s.p + s.n > buf + len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_request r;

	for (size_t len = 0; len <= size; len += 1 + len / 8) {
		int rc = http_parse(buf, len, &r);
		if (rc < 0 && rc != -400 && rc != -413 && rc != -431 && rc != -501 && rc != -505)
			abort();
		if (rc != 1)
			continue;
		if (r.length > len || r.body.n > HTTP_BODY_MAX)
			abort();
		inside(r.method, buf, r.length);
		inside(r.path, buf, r.length);
		inside(r.query, buf, r.length);
		inside(r.authorization, buf, r.length);
		inside(r.body, buf, r.length);
		(void)http_bearer_ok(r.authorization, "s3cret", 6);
	}
	return 0;
}
