/*
 * A YAML 1.2 parser for the subset that cloud-configs, netplan v2 network
 * configs and monos.yaml manifests use (design.md contract 22: one parser
 * serves the kernel, which reads cloud-init seeds, and the host CLI, which
 * reads manifests).
 *
 * Understood: block mappings and sequences (with "- key: v" compact nested
 * mappings, and "key:\n- a" sequences at the key's indentation), flow
 * sequences and mappings ([a, b], {a: 1}, [a: 1] single pairs), plain,
 * single- and double-quoted scalars (escapes \0 \a \b \t \n \v \f \r \e
 * \" \/ \\ \N \_ \L \P \xNN \uNNNN \UNNNNNNNN and escaped line breaks),
 * block scalars | and > with chomping (-, +) and indentation (1-9)
 * indicators, comments (so "#cloud-config" is one), several documents
 * separated by --- and ended by ..., directives (%YAML) skipped, tags
 * skipped (except that !!str makes a plain scalar a string), anchors and
 * aliases.  Not understood, and refused with an error: explicit keys (?),
 * multi-line implicit keys, flow collections as keys.  Tabs used as
 * indentation are errors, as YAML says.
 *
 * The input is untrusted.  Every limit is checked: input size, nesting
 * depth, memory, and the number of nodes the tree holds with every alias
 * expanded (so a "billion laughs" alias bomb is refused instead of being
 * handed to a consumer that walks it).  An alias shares its anchor's node;
 * an alias can only name a node that is complete, so the tree has no
 * cycles.
 *
 * Memory comes from the caller's allocator (kmalloc in the kernel, malloc
 * on the host) in chunks that yaml_free() returns all at once.
 * Nothing here sleeps or takes a lock beyond what the allocator does.
 */
#ifndef LIB_YAML_H
#define LIB_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum yaml_kind {
	YAML_NULL,   /* an empty node, or plain ~, null, Null, NULL */
	YAML_SCALAR, /* any other scalar: the text is in str/len */
	YAML_SEQ,
	YAML_MAP,
};

enum yaml_style {
	YAML_PLAIN,
	YAML_SINGLE, /* 'quoted' */
	YAML_DOUBLE, /* "quoted" */
	YAML_LITERAL,
	YAML_FOLDED,
	YAML_FLOW,  /* a [flow] or {flow} collection */
	YAML_BLOCK, /* a block collection */
};

struct yaml_entry;

/* One node.  Scalars' text is NUL terminated (it may hold other NULs from
 * escapes: use len); a NULL node's str is "" or its text ("~", "null"). */
struct yaml_node {
	enum yaml_kind kind;
	enum yaml_style style;
	uint32_t line, col;	    /* where the node starts, both from 1 */
	const char *str;	    /* scalars and nulls */
	size_t len;		    /* scalars and nulls: bytes at str */
	struct yaml_entry *entries; /* sequences and mappings, in order */
	size_t count;		    /* number of entries */
	size_t weight;		    /* nodes reachable from here, aliases expanded */
};

/* A sequence item (key NULL) or a mapping pair.  Keys are unique scalars
 * (or nulls) within a mapping. */
struct yaml_entry {
	const struct yaml_node *key;
	const struct yaml_node *value; /* never NULL; shared if it came from an alias */
	struct yaml_entry *next;
};

/* The allocator: alloc returns @n bytes (aligned for any object) or NULL;
 * free takes back what alloc returned. */
struct yaml_alloc {
	void *(*alloc)(void *ctx, size_t n);
	void (*free)(void *ctx, void *p);
	void *ctx;
};

/* Limits; a zero field takes the default below. */
struct yaml_limits {
	size_t max_input;   /* bytes of text */
	unsigned max_depth; /* nesting of collections (also bounds the C stack) */
	size_t max_memory;  /* bytes taken from the allocator */
	size_t max_nodes;   /* nodes of each document, aliases expanded */
};
#define YAML_DEFAULT_MAX_INPUT (1u << 20)
/* Each level of nesting takes about 350 bytes of stack in the kernel build
 * (gcc -fstack-usage: block node, content and value frames), so 16 levels
 * stay under 6 KiB of a 16 KiB kernel stack; netplan configs nest 6 deep. */
#define YAML_DEFAULT_MAX_DEPTH	16
#define YAML_DEFAULT_MAX_MEMORY (8u << 20)
#define YAML_DEFAULT_MAX_NODES	100000

struct yaml_doc {
	struct yaml_node *root; /* a YAML_NULL node for an empty document */
	struct yaml_doc *next;
};

struct yaml_chunk;

/* A parsed stream: its documents, and the memory they live in. */
struct yaml_tree {
	struct yaml_doc *docs; /* NULL for a stream without documents */
	size_t ndocs;
	struct yaml_chunk *chunks; /* private */
	struct yaml_alloc alloc;   /* private */
	size_t memory;		   /* bytes taken from the allocator */
	size_t max_memory;	   /* private: the limit on memory */
};

#define YAML_MSG_MAX 160

/* Where and why parsing (or a helper) failed. */
struct yaml_error {
	uint32_t line, col; /* from 1; 0 if not tied to a place */
	char msg[YAML_MSG_MAX];
};

/*
 * yaml_parse - parse @len bytes of YAML at @text (a UTF-8 byte-order mark
 * is skipped) into @tree, with memory from @alloc and @limits (NULL: the
 * defaults).  Returns 0; or -EINVAL for malformed YAML, -E2BIG past a
 * limit of size, depth or nodes, -ENOMEM if the allocator failed or the
 * memory limit was reached: then @err (if not NULL) says where and why and
 * @tree holds nothing to free (yaml_free() on it is harmless).
 */
int yaml_parse(const char *text, size_t len, const struct yaml_alloc *alloc,
	       const struct yaml_limits *limits, struct yaml_tree *tree, struct yaml_error *err);

/* yaml_free - give back all of @tree's memory; its nodes are gone. */
void yaml_free(struct yaml_tree *tree);

/* yaml_root - the first document's root, or NULL if there is none. */
const struct yaml_node *yaml_root(const struct yaml_tree *tree);

/*
 * yaml_error_format - write "line L, column C: MSG" (or just MSG if @err has
 * no place) into @buf of @size bytes, NUL terminated and truncated to fit.
 * Returns the length the whole text has.
 */
int yaml_error_format(const struct yaml_error *err, char *buf, size_t size);

/*
 * yaml_set_error - fill @err (if not NULL) with @node's place (if @node is
 * not NULL) and @msg, a printf format, for consumers' errors about a node
 * ("line 4, column 3: write_files: expected a list").
 */
void yaml_set_error(struct yaml_error *err, const struct yaml_node *node, const char *msg, ...)
	__attribute__((format(printf, 3, 4)));

/* yaml_get - the value of @key in mapping @map, or NULL if @map is not a
 * mapping (or NULL) or has no such key. */
const struct yaml_node *yaml_get(const struct yaml_node *map, const char *key);

/* yaml_is - whether @n is a scalar whose text is exactly @s. */
bool yaml_is(const struct yaml_node *n, const char *s);

/*
 * yaml_bool - YAML 1.2 core schema booleans: true, True, TRUE, false,
 * False, FALSE.  Returns 0 with *@out set, -EINVAL if @n is not one (a
 * quoted "true" is a string, not a boolean).
 */
int yaml_bool(const struct yaml_node *n, bool *out);

/*
 * yaml_bool_loose - yaml_bool plus what YAML 1.1 (cloud-init's PyYAML)
 * reads as booleans: yes/no, on/off, y/n in their three cases.  Only
 * cloud-init's keys use it (kernel/lib/cloudinit.c); manifests use
 * yaml_bool.  Returns 0 or -EINVAL.
 */
int yaml_bool_loose(const struct yaml_node *n, bool *out);

/*
 * yaml_int - a plain scalar as YAML 1.2 core integers: [-+]decimal,
 * 0o octal, 0x hex.  Returns 0 with *@out set, -EINVAL if @n is not an
 * integer, -ERANGE if it does not fit in 64 bits signed.
 */
int yaml_int(const struct yaml_node *n, int64_t *out);

/*
 * yaml_mode - file permissions as cloud-init reads them: a quoted string
 * is octal digits ("0644", "644", "0o644"); a plain integer is octal if it
 * is written 0o644 or with a leading 0 (0644, as PyYAML's YAML 1.1 reads
 * it), decimal otherwise (420).  Returns 0 with *@mode, -EINVAL if
 * malformed, -ERANGE above 07777.
 */
int yaml_mode(const struct yaml_node *n, uint32_t *mode);

#endif
