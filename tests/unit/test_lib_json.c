/*
 * Unit tests of the JSON parser (kernel/lib/json.c): RFC 8259's examples,
 * every escape and UTF-8 rule, the number grammar and exact integers,
 * doubles, errors with their line and column, limits (input, depth up to
 * the cap, values, memory), allocator failure without leaks, and the
 * helpers.  A tree is compared through a compact rendering: strings "text"
 * (bytes outside printable ASCII as \xNN), numbers as written, arrays
 * [a,b], objects {"k":v}.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "../../kernel/lib/json.c"
#include "../../kernel/lib/json_node.c"
#include "../../kernel/lib/json_string.c"

static size_t live_allocs, alloc_budget = SIZE_MAX;

static void *t_alloc(void *ctx, size_t n)
{
	(void)ctx;
	if (!alloc_budget)
		return NULL;
	alloc_budget--;
	live_allocs++;
	return malloc(n);
}

static void t_free(void *ctx, void *p)
{
	(void)ctx;
	live_allocs--;
	free(p);
}

static const struct json_alloc t_allocator = { t_alloc, t_free, NULL };

struct out {
	char buf[8192];
	size_t n;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->n + n < sizeof(o->buf)) {
		memcpy(o->buf + o->n, s, n);
		o->n += n;
		o->buf[o->n] = '\0';
	}
}

static void put_str(struct out *o, const char *s, size_t n)
{
	char hex[8];

	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < ' ' || c >= 0x7f || c == '\\') {
			snprintf(hex, sizeof(hex), "\\x%02x", c);
			put(o, hex, 4);
		} else {
			put(o, s + i, 1);
		}
	}
	put(o, "\"", 1);
}

static void render(struct out *o, const struct json_node *n)
{
	static const char *const words[] = { "null", "false", "true" };
	size_t count = 0;

	if (n->kind <= JSON_TRUE) {
		put(o, words[n->kind], strlen(words[n->kind]));
		return;
	}
	if (n->kind == JSON_NUMBER) {
		put(o, n->str, n->len);
		return;
	}
	if (n->kind == JSON_STRING) {
		put_str(o, n->str, n->len);
		return;
	}
	put(o, n->kind == JSON_ARRAY ? "[" : "{", 1);
	for (const struct json_node *v = n->child; v; v = v->next, count++) {
		if (v->up != n || (n->kind == JSON_OBJECT) != (v->key != NULL))
			put(o, "<bad link>", 10);
		if (v->key) {
			put_str(o, v->key, v->key_len);
			put(o, ":", 1);
		}
		render(o, v);
		if (v->next)
			put(o, ",", 1);
	}
	if (count != n->count)
		put(o, "<bad count>", 11);
	put(o, n->kind == JSON_ARRAY ? "]" : "}", 1);
}

static struct json_error last_err;

/* Parse @len bytes at @text: the rendering, or "error L:C: MSG". */
static const char *parse_n(const char *text, size_t len, const struct json_limits *lim)
{
	static struct out o;
	struct json_doc doc;
	int rc;

	o.n = 0;
	o.buf[0] = '\0';
	rc = json_parse(text, len, &t_allocator, lim, &doc, &last_err);
	if (rc) {
		snprintf(o.buf, sizeof(o.buf), "error %u:%u: %s", last_err.line, last_err.col,
			 last_err.msg);
		return o.buf;
	}
	render(&o, doc.root);
	json_free(&doc);
	return o.buf;
}

static const char *parse(const char *text)
{
	return parse_n(text, strlen(text), NULL);
}

TEST(json_rfc8259_examples)
{
	/* RFC 8259 section 13's first example (shortened), and its scalars. */
	CHECK_STR(parse("{\n  \"Image\": {\n    \"Width\":  800,\n    \"Title\":  \"View from "
			"15th Floor\",\n    \"Animated\" : false,\n    \"IDs\": [116, 943, 234, "
			"38793]\n  }\n}"),
		  "{\"Image\":{\"Width\":800,\"Title\":\"View from 15th Floor\","
		  "\"Animated\":false,\"IDs\":[116,943,234,38793]}}");
	CHECK_STR(parse("[\n {\"precision\": \"zip\", \"Latitude\": 37.7668, \"Longitude\": "
			"-122.3959}\n]"),
		  "[{\"precision\":\"zip\",\"Latitude\":37.7668,\"Longitude\":-122.3959}]");
	CHECK_STR(parse("\"Hello world!\""), "\"Hello world!\"");
	CHECK_STR(parse("42"), "42");
	CHECK_STR(parse(" \t\r\n true \n"), "true");
	CHECK_STR(parse("null"), "null");
	CHECK_STR(parse("[]"), "[]");
	CHECK_STR(parse("{ }"), "{}");
	CHECK_STR(parse("[[], {}, [[]]]"), "[[],{},[[]]]");
	CHECK_EQ(live_allocs, 0);
}

TEST(json_tree_links_and_places)
{
	struct json_doc doc;
	const char *text = "{\"a\": [1, \"x\"],\n \"b\": {\"c\": null}}";
	const struct json_node *a, *b, *c;

	CHECK_EQ(json_parse(text, strlen(text), &t_allocator, NULL, &doc, NULL), 0);
	CHECK_EQ(doc.root->count, 2);
	CHECK(doc.root->up == NULL && doc.root->key == NULL);
	a = json_get(doc.root, "a");
	b = json_get(doc.root, "b");
	c = json_get(b, "c");
	CHECK(a && a->kind == JSON_ARRAY && a->count == 2 && a->up == doc.root);
	CHECK(a && a->line == 1 && a->col == 7);
	CHECK(a && a->child->next->line == 1 && a->child->next->col == 11);
	CHECK(b && b->line == 2 && b->col == 7);
	CHECK(c && c->kind == JSON_NULL && c->up == b);
	CHECK(json_get(doc.root, "z") == NULL);
	CHECK(json_get(a, "a") == NULL); /* not an object */
	CHECK(json_get(NULL, "a") == NULL);
	/* One block: nodes and strings, exactly. */
	CHECK_EQ(doc.memory, 6 * sizeof(struct json_node) + sizeof("1") + sizeof("x") +
				     sizeof("a") + sizeof("b") + sizeof("c"));
	CHECK_EQ(live_allocs, 1);
	json_free(&doc);
	json_free(&doc); /* harmless twice */
	CHECK_EQ(live_allocs, 0);
}

TEST(json_string_escapes)
{
	CHECK_STR(parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""),
		  "\"\" \\x5c / \\x08 \\x0c \\x0a \\x0d \\x09\"");
	CHECK_STR(parse("\"\\u0041\\u00e9\\u20AC\""), "\"A\\xc3\\xa9\\xe2\\x82\\xac\"");
	/* A surrogate pair is one 4-byte character: U+1F600. */
	CHECK_STR(parse("\"\\ud83d\\ude00\""), "\"\\xf0\\x9f\\x98\\x80\"");
	CHECK_STR(parse("\"\\uDBFF\\uDFFF\""), "\"\\xf4\\x8f\\xbf\\xbf\""); /* U+10FFFF */
	CHECK_STR(parse("\"\\uffff\""), "\"\\xef\\xbf\\xbf\"");
	CHECK_STR(parse("{\"k\\u00e9y\": 1}"), "{\"k\\xc3\\xa9y\":1}");
	CHECK_STR(parse("\"\\ud800\""),
		  "error 1:2: high surrogate not followed by a \\u low surrogate");
	CHECK_STR(parse("\"\\ud800\\u0041\""),
		  "error 1:2: high surrogate not followed by a \\u low surrogate");
	CHECK_STR(parse("\"ab\\udc00\""), "error 1:4: lone low surrogate in a \\u escape");
	CHECK_STR(parse("\"\\u12\""), "error 1:4: \\u must be followed by 4 hex digits");
	CHECK_STR(parse("\"\\u12g4\""), "error 1:4: \\u must be followed by 4 hex digits");
	CHECK_STR(parse("\"\\x41\""), "error 1:2: invalid escape in a string");
	CHECK_STR(parse("\"\\'\""), "error 1:2: invalid escape in a string");
	CHECK_STR(parse("\"a\tb\""), "error 1:3: control character in a string (escape it)");
	CHECK_STR(parse("\"a\nb\""), "error 1:3: control character in a string (escape it)");
	CHECK_STR(parse("\"abc"), "error 1:5: unterminated string");
	CHECK_STR(parse("\"abc\\"), "error 1:5: invalid escape in a string");
	CHECK_STR(parse("'a'"), "error 1:1: unexpected character ''', expected a value");
}

TEST(json_nul_inside_strings)
{
	struct json_doc doc;
	const char *text = "[\"a\\u0000b\", \"ab\"]";

	CHECK_EQ(json_parse(text, strlen(text), &t_allocator, NULL, &doc, NULL), 0);
	CHECK_EQ(doc.root->child->len, 3);
	CHECK(json_cstr(doc.root->child) == NULL);
	CHECK_STR(json_cstr(doc.root->child->next), "ab");
	CHECK(json_cstr(doc.root) == NULL);
	CHECK(json_cstr(NULL) == NULL);
	json_free(&doc);
	/* A raw NUL byte is a control character. */
	CHECK_STR(parse_n("\"a\0\"", 4, NULL),
		  "error 1:3: control character in a string (escape it)");
	CHECK_STR(parse_n("1\0", 2, NULL),
		  "error 1:2: unexpected byte 0x00, expected the end after the value");
}

TEST(json_utf8_rules)
{
	/* Valid: 2, 3 and 4 bytes at the edges of each range. */
	CHECK_STR(parse("\"\xc2\x80\xdf\xbf\""), "\"\\xc2\\x80\\xdf\\xbf\"");
	CHECK_STR(parse("\"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\""),
		  "\"\\xe0\\xa0\\x80\\xed\\x9f\\xbf\\xee\\x80\\x80\\xef\\xbf\\xbf\"");
	CHECK_STR(parse("\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\""),
		  "\"\\xf0\\x90\\x80\\x80\\xf4\\x8f\\xbf\\xbf\"");
	/* Overlong forms, surrogates, past U+10FFFF, stray and missing bytes. */
	static const char *const bad[] = {
		"\"\xc0\x80\"",
		"\"\xc1\xbf\"",
		"\"\xe0\x80\x80\"",
		"\"\xe0\x9f\xbf\"",
		"\"\xed\xa0\x80\"",
		"\"\xf0\x80\x80\x80\"",
		"\"\xf4\x90\x80\x80\"",
		"\"\xf5\x80\x80\x80\"",
		"\"\xff\"",
		"\"\x80\"",
		"\"\xc3\"",
		"\"\xe2\x82\"",
		"\"\xc3(\"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_STR(parse(bad[i]), "error 1:2: invalid UTF-8 in a string");
	/* A byte-order mark is refused, as Go's encoding/json does. */
	CHECK_STR(parse("\xef\xbb\xbf{}"), "error 1:1: unexpected byte 0xef, expected a value");
}

TEST(json_number_grammar)
{
	CHECK_STR(parse("[0, -0, 1, -1, 10, 0.5, -0.5, 1e5, 1E+5, 1e-5, 12.5e10, -0.0e0]"),
		  "[0,-0,1,-1,10,0.5,-0.5,1e5,1E+5,1e-5,12.5e10,-0.0e0]");
	CHECK_STR(parse("01"), "error 1:2: leading zero in a number");
	CHECK_STR(parse("-01"), "error 1:3: leading zero in a number");
	CHECK_STR(parse("-"), "error 1:2: expected a digit in a number");
	CHECK_STR(parse("-a"), "error 1:2: expected a digit in a number");
	CHECK_STR(parse("1."), "error 1:3: expected a digit after the decimal point");
	CHECK_STR(parse("1.e5"), "error 1:3: expected a digit after the decimal point");
	CHECK_STR(parse("1e"), "error 1:3: expected a digit in the exponent");
	CHECK_STR(parse("1e+"), "error 1:4: expected a digit in the exponent");
	CHECK_STR(parse(".5"), "error 1:1: unexpected character '.', expected a value");
	CHECK_STR(parse("+1"), "error 1:1: unexpected character '+', expected a value");
	CHECK_STR(parse("0x10"),
		  "error 1:2: unexpected character 'x', expected the end after the value");
	CHECK_STR(parse("NaN"), "error 1:1: unexpected character 'N', expected a value");
	CHECK_STR(parse("[Infinity]"), "error 1:2: unexpected character 'I', expected a value");
	CHECK_STR(parse("[-Infinity]"), "error 1:3: expected a digit in a number");
}

/* Parse @text as one number and read it with json_int64 and json_uint64. */
static void ints(const char *text, int *rc_i, int64_t *i, int *rc_u, uint64_t *u)
{
	struct json_doc doc;

	*i = 0;
	*u = 0;
	*rc_i = *rc_u = -1;
	if (json_parse(text, strlen(text), &t_allocator, NULL, &doc, NULL))
		return;
	*rc_i = json_int64(doc.root, i);
	*rc_u = json_uint64(doc.root, u);
	json_free(&doc);
}

TEST(json_integers_exact)
{
	int ri, ru;
	int64_t i;
	uint64_t u;

	ints("9223372036854775807", &ri, &i, &ru, &u);
	CHECK(ri == 0 && i == INT64_MAX && ru == 0 && u == (uint64_t)INT64_MAX);
	ints("-9223372036854775808", &ri, &i, &ru, &u);
	CHECK(ri == 0 && i == INT64_MIN && ru == -ERANGE);
	ints("9223372036854775808", &ri, &i, &ru, &u);
	CHECK(ri == -ERANGE && ru == 0 && u == (uint64_t)INT64_MAX + 1);
	ints("-9223372036854775809", &ri, &i, &ru, &u);
	CHECK(ri == -ERANGE && ru == -ERANGE);
	ints("18446744073709551615", &ri, &i, &ru, &u);
	CHECK(ri == -ERANGE && ru == 0 && u == UINT64_MAX);
	ints("18446744073709551616", &ri, &i, &ru, &u);
	CHECK(ri == -ERANGE && ru == -ERANGE);
	ints("99999999999999999999999", &ri, &i, &ru, &u);
	CHECK(ri == -ERANGE && ru == -ERANGE);
	ints("-0", &ri, &i, &ru, &u);
	CHECK(ri == 0 && i == 0 && ru == 0 && u == 0);
	ints("-1", &ri, &i, &ru, &u);
	CHECK(ri == 0 && i == -1 && ru == -ERANGE);
	ints("1.0", &ri, &i, &ru, &u);
	CHECK(ri == -EINVAL && ru == -EINVAL);
	ints("1e3", &ri, &i, &ru, &u);
	CHECK(ri == -EINVAL && ru == -EINVAL);
	ints("\"5\"", &ri, &i, &ru, &u);
	CHECK(ri == -EINVAL && ru == -EINVAL);
}

/* json_double of @text's number; *@v set. */
static int dbl(const char *text, double *v)
{
	struct json_doc doc;
	int rc = -1;

	*v = -12345;
	if (json_parse(text, strlen(text), &t_allocator, NULL, &doc, NULL) == 0) {
		rc = json_double(doc.root, v);
		json_free(&doc);
	}
	return rc;
}

TEST(json_doubles)
{
	double v;

	CHECK(dbl("0.1", &v) == 0 && v == 0.1);
	CHECK(dbl("-2.5e-3", &v) == 0 && v == -2.5e-3);
	CHECK(dbl("1.7976931348623157e308", &v) == 0 && v == 1.7976931348623157e308);
	CHECK(dbl("9007199254740993", &v) == 0 && v == 9007199254740992.0); /* ties to even */
	CHECK(dbl("5e-324", &v) == 0 && v == 5e-324);			    /* smallest subnormal */
	CHECK(dbl("1e-400", &v) == 0 && v == 0); /* underflow: 0, as Go */
	CHECK_EQ(dbl("1e309", &v), -ERANGE);
	CHECK_EQ(dbl("-1e309", &v), -ERANGE);
	CHECK_EQ(dbl("true", &v), -EINVAL);
	CHECK(dbl("-0", &v) == 0 && v == 0 && signbit(v));
}

TEST(json_bool_helper)
{
	struct json_doc doc;
	bool b = false;

	CHECK_EQ(json_parse("[true,false,null]", 17, &t_allocator, NULL, &doc, NULL), 0);
	CHECK(json_bool(doc.root->child, &b) == 0 && b);
	CHECK(json_bool(doc.root->child->next, &b) == 0 && !b);
	CHECK_EQ(json_bool(doc.root->child->next->next, &b), -EINVAL);
	CHECK_EQ(json_bool(NULL, &b), -EINVAL);
	json_free(&doc);
}

TEST(json_structure_errors_with_places)
{
	CHECK_STR(parse(""), "error 1:1: unexpected end of input, expected a value");
	CHECK_STR(parse("  \n "), "error 2:2: unexpected end of input, expected a value");
	CHECK_STR(parse("{\n  \"a\": 1,\n}"),
		  "error 3:1: unexpected character '}', expected a string (a member name)");
	CHECK_STR(parse("[1, 2,]"), "error 1:7: unexpected character ']', expected a value");
	CHECK_STR(parse("[1 2]"),
		  "error 1:4: unexpected character '2', expected ',' or ']' after an array value");
	CHECK_STR(parse("{\"a\" 1}"),
		  "error 1:6: unexpected character '1', expected ':' after a member name");
	CHECK_STR(parse("{\"a\": 1 \"b\": 2}"), "error 1:9: unexpected character '\"', expected "
						"',' or '}' after an object member");
	CHECK_STR(parse("{a: 1}"),
		  "error 1:2: unexpected character 'a', expected a string (a member name)");
	CHECK_STR(parse("{1: 1}"),
		  "error 1:2: unexpected character '1', expected a string (a member name)");
	CHECK_STR(parse("[1}"),
		  "error 1:3: unexpected character '}', expected ',' or ']' after an array value");
	CHECK_STR(
		parse("{\"a\":1]"),
		"error 1:7: unexpected character ']', expected ',' or '}' after an object member");
	CHECK_STR(parse("[1"),
		  "error 1:3: unexpected end of input, expected ',' or ']' after an array value");
	CHECK_STR(parse("{\"a\":"), "error 1:6: unexpected end of input, expected a value");
	CHECK_STR(parse("{\"a\""), "error 1:5: unexpected end of input, expected ':' after a "
				   "member name");
	CHECK_STR(parse("1 2"),
		  "error 1:3: unexpected character '2', expected the end after the value");
	CHECK_STR(parse("{} x"), "error 1:4: unexpected character 'x', expected the end after the "
				 "value");
	CHECK_STR(parse("tru"), "error 1:1: unexpected character 't', expected a value");
	CHECK_STR(parse("truex"),
		  "error 1:5: unexpected character 'x', expected the end after the value");
	CHECK_STR(parse("nul"), "error 1:1: unexpected character 'n', expected a value");
	CHECK_STR(parse("True"), "error 1:1: unexpected character 'T', expected a value");
	CHECK_STR(parse("[1] // comment"),
		  "error 1:5: unexpected character '/', expected the end after the value");
	CHECK_STR(parse("/* c */ 1"), "error 1:1: unexpected character '/', expected a value");
	CHECK_STR(parse("\f1"), "error 1:1: unexpected byte 0x0c, expected a value");
	CHECK_STR(parse("[\n\n   x]"), "error 3:4: unexpected character 'x', expected a value");
	CHECK_EQ(last_err.offset, 6);
	CHECK_EQ(live_allocs, 0);
}

TEST(json_duplicate_keys_last_wins)
{
	struct json_doc doc;
	const char *text = "{\"a\": 1, \"b\": 2, \"a\": 3}";
	int64_t v = 0;

	CHECK_EQ(json_parse(text, strlen(text), &t_allocator, NULL, &doc, NULL), 0);
	CHECK_EQ(doc.root->count, 3);
	CHECK(json_int64(json_get(doc.root, "a"), &v) == 0 && v == 3);
	json_free(&doc);
	/* A key with a NUL inside is never found by a C string. */
	CHECK_STR(parse("{\"a\\u0000b\": 1}"), "{\"a\\x00b\":1}");
}

/* @n levels of '[' then of ']' in @buf. */
static size_t nest(char *buf, size_t n)
{
	memset(buf, '[', n);
	memset(buf + n, ']', n);
	return 2 * n;
}

TEST(json_depth_limits)
{
	static char buf[2 * 5000];
	struct json_limits lim = { .max_depth = 3 };
	struct json_doc doc;
	const struct json_node *n;
	size_t depth = 0;

	CHECK_STR(parse_n("[[[1]]]", 7, &lim), "[[[1]]]");
	CHECK_STR(parse_n("[[[[1]]]]", 9, &lim), "error 1:4: nested too deeply");
	CHECK_STR(parse_n("{\"a\":{\"b\":{\"c\":{}}}}", 20, &lim), "error 1:16: nested too deeply");
	CHECK_STR(parse_n(buf, nest(buf, 64), NULL), parse_n(buf, nest(buf, 64), NULL));
	CHECK(parse_n(buf, nest(buf, 64), NULL)[0] == '[');
	CHECK_STR(parse_n(buf, nest(buf, 65), NULL), "error 1:65: nested too deeply");
	/* At the cap: the open-level bits past the first word, objects inside arrays. */
	lim.max_depth = 100000;
	CHECK_EQ(json_parse(buf, nest(buf, JSON_DEPTH_CAP), &t_allocator, &lim, &doc, NULL), 0);
	for (n = doc.root; n->child; n = n->child)
		depth++;
	CHECK_EQ(depth, JSON_DEPTH_CAP - 1);
	json_free(&doc);
	CHECK_EQ(json_parse(buf, nest(buf, 5000), &t_allocator, &lim, &doc, &last_err), -E2BIG);
	CHECK_EQ(last_err.col, JSON_DEPTH_CAP + 1);
	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < 200; i++)
		memcpy(buf + 6 * i, i % 3 ? "{\"k\":[" : "[{\"k\":", 6);
	CHECK_EQ(json_parse(buf, 1200, &t_allocator, &lim, &doc, &last_err), -EINVAL);
	CHECK_STR(last_err.msg, "unexpected end of input, expected a value");
}

TEST(json_size_limits)
{
	struct json_limits lim = { .max_nodes = 3 };
	struct json_doc doc;

	CHECK_STR(parse_n("[1, 2]", 6, &lim), "[1,2]");
	CHECK_STR(parse_n("[1, 2, 3]", 9, &lim), "error 1:8: too many values");
	CHECK_EQ(last_err.line, 1);
	lim = (struct json_limits){ .max_input = 5 };
	CHECK_STR(parse_n("[1,2]", 5, &lim), "[1,2]");
	CHECK_STR(parse_n("[1, 2]", 6, &lim), "error 0:0: the text is larger than allowed");
	CHECK_EQ(json_parse("[1, 2]", 6, &t_allocator, &lim, &doc, NULL), -E2BIG);
	/* Memory: the exact size fits, a byte less does not. */
	lim = (struct json_limits){ .max_memory = 2 * sizeof(struct json_node) + 4 };
	CHECK_STR(parse_n("[\"abc\"]", 7, &lim), "[\"abc\"]");
	lim.max_memory--;
	CHECK_STR(parse_n("[\"abc\"]", 7, &lim),
		  "error 0:0: the document needs more memory than allowed");
	CHECK_EQ(json_parse("[\"abc\"]", 7, &t_allocator, &lim, &doc, NULL), -ENOMEM);
	CHECK_EQ(live_allocs, 0);
}

TEST(json_allocator_failure)
{
	struct json_doc doc;

	alloc_budget = 0;
	CHECK_EQ(json_parse("{\"a\": [1]}", 10, &t_allocator, NULL, &doc, &last_err), -ENOMEM);
	CHECK_STR(last_err.msg, "out of memory");
	CHECK(doc.root == NULL);
	json_free(&doc);
	alloc_budget = SIZE_MAX;
	CHECK_EQ(live_allocs, 0);
	/* Errors leave nothing allocated and the doc empty. */
	CHECK_EQ(json_parse("[1,", 3, &t_allocator, NULL, &doc, NULL), -EINVAL);
	CHECK(doc.root == NULL && doc.memory == 0);
	CHECK_EQ(live_allocs, 0);
}

TEST(json_kind_names)
{
	CHECK_STR(json_kind_name(JSON_NULL), "null");
	CHECK_STR(json_kind_name(JSON_TRUE), "a boolean");
	CHECK_STR(json_kind_name(JSON_FALSE), "a boolean");
	CHECK_STR(json_kind_name(JSON_NUMBER), "a number");
	CHECK_STR(json_kind_name(JSON_STRING), "a string");
	CHECK_STR(json_kind_name(JSON_ARRAY), "an array");
	CHECK_STR(json_kind_name(JSON_OBJECT), "an object");
}

/* The shape of a `runc spec` config.json (runc 1.1), parsed and read. */
TEST(json_oci_config_shape)
{
	static const char text[] =
		"{\n\t\"ociVersion\": \"1.0.2-dev\",\n\t\"process\": {\n\t\t\"terminal\": true,\n"
		"\t\t\"user\": {\n\t\t\t\"uid\": 0,\n\t\t\t\"gid\": 0\n\t\t},\n\t\t\"args\": [\n"
		"\t\t\t\"sh\"\n\t\t],\n\t\t\"env\": [\n\t\t\t\"PATH=/usr/local/sbin:/usr/local/bin:"
		"/usr/sbin:/usr/bin:/sbin:/bin\",\n\t\t\t\"TERM=xterm\"\n\t\t],\n\t\t\"cwd\": "
		"\"/\",\n"
		"\t\t\"rlimits\": [\n\t\t\t{\n\t\t\t\t\"type\": "
		"\"RLIMIT_NOFILE\",\n\t\t\t\t\"hard\": "
		"1024,\n\t\t\t\t\"soft\": 1024\n\t\t\t}\n\t\t],\n\t\t\"noNewPrivileges\": "
		"true\n\t},\n"
		"\t\"root\": {\n\t\t\"path\": \"rootfs\",\n\t\t\"readonly\": true\n\t},\n"
		"\t\"hostname\": \"runc\",\n\t\"linux\": {\n\t\t\"resources\": "
		"{\n\t\t\t\"memory\": "
		"{\"limit\": 536870912}\n\t\t}\n\t}\n}\n";
	struct json_doc doc;
	const struct json_node *proc, *args, *rl;
	int64_t v = 0;
	bool b = false;

	CHECK_EQ(json_parse(text, strlen(text), &t_allocator, NULL, &doc, &last_err), 0);
	proc = json_get(doc.root, "process");
	args = json_get(proc, "args");
	CHECK(args && args->kind == JSON_ARRAY && args->count == 1);
	CHECK_STR(json_cstr(args->child), "sh");
	CHECK(args->line == 9 && args->col == 11);
	CHECK(json_bool(json_get(proc, "terminal"), &b) == 0 && b);
	rl = json_get(proc, "rlimits")->child;
	CHECK(json_int64(json_get(rl, "hard"), &v) == 0 && v == 1024);
	CHECK(json_int64(json_get(json_get(json_get(json_get(doc.root, "linux"), "resources"),
					   "memory"),
				  "limit"),
			 &v) == 0 &&
	      v == 536870912);
	CHECK_STR(json_cstr(json_get(json_get(doc.root, "root"), "path")), "rootfs");
	json_free(&doc);
}

int main(void)
{
	RUN(json_rfc8259_examples);
	RUN(json_tree_links_and_places);
	RUN(json_string_escapes);
	RUN(json_nul_inside_strings);
	RUN(json_utf8_rules);
	RUN(json_number_grammar);
	RUN(json_integers_exact);
	RUN(json_doubles);
	RUN(json_bool_helper);
	RUN(json_structure_errors_with_places);
	RUN(json_duplicate_keys_last_wins);
	RUN(json_depth_limits);
	RUN(json_size_limits);
	RUN(json_allocator_failure);
	RUN(json_kind_names);
	RUN(json_oci_config_shape);
	CHECK_EQ(live_allocs, 0);
	return unit_summary();
}
