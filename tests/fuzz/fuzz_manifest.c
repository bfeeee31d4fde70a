/*
 * libFuzzer target: the manifest reader (cli/manifest.c) over the YAML
 * parser.  Any input is refused with a "monos.yaml:LINE: ..." message or
 * read into a model whose canonical JSON (manifest_json.c, an image's
 * configuration) reads back to the same JSON: an image built from any
 * manifest accepted can be run.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../cli/agent.c"
#include "../../cli/image.c"
#include "../../cli/image_names.c"
#include "../../cli/manifest.c"
#include "../../cli/manifest_json.c"
#include "../../cli/manifest_run.c"
#include "../../cli/msg.c"
#include "../../cli/options.c"
#include "../../cli/state.c"
#include "../../cli/volume.c"
#include "../../kernel/lib/cmdline.c"
#include "../../kernel/lib/cpio.c"
#include "../../kernel/lib/fmt.c"
#include "../../kernel/lib/yaml.c"
#include "../../kernel/lib/yaml_node.c"
#include "../../kernel/lib/yaml_scalar.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m = { 0 }, back = { 0 };
	char err[512] = "", *json, *again;

	if (manifest_parse((const char *)data, size, "monos.yaml", "/fuzz", &m, err, sizeof(err))) {
		if (strncmp(err, "monos.yaml:", 11) && strcmp(err, "monos.yaml: out of memory"))
			abort(); /* every refusal names the file */
		manifest_free(&m);
		return 0;
	}
	json = manifest_json(&m);
	if (!json)
		abort();
	if (manifest_parse(json, strlen(json), "config", "/", &back, err, sizeof(err)))
		abort(); /* a model whose configuration cannot be read back */
	again = manifest_json(&back);
	if (!again || strcmp(again, json))
		abort();
	free(json);
	free(again);
	manifest_free(&m);
	manifest_free(&back);
	return 0;
}
