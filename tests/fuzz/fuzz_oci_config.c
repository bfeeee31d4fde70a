/*
 * libFuzzer target: the OCI config.json reader (cli/oci_config.c) over the
 * JSON parser, as `monos-runtime create` runs it on a bundle it is handed.
 * Whatever the bytes, it returns 0 with every required field set (args
 * with a program, an absolute cwd and rootfs, NAME=VALUE environment,
 * bind mounts with a source, hooks with absolute paths) or -1 with a
 * message, and oci_config_free() leaves nothing behind (ASan's leak check).
 * Files are not looked at (oci_bundle_args is not called).
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../cli/agent.c"
#include "../../cli/msg.c"
#include "../../cli/oci_config.c"
#include "../../cli/oci_pod.c"
#include "../../cli/options.c"
#include "../../cli/state.c"
#include "../../cli/volume.c"
#include "../../kernel/lib/cmdline.c"
#include "../../kernel/lib/json.c"
#include "../../kernel/lib/json_node.c"
#include "../../kernel/lib/json_string.c"

static void fuzz_check(const struct oci_config *c)
{
	if (!c->args || !c->args[0] || !c->args[0][0] || !c->cwd || c->cwd[0] != '/' ||
	    !c->rootfs || c->rootfs[0] != '/' || !c->env)
		abort();
	for (size_t i = 0; c->env[i]; i++)
		if (!strchr(c->env[i], '=') || c->env[i][0] == '=')
			abort();
	for (size_t i = 0; i < c->nmounts; i++)
		if (c->mounts[i].destination[0] != '/' ||
		    (c->mounts[i].bind && !c->mounts[i].source[0]))
			abort();
	for (int p = 0; p < OCI_HOOK_POINTS; p++)
		for (size_t i = 0; i < c->nhooks[p]; i++)
			if (c->hooks[p][i].path[0] != '/' || !c->hooks[p][i].args ||
			    !c->hooks[p][i].env)
				abort();
	if (c->nrlimits > OCI_MAX_RLIMITS)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_config c;
	char err[256];

	if (oci_config_parse((const char *)data, size, "/bundle", &c, err, sizeof(err)) == 0)
		fuzz_check(&c);
	else if (!err[0])
		abort();
	oci_config_free(&c);
	return 0;
}
