/*
 * libFuzzer target: the YAML parser (kernel/lib/yaml*.c), which reads
 * cloud-init seeds in the kernel and manifests in the CLI.  Every tree it
 * returns is walked with aliases expanded and checked against <lib/yaml.h>'s
 * promises: entry counts, weights, the expanded node limit, scalars NUL
 * terminated at their length, unique keys; the typed helpers run on every
 * scalar.  A failure must come with a message.  The allocator refuses after
 * a budget taken from the input's first byte, so allocation failures are
 * fuzzed too.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#define YAML_ARENA_EXACT
#include "../../kernel/lib/fmt.c"
#include "../../kernel/lib/yaml.c"
#include "../../kernel/lib/yaml_node.c"
#include "../../kernel/lib/yaml_scalar.c"

#define FUZZ_MAX_NODES 5000 /* small, so alias bombs hit the limit quickly */
#define FUZZ_MAX_DEPTH 20

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

/* Walk @n with aliases expanded; returns the nodes visited. */
static size_t fuzz_walk(const struct yaml_node *n, unsigned depth)
{
	size_t seen = 1, count = 0;
	bool b;
	int64_t i;
	uint32_t mode;

	if (depth > FUZZ_MAX_DEPTH + 1)
		abort();
	if (n->kind == YAML_SCALAR || n->kind == YAML_NULL) {
		if (n->str[n->len] != '\0' || n->entries || n->weight != 1)
			abort();
		(void)yaml_bool_loose(n, &b);
		(void)yaml_int(n, &i);
		(void)yaml_mode(n, &mode);
		return 1;
	}
	for (const struct yaml_entry *e = n->entries; e; e = e->next, count++) {
		if ((n->kind == YAML_MAP) != (e->key != NULL))
			abort();
		if (e->key) {
			seen += fuzz_walk(e->key, depth + 1);
			if (yaml_get(n, e->key->str) == NULL &&
			    !memchr(e->key->str, 0, e->key->len))
				abort(); /* every key is found */
		}
		seen += fuzz_walk(e->value, depth + 1);
	}
	if (count != n->count || seen != n->weight)
		abort();
	return seen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_alloc alloc = { fuzz_alloc, fuzz_free, NULL };
	struct yaml_limits lim = { .max_nodes = FUZZ_MAX_NODES, .max_depth = FUZZ_MAX_DEPTH };
	struct yaml_tree tree;
	struct yaml_error err;
	char msg[128];
	int rc;

	if (!size)
		return 0;
	fuzz_budget = data[0] == 0xff ? 0 : data[0] == 0xfe ? 1 : SIZE_MAX;
	rc = yaml_parse((const char *)data + 1, size - 1, &alloc, &lim, &tree, &err);
	if (rc) {
		if ((rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM) || !err.msg[0] ||
		    tree.chunks || (rc == -EINVAL && !err.line))
			abort();
		yaml_error_format(&err, msg, sizeof(msg));
		return 0;
	}
	for (const struct yaml_doc *d = tree.docs; d; d = d->next)
		if (fuzz_walk(d->root, 0) > FUZZ_MAX_NODES)
			abort();
	yaml_free(&tree);
	return 0;
}
