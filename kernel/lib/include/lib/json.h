/*
 * A strict RFC 8259 JSON parser into a tree (the one JSON parser of the
 * tree: OCI config.json and state in the CLI, image manifests; built for
 * the host and, pure code, for the kernel).
 *
 * Why a tree and not a pull tokenizer: every consumer (an OCI config.json,
 * an image manifest) looks keys up in its own order and reports errors by
 * path, and the documents are small.  The tree lives in ONE block from the
 * caller's allocator, sized exactly by a first validating pass, so a
 * document costs one allocation and one free, and the memory limit is
 * checked before anything is built.  The parser is iterative: nesting
 * costs no C stack (depth only needs a bit per level), so the kernel's
 * small stack is safe at any depth limit.
 *
 * Strict: exactly RFC 8259's grammar.  No comments, no trailing commas, no
 * single quotes, no NaN/Infinity, no leading zeros or '+', no byte-order
 * mark (Go's encoding/json, which runc and podman use, refuses one too), no
 * control characters in strings, text after the value refused.  Strings
 * must be valid UTF-8 (RFC 3629: no overlong forms, no encoded surrogates,
 * nothing past U+10FFFF); \uXXXX escapes are decoded to UTF-8, a surrogate
 * pair to one 4-byte character, and a lone surrogate is an error (it has no
 * UTF-8 form).  \u0000 is allowed: a string's len counts its bytes and
 * json_cstr() refuses a string with a NUL inside.  Duplicate keys are kept;
 * json_get() returns the LAST one, as Go's encoding/json does (so monos
 * reads a config.json as runc does).
 *
 * Numbers keep their text.  json_int64()/json_uint64() read integers
 * exactly over the whole 64-bit range; json_double() (host only: the
 * kernel is built without floating point) converts any number, correctly
 * rounded.
 *
 * Nothing here sleeps or takes a lock beyond what the allocator does.
 */
#ifndef LIB_JSON_H
#define LIB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_kind {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER, /* str/len: the number's text as written */
	JSON_STRING, /* str/len: the decoded UTF-8 bytes */
	JSON_ARRAY,
	JSON_OBJECT,
};

/*
 * One value.  str is NUL terminated at len for strings and numbers ("" for
 * the others).  A value inside an object carries its member name in
 * key/key_len (decoded, NUL terminated; NULL elsewhere).  Arrays and
 * objects list their values in order from child through next.
 */
struct json_node {
	enum json_kind kind;
	uint32_t line, col; /* where the value starts: from 1, col in bytes */
	const char *str;
	size_t len;
	const char *key;
	size_t key_len;
	const struct json_node *up;    /* the enclosing array or object; NULL at the root */
	const struct json_node *child; /* arrays and objects: the first value */
	const struct json_node *next;  /* the next value in the same array or object */
	size_t count;		       /* arrays and objects: number of values */
};

/* The allocator: alloc returns @n bytes (aligned for any object) or NULL;
 * free takes back what alloc returned. */
struct json_alloc {
	void *(*alloc)(void *ctx, size_t n);
	void (*free)(void *ctx, void *p);
	void *ctx;
};

/* Limits; a zero field takes the default below. */
struct json_limits {
	size_t max_input;   /* bytes of text */
	unsigned max_depth; /* nesting of arrays and objects, at most JSON_DEPTH_CAP */
	size_t max_memory;  /* bytes of the tree's block */
	size_t max_nodes;   /* values in the document */
};
#define JSON_DEFAULT_MAX_INPUT	(4u << 20) /* a podman config.json is ~10 KiB */
#define JSON_DEFAULT_MAX_DEPTH	64
#define JSON_DEFAULT_MAX_MEMORY (32u << 20)
#define JSON_DEFAULT_MAX_NODES	200000
#define JSON_DEPTH_CAP		1024 /* the parser keeps one bit per level */

/* A parsed document: its root and the block it lives in. */
struct json_doc {
	const struct json_node *root;
	size_t memory;		 /* bytes of the block */
	void *block;		 /* private */
	struct json_alloc alloc; /* private */
};

#define JSON_MSG_MAX 96

/* Where and why parsing failed: print as "line L, column C: MSG". */
struct json_error {
	uint32_t line, col; /* from 1 (col in bytes); 0 for a limit of the whole input */
	size_t offset;	    /* bytes from the start of the text */
	char msg[JSON_MSG_MAX];
};

/*
 * json_parse - parse the @len bytes at @text (no NUL needed) as one JSON
 * value into @doc, with memory from @alloc and @limits (NULL: defaults).
 * Returns 0; or -EINVAL for text that is not JSON, -E2BIG past a limit of
 * input, depth or nodes, -ENOMEM if the block is over max_memory or the
 * allocator failed: then @err (if not NULL) says where and why, and @doc
 * holds nothing (json_free() on it is harmless).
 */
int json_parse(const char *text, size_t len, const struct json_alloc *alloc,
	       const struct json_limits *limits, struct json_doc *doc, struct json_error *err);

/* json_free - give back @doc's block; its nodes are gone. */
void json_free(struct json_doc *doc);

/* json_get - the value of member @key of object @obj (the last, if the key
 * is repeated), or NULL if @obj is NULL, not an object, or has no @key. */
const struct json_node *json_get(const struct json_node *obj, const char *key);

/* json_kind_name - "null", "a boolean", "a number", "a string", "an array"
 * or "an object", for messages such as "process.args: expected an array,
 * found a string". */
const char *json_kind_name(enum json_kind kind);

/* json_cstr - @n's text if @n is a string without a NUL inside, else NULL. */
const char *json_cstr(const struct json_node *n);

/* json_bool - 0 with *@out set if @n is true or false, else -EINVAL. */
int json_bool(const struct json_node *n, bool *out);

/*
 * json_int64 / json_uint64 - the integer @n holds, exactly.  Returns 0
 * with *@out set; -EINVAL if @n is not a number or has a fraction or an
 * exponent (1.0 and 1e3 are refused, as Go refuses them for an int64);
 * -ERANGE if it does not fit (a negative number for json_uint64).
 */
int json_int64(const struct json_node *n, int64_t *out);
int json_uint64(const struct json_node *n, uint64_t *out);

#ifdef __SSE2__
/*
 * json_double - @n's number, correctly rounded to a double (strtod in the
 * C locale).  Returns 0; -EINVAL if @n is not a number; -ERANGE if its
 * magnitude overflows a double (underflow gives 0 or a subnormal, as Go).
 * Host only: the kernel is built with -mno-sse.
 */
int json_double(const struct json_node *n, double *out);
#endif

#endif
