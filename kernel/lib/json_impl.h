/*
 * Private to the JSON parser: the parser's state and what its files share.
 * json.c runs the state machine, builds the tree and reports errors;
 * json_string.c reads strings (escapes, UTF-8).  Every function here
 * records the first error in the parser and returns false or NULL; callers
 * stop at the first failure.
 */
#ifndef LIB_JSON_IMPL_H
#define LIB_JSON_IMPL_H

#include <lib/json.h>

struct json_parser {
	const char *s;
	size_t len, pos;
	uint32_t line;	   /* of pos, from 1 */
	size_t line_start; /* offset of the line's first byte */
	struct json_limits lim;
	struct json_error *err;
	int rc; /* the first error, 0 while none */

	unsigned depth; /* open arrays and objects */
	uint64_t open[JSON_DEPTH_CAP / 64];

	/* Counted by both passes. */
	size_t nodes, str_bytes;

	/* The build pass only (build true): the block's two regions. */
	bool build;
	struct json_node *node_mem, *node_end;
	char *str_mem, *str_end;
	struct json_node *root, *cur, **tail;
	const char *key; /* the member name waiting for its value */
	size_t key_len;
};

/* json.c */
bool json_fail_at(struct json_parser *p, size_t pos, int rc, const char *msg);
bool json_fail(struct json_parser *p, const char *msg);
int json_peek(const struct json_parser *p);

/* json_string.c */
size_t json_utf8_len(const struct json_parser *p, unsigned char c0);
char *json_str_room(struct json_parser *p, size_t n);
bool json_string(struct json_parser *p, const char **s, size_t *n);

#endif
