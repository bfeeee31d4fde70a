/*
 * libFuzzer target: the JSON parser (kernel/lib/json.c), which reads OCI
 * config.json files and state the CLI is handed.  Every tree it returns is
 * checked against <lib/json.h>'s promises (links, counts, NUL-terminated
 * text, keys only in objects, valid UTF-8, the limits), every helper runs
 * on every value, and the tree is written back as JSON and parsed again:
 * the second tree must write the same text (a round trip).  A failure must
 * come with a message and a place.  The allocator refuses when the input's
 * first byte says so, so allocation failures are fuzzed too.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../kernel/lib/json.c"
#include "../../kernel/lib/json_node.c"
#include "../../kernel/lib/json_string.c"

#define FUZZ_MAX_NODES 5000
#define FUZZ_MAX_DEPTH 40
#define FUZZ_OUT_MAX   (1u << 20)

static size_t fuzz_budget;

static void *fuzz_alloc(void *ctx, size_t n)
{
	(void)ctx;
	if (!fuzz_budget)
		return NULL;
	fuzz_budget--;
	return malloc(n);
}

static void fuzz_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

struct fuzz_out {
	char *buf;
	size_t n;
};

static void fuzz_put(struct fuzz_out *o, const char *s, size_t n)
{
	if (o->n + n > FUZZ_OUT_MAX)
		abort(); /* escapes at most x6 a 64 KiB input: never this big */
	memcpy(o->buf + o->n, s, n);
	o->n += n;
}

/* A string as JSON: quotes, backslashes and control characters escaped. */
static void fuzz_put_str(struct fuzz_out *o, const char *s, size_t n)
{
	char esc[8];

	fuzz_put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == '"' || c == '\\') {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			fuzz_put(o, esc, 6);
		} else {
			fuzz_put(o, s + i, 1);
		}
	}
	fuzz_put(o, "\"", 1);
}

static bool fuzz_utf8_ok(const char *s, size_t n)
{
	struct json_parser p = { .s = s, .len = n };

	while (p.pos < n) {
		unsigned char c = (unsigned char)s[p.pos];

		if (c < 0x80)
			p.pos++;
		else if (json_utf8_len(&p, c))
			p.pos += json_utf8_len(&p, c);
		else
			return false;
	}
	return true;
}

/* Check @n and write it to @o; returns the values seen. */
static size_t fuzz_walk(struct fuzz_out *o, const struct json_node *n, unsigned depth)
{
	static const char *const words[] = { "null", "false", "true" };
	size_t seen = 1, count = 0;
	int64_t i;
	uint64_t u;
	double d;
	bool b;

	if (depth > FUZZ_MAX_DEPTH || n->str[n->len] != '\0' || n->line == 0 || n->col == 0)
		abort();
	(void)json_int64(n, &i);
	(void)json_uint64(n, &u);
	(void)json_double(n, &d);
	(void)json_bool(n, &b);
	(void)json_cstr(n);
	if (n->kind <= JSON_TRUE) {
		fuzz_put(o, words[n->kind], strlen(words[n->kind]));
		return 1;
	}
	if (n->kind == JSON_NUMBER) {
		fuzz_put(o, n->str, n->len);
		return 1;
	}
	if (n->kind == JSON_STRING) {
		if (!fuzz_utf8_ok(n->str, n->len))
			abort();
		fuzz_put_str(o, n->str, n->len);
		return 1;
	}
	if (n->kind != JSON_ARRAY && n->kind != JSON_OBJECT)
		abort();
	fuzz_put(o, n->kind == JSON_ARRAY ? "[" : "{", 1);
	for (const struct json_node *v = n->child; v; v = v->next, count++) {
		if (v->up != n || (n->kind == JSON_OBJECT) != (v->key != NULL))
			abort();
		if (v->key) {
			if (v->key[v->key_len] != '\0' || !fuzz_utf8_ok(v->key, v->key_len))
				abort();
			if (!memchr(v->key, 0, v->key_len) && !json_get(n, v->key))
				abort(); /* every key is found */
			fuzz_put_str(o, v->key, v->key_len);
			fuzz_put(o, ":", 1);
		}
		seen += fuzz_walk(o, v, depth + 1);
		if (v->next)
			fuzz_put(o, ",", 1);
	}
	if (count != n->count)
		abort();
	fuzz_put(o, n->kind == JSON_ARRAY ? "]" : "}", 1);
	return seen;
}

/* Parse the text written from a tree again: it must write the same. */
static void fuzz_round_trip(const struct fuzz_out *first, const struct json_limits *lim0)
{
	struct json_limits lim = *lim0;

	struct json_alloc alloc = { fuzz_alloc, fuzz_free, NULL };
	struct fuzz_out again = { malloc(FUZZ_OUT_MAX), 0 };
	struct json_doc doc;

	lim.max_input = FUZZ_OUT_MAX; /* escapes make the text longer */
	fuzz_budget = 1;
	if (json_parse(first->buf, first->n, &alloc, &lim, &doc, NULL))
		abort();
	fuzz_walk(&again, doc.root, 0);
	if (again.n != first->n || memcmp(again.buf, first->buf, first->n))
		abort();
	json_free(&doc);
	free(again.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_alloc alloc = { fuzz_alloc, fuzz_free, NULL };
	struct json_limits lim = { .max_nodes = FUZZ_MAX_NODES,
				   .max_depth = FUZZ_MAX_DEPTH,
				   .max_input = 1 << 16 };
	struct fuzz_out out;
	struct json_doc doc;
	struct json_error err;
	int rc;

	if (!size)
		return 0;
	fuzz_budget = data[0] == 0xff ? 0 : 1;
	rc = json_parse((const char *)data + 1, size - 1, &alloc, &lim, &doc, &err);
	if (rc) {
		if ((rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM) || !err.msg[0] || doc.root ||
		    (rc == -EINVAL && (!err.line || err.offset > size - 1)))
			abort();
		return 0;
	}
	out.buf = malloc(FUZZ_OUT_MAX);
	out.n = 0;
	if (fuzz_walk(&out, doc.root, 0) > FUZZ_MAX_NODES)
		abort();
	json_free(&doc);
	fuzz_round_trip(&out, &lim);
	free(out.buf);
	return 0;
}
