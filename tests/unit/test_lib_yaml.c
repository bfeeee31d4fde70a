/*
 * Unit tests of the YAML parser (kernel/lib/yaml*.c): the YAML 1.2 spec's
 * chapter 2 examples that fall in the subset, real cloud-configs, netplan
 * v2 and manifests, every scalar style, errors with their line and column,
 * limits (depth, nodes with aliases expanded, memory, input), and the typed
 * helpers.  A parsed tree is compared through a compact rendering:
 * scalars "text", nulls ~, sequences [a, b], mappings {k: v}.
 */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "../../kernel/lib/fmt.c"
#include "../../kernel/lib/yaml.c"
#include "../../kernel/lib/yaml_node.c"
#include "../../kernel/lib/yaml_scalar.c"

static size_t live_allocs;

static void *t_alloc(void *ctx, size_t n)
{
	(void)ctx;
	live_allocs++;
	return malloc(n);
}

static void t_free(void *ctx, void *p)
{
	(void)ctx;
	live_allocs--;
	free(p);
}

static const struct yaml_alloc t_allocator = { t_alloc, t_free, NULL };

struct out {
	char buf[4096];
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

static void render(struct out *o, const struct yaml_node *n)
{
	if (n->kind == YAML_NULL) {
		put(o, "~", 1);
	} else if (n->kind == YAML_SCALAR) {
		put(o, "\"", 1);
		for (size_t i = 0; i < n->len; i++)
			if (n->str[i] == '\n')
				put(o, "\\n", 2);
			else
				put(o, n->str + i, 1);
		put(o, "\"", 1);
	} else {
		put(o, n->kind == YAML_SEQ ? "[" : "{", 1);
		for (const struct yaml_entry *e = n->entries; e; e = e->next) {
			if (e->key) {
				render(o, e->key);
				put(o, ": ", 2);
			}
			render(o, e->value);
			if (e->next)
				put(o, ", ", 2);
		}
		put(o, n->kind == YAML_SEQ ? "]" : "}", 1);
	}
}

/* Parse @text and render every document, "|" between them; "error: MSG". */
static const char *parse(const char *text)
{
	static struct out o;
	struct yaml_tree t;
	struct yaml_error err;
	int rc = yaml_parse(text, strlen(text), &t_allocator, NULL, &t, &err);

	o.n = 0;
	o.buf[0] = '\0';
	if (rc) {
		put(&o, "error: ", 7);
		o.n += (size_t)yaml_error_format(&err, o.buf + o.n, sizeof(o.buf) - o.n);
		return o.buf;
	}
	for (const struct yaml_doc *d = t.docs; d; d = d->next) {
		render(&o, d->root);
		if (d->next)
			put(&o, " | ", 3);
	}
	yaml_free(&t);
	return o.buf;
}

#define CHECK_YAML(text, expect) CHECK_STR(parse(text), expect)

/* ---------------------------------------------------------------- spec chapter 2 */

TEST(spec_2_1_to_2_4)
{
	CHECK_YAML("- Mark McGwire\n- Sammy Sosa\n- Ken Griffey\n",
		   "[\"Mark McGwire\", \"Sammy Sosa\", \"Ken Griffey\"]");
	CHECK_YAML(
		"hr:  65    # Home runs\navg: 0.278 # Batting average\nrbi: 147   # Runs Batted In",
		"{\"hr\": \"65\", \"avg\": \"0.278\", \"rbi\": \"147\"}");
	CHECK_YAML(
		"american:\n  - Boston Red Sox\n  - Detroit Tigers\nnational:\n  - New York Mets\n",
		"{\"american\": [\"Boston Red Sox\", \"Detroit Tigers\"], \"national\": "
		"[\"New York Mets\"]}");
	CHECK_YAML("-\n  name: Mark McGwire\n  hr:   65\n-\n  name: Sammy Sosa\n  hr:   63\n",
		   "[{\"name\": \"Mark McGwire\", \"hr\": \"65\"}, {\"name\": \"Sammy Sosa\", "
		   "\"hr\": \"63\"}]");
}

TEST(spec_2_5_to_2_9)
{
	CHECK_YAML("- [name        , hr, avg  ]\n- [Mark McGwire, 65, 0.278]\n",
		   "[[\"name\", \"hr\", \"avg\"], [\"Mark McGwire\", \"65\", \"0.278\"]]");
	CHECK_YAML("Mark McGwire: {hr: 65, avg: 0.278}\nSammy Sosa: {\n    hr: 63,\n    avg: "
		   "0.288\n  }\n",
		   "{\"Mark McGwire\": {\"hr\": \"65\", \"avg\": \"0.278\"}, \"Sammy Sosa\": "
		   "{\"hr\": \"63\", \"avg\": \"0.288\"}}");
	CHECK_YAML(
		"# Ranking of 1998 home runs\n---\n- Mark McGwire\n- Sammy Sosa\n\n"
		"# Team ranking\n---\n- Chicago Cubs\n- St Louis Cardinals\n",
		"[\"Mark McGwire\", \"Sammy Sosa\"] | [\"Chicago Cubs\", \"St Louis Cardinals\"]");
	CHECK_YAML("---\ntime: 20:03:20\nplayer: Sammy Sosa\naction: strike (miss)\n...\n---\n"
		   "time: 20:03:47\nplayer: Sammy Sosa\naction: grand slam\n...\n",
		   "{\"time\": \"20:03:20\", \"player\": \"Sammy Sosa\", \"action\": \"strike "
		   "(miss)\"}"
		   " | {\"time\": \"20:03:47\", \"player\": \"Sammy Sosa\", \"action\": \"grand "
		   "slam\"}");
	CHECK_YAML("---\nhr: # 1998 hr ranking\n  - Mark McGwire\n  - Sammy Sosa\nrbi:\n"
		   "  # 1998 rbi ranking\n  - Sammy Sosa\n  - Ken Griffey\n",
		   "{\"hr\": [\"Mark McGwire\", \"Sammy Sosa\"], \"rbi\": [\"Sammy Sosa\", \"Ken "
		   "Griffey\"]}");
}

TEST(spec_2_10_anchors_and_2_12_compact)
{
	CHECK_YAML("---\nhr:\n  - Mark McGwire\n  # Following node labeled SS\n  - &SS Sammy Sosa\n"
		   "rbi:\n  - *SS # Subsequent occurrence\n  - Ken Griffey\n",
		   "{\"hr\": [\"Mark McGwire\", \"Sammy Sosa\"], \"rbi\": [\"Sammy Sosa\", \"Ken "
		   "Griffey\"]}");
	CHECK_YAML("---\n# Products purchased\n- item    : Super Hoop\n  quantity: 1\n"
		   "- item    : Basketball\n  quantity: 4\n- item    : Big Shoes\n  quantity: 1\n",
		   "[{\"item\": \"Super Hoop\", \"quantity\": \"1\"}, {\"item\": \"Basketball\", "
		   "\"quantity\": \"4\"}, {\"item\": \"Big Shoes\", \"quantity\": \"1\"}]");
	/* 2.11's complex keys are outside the subset: refused, with the place. */
	CHECK_YAML("? - Detroit Tigers\n  - Chicago cubs\n: - 2001-07-23\n",
		   "error: line 1, column 1: explicit keys (?) are not supported");
}

TEST(spec_2_13_to_2_16_block_scalars)
{
	CHECK_YAML("# ASCII Art\n--- |\n  \\//||\\/||\n  // ||  ||__\n",
		   "\"\\//||\\/||\\n// ||  ||__\\n\"");
	CHECK_YAML(">\n  Mark McGwire's\n  year was crippled\n  by a knee injury.\n",
		   "\"Mark McGwire's year was crippled by a knee injury.\\n\"");
	CHECK_YAML(">\n Sammy Sosa completed another\n fine season with great stats.\n\n"
		   "   63 Home Runs\n   0.288 Batting Average\n\n What a year!\n",
		   "\"Sammy Sosa completed another fine season with great stats.\\n\\n"
		   "  63 Home Runs\\n  0.288 Batting Average\\n\\nWhat a year!\\n\"");
	CHECK_YAML(
		"name: Mark McGwire\naccomplishment: >\n  Mark set a major league\n"
		"  home run record in 1998.\nstats: |\n  65 Home Runs\n  0.278 Batting Average\n",
		"{\"name\": \"Mark McGwire\", \"accomplishment\": \"Mark set a major league home "
		"run record in 1998.\\n\", \"stats\": \"65 Home Runs\\n0.278 Batting "
		"Average\\n\"}");
}

TEST(spec_2_17_2_18_quoted)
{
	CHECK_YAML("unicode: \"Sosa did fine.\\u263A\"\ncontrol: \"\\b1998\\t1999\\t2000\\n\"\n"
		   "hex esc: \"\\x0d\\x0a is \\r\\n\"\nsingle: '\"Howdy!\" he cried.'\n"
		   "quoted: ' # Not a ''comment''.'\ntie-fighter: '|\\-*-/|'\n",
		   "{\"unicode\": \"Sosa did fine.\xe2\x98\xba\", \"control\": "
		   "\"\b1998\t1999\t2000\\n\", \"hex esc\": \"\r\\n is \r\\n\", \"single\": "
		   "\"\"Howdy!\" he cried.\", \"quoted\": \" # Not a 'comment'.\", "
		   "\"tie-fighter\": \"|\\-*-/|\"}");
	CHECK_YAML("plain:\n  This unquoted scalar\n  spans many lines.\n\nquoted: \"So does this\n"
		   "  quoted scalar.\\n\"\n",
		   "{\"plain\": \"This unquoted scalar spans many lines.\", \"quoted\": \"So does "
		   "this quoted scalar.\\n\"}");
}

/* Chapter 7's flow examples without explicit keys. */
TEST(spec_7_13_7_14_7_15)
{
	CHECK_YAML("- [ one, two, ]\n- [three ,four]\n",
		   "[[\"one\", \"two\"], [\"three\", \"four\"]]");
	CHECK_YAML(
		"[\n\"double\n quoted\", 'single\n           quoted',\nplain\n text, [ nested ],\n"
		"single: pair,\n]\n",
		"[\"double quoted\", \"single quoted\", \"plain text\", [\"nested\"], "
		"{\"single\": \"pair\"}]");
	CHECK_YAML("- { one : two , three: four , }\n- {five: six,seven : eight}\n",
		   "[{\"one\": \"two\", \"three\": \"four\"}, {\"five\": \"six\", \"seven\": "
		   "\"eight\"}]");
}

/* Chapter 8's block scalar examples. */
TEST(spec_8_1_8_4_8_5_8_6_8_10)
{
	CHECK_YAML("- | # Empty header\n literal\n- >1 # Indentation indicator\n  folded\n"
		   "- |+ # Chomping indicator\n keep\n\n- >1- # Both indicators\n  strip\n",
		   "[\"literal\\n\", \" folded\\n\", \"keep\\n\\n\", \" strip\"]");
	CHECK_YAML("strip: |-\n  text\nclip: |\n  text\nkeep: |+\n  text\n",
		   "{\"strip\": \"text\", \"clip\": \"text\\n\", \"keep\": \"text\\n\"}");
	CHECK_YAML(" # Strip\n  # Comments:\nstrip: |-\n  # text\n  \n # Clip\n  # comments:\n\n"
		   "clip: |\n  # text\n \n # Keep\n  # comments:\n\nkeep: |+\n  # text\n\n"
		   " # Trail\n  # comments.\n",
		   "{\"strip\": \"# text\", \"clip\": \"# text\\n\", \"keep\": \"# text\\n\\n\"}");
	CHECK_YAML("strip: >-\n\nclip: >\n\nkeep: |+\n\n",
		   "{\"strip\": \"\", \"clip\": \"\", \"keep\": \"\\n\"}");
	CHECK_YAML(">\n\n folded\n line\n\n next\n line\n   * bullet\n\n   * list\n   * lines\n\n"
		   " last\n line\n\n# Comment\n",
		   "\"\\nfolded line\\nnext line\\n  * bullet\\n\\n  * list\\n  * lines\\n\\nlast "
		   "line\\n\"");
}

/* ---------------------------------------------------------------- scalars */

TEST(block_scalar_chomping_and_indentation)
{
	CHECK_YAML("strip: |-\n  text\n\nclip: |\n  text\n\nkeep: |+\n  text\n\nend: 1\n",
		   "{\"strip\": \"text\", \"clip\": \"text\\n\", \"keep\": \"text\\n\\n\", "
		   "\"end\": \"1\"}");
	CHECK_YAML("a: |2\n   one space\n  none\nb: >1-\n  x\n",
		   "{\"a\": \" one space\\nnone\\n\", "
		   "\"b\": \" x\"}");
	CHECK_YAML("- |1\n  explicit\n- >\n \t\n detected\n",
		   "[\" explicit\\n\", \"\t\\ndetected\\n\"]");
	CHECK_YAML("a: |\n\n  after an empty line\n", "{\"a\": \"\\nafter an empty line\\n\"}");
	CHECK_YAML("a: >\n  one\n  two\n\n  three\n    more\n  back\n",
		   "{\"a\": \"one two\\nthree\\n  more\\nback\\n\"}");
	CHECK_YAML("a: |\nb: 1\n", "{\"a\": \"\", \"b\": \"1\"}");
	CHECK_YAML("a: |+\n\nb: 1\n", "{\"a\": \"\\n\", \"b\": \"1\"}");
	CHECK_YAML("a: |\n  no final break", "{\"a\": \"no final break\"}");
	CHECK_YAML("a: |  # a comment\n  # not a comment\n", "{\"a\": \"# not a comment\\n\"}");
	CHECK_YAML("a: |x\n", "error: line 1, column 5: bad block scalar header");
	CHECK_YAML("a: \"crlf\r\n  folded\"\r\nb: |\r\n  kept\r\n",
		   "{\"a\": \"crlf folded\", \"b\": "
		   "\"kept\\n\"}");
}

TEST(quoted_escapes)
{
	CHECK_YAML("\"\\0\\a\\b\\t\\n\\v\\f\\r\\e\\ \\\"\\/\\\\\"",
		   "\"\0\a\b\t\\n\v\f\r\x1b \"/\\\"");
	CHECK_YAML("\"\\N\\_\\L\\P\\U0001F600\\xe9\"",
		   "\"\xc2\x85\xc2\xa0\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x98\x80\xc3\xa9\"");
	CHECK_YAML("\"a\\\n   b  \\\n  c\"", "\"ab  c\"");
	CHECK_YAML("'a\n\n  b'", "\"a\\nb\"");
	CHECK_YAML("\"\\q\"", "error: line 1, column 3: unknown escape sequence");
	CHECK_YAML("\"\\uD800\"", "error: line 1, column 8: escape is not a valid character");
	CHECK_YAML("\"\\x4g\"", "error: line 1, column 5: bad hexadecimal escape");
	CHECK_YAML("a: \"open\nb: 1\n", "error: line 1, column 4: unterminated quoted scalar");
	CHECK_YAML("a: 'x'\"y\"\n", "error: line 1, column 7: unexpected text after a value");
}

/* \L and \P decode to 3 bytes: the only text that grows (found by fuzzing). */
TEST(escapes_that_grow)
{
	static char text[2 * 3000 + 3], expect[3 * 3000 + 3];
	struct yaml_tree t;
	struct yaml_error err;

	text[0] = '"';
	for (int i = 0; i < 3000; i++) {
		memcpy(text + 1 + 2 * i, i & 1 ? "\\P" : "\\L", 2);
		memcpy(expect + 3 * i, i & 1 ? "\xe2\x80\xa9" : "\xe2\x80\xa8", 3);
	}
	text[6001] = '"';
	CHECK_EQ(yaml_parse(text, 6002, &t_allocator, NULL, &t, &err), 0);
	CHECK_EQ(yaml_root(&t)->len, 9000);
	CHECK(!memcmp(yaml_root(&t)->str, expect, 9000));
	yaml_free(&t);
}

TEST(plain_scalars_and_nulls)
{
	CHECK_YAML("url: http://example.com/a#b # comment\nk: a:b\nt: -x\n",
		   "{\"url\": \"http://example.com/a#b\", \"k\": \"a:b\", \"t\": \"-x\"}");
	CHECK_YAML("a:\nb: ~\nc: null\nd: NULL\ne: 'null'\nf: !!str null\ng: Null\n",
		   "{\"a\": ~, \"b\": ~, \"c\": ~, \"d\": ~, \"e\": \"null\", \"f\": \"null\", "
		   "\"g\": ~}");
	CHECK_YAML("", "");
	CHECK_YAML("# only a comment\n", "");
	CHECK_YAML("---\n", "~");
	CHECK_YAML("--- text\n", "\"text\"");
	CHECK_YAML("\xef\xbb\xbf"
		   "a: 1\n",
		   "{\"a\": \"1\"}");
	CHECK_YAML("a: !custom x\nb: !!int 1\n", "{\"a\": \"x\", \"b\": \"1\"}");
}

/* ---------------------------------------------------------------- collections */

TEST(block_collections)
{
	CHECK_YAML("key:\n- a\n- b\nnext: 1\n", "{\"key\": [\"a\", \"b\"], \"next\": \"1\"}");
	CHECK_YAML("- - a\n  - b\n- - c\n", "[[\"a\", \"b\"], [\"c\"]]");
	CHECK_YAML("- a: 1\n  b:\n    - x\n  c: 3\n- d\n",
		   "[{\"a\": \"1\", \"b\": [\"x\"], \"c\": \"3\"}, \"d\"]");
	CHECK_YAML("-\n- \n-   # c\n", "[~, ~, ~]");
	CHECK_YAML("a:\n  b:\n    c: 1\n  d: 2\ne: 3\n",
		   "{\"a\": {\"b\": {\"c\": \"1\"}, \"d\": \"2\"}, \"e\": \"3\"}");
	CHECK_YAML("\"quoted key\": 1\n'single': 2\n",
		   "{\"quoted key\": \"1\", \"single\": \"2\"}");
	CHECK_YAML("a: &x\n  b: 1\nc: *x\n", "{\"a\": {\"b\": \"1\"}, \"c\": {\"b\": \"1\"}}");
}

TEST(flow_collections)
{
	CHECK_YAML("[a, 'b', \"c\", [d], {e: f}, ]",
		   "[\"a\", \"b\", \"c\", [\"d\"], {\"e\": \"f\"}]");
	CHECK_YAML("{a: 1, b, c: , \"d\":2, 'e': [x,\n  y]}",
		   "{\"a\": \"1\", \"b\": ~, \"c\": ~, \"d\": \"2\", \"e\": [\"x\", \"y\"]}");
	CHECK_YAML("[a: 1, b]", "[{\"a\": \"1\"}, \"b\"]");
	CHECK_YAML("[]", "[]");
	CHECK_YAML("{}", "{}");
	CHECK_YAML("a: [1, 2\nb: 3\n", "error: line 3, column 1: unterminated flow collection");
	CHECK_YAML("a: [1, 2", "error: line 1, column 9: unterminated flow collection");
	CHECK_YAML("{a: 1 b}", "{\"a\": \"1 b\"}");
	CHECK_YAML("[a, b}", "error: line 1, column 6: expected ',' or ']'");
}

/* ---------------------------------------------------------------- errors */

TEST(errors_carry_line_and_column)
{
	CHECK_YAML("a: 1\nb:\n\tc: 2\n", "error: line 3, column 1: tab used for indentation");
	CHECK_YAML("a: 1\na: 2\n", "error: line 2, column 1: duplicate mapping key");
	CHECK_YAML(
		"a: b: c\n",
		"error: line 1, column 5: a mapping cannot start here (a value on a key's line)");
	CHECK_YAML("a: [1]\n  b: 2\n", "error: line 2, column 3: bad indentation");
	CHECK_YAML(
		"a: 1\n  b: 2\n",
		"error: line 2, column 4: a mapping cannot start here (a value on a key's line)");
	CHECK_YAML("a:\n  b: 1\n c: 2\n", "error: line 3, column 2: bad indentation");
	CHECK_YAML("a: 1\nb\n", "error: line 2, column 2: expected ':' after a mapping key");
	CHECK_YAML("a: 1\n- b\n", "error: line 2, column 1: expected a mapping key, not a sequence "
				  "entry");
	CHECK_YAML("a: *nope\n", "error: line 1, column 9: unknown anchor");
	CHECK_YAML("a: &x [*x]\n", "error: line 1, column 10: unknown anchor");
	CHECK_YAML("a: @x\n", "error: line 1, column 4: unexpected character");
	CHECK_YAML("a: - b\n",
		   "error: line 1, column 4: a sequence cannot start here (a value on a "
		   "key's line)");
	CHECK_YAML("a: |\n  x\n\ty\n", "error: line 3, column 1: tab used for indentation");
	CHECK_YAML(
		"key: value\n  more: x\n",
		"error: line 2, column 7: a mapping cannot start here (a value on a key's line)");
	CHECK_YAML("a: 1\n--- b\n...\nc: [\n",
		   "error: line 5, column 1: unterminated flow collection");
	/* Tabs are fine as separation, and inside scalars. */
	CHECK_YAML("a:\tb\t# c\nd: \"\tx\"\n", "{\"a\": \"b\", \"d\": \"\tx\"}");
}

TEST(nul_byte_is_refused)
{
	struct yaml_tree t;
	struct yaml_error err;

	CHECK_EQ(yaml_parse("a: 1\nb: \0", 9, &t_allocator, NULL, &t, &err), -EINVAL);
	CHECK_EQ(err.line, 2);
	CHECK_EQ(err.col, 4);
	CHECK_EQ(live_allocs, 0);
}

/* ---------------------------------------------------------------- limits */

TEST(alias_bomb_is_refused)
{
	const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
	struct yaml_tree t;
	struct yaml_error err;

	CHECK_EQ(yaml_parse(bomb, strlen(bomb), &t_allocator, NULL, &t, &err), -E2BIG);
	CHECK_EQ(err.line, 5);
	CHECK_STR(err.msg, "too many nodes (aliases expanded)");
	CHECK_EQ(live_allocs, 0);
	/* Four levels (11,111 nodes expanded) are within the default limit. */
	CHECK_EQ(yaml_parse(bomb, strlen(bomb) - 47, &t_allocator, NULL, &t, &err), 0);
	CHECK_EQ(yaml_root(&t)->weight, 1 + 4 + 11 + 111 + 1111 + 11111); /* root, keys, a-d */
	yaml_free(&t);
}

TEST(depth_memory_and_input_limits)
{
	struct yaml_limits lim = { .max_depth = 4 };
	struct yaml_tree t;
	struct yaml_error err;
	char deep[3000];
	size_t n = 0;

	CHECK_EQ(yaml_parse("[[[[x]]]]", 9, &t_allocator, &lim, &t, &err), 0);
	yaml_free(&t);
	CHECK_EQ(yaml_parse("[[[[[x]]]]]", 11, &t_allocator, &lim, &t, &err), -E2BIG);
	CHECK_STR(err.msg, "nested too deeply");
	CHECK_EQ(yaml_parse("a:\n b:\n  c:\n   d:\n    e: 1\n", 26, &t_allocator, &lim, &t, &err),
		 -E2BIG);
	CHECK_EQ(err.line, 5);
	/* The default depth limit stops 1000 nested brackets long before the stack. */
	for (int i = 0; i < 1000; i++)
		deep[n++] = '[';
	CHECK_EQ(yaml_parse(deep, n, &t_allocator, NULL, &t, &err), -E2BIG);
	lim = (struct yaml_limits){ .max_memory = 16384 };
	memset(deep, 'x', sizeof(deep));
	deep[0] = '"';
	deep[sizeof(deep) - 1] = '"';
	CHECK_EQ(yaml_parse(deep, sizeof(deep), &t_allocator, &lim, &t, &err), 0);
	yaml_free(&t);
	lim.max_memory = 4096;
	CHECK_EQ(yaml_parse(deep, sizeof(deep), &t_allocator, &lim, &t, &err), -ENOMEM);
	lim = (struct yaml_limits){ .max_input = 100 };
	CHECK_EQ(yaml_parse(deep, 101, &t_allocator, &lim, &t, &err), -E2BIG);
	CHECK_EQ(live_allocs, 0);
}

static void *t_fail_alloc(void *ctx, size_t n)
{
	size_t *budget = ctx;

	if (!*budget)
		return NULL;
	(*budget)--;
	return t_alloc(NULL, n);
}

TEST(allocator_failure_frees_everything)
{
	const char *text = "a: [1, 2, 3]\nb: |\n  text\n";
	char big[10000];
	size_t budget = 0;
	struct yaml_alloc failing = { t_fail_alloc, t_free, &budget };
	struct yaml_tree t;
	struct yaml_error err;

	CHECK_EQ(yaml_parse(text, strlen(text), &failing, NULL, &t, &err), -ENOMEM);
	CHECK_STR(err.msg, "out of memory");
	memset(big, 'x', sizeof(big));
	memcpy(big, "a: [1, ", 7);
	budget = 1;
	CHECK_EQ(yaml_parse(big, sizeof(big), &failing, NULL, &t, &err), -ENOMEM);
	CHECK_EQ(live_allocs, 0);
}

/* ---------------------------------------------------------------- helpers */

TEST(typed_helpers)
{
	const char *text = "t: true\nT: True\nf: FALSE\ny: yes\nOff: Off\nq: 'true'\nbad: tru\n"
			   "i: -42\nh: 0x1F\no: 0o17\nmax: 9223372036854775807\n"
			   "min: -9223372036854775808\nover: 9223372036854775808\nnum: 1_000\n"
			   "m1: 0644\nm2: '0644'\nm3: 420\nm4: 0o755\nm5: \"755\"\nm6: 017777\n"
			   "m7: '08'\n";
	struct yaml_tree t;
	struct yaml_error err;
	const struct yaml_node *r;
	bool b = false;
	int64_t i = 0;
	uint32_t m = 0;

	CHECK_EQ(yaml_parse(text, strlen(text), &t_allocator, NULL, &t, &err), 0);
	r = yaml_root(&t);
	CHECK(yaml_bool(yaml_get(r, "t"), &b) == 0 && b);
	CHECK(yaml_bool(yaml_get(r, "T"), &b) == 0 && b);
	CHECK(yaml_bool(yaml_get(r, "f"), &b) == 0 && !b);
	CHECK_EQ(yaml_bool(yaml_get(r, "y"), &b), -EINVAL); /* YAML 1.2: a string */
	CHECK(yaml_bool_loose(yaml_get(r, "y"), &b) == 0 && b);
	CHECK(yaml_bool_loose(yaml_get(r, "Off"), &b) == 0 && !b);
	CHECK_EQ(yaml_bool(yaml_get(r, "q"), &b), -EINVAL);
	CHECK_EQ(yaml_bool_loose(yaml_get(r, "bad"), &b), -EINVAL);
	CHECK_EQ(yaml_bool(yaml_get(r, "missing"), &b), -EINVAL);
	CHECK(yaml_int(yaml_get(r, "i"), &i) == 0 && i == -42);
	CHECK(yaml_int(yaml_get(r, "h"), &i) == 0 && i == 31);
	CHECK(yaml_int(yaml_get(r, "o"), &i) == 0 && i == 15);
	CHECK(yaml_int(yaml_get(r, "max"), &i) == 0 && i == INT64_MAX);
	CHECK(yaml_int(yaml_get(r, "min"), &i) == 0 && i == INT64_MIN);
	CHECK_EQ(yaml_int(yaml_get(r, "over"), &i), -ERANGE);
	CHECK_EQ(yaml_int(yaml_get(r, "num"), &i), -EINVAL);
	CHECK_EQ(yaml_int(yaml_get(r, "m2"), &i), -EINVAL); /* quoted: a string */
	CHECK(yaml_mode(yaml_get(r, "m1"), &m) == 0 && m == 0644);
	CHECK(yaml_mode(yaml_get(r, "m2"), &m) == 0 && m == 0644);
	CHECK(yaml_mode(yaml_get(r, "m3"), &m) == 0 && m == 0644);
	CHECK(yaml_mode(yaml_get(r, "m4"), &m) == 0 && m == 0755);
	CHECK(yaml_mode(yaml_get(r, "m5"), &m) == 0 && m == 0755);
	CHECK_EQ(yaml_mode(yaml_get(r, "m6"), &m), -ERANGE);
	CHECK_EQ(yaml_mode(yaml_get(r, "m7"), &m), -EINVAL);
	CHECK(yaml_is(yaml_get(r, "q"), "true"));
	CHECK(!yaml_is(yaml_get(r, "q"), "tru"));
	CHECK(yaml_get(yaml_get(r, "t"), "x") == NULL);
	yaml_free(&t);
}

TEST(set_error_formats_with_place)
{
	struct yaml_node n = { .line = 4, .col = 3 };
	struct yaml_error err;
	char buf[100];

	yaml_set_error(&err, &n, "%s: expected a list", "write_files");
	yaml_error_format(&err, buf, sizeof(buf));
	CHECK_STR(buf, "line 4, column 3: write_files: expected a list");
	yaml_set_error(&err, NULL, "no place");
	yaml_error_format(&err, buf, sizeof(buf));
	CHECK_STR(buf, "no place");
}

/* ---------------------------------------------------------------- real configs */

TEST(cloud_config_from_cloud_init_docs)
{
	/* Written after cloud-init's documented examples (write_files, mounts). */
	CHECK_YAML(
		"#cloud-config\n"
		"write_files:\n"
		"- encoding: b64\n"
		"  content: CiMgVGhpcyBmaWxlIGNvbnRyb2xzIHRoZSBzdGF0ZSBvZiBTRUxpbnV4...\n"
		"  owner: root:root\n"
		"  path: /etc/sysconfig/selinux\n"
		"  permissions: '0644'\n"
		"- content: |\n"
		"    # My new /etc/sysconfig/samba file\n"
		"\n"
		"    SMBDOPTIONS=\"-D\"\n"
		"  path: /etc/sysconfig/samba\n"
		"- path: /bin/arch\n"
		"  permissions: '0555'\n"
		"  content: |\n"
		"    #!/bin/sh\n"
		"    echo \"$(uname -m)\"\n"
		"  append: true\n"
		"  defer: true\n"
		"mounts:\n"
		" - [ ephemeral0, /mnt, auto, \"defaults,noexec\" ]\n"
		" - [ sdc, /opt/data ]\n"
		" - [ xvdh, /opt/data, \"auto\", \"defaults,nofail\", \"0\", \"0\" ]\n"
		"hostname: myhost\n"
		"fqdn: myhost.example.com\n"
		"manage_etc_hosts: localhost\n",
		"{\"write_files\": [{\"encoding\": \"b64\", \"content\": "
		"\"CiMgVGhpcyBmaWxlIGNvbnRyb2xzIHRoZSBzdGF0ZSBvZiBTRUxpbnV4...\", \"owner\": "
		"\"root:root\", \"path\": \"/etc/sysconfig/selinux\", \"permissions\": \"0644\"}, "
		"{\"content\": \"# My new /etc/sysconfig/samba file\\n\\nSMBDOPTIONS=\"-D\"\\n\", "
		"\"path\": \"/etc/sysconfig/samba\"}, {\"path\": \"/bin/arch\", \"permissions\": "
		"\"0555\", \"content\": \"#!/bin/sh\\necho \"$(uname -m)\"\\n\", \"append\": "
		"\"true\", \"defer\": \"true\"}], \"mounts\": [[\"ephemeral0\", \"/mnt\", "
		"\"auto\", \"defaults,noexec\"], [\"sdc\", \"/opt/data\"], [\"xvdh\", "
		"\"/opt/data\", \"auto\", \"defaults,nofail\", \"0\", \"0\"]], \"hostname\": "
		"\"myhost\", \"fqdn\": \"myhost.example.com\", \"manage_etc_hosts\": "
		"\"localhost\"}");
}

TEST(netplan_v2_network_config)
{
	CHECK_YAML(
		"network:\n"
		"  version: 2\n"
		"  ethernets:\n"
		"    id0:\n"
		"      match:\n"
		"        macaddress: '00:11:22:33:44:55'\n"
		"      wakeonlan: true\n"
		"      dhcp4: true\n"
		"      addresses:\n"
		"        - 192.168.14.2/24\n"
		"        - \"2001:1::1/64\"\n"
		"      gateway4: 192.168.14.1\n"
		"      routes:\n"
		"        - to: 0.0.0.0/0\n"
		"          via: 11.0.0.1\n"
		"          metric: 3\n"
		"      nameservers:\n"
		"        search: [foo.local, bar.local]\n"
		"        addresses: [8.8.8.8]\n",
		"{\"network\": {\"version\": \"2\", \"ethernets\": {\"id0\": {\"match\": "
		"{\"macaddress\": \"00:11:22:33:44:55\"}, \"wakeonlan\": \"true\", \"dhcp4\": "
		"\"true\", \"addresses\": [\"192.168.14.2/24\", \"2001:1::1/64\"], \"gateway4\": "
		"\"192.168.14.1\", \"routes\": [{\"to\": \"0.0.0.0/0\", \"via\": \"11.0.0.1\", "
		"\"metric\": \"3\"}], \"nameservers\": {\"search\": [\"foo.local\", "
		"\"bar.local\"], \"addresses\": [\"8.8.8.8\"]}}}}}");
}

TEST(manifest)
{
	CHECK_YAML(
		"program: /usr/bin/redis-server\nargs: [--port, \"6379\", --save, \"\"]\n"
		"env:\n  LANG: C.UTF-8\nports:\n  - 6379:6379\nhealth: {tcp: 6379, retries: 3}\n",
		"{\"program\": \"/usr/bin/redis-server\", \"args\": [\"--port\", \"6379\", "
		"\"--save\", \"\"], \"env\": {\"LANG\": \"C.UTF-8\"}, \"ports\": [\"6379:6379\"], "
		"\"health\": {\"tcp\": \"6379\", \"retries\": \"3\"}}");
}

TEST(places_of_nodes)
{
	const char *text = "a:\n  - x\n  - {k: v}\n";
	struct yaml_tree t;
	struct yaml_error err;
	const struct yaml_node *seq, *m;

	CHECK_EQ(yaml_parse(text, strlen(text), &t_allocator, NULL, &t, &err), 0);
	seq = yaml_get(yaml_root(&t), "a");
	CHECK_EQ(seq->line, 2);
	CHECK_EQ(seq->col, 3);
	CHECK_EQ(seq->entries->value->col, 5);
	m = seq->entries->next->value;
	CHECK_EQ(m->line, 3);
	CHECK_EQ(m->col, 5);
	CHECK_EQ(yaml_get(m, "k")->col, 9);
	CHECK_EQ(t.ndocs, 1);
	yaml_free(&t);
	CHECK_EQ(live_allocs, 0);
}

int main(void)
{
	RUN(spec_2_1_to_2_4);
	RUN(spec_2_5_to_2_9);
	RUN(spec_2_10_anchors_and_2_12_compact);
	RUN(spec_2_13_to_2_16_block_scalars);
	RUN(spec_2_17_2_18_quoted);
	RUN(spec_7_13_7_14_7_15);
	RUN(spec_8_1_8_4_8_5_8_6_8_10);
	RUN(block_scalar_chomping_and_indentation);
	RUN(quoted_escapes);
	RUN(escapes_that_grow);
	RUN(plain_scalars_and_nulls);
	RUN(block_collections);
	RUN(flow_collections);
	RUN(errors_carry_line_and_column);
	RUN(nul_byte_is_refused);
	RUN(alias_bomb_is_refused);
	RUN(depth_memory_and_input_limits);
	RUN(allocator_failure_frees_everything);
	RUN(typed_helpers);
	RUN(set_error_formats_with_place);
	RUN(cloud_config_from_cloud_init_docs);
	RUN(netplan_v2_network_config);
	RUN(manifest);
	RUN(places_of_nodes);
	return unit_summary();
}
