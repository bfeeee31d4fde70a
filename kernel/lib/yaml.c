/*
 * The YAML parser's structure (contracts in <lib/yaml.h>): collections,
 * documents, anchors and the arena, over the text reading of
 * yaml_scalar.c.  Recursive descent, one function per construct.  Block
 * structure is decided by columns: a block collection's entries all start
 * at its column, and a node belongs to the collection it is indented
 * under; "parent" below is the column of the enclosing block collection
 * (-1 at the top level).
 */
#include <lib/errno.h>
#include <lib/string.h>
#include "yaml_impl.h"

/* ---------------------------------------------------------------- the arena */

#define YAML_CHUNK 4096 /* bytes asked of the allocator at a time, at least */
#define YAML_ALIGN 16	/* what malloc and kmalloc guarantee */

struct yaml_chunk {
	struct yaml_chunk *next;
	size_t size, used; /* bytes of data[] */
	_Alignas(YAML_ALIGN) unsigned char data[];
};

void *yaml_arena_alloc(struct yaml_tree *t, size_t n)
{
	struct yaml_chunk *c = t->chunks;
	size_t size;
	void *r;

#ifdef YAML_ARENA_EXACT
	/* For the fuzzer: every allocation its own, of exactly @n bytes, so the
	 * address sanitizer sees a byte written past a scalar's room. */
	if (t->memory + sizeof(*c) + n > t->max_memory)
		return NULL;
	c = t->alloc.alloc(t->alloc.ctx, sizeof(*c) + n);
	if (!c)
		return NULL;
	t->memory += sizeof(*c) + n;
	c->size = c->used = n;
	c->next = t->chunks;
	t->chunks = c;
	return c->data;
#endif
	n = (n + YAML_ALIGN - 1) & ~(size_t)(YAML_ALIGN - 1);
	if (c && c->size - c->used >= n) {
		r = c->data + c->used;
		c->used += n;
		return r;
	}
	size = n > YAML_CHUNK ? n : YAML_CHUNK;
	if (n > t->max_memory || t->memory + sizeof(*c) + size > t->max_memory)
		return NULL;
	c = t->alloc.alloc(t->alloc.ctx, sizeof(*c) + size);
	if (!c)
		return NULL;
	t->memory += sizeof(*c) + size;
	c->size = size;
	c->used = n;
	/* A big one-off block goes behind the current chunk, which keeps its room. */
	if (n > YAML_CHUNK && t->chunks) {
		c->next = t->chunks->next;
		t->chunks->next = c;
	} else {
		c->next = t->chunks;
		t->chunks = c;
	}
	return c->data;
}

void yaml_free(struct yaml_tree *t)
{
	while (t->chunks) {
		struct yaml_chunk *c = t->chunks;

		t->chunks = c->next;
		t->alloc.free(t->alloc.ctx, c);
	}
	t->docs = NULL;
	t->ndocs = 0;
	t->memory = 0;
}

const struct yaml_node *yaml_root(const struct yaml_tree *t)
{
	return t->docs ? t->docs->root : NULL;
}

/* ---------------------------------------------------------------- nodes */

struct yaml_node *yaml_new(struct yaml_parser *p, enum yaml_kind kind, struct yaml_mark at)
{
	struct yaml_node *n = yaml_arena_alloc(p->tree, sizeof(*n));

	if (!n)
		return yaml_fail_at(p, at, -ENOMEM, "out of memory");
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->style = kind == YAML_SEQ || kind == YAML_MAP ? YAML_BLOCK : YAML_PLAIN;
	n->line = at.line;
	n->col = (uint32_t)(at.pos - at.line_start) + 1;
	n->str = "";
	n->weight = 1;
	return n;
}

/* A collection being built: its node and where its next entry goes. */
struct yaml_coll {
	struct yaml_node *node;
	struct yaml_entry **tail;
};

static bool yaml_coll_new(struct yaml_parser *p, struct yaml_coll *c, enum yaml_kind kind)
{
	if (++p->depth > p->lim.max_depth)
		return yaml_fail_at(p, p->m, -E2BIG, "nested too deeply");
	c->node = yaml_new(p, kind, p->m);
	if (c->node)
		c->tail = &c->node->entries;
	return c->node;
}

/* Append @value (under @key in mappings; keys are unique) to @c. */
static bool yaml_append(struct yaml_parser *p, struct yaml_coll *c, const struct yaml_node *key,
			const struct yaml_node *value)
{
	struct yaml_mark at = p->m;
	size_t w = value->weight + (key ? key->weight : 0);
	struct yaml_entry *e;

	if (key)
		for (e = c->node->entries; e; e = e->next)
			if (e->key->len == key->len && !memcmp(e->key->str, key->str, key->len)) {
				at.line = key->line;
				at.pos = at.line_start + key->col - 1;
				return yaml_fail_at(p, at, -EINVAL, "duplicate mapping key");
			}
	/* Weights never pass max_nodes, so these sums cannot overflow. */
	c->node->weight += w;
	if (c->node->weight > p->lim.max_nodes)
		return yaml_fail_at(p, at, -E2BIG, "too many nodes (aliases expanded)");
	e = yaml_arena_alloc(p->tree, sizeof(*e));
	if (!e)
		return yaml_fail_at(p, at, -ENOMEM, "out of memory");
	e->key = key;
	e->value = value;
	e->next = NULL;
	*c->tail = e;
	c->tail = &e->next;
	c->node->count++;
	return true;
}

/* ---------------------------------------------------------------- properties */

/* An anchor or alias name after & or * (the position is at the sign). */
static const char *yaml_name(struct yaml_parser *p, size_t *len)
{
	const char *s = p->s + ++p->m.pos;

	while (!yaml_is_blankz(yaml_peek(p, 0)) && !yaml_is_flow_indicator(yaml_peek(p, 0)))
		p->m.pos++;
	*len = (size_t)(p->s + p->m.pos - s);
	if (!*len)
		return yaml_fail(p, "empty anchor name");
	return s;
}

/* Node properties (YAML 1.2 section 6.9): an anchor and a tag, in any order.
 * Tags are skipped, but !!str makes the node a string. */
static bool yaml_props(struct yaml_parser *p, const char **anchor, size_t *alen, bool *str)
{
	*anchor = NULL;
	*str = false;
	for (int i = 0; i < 2; i++) {
		if (yaml_peek(p, 0) == '&' && !*anchor) {
			*anchor = yaml_name(p, alen);
			if (!*anchor)
				return false;
		} else if (yaml_peek(p, 0) == '!') {
			size_t start = p->m.pos;

			while (!yaml_is_blankz(yaml_peek(p, 0)))
				p->m.pos++;
			*str = p->m.pos - start == 5 && !memcmp(p->s + start, "!!str", 5);
		} else {
			break;
		}
		while (yaml_is_ws(yaml_peek(p, 0)))
			p->m.pos++;
	}
	return true;
}

/* Apply what the properties said to the finished node @n. */
static struct yaml_node *yaml_props_apply(struct yaml_parser *p, struct yaml_node *n,
					  const char *anchor, size_t alen, bool str)
{
	struct yaml_anchor *a;

	if (!n)
		return NULL;
	if (str && n->kind == YAML_NULL)
		n->kind = YAML_SCALAR;
	if (!anchor)
		return n;
	a = yaml_arena_alloc(p->tree, sizeof(*a));
	if (!a)
		return yaml_fail_at(p, p->m, -ENOMEM, "out of memory");
	a->name = anchor;
	a->len = alen;
	a->node = n;
	a->next = p->anchors;
	p->anchors = a;
	return n;
}

/* An alias: the node its anchor named (shared, never copied). */
static struct yaml_node *yaml_alias(struct yaml_parser *p)
{
	size_t len;
	const char *name = yaml_name(p, &len);

	if (!name)
		return NULL;
	for (struct yaml_anchor *a = p->anchors; a; a = a->next)
		if (a->len == len && !memcmp(a->name, name, len))
			return a->node;
	return yaml_fail(p, "unknown anchor");
}

/* ---------------------------------------------------------------- flow */

static struct yaml_node *yaml_flow_node(struct yaml_parser *p);

/* Skip blanks, breaks and comments inside a flow collection. */
static bool yaml_flow_space(struct yaml_parser *p)
{
	for (;;) {
		yaml_skip_inline(p);
		if (!yaml_is_break(yaml_peek(p, 0)))
			break;
		yaml_next_line(p);
		if (yaml_at_doc_boundary(p) && !yaml_at_end(p))
			return yaml_fail(p, "document marker inside a flow collection");
	}
	if (yaml_at_end(p))
		return yaml_fail(p, "unterminated flow collection");
	return true;
}

/* After a flow key: ":" and a value (or nothing: a null value). */
static struct yaml_node *yaml_flow_value(struct yaml_parser *p, const struct yaml_node *key,
					 char close)
{
	bool adjacent =
		key->style == YAML_SINGLE || key->style == YAML_DOUBLE || key->style == YAML_FLOW;
	struct yaml_mark at = p->m;

	if (!yaml_flow_space(p))
		return NULL;
	if (!(yaml_at_colon(p, true) || (adjacent && yaml_peek(p, 0) == ':')))
		return yaml_new(p, YAML_NULL, at);
	p->m.pos++;
	at = p->m;
	if (!yaml_flow_space(p))
		return NULL;
	if (yaml_peek(p, 0) == ',' || yaml_peek(p, 0) == close)
		return yaml_new(p, YAML_NULL, at);
	return yaml_flow_node(p);
}

/* One entry of a flow collection; a pair in a sequence is a one-pair map. */
static bool yaml_flow_entry(struct yaml_parser *p, struct yaml_coll *c, char close)
{
	struct yaml_mark at = p->m;
	struct yaml_node *key = yaml_flow_node(p), *value;
	struct yaml_coll pair;

	if (!key)
		return false;
	if (c->node->kind == YAML_MAP) {
		value = yaml_flow_value(p, key, close);
		return value && yaml_append(p, c, key, value);
	}
	if (!yaml_flow_space(p))
		return false;
	if (!(yaml_at_colon(p, true) || (key->style != YAML_PLAIN && yaml_peek(p, 0) == ':')))
		return yaml_append(p, c, NULL, key);
	value = yaml_flow_value(p, key, close);
	if (!value)
		return false;
	if (!yaml_coll_new(p, &pair, YAML_MAP))
		return false;
	p->depth--;
	pair.node->line = at.line;
	pair.node->col = (uint32_t)(at.pos - at.line_start) + 1;
	pair.node->style = YAML_FLOW;
	return yaml_append(p, &pair, key, value) && yaml_append(p, c, NULL, pair.node);
}

/* A flow sequence or mapping; the position is at [ or {. */
static struct yaml_node *yaml_flow_coll(struct yaml_parser *p)
{
	char close = yaml_peek(p, 0) == '[' ? ']' : '}';
	struct yaml_coll c;

	if (!yaml_coll_new(p, &c, close == ']' ? YAML_SEQ : YAML_MAP))
		return NULL;
	c.node->style = YAML_FLOW;
	p->m.pos++;
	for (;;) {
		if (!yaml_flow_space(p))
			return NULL;
		if (yaml_peek(p, 0) == close)
			break;
		if (!yaml_flow_entry(p, &c, close) || !yaml_flow_space(p))
			return NULL;
		if (yaml_peek(p, 0) == ',')
			p->m.pos++;
		else if (yaml_peek(p, 0) != close)
			return yaml_fail(p, close == ']' ? "expected ',' or ']'"
							 : "expected ',' or '}'");
	}
	p->m.pos++;
	p->depth--;
	return c.node;
}

/* A node inside a flow collection. */
static struct yaml_node *yaml_flow_node(struct yaml_parser *p)
{
	struct yaml_mark at;
	const char *anchor;
	size_t alen;
	bool str;
	char c;

	if (!yaml_props(p, &anchor, &alen, &str) || !yaml_flow_space(p))
		return NULL;
	at = p->m;
	c = yaml_peek(p, 0);
	if (c == '*' && !anchor)
		return yaml_alias(p);
	if (c == '[' || c == '{')
		return yaml_props_apply(p, yaml_flow_coll(p), anchor, alen, str);
	if (c == '"' || c == '\'')
		return yaml_props_apply(p, yaml_quoted(p), anchor, alen, str);
	if (yaml_plain_start(p, true))
		return yaml_props_apply(p, yaml_plain(p, -1, true, false), anchor, alen, str);
	if (c == ',' || c == ']' || c == '}' || yaml_at_colon(p, true))
		return yaml_props_apply(p, yaml_new(p, YAML_NULL, at), anchor, alen, str);
	return yaml_fail(p, "unexpected character in a flow collection");
}

/* ---------------------------------------------------------------- block */

static struct yaml_node *yaml_block_node(struct yaml_parser *p, int parent, bool block_ok);

/*
 * The value after a mapping's ':' or a sequence's '-' (the position is
 * past it), for a collection at column @col: on the same line, or on the
 * lines below, indented more, or (in a mapping) a sequence at @col.
 */
static struct yaml_node *yaml_value(struct yaml_parser *p, int col, bool in_map)
{
	struct yaml_mark after = p->m;
	int ind;

	yaml_skip_inline(p);
	if (!yaml_is_break(yaml_peek(p, 0)) && !yaml_at_end(p))
		return yaml_block_node(p, col, !in_map);
	if (!yaml_skip_space(p))
		return NULL;
	ind = yaml_indent(p);
	if (ind > col || (in_map && ind == col && yaml_at_dash(p)))
		return yaml_block_node(p, ind > col ? col : col - 1, true);
	return yaml_new(p, YAML_NULL, after);
}

/* After an entry: the next one's column, or an error for content left on
 * the line or indented wrongly. */
static int yaml_next_entry(struct yaml_parser *p, int col)
{
	int ind;

	if (!yaml_skip_space(p))
		return -3;
	ind = yaml_indent(p);
	if (ind == -2)
		return yaml_fail(p, "unexpected text after a value"), -3;
	if (ind > col)
		return yaml_fail(p, "bad indentation"), -3;
	return ind;
}

/* A block sequence; the position is at its first '-'. */
static struct yaml_node *yaml_block_seq(struct yaml_parser *p)
{
	int col = yaml_col(p), ind;
	struct yaml_coll c;

	if (!yaml_coll_new(p, &c, YAML_SEQ))
		return NULL;
	do {
		struct yaml_node *item;

		p->m.pos++;
		item = yaml_value(p, col, false);
		if (!item || !yaml_append(p, &c, NULL, item))
			return NULL;
		ind = yaml_next_entry(p, col);
		if (ind == -3)
			return NULL;
	} while (ind == col && yaml_at_dash(p));
	p->depth--;
	return c.node;
}

/* A block mapping's key (not the first): a one-line plain or quoted scalar. */
static struct yaml_node *yaml_key(struct yaml_parser *p, int col)
{
	struct yaml_node *key;

	if (yaml_peek(p, 0) == '"' || yaml_peek(p, 0) == '\'')
		key = yaml_quoted(p);
	else if (yaml_plain_start(p, false))
		key = yaml_plain(p, col, false, true);
	else if (yaml_peek(p, 0) == '?' && yaml_is_blankz(yaml_peek(p, 1)))
		return yaml_fail(p, "explicit keys (?) are not supported");
	else
		return yaml_fail(p, yaml_at_dash(p) ? "expected a mapping key, not a sequence entry"
						    : "expected a mapping key");
	if (!key)
		return NULL;
	while (yaml_is_ws(yaml_peek(p, 0)))
		p->m.pos++;
	if (key->line != p->m.line)
		return yaml_fail(p, "a mapping key must fit on one line");
	if (!yaml_at_colon(p, false))
		return yaml_fail(p, "expected ':' after a mapping key");
	return key;
}

/* A block mapping whose first key @key was read; the position is at its ':'. */
static struct yaml_node *yaml_block_map(struct yaml_parser *p, struct yaml_node *key)
{
	int col = (int)key->col - 1, ind;
	struct yaml_coll c;

	if (!yaml_coll_new(p, &c, YAML_MAP))
		return NULL;
	c.node->line = key->line;
	c.node->col = key->col;
	for (;;) {
		struct yaml_node *value;

		p->m.pos++;
		value = yaml_value(p, col, true);
		if (!value || !yaml_append(p, &c, key, value))
			return NULL;
		ind = yaml_next_entry(p, col);
		if (ind == -3)
			return NULL;
		if (ind < col)
			break;
		key = yaml_key(p, col);
		if (!key)
			return NULL;
	}
	p->depth--;
	return c.node;
}

/* A scalar in block context: a value, or the first key of a mapping. */
static struct yaml_node *yaml_block_scalar_or_map(struct yaml_parser *p, int parent, bool block_ok)
{
	struct yaml_mark at = p->m;
	struct yaml_node *n;

	if (yaml_peek(p, 0) == '"' || yaml_peek(p, 0) == '\'')
		n = yaml_quoted(p);
	else
		n = yaml_plain(p, parent, false, false);
	if (!n)
		return NULL;
	at = p->m;
	while (yaml_is_ws(yaml_peek(p, 0)))
		p->m.pos++;
	if (!yaml_at_colon(p, false)) {
		p->m = at;
		return n;
	}
	if (!block_ok)
		return yaml_fail(p, "a mapping cannot start here (a value on a key's line)");
	if (n->line != p->m.line)
		return yaml_fail(p, "a mapping key must fit on one line");
	return yaml_block_map(p, n);
}

/* A node's content in block context; the position is at its first character. */
static struct yaml_node *yaml_block_content(struct yaml_parser *p, int parent, bool block_ok)
{
	char c = yaml_peek(p, 0);

	if (c == '*')
		return yaml_alias(p);
	if (yaml_at_dash(p))
		return block_ok ? yaml_block_seq(p)
				: yaml_fail(
					  p,
					  "a sequence cannot start here (a value on a key's line)");
	if (c == '[' || c == '{')
		return yaml_flow_coll(p);
	if (c == '|' || c == '>')
		return yaml_block_scalar(p, parent);
	if (c == '?' && yaml_is_blankz(yaml_peek(p, 1)))
		return yaml_fail(p, "explicit keys (?) are not supported");
	if (c == '"' || c == '\'' || yaml_plain_start(p, false))
		return yaml_block_scalar_or_map(p, parent, block_ok);
	return yaml_fail(p, "unexpected character");
}

/*
 * A node in block context, properties first; the position is at its first
 * character.  Properties alone on a line put the content on the lines below.
 */
static struct yaml_node *yaml_block_node(struct yaml_parser *p, int parent, bool block_ok)
{
	struct yaml_mark at = p->m;
	const char *anchor;
	size_t alen;
	bool str;
	struct yaml_node *n;

	if (!yaml_props(p, &anchor, &alen, &str))
		return NULL;
	yaml_skip_inline(p);
	if (p->m.pos != at.pos && (yaml_is_break(yaml_peek(p, 0)) || yaml_at_end(p))) {
		if (!yaml_skip_space(p))
			return NULL;
		if (yaml_indent(p) > parent)
			n = yaml_block_content(p, parent, true);
		else
			n = yaml_new(p, YAML_NULL, at);
	} else if (anchor && yaml_peek(p, 0) == '*') {
		return yaml_fail(p, "an alias cannot have an anchor");
	} else {
		n = yaml_block_content(p, parent, block_ok);
	}
	return yaml_props_apply(p, n, anchor, alen, str);
}

/* ---------------------------------------------------------------- documents */

/* Skip directives (%YAML, %TAG): lines starting with % before a document. */
static bool yaml_directives(struct yaml_parser *p)
{
	while (yaml_col(p) == 0 && yaml_peek(p, 0) == '%') {
		while (!yaml_is_break(yaml_peek(p, 0)) && !yaml_at_end(p))
			p->m.pos++;
		if (!yaml_skip_space(p))
			return false;
	}
	return true;
}

/* One document's root: after "---" on its line, or on the lines below. */
static struct yaml_node *yaml_doc_root(struct yaml_parser *p, bool explicit)
{
	struct yaml_mark at = p->m;

	yaml_skip_inline(p);
	if (explicit && !yaml_is_break(yaml_peek(p, 0)) && !yaml_at_end(p))
		return yaml_block_node(p, -1, false);
	if (!yaml_skip_space(p))
		return NULL;
	if (yaml_at_doc_boundary(p))
		return yaml_new(p, YAML_NULL, at);
	return yaml_block_node(p, -1, true);
}

static bool yaml_add_doc(struct yaml_parser *p, struct yaml_doc ***tail, struct yaml_node *root)
{
	struct yaml_doc *d = yaml_arena_alloc(p->tree, sizeof(*d));

	if (!d)
		return yaml_fail_at(p, p->m, -ENOMEM, "out of memory");
	d->root = root;
	d->next = NULL;
	**tail = d;
	*tail = &d->next;
	p->tree->ndocs++;
	return true;
}

/* The stream: documents until the end of the text. */
static bool yaml_stream(struct yaml_parser *p)
{
	struct yaml_doc **tail = &p->tree->docs;

	for (;;) {
		struct yaml_node *root;
		bool explicit;

		if (!yaml_skip_space(p) || !yaml_directives(p))
			return false;
		if (yaml_at_end(p))
			return true;
		if (yaml_at_marker(p, '.')) { /* an end marker with no document */
			p->m.pos += 3;
			continue;
		}
		explicit = yaml_at_marker(p, '-');
		if (explicit)
			p->m.pos += 3;
		p->anchors = NULL;
		root = yaml_doc_root(p, explicit);
		if (!root || !yaml_skip_space(p))
			return false;
		if (!yaml_at_doc_boundary(p))
			return yaml_fail(p, yaml_indent(p) >= 0 ? "bad indentation"
								: "unexpected text after a value");
		if (!yaml_add_doc(p, &tail, root))
			return false;
		if (yaml_at_marker(p, '.'))
			p->m.pos += 3;
	}
}

/* Where in @text byte @off is, for an error. */
static struct yaml_mark yaml_mark_of(const char *text, size_t off)
{
	struct yaml_mark m = { .pos = off, .line_start = 0, .line = 1 };

	for (size_t i = 0; i < off; i++)
		if (text[i] == '\n')
			m.line++, m.line_start = i + 1;
	return m;
}

static void yaml_default_limits(struct yaml_limits *l, const struct yaml_limits *given)
{
	if (given)
		*l = *given;
	else
		memset(l, 0, sizeof(*l));
	l->max_input = l->max_input ? l->max_input : YAML_DEFAULT_MAX_INPUT;
	l->max_depth = l->max_depth ? l->max_depth : YAML_DEFAULT_MAX_DEPTH;
	l->max_memory = l->max_memory ? l->max_memory : YAML_DEFAULT_MAX_MEMORY;
	l->max_nodes = l->max_nodes ? l->max_nodes : YAML_DEFAULT_MAX_NODES;
}

int yaml_parse(const char *text, size_t len, const struct yaml_alloc *alloc,
	       const struct yaml_limits *limits, struct yaml_tree *tree, struct yaml_error *err)
{
	struct yaml_parser p = { .s = text, .len = len, .tree = tree, .err = err };
	const char *nul;

	memset(tree, 0, sizeof(*tree));
	tree->alloc = *alloc;
	yaml_default_limits(&p.lim, limits);
	tree->max_memory = p.lim.max_memory;
	p.m.line = 1;
	if (err)
		memset(err, 0, sizeof(*err));
	if (len > p.lim.max_input)
		return yaml_fail_at(&p, p.m, -E2BIG, "the text is too long"), p.rc;
	nul = memchr(text, '\0', len);
	if (nul)
		return yaml_fail_at(&p, yaml_mark_of(text, (size_t)(nul - text)), -EINVAL,
				    "NUL byte in the text"),
		       p.rc;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) /* a UTF-8 byte-order mark */
		p.m.pos = p.m.line_start = 3;
	if (yaml_stream(&p))
		return 0;
	yaml_free(tree);
	return p.rc;
}
