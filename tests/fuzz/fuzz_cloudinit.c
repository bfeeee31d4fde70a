/*
 * libFuzzer target: cloud-init's NoCloud model (kernel/lib/cloudinit*.c)
 * over the YAML parser, base64 and gzip.  The input is the three files
 * separated by NUL bytes: meta-data, user-data, network-config (fewer
 * parts: the rest absent).  The model must keep its counts within its
 * arrays, give every file a path and content, report each file's error
 * with a message, and give back all memory (the leak checker sees the
 * rest).
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#define YAML_ARENA_EXACT
#include "../../kernel/lib/base64.c"
#include "../../kernel/lib/cloudinit.c"
#include "../../kernel/lib/cloudinit_net.c"
#include "../../kernel/lib/fmt.c"
#include "../../kernel/lib/inflate.c"
#include "../../kernel/lib/yaml.c"
#include "../../kernel/lib/yaml_node.c"
#include "../../kernel/lib/yaml_scalar.c"

static void *fuzz_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static void fuzz_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void fuzz_note(void *ctx, const char *msg)
{
	(void)ctx;
	if (!msg[0])
		abort();
}

static void fuzz_check(const struct cloudinit *ci)
{
	if (ci->nfiles > CLOUDINIT_MAX_FILES || ci->nmounts > CLOUDINIT_MAX_MOUNTS ||
	    ci->nethernets > CLOUDINIT_MAX_ETHERNETS)
		abort();
	for (unsigned i = 0; i < ci->nfiles; i++)
		if (!ci->files[i].path || !ci->files[i].content || !ci->files[i].owner ||
		    ci->files[i].mode > 07777 || ci->files[i].len > CLOUDINIT_MAX_CONTENT + 1000000)
			abort();
	for (unsigned i = 0; i < ci->nmounts; i++)
		if (!ci->mounts[i].field[0] || ci->mounts[i].remove != !ci->mounts[i].field[1])
			abort();
	for (unsigned i = 0; i < ci->nethernets; i++) {
		const struct cloudinit_ethernet *e = &ci->ethernets[i];

		if (e->naddresses > CLOUDINIT_MAX_ADDRESSES || e->nroutes > CLOUDINIT_MAX_ROUTES ||
		    e->nnameservers > CLOUDINIT_MAX_NAMESERVERS ||
		    e->nsearch > CLOUDINIT_MAX_SEARCH)
			abort();
		for (unsigned k = 0; k < e->naddresses; k++)
			if (e->addresses[k].prefix > 32)
				abort();
	}
	for (int d = 0; d < CLOUDINIT_NDOCS; d++)
		if (ci->rc[d] && !ci->errors[d].msg[0])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_alloc alloc = { fuzz_alloc, fuzz_free, NULL };
	struct cloudinit_seed seed = { { NULL } };
	static struct cloudinit ci;
	const char *p = (const char *)data, *end = p + size;

	for (int d = 0; d < CLOUDINIT_NDOCS && p <= end; d++) {
		const char *nul = memchr(p, 0, (size_t)(end - p));

		seed.text[d] = p;
		seed.len[d] = (size_t)((nul ? nul : end) - p);
		p += seed.len[d] + 1;
	}
	(void)cloudinit_parse(&ci, &seed, &alloc, fuzz_note, NULL);
	fuzz_check(&ci);
	cloudinit_free(&ci);
	return 0;
}
