/*
 * The YAML parser's reading of the text (see yaml_impl.h): positions, line
 * breaks, blanks and comments, indentation, and the three kinds of
 * scalars (plain, quoted, block).  A scalar's extent in the text is found
 * first, then its text is decoded into memory of that size plus one, which
 * always suffices: decoding never grows text (a folded line break becomes
 * at most one byte), except the escapes \L and \P of quoted scalars, which
 * grow by half (2 bytes to 3 of UTF-8).
 */
#include <lib/errno.h>
#include <lib/string.h>
#include "yaml_impl.h"

/* ---------------------------------------------------------------- the text */

char yaml_peek(const struct yaml_parser *p, size_t k)
{
	return p->m.pos + k < p->len ? p->s[p->m.pos + k] : '\0';
}

bool yaml_is_break(char c)
{
	return c == '\n' || c == '\r';
}

bool yaml_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Blank, break, or the end of the text (the text holds no NUL). */
bool yaml_is_blankz(char c)
{
	return yaml_is_ws(c) || yaml_is_break(c) || c == '\0';
}

bool yaml_is_flow_indicator(char c)
{
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

int yaml_col(const struct yaml_parser *p)
{
	return (int)(p->m.pos - p->m.line_start);
}

bool yaml_at_end(const struct yaml_parser *p)
{
	return p->m.pos >= p->len;
}

/* Step over the line break at the position ("\n", "\r\n" or "\r"). */
void yaml_next_line(struct yaml_parser *p)
{
	if (yaml_peek(p, 0) == '\r' && yaml_peek(p, 1) == '\n')
		p->m.pos++;
	p->m.pos++;
	p->m.line++;
	p->m.line_start = p->m.pos;
}

/* Record the first error (at @at); returns NULL. */
void *yaml_fail_at(struct yaml_parser *p, struct yaml_mark at, int rc, const char *msg)
{
	if (!p->rc) {
		p->rc = rc;
		if (p->err) {
			p->err->line = at.line;
			p->err->col = (uint32_t)(at.pos - at.line_start) + 1;
			strncpy(p->err->msg, msg, YAML_MSG_MAX - 1);
			p->err->msg[YAML_MSG_MAX - 1] = '\0';
		}
	}
	return NULL;
}

void *yaml_fail(struct yaml_parser *p, const char *msg)
{
	return yaml_fail_at(p, p->m, -EINVAL, msg);
}

/* "---" or "..." at column 0, followed by a blank: a document marker. */
bool yaml_at_marker(const struct yaml_parser *p, char c)
{
	return yaml_col(p) == 0 && yaml_peek(p, 0) == c && yaml_peek(p, 1) == c &&
	       yaml_peek(p, 2) == c && yaml_is_blankz(yaml_peek(p, 3));
}

bool yaml_at_doc_boundary(const struct yaml_parser *p)
{
	return yaml_at_end(p) || yaml_at_marker(p, '-') || yaml_at_marker(p, '.');
}

/* ':' as a value indicator: followed by a blank (or, in flow, an indicator). */
bool yaml_at_colon(const struct yaml_parser *p, bool flow)
{
	char c = yaml_peek(p, 1);

	return yaml_peek(p, 0) == ':' && (yaml_is_blankz(c) || (flow && yaml_is_flow_indicator(c)));
}

/* "-" followed by a blank: a block sequence entry. */
bool yaml_at_dash(const struct yaml_parser *p)
{
	return yaml_peek(p, 0) == '-' && yaml_is_blankz(yaml_peek(p, 1)) &&
	       !yaml_at_doc_boundary(p);
}

/* Skip blanks and a comment on the current line; stops at its break. */
void yaml_skip_inline(struct yaml_parser *p)
{
	while (yaml_is_ws(yaml_peek(p, 0)))
		p->m.pos++;
	if (yaml_peek(p, 0) == '#')
		while (!yaml_is_break(yaml_peek(p, 0)) && !yaml_at_end(p))
			p->m.pos++;
}

/* At a line's start: its leading spaces; a tab before content is an error. */
static bool yaml_skip_indentation(struct yaml_parser *p)
{
	struct yaml_mark tab;

	while (yaml_peek(p, 0) == ' ')
		p->m.pos++;
	if (yaml_peek(p, 0) != '\t')
		return true;
	tab = p->m;
	while (yaml_is_ws(yaml_peek(p, 0)))
		p->m.pos++;
	if (yaml_is_break(yaml_peek(p, 0)) || yaml_peek(p, 0) == '#' || yaml_at_end(p))
		return true;
	return yaml_fail_at(p, tab, -EINVAL, "tab used for indentation");
}

/*
 * Move to the next content: past blanks, comments and line breaks (the
 * position may be at a line's start, then its indentation is checked).
 * Returns false on error.
 */
bool yaml_skip_space(struct yaml_parser *p)
{
	if (p->m.pos == p->m.line_start && !yaml_skip_indentation(p))
		return false;
	for (;;) {
		yaml_skip_inline(p);
		if (!yaml_is_break(yaml_peek(p, 0)))
			return true;
		yaml_next_line(p);
		if (!yaml_skip_indentation(p))
			return false;
	}
}

/*
 * The column of the content at the position if only spaces precede it on
 * its line; -1 at a document boundary (which ends every block), and -2 if
 * other content precedes it on its line.
 */
int yaml_indent(const struct yaml_parser *p)
{
	if (yaml_at_end(p))
		return -1;
	for (size_t i = p->m.line_start; i < p->m.pos; i++)
		if (p->s[i] != ' ')
			return -2;
	return yaml_at_doc_boundary(p) ? -1 : yaml_col(p);
}

/* ---------------------------------------------------------------- scalars */

/* Room for a scalar decoded from @srclen bytes of text. */
static char *yaml_text_buf(struct yaml_parser *p, size_t srclen)
{
	char *b = yaml_arena_alloc(p->tree, srclen + 1);

	if (!b)
		yaml_fail_at(p, p->m, -ENOMEM, "out of memory");
	return b;
}

/* Finish a scalar node of text @b (@n bytes); plain null words are nulls. */
static struct yaml_node *yaml_scalar(struct yaml_parser *p, struct yaml_mark at,
				     enum yaml_style style, char *b, size_t n)
{
	struct yaml_node *node = yaml_new(p, YAML_SCALAR, at);

	if (!node)
		return NULL;
	b[n] = '\0';
	node->style = style;
	node->str = b;
	node->len = n;
	if (style == YAML_PLAIN && (n == 0 || !strcmp(b, "~") || !strcmp(b, "null") ||
				    !strcmp(b, "Null") || !strcmp(b, "NULL")))
		node->kind = YAML_NULL;
	return node;
}

/*
 * Fold the line break at the position inside a multi-line flow or plain
 * scalar (YAML 1.2 section 6.5): drop the blanks written before it (except
 * the first @keep bytes of @b, which escapes made), skip the following
 * empty lines and the next line's leading blanks, and write one space, or
 * one newline per empty line.
 */
static void yaml_fold_break(struct yaml_parser *p, char *b, size_t *n, size_t keep)
{
	unsigned empty = 0;

	while (*n > keep && yaml_is_ws(b[*n - 1]))
		(*n)--;
	yaml_next_line(p);
	for (;;) {
		while (yaml_is_ws(yaml_peek(p, 0)))
			p->m.pos++;
		if (!yaml_is_break(yaml_peek(p, 0)))
			break;
		yaml_next_line(p);
		empty++;
	}
	if (!empty)
		b[(*n)++] = ' ';
	while (empty--)
		b[(*n)++] = '\n';
}

/* Write code point @cp as UTF-8; false if it is not a Unicode scalar value. */
static bool yaml_put_utf8(char *b, size_t *n, uint32_t cp)
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	if (cp < 0x80) {
		b[(*n)++] = (char)cp;
		return true;
	}
	if (cp < 0x800) {
		b[(*n)++] = (char)(0xc0 | cp >> 6);
	} else if (cp < 0x10000) {
		b[(*n)++] = (char)(0xe0 | cp >> 12);
		b[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
	} else {
		b[(*n)++] = (char)(0xf0 | cp >> 18);
		b[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
	}
	b[(*n)++] = (char)(0x80 | (cp & 0x3f));
	return true;
}

static int yaml_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* The one-character escapes of YAML 1.2 section 5.7, as pairs "escape, value". */
static const char yaml_escapes[] = "0\0a\ab\bt\tn\nv\vf\fr\re\x1b  \"\"//\\\\\t\t";

/* Decode the escape after a backslash (the position is past the backslash). */
static bool yaml_escape(struct yaml_parser *p, char *b, size_t *n)
{
	char c = yaml_peek(p, 0);
	unsigned digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
	uint32_t cp = 0;

	for (size_t i = 0; i + 1 < sizeof(yaml_escapes); i += 2)
		if (c == yaml_escapes[i] && !yaml_at_end(p)) {
			b[(*n)++] = yaml_escapes[i + 1];
			p->m.pos++;
			return true;
		}
	if (c == 'N' || c == '_' || c == 'L' || c == 'P') {
		p->m.pos++; /* U+0085, U+00A0, U+2028, U+2029 */
		return yaml_put_utf8(b, n,
				     c == 'N'	? 0x85
				     : c == '_' ? 0xa0
				     : c == 'L' ? 0x2028
						: 0x2029);
	}
	if (!digits)
		return yaml_fail(p, "unknown escape sequence");
	p->m.pos++;
	for (unsigned i = 0; i < digits; i++, p->m.pos++) {
		int v = yaml_hex(yaml_peek(p, 0));

		if (v < 0)
			return yaml_fail(p, "bad hexadecimal escape");
		cp = cp << 4 | (uint32_t)v;
	}
	if (!yaml_put_utf8(b, n, cp))
		return yaml_fail(p, "escape is not a valid character");
	return true;
}

/* The bytes from the position (at quote @q) to the closing quote, at most. */
static size_t yaml_quoted_extent(const struct yaml_parser *p, char q)
{
	size_t i = p->m.pos + 1;

	while (i < p->len && (p->s[i] != q || (q == '\'' && i + 1 < p->len && p->s[i + 1] == q))) {
		if ((q == '"' && p->s[i] == '\\') || (q == '\'' && p->s[i] == q))
			i++; /* an escape, or '' */
		i++;
	}
	return i - p->m.pos;
}

/* One step inside a quoted scalar: a character, an escape or a line break. */
static bool yaml_quoted_step(struct yaml_parser *p, char q, char *b, size_t *n, size_t *keep)
{
	char c = yaml_peek(p, 0);

	if (q == '\'' && c == '\'') { /* '' inside single quotes */
		b[(*n)++] = '\'';
		p->m.pos += 2;
	} else if (q == '"' && c == '\\' && yaml_is_break(yaml_peek(p, 1))) {
		p->m.pos++; /* an escaped line break: joined without a space */
		yaml_next_line(p);
		while (yaml_is_ws(yaml_peek(p, 0)))
			p->m.pos++;
		*keep = *n;
	} else if (q == '"' && c == '\\') {
		p->m.pos++;
		if (!yaml_escape(p, b, n))
			return false;
		*keep = *n;
	} else if (yaml_is_break(c)) {
		yaml_fold_break(p, b, n, *keep);
		if (yaml_at_doc_boundary(p) && !yaml_at_end(p))
			return yaml_fail(p, "document marker inside a quoted scalar");
	} else {
		b[(*n)++] = c;
		p->m.pos++;
	}
	return true;
}

/* A single- or double-quoted scalar; the position is at its quote. */
struct yaml_node *yaml_quoted(struct yaml_parser *p)
{
	struct yaml_mark at = p->m;
	char q = yaml_peek(p, 0);
	size_t extent = yaml_quoted_extent(p, q);
	char *b = yaml_text_buf(p, extent + extent / 2); /* \L: 2 bytes to 3 */
	size_t n = 0, keep = 0;

	if (!b)
		return NULL;
	p->m.pos++;
	while (!(yaml_peek(p, 0) == q && !(q == '\'' && yaml_peek(p, 1) == '\''))) {
		if (yaml_at_end(p))
			return yaml_fail_at(p, at, -EINVAL, "unterminated quoted scalar");
		if (!yaml_quoted_step(p, q, b, &n, &keep))
			return NULL;
	}
	p->m.pos++;
	return yaml_scalar(p, at, q == '"' ? YAML_DOUBLE : YAML_SINGLE, b, n);
}

/* Whether the position can start a plain scalar (YAML 1.2 ns-plain-first). */
bool yaml_plain_start(const struct yaml_parser *p, bool flow)
{
	char c = yaml_peek(p, 0), d = yaml_peek(p, 1);

	if (yaml_is_blankz(c) || strchr(",[]{}#&*!|>'\"%@`", c))
		return false;
	if (c == '-' || c == '?' || c == ':')
		return !yaml_is_blankz(d) && !(flow && yaml_is_flow_indicator(d));
	return true;
}

/* Move past this line's plain text; returns where it ends, blanks trimmed. */
static size_t yaml_plain_line(struct yaml_parser *p, bool flow)
{
	size_t end = p->m.pos;

	while (!yaml_at_end(p)) {
		char c = yaml_peek(p, 0);

		if (yaml_is_break(c) || yaml_at_colon(p, flow) ||
		    (flow && yaml_is_flow_indicator(c)))
			break;
		if (yaml_is_ws(c) && yaml_peek(p, 1) == '#')
			break;
		p->m.pos++;
		if (!yaml_is_ws(c))
			end = p->m.pos;
	}
	return end;
}

/*
 * Whether a plain scalar continues on a later line (the position is at the
 * end of its text on this line): the next non-empty line is indented past
 * @parent (in flow: anywhere) and starts with neither a comment, a
 * document marker nor (in flow) an indicator.  Then the position is at the
 * continuation; else it is unchanged.
 */
static bool yaml_plain_continues(struct yaml_parser *p, int parent, bool flow)
{
	struct yaml_mark save = p->m;

	while (yaml_is_ws(yaml_peek(p, 0)))
		p->m.pos++;
	if (!yaml_is_break(yaml_peek(p, 0)))
		goto no;
	while (yaml_is_break(yaml_peek(p, 0))) {
		yaml_next_line(p);
		while (yaml_peek(p, 0) == ' ' || (flow && yaml_peek(p, 0) == '\t'))
			p->m.pos++;
		while (yaml_is_ws(yaml_peek(p, 0)) && yaml_is_break(yaml_peek(p, 1)))
			p->m.pos++;
	}
	if (yaml_at_doc_boundary(p) || yaml_peek(p, 0) == '#' || (!flow && yaml_col(p) <= parent) ||
	    (flow && (yaml_is_flow_indicator(yaml_peek(p, 0)) || yaml_at_colon(p, true))))
		goto no;
	if (yaml_peek(p, 0) == '\t')
		return yaml_fail(p, "tab used for indentation");
	return true;
no:
	p->m = save;
	return false;
}

/*
 * A plain scalar: its first line from the position and, unless it is a
 * mapping key (@key), its continuation lines, folded.  Two passes: the first
 * finds the extent, the second copies the text.
 */
struct yaml_node *yaml_plain(struct yaml_parser *p, int parent, bool flow, bool key)
{
	struct yaml_mark at = p->m, end;
	size_t n = 0;
	char *b;

	yaml_plain_line(p, flow);
	while (!key && yaml_plain_continues(p, parent, flow))
		yaml_plain_line(p, flow);
	if (p->rc)
		return NULL;
	end = p->m;
	b = yaml_text_buf(p, end.pos - at.pos);
	if (!b)
		return NULL;
	p->m = at;
	for (;;) {
		size_t start = p->m.pos, e = yaml_plain_line(p, flow);

		memcpy(b + n, p->s + start, e - start);
		n += e - start;
		if (p->m.pos >= end.pos)
			break;
		while (yaml_is_ws(yaml_peek(p, 0)))
			p->m.pos++;
		yaml_fold_break(p, b, &n, n);
	}
	p->m = end;
	return yaml_scalar(p, at, YAML_PLAIN, b, n);
}

/* ---------------------------------------------------------------- block scalars */

struct yaml_block {
	bool literal;
	char chomp; /* '-' strip, '+' keep, 0 clip */
	int indent; /* the content's indentation; -1 until detected */
	bool given; /* the header gave the indentation */
	int parent; /* the enclosing block collection's column, -1 at top level */
};

/* The header after | or >: chomping and indentation indicators, a comment. */
static bool yaml_block_header(struct yaml_parser *p, struct yaml_block *h)
{
	h->literal = yaml_peek(p, 0) == '|';
	h->chomp = 0;
	h->indent = -1;
	p->m.pos++;
	for (int i = 0; i < 2; i++) {
		char c = yaml_peek(p, 0);

		if ((c == '-' || c == '+') && !h->chomp)
			h->chomp = c;
		else if (c >= '1' && c <= '9' && !h->given)
			h->indent = (h->parent < 0 ? 0 : h->parent) + (c - '0'), h->given = true;
		else
			break;
		p->m.pos++;
	}
	if (!yaml_is_blankz(yaml_peek(p, 0)))
		return yaml_fail(p, "bad block scalar header");
	yaml_skip_inline(p);
	if (!yaml_is_break(yaml_peek(p, 0)) && !yaml_at_end(p))
		return yaml_fail(p, "bad block scalar header");
	return true;
}

/* Write the line breaks before a content line (YAML 1.2 section 8.1.3). */
static size_t yaml_block_join(char *b, size_t n, unsigned breaks, bool first, bool fold)
{
	if (first || (fold && breaks > 1)) {
		breaks--; /* the header's own break, or one folded away */
	} else if (fold) {
		if (b)
			b[n] = ' ';
		return n + 1;
	}
	for (; breaks; breaks--, n++)
		if (b)
			b[n] = '\n';
	return n;
}

/*
 * The block scalar's lines, from the header's break at the position: its
 * text is written to @b (if not NULL) and its length returned.  Stops at
 * the break before the first line that is less indented (or a document
 * marker).  *@trailing gets the breaks after the last content.
 */
static size_t yaml_block_lines(struct yaml_parser *p, struct yaml_block *h, char *b,
			       unsigned *trailing)
{
	size_t n = 0;
	unsigned breaks = 0;
	bool any = false, prev_more = false;

	while (!yaml_at_end(p)) {
		struct yaml_mark before = p->m;
		int k = 0;
		bool more;

		yaml_next_line(p);
		breaks++;
		while (yaml_peek(p, (size_t)k) == ' ')
			k++;
		if ((yaml_is_break(yaml_peek(p, (size_t)k)) || p->m.pos + (size_t)k >= p->len) &&
		    (h->indent < 0 || k <= h->indent)) {
			p->m.pos += (size_t)k; /* an empty line */
			continue;
		}
		if (h->indent < 0 && k > h->parent)
			h->indent = k;
		if (h->indent < 0 || k < h->indent || yaml_at_doc_boundary(p)) {
			p->m = before; /* the break before that line: the caller's */
			break;
		}
		p->m.pos += (size_t)h->indent;
		more = yaml_is_ws(yaml_peek(p, 0));
		n = yaml_block_join(b, n, breaks, !any, !h->literal && !more && !prev_more);
		for (; !yaml_is_break(yaml_peek(p, 0)) && !yaml_at_end(p); p->m.pos++, n++)
			if (b)
				b[n] = p->s[p->m.pos];
		breaks = 0;
		any = true;
		prev_more = more;
	}
	*trailing = any || !breaks ? breaks : breaks - 1;
	return n;
}

/* A block scalar (| or >); the position is at the indicator. */
struct yaml_node *yaml_block_scalar(struct yaml_parser *p, int parent)
{
	struct yaml_mark at = p->m, body;
	struct yaml_block h = { .parent = parent };
	unsigned trailing;
	size_t n;
	char *b;

	if (!yaml_block_header(p, &h))
		return NULL;
	body = p->m;
	yaml_block_lines(p, &h, NULL, &trailing);
	/* Every byte written stands for one in the text, the final break included. */
	b = yaml_text_buf(p, p->m.pos - body.pos + 1);
	if (!b)
		return NULL;
	p->m = body;
	if (!h.given)
		h.indent = -1;
	n = yaml_block_lines(p, &h, b, &trailing);
	if (h.chomp == '+' || (!h.chomp && n && trailing))
		for (unsigned i = h.chomp == '+' ? trailing : 1; i; i--)
			b[n++] = '\n';
	return yaml_scalar(p, at, h.literal ? YAML_LITERAL : YAML_FOLDED, b, n);
}
