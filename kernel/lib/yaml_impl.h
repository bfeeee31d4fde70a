/*
 * Private to the YAML parser: the parser's state and what its files share.
 * yaml_scalar.c reads the text (positions, blanks, comments, scalars);
 * yaml.c builds collections and documents on top of it and owns the arena.
 * Every function here records the first error in the parser and returns
 * NULL or false; callers stop at the first failure.
 */
#ifndef LIB_YAML_IMPL_H
#define LIB_YAML_IMPL_H

#include <lib/yaml.h>

/* A position in the text, saved to look ahead and come back. */
struct yaml_mark {
	size_t pos, line_start;
	uint32_t line; /* from 1 */
};

struct yaml_anchor {
	const char *name;
	size_t len;
	struct yaml_node *node;
	struct yaml_anchor *next;
};

struct yaml_parser {
	const char *s; /* the text: no NUL inside (yaml_parse checks) */
	size_t len;
	struct yaml_mark m;
	struct yaml_tree *tree;
	struct yaml_limits lim;
	unsigned depth;		     /* collections open around the position */
	struct yaml_anchor *anchors; /* of the current document, newest first */
	struct yaml_error *err;
	int rc; /* the first error (-errno), 0 while none */
};

/* yaml.c */
void *yaml_arena_alloc(struct yaml_tree *t, size_t n);
struct yaml_node *yaml_new(struct yaml_parser *p, enum yaml_kind kind, struct yaml_mark at);

/* yaml_scalar.c: the text */
char yaml_peek(const struct yaml_parser *p, size_t k);
bool yaml_is_break(char c);
bool yaml_is_ws(char c);
bool yaml_is_blankz(char c);
bool yaml_is_flow_indicator(char c);
int yaml_col(const struct yaml_parser *p);
bool yaml_at_end(const struct yaml_parser *p);
void yaml_next_line(struct yaml_parser *p);
bool yaml_at_marker(const struct yaml_parser *p, char c);
bool yaml_at_doc_boundary(const struct yaml_parser *p);
bool yaml_at_colon(const struct yaml_parser *p, bool flow);
bool yaml_at_dash(const struct yaml_parser *p);
void yaml_skip_inline(struct yaml_parser *p);
bool yaml_skip_space(struct yaml_parser *p);
int yaml_indent(const struct yaml_parser *p);
void *yaml_fail_at(struct yaml_parser *p, struct yaml_mark at, int rc, const char *msg);
void *yaml_fail(struct yaml_parser *p, const char *msg);

/* yaml_scalar.c: scalars, the position at their first character */
bool yaml_plain_start(const struct yaml_parser *p, bool flow);
struct yaml_node *yaml_plain(struct yaml_parser *p, int parent, bool flow, bool key);
struct yaml_node *yaml_quoted(struct yaml_parser *p);
struct yaml_node *yaml_block_scalar(struct yaml_parser *p, int parent);

#endif
