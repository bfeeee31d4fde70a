/*
 * What an exported disk's boot does that a `monos run` does not
 * (standalone.h): the restart policy at the program's end, by ACPI
 * power-off or a reset, since the cloud VM has no CLI to ask.
 */
#include "init/standalone.h"
#include "arch/x86_64/power.h"
#include "core/console.h"
#include "core/kernel.h"
#include <lib/cmdline.h>
#include <lib/string.h>
#include <monos/channel.h>

enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };

static enum restart_policy policy;

static void standalone_exit(const struct monos_chan_exit *e)
{
	bool failed = e->kind != MONOS_EXIT_STATUS || e->status != 0;

	if (policy == RESTART_ALWAYS || (policy == RESTART_ON_FAILURE && failed)) {
		klog("monos: restart policy %s: rebooting\n",
		     policy == RESTART_ALWAYS ? "always" : "on-failure");
		power_reset();
	}
	klog("monos: powering off\n");
	power_off();
}

/* Whether the option's value `v` (`len` bytes) is `word`. */
static bool value_is(const char *v, size_t len, const char *word)
{
	return len == strlen(word) && !memcmp(v, word, len);
}

void standalone_init(const char *cmdline, uint64_t rsdp_paddr)
{
	size_t len;
	const char *v = cmdline_find(cmdline, "monos.restart", &len);

	if (!v)
		return;
	if (value_is(v, len, "always"))
		policy = RESTART_ALWAYS;
	else if (value_is(v, len, "on-failure"))
		policy = RESTART_ON_FAILURE;
	else if (!value_is(v, len, "no"))
		klog("monos: monos.restart=%.*s: expected no, on-failure or always: no\n", (int)len,
		     v);
	power_init(rsdp_paddr);
	console_set_exit_hook(standalone_exit);
}
