/*
 * The JSON parser's state machine and tree (contracts in <lib/json.h>;
 * strings are read by json_string.c).  The same state machine runs
 * twice over the text: the first pass validates and counts (values, string
 * bytes), so the one block the tree needs is sized exactly and checked
 * against the memory limit; the second pass builds the tree into it.  The
 * passes cannot disagree: they read the same bytes with the same code, and
 * the build pass only differs in writing.
 *
 * Open arrays and objects are a bit each in `open' (1: object); in the
 * build pass `cur' is the innermost open node, and `tail' is where the next
 * value is linked.  Closing a value makes it the last one of its parent, so
 * the parent's tail is the closed node's next.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include "json_impl.h"

/* ---------------------------------------------------------------- errors */

bool json_fail_at(struct json_parser *p, size_t pos, int rc, const char *msg)
{
	size_t n;

	if (p->rc)
		return false;
	p->rc = rc;
	if (!p->err)
		return false;
	/* pos is on the current line (strings hold no line breaks). */
	p->err->line = p->line;
	p->err->col = (uint32_t)(pos - p->line_start) + 1;
	p->err->offset = pos;
	n = strlen(msg);
	if (n >= JSON_MSG_MAX)
		n = JSON_MSG_MAX - 1;
	memcpy(p->err->msg, msg, n);
	p->err->msg[n] = '\0';
	return false;
}

bool json_fail(struct json_parser *p, const char *msg)
{
	return json_fail_at(p, p->pos, -EINVAL, msg);
}

/* An unexpected byte (or the end) where @what was expected. */
static bool json_unexpected(struct json_parser *p, const char *what)
{
	char msg[JSON_MSG_MAX];
	unsigned char c;
	size_t n = 0;

	if (p->pos >= p->len) {
		strcpy(msg, "unexpected end of input, expected ");
	} else {
		c = (unsigned char)p->s[p->pos];
		if (c > ' ' && c < 0x7f) {
			strcpy(msg, "unexpected character 'x', expected ");
			msg[sizeof("unexpected character '") - 1] = (char)c;
		} else {
			strcpy(msg, "unexpected byte 0x??, expected ");
			msg[sizeof("unexpected byte 0x") - 1] = "0123456789abcdef"[c >> 4];
			msg[sizeof("unexpected byte 0x")] = "0123456789abcdef"[c & 15];
		}
	}
	n = strlen(msg);
	strncpy(msg + n, what, sizeof(msg) - n - 1);
	msg[sizeof(msg) - 1] = '\0';
	return json_fail(p, msg);
}

/* ---------------------------------------------------------------- text */

int json_peek(const struct json_parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

/* RFC 8259 section 2: whitespace is space, tab, line feed, carriage return. */
static void json_skip_ws(struct json_parser *p)
{
	for (; p->pos < p->len; p->pos++) {
		char c = p->s[p->pos];

		if (c == '\n') {
			p->line++;
			p->line_start = p->pos + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
	}
}

/* Consume @c after whitespace, or fail saying @what was expected. */
static bool json_expect(struct json_parser *p, char c, const char *what)
{
	json_skip_ws(p);
	if (json_peek(p) != (unsigned char)c)
		return json_unexpected(p, what);
	p->pos++;
	return true;
}

static bool json_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* ---------------------------------------------------------------- values */

/* A new value of @kind starting at @pos, linked into the open collection. */
static struct json_node *json_add(struct json_parser *p, enum json_kind kind, size_t pos)
{
	struct json_node *n;

	if (++p->nodes > p->lim.max_nodes) {
		json_fail_at(p, pos, -E2BIG, "too many values");
		return NULL;
	}
	if (!p->build)
		return NULL;
	if (p->node_mem == p->node_end) {
		json_fail_at(p, pos, -EINVAL, "internal error: the passes disagree");
		return NULL;
	}
	n = p->node_mem++;
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->line = p->line;
	n->col = (uint32_t)(pos - p->line_start) + 1;
	n->str = "";
	n->key = p->key;
	n->key_len = p->key_len;
	p->key = NULL;
	p->key_len = 0;
	n->up = p->cur;
	if (p->cur)
		p->cur->count++;
	*p->tail = n;
	p->tail = (struct json_node **)&n->next;
	return n;
}

/* RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool json_number(struct json_parser *p)
{
	size_t start = p->pos;
	struct json_node *n;
	char *text;

	if (json_peek(p) == '-')
		p->pos++;
	if (json_peek(p) == '0') {
		p->pos++;
		if (json_is_digit(json_peek(p)))
			return json_fail(p, "leading zero in a number");
	} else if (json_is_digit(json_peek(p))) {
		while (json_is_digit(json_peek(p)))
			p->pos++;
	} else {
		return json_fail(p, "expected a digit in a number");
	}
	if (json_peek(p) == '.') {
		p->pos++;
		if (!json_is_digit(json_peek(p)))
			return json_fail(p, "expected a digit after the decimal point");
		while (json_is_digit(json_peek(p)))
			p->pos++;
	}
	if (json_peek(p) == 'e' || json_peek(p) == 'E') {
		p->pos++;
		if (json_peek(p) == '+' || json_peek(p) == '-')
			p->pos++;
		if (!json_is_digit(json_peek(p)))
			return json_fail(p, "expected a digit in the exponent");
		while (json_is_digit(json_peek(p)))
			p->pos++;
	}
	n = json_add(p, JSON_NUMBER, start);
	text = json_str_room(p, p->pos - start);
	if (p->rc)
		return false;
	if (n) {
		memcpy(text, p->s + start, p->pos - start);
		text[p->pos - start] = '\0';
		n->str = text;
		n->len = p->pos - start;
	}
	return true;
}

/* true, false or null. */
static bool json_literal(struct json_parser *p)
{
	static const struct {
		const char *word;
		enum json_kind kind;
	} words[] = { { "true", JSON_TRUE }, { "false", JSON_FALSE }, { "null", JSON_NULL } };
	size_t start = p->pos;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t k = strlen(words[i].word);

		if (p->len - p->pos >= k && !memcmp(p->s + p->pos, words[i].word, k)) {
			p->pos += k;
			json_add(p, words[i].kind, start);
			return !p->rc;
		}
	}
	return json_unexpected(p, "a value");
}

/* Open an array or object at pos (on its bracket). */
static bool json_open(struct json_parser *p, enum json_kind kind)
{
	struct json_node *n;
	size_t start = p->pos;

	if (p->depth >= p->lim.max_depth)
		return json_fail_at(p, start, -E2BIG, "nested too deeply");
	if (kind == JSON_OBJECT)
		p->open[p->depth / 64] |= (uint64_t)1 << (p->depth % 64);
	else
		p->open[p->depth / 64] &= ~((uint64_t)1 << (p->depth % 64));
	p->depth++;
	p->pos++;
	n = json_add(p, kind, start);
	if (p->rc)
		return false;
	if (n) {
		p->cur = n;
		p->tail = (struct json_node **)&n->child;
	}
	return true;
}

static bool json_in_object(const struct json_parser *p)
{
	unsigned d = p->depth - 1;

	return p->open[d / 64] >> (d % 64) & 1;
}

/* Close the innermost array or object (pos after its bracket). */
static void json_close(struct json_parser *p)
{
	struct json_node *closed = p->cur;

	p->depth--;
	if (!p->build)
		return;
	p->cur = (struct json_node *)closed->up;
	p->tail = (struct json_node **)&closed->next;
}

/* ---------------------------------------------------------------- the machine */

enum json_state {
	JSON_WANT_VALUE,
	JSON_WANT_KEY,	 /* after '{' or ',' in an object */
	JSON_WANT_FIRST, /* just after '[' or '{': the bracket may close at once */
	JSON_AFTER_VALUE,
};

/* A value at pos: a scalar (then AFTER_VALUE), or an opened collection. */
static enum json_state json_value(struct json_parser *p)
{
	const char *s;
	size_t n, start = p->pos;
	struct json_node *node;

	switch (json_peek(p)) {
	case '{':
	case '[':
		json_open(p, json_peek(p) == '{' ? JSON_OBJECT : JSON_ARRAY);
		return JSON_WANT_FIRST;
	case '"':
		if (json_string(p, &s, &n)) {
			node = json_add(p, JSON_STRING, start);
			if (node) {
				node->str = s;
				node->len = n;
			}
		}
		return JSON_AFTER_VALUE;
	default:
		if (json_peek(p) == '-' || json_is_digit(json_peek(p)))
			json_number(p);
		else
			json_literal(p);
		return JSON_AFTER_VALUE;
	}
}

/* A member name and its colon; the value comes next. */
static enum json_state json_key(struct json_parser *p)
{
	json_skip_ws(p);
	if (json_peek(p) != '"') {
		json_unexpected(p, "a string (a member name)");
		return JSON_WANT_KEY;
	}
	if (json_string(p, &p->key, &p->key_len))
		json_expect(p, ':', "':' after a member name");
	return JSON_WANT_VALUE;
}

/* After a value inside a collection: ',' or the closing bracket. */
static enum json_state json_after(struct json_parser *p)
{
	bool obj = json_in_object(p);
	int c;

	json_skip_ws(p);
	c = json_peek(p);
	if (c == ',') {
		p->pos++;
		return obj ? JSON_WANT_KEY : JSON_WANT_VALUE;
	}
	if (c == (obj ? '}' : ']')) {
		p->pos++;
		json_close(p);
		return JSON_AFTER_VALUE;
	}
	json_unexpected(p, obj ? "',' or '}' after an object member"
			       : "',' or ']' after an array value");
	return JSON_AFTER_VALUE;
}

/* One pass over the whole text; returns p->rc. */
static int json_pass(struct json_parser *p)
{
	enum json_state st = JSON_WANT_VALUE;

	for (;;) {
		json_skip_ws(p);
		if (st == JSON_WANT_FIRST) {
			int close = json_in_object(p) ? '}' : ']';

			if (json_peek(p) == close) {
				p->pos++;
				json_close(p);
				st = JSON_AFTER_VALUE;
			} else {
				st = close == '}' ? JSON_WANT_KEY : JSON_WANT_VALUE;
			}
		} else if (st == JSON_WANT_KEY) {
			st = json_key(p);
		} else if (st == JSON_WANT_VALUE) {
			st = json_value(p);
		} else if (p->depth) {
			st = json_after(p);
		} else {
			if (p->pos < p->len)
				json_unexpected(p, "the end after the value");
			return p->rc;
		}
		if (p->rc)
			return p->rc;
	}
}

/* ---------------------------------------------------------------- the API */

static void json_start(struct json_parser *p)
{
	p->pos = 0;
	p->line = 1;
	p->line_start = 0;
	p->depth = 0;
	p->nodes = p->str_bytes = 0;
	p->cur = NULL;
	p->root = NULL;
	p->tail = &p->root;
	p->key = NULL;
	p->key_len = 0;
}

static void json_limits(struct json_parser *p, const struct json_limits *l)
{
	static const struct json_limits none;

	if (!l)
		l = &none;
	p->lim.max_input = l->max_input ? l->max_input : JSON_DEFAULT_MAX_INPUT;
	p->lim.max_depth = l->max_depth ? l->max_depth : JSON_DEFAULT_MAX_DEPTH;
	if (p->lim.max_depth > JSON_DEPTH_CAP)
		p->lim.max_depth = JSON_DEPTH_CAP;
	p->lim.max_memory = l->max_memory ? l->max_memory : JSON_DEFAULT_MAX_MEMORY;
	p->lim.max_nodes = l->max_nodes ? l->max_nodes : JSON_DEFAULT_MAX_NODES;
}

/* Fail on the whole input (no place): a limit, or the allocator. */
static int json_fail_whole(struct json_parser *p, int rc, const char *msg)
{
	json_fail_at(p, 0, rc, msg);
	if (p->err)
		p->err->line = p->err->col = 0;
	return rc;
}

/* The build pass into a block of the size the first pass counted. */
static int json_build(struct json_parser *p, const struct json_alloc *alloc, struct json_doc *doc)
{
	size_t nodes = p->nodes, size;

	/* Overflow cannot happen under the limits, but check as if it could. */
	if (nodes > p->lim.max_memory / sizeof(struct json_node) ||
	    p->str_bytes > p->lim.max_memory - nodes * sizeof(struct json_node))
		return json_fail_whole(p, -ENOMEM, "the document needs more memory than allowed");
	size = nodes * sizeof(struct json_node) + p->str_bytes;
	doc->block = alloc->alloc(alloc->ctx, size ? size : 1);
	if (!doc->block)
		return json_fail_whole(p, -ENOMEM, "out of memory");
	doc->alloc = *alloc;
	doc->memory = size;
	p->build = true;
	p->node_mem = doc->block;
	p->node_end = p->node_mem + nodes;
	p->str_mem = (char *)p->node_end;
	p->str_end = p->str_mem + p->str_bytes;
	json_start(p);
	if (json_pass(p)) {
		json_free(doc);
		return p->rc;
	}
	doc->root = p->root;
	return 0;
}

int json_parse(const char *text, size_t len, const struct json_alloc *alloc,
	       const struct json_limits *limits, struct json_doc *doc, struct json_error *err)
{
	struct json_parser p;

	memset(doc, 0, sizeof(*doc));
	memset(&p, 0, sizeof(p));
	if (err)
		memset(err, 0, sizeof(*err));
	p.s = text;
	p.len = len;
	p.err = err;
	json_limits(&p, limits);
	if (len > p.lim.max_input)
		return json_fail_whole(&p, -E2BIG, "the text is larger than allowed");
	json_start(&p);
	if (json_pass(&p))
		return p.rc;
	return json_build(&p, alloc, doc);
}

void json_free(struct json_doc *doc)
{
	if (doc->block)
		doc->alloc.free(doc->alloc.ctx, doc->block);
	doc->block = NULL;
	doc->root = NULL;
	doc->memory = 0;
}
