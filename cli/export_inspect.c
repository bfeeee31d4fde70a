/*
 * `monos inspect DISK...`: the A/B state of disks `monos export` wrote, as
 * JSON (an array, like `monos inspect` of images and instances), read from
 * the grubenv block (lib/bootslot.h) without changing the disk:
 *   [{"disk": PATH, "good": "a", "booted": "a", "default": "b",
 *     "slots": [{"slot": "a", "image": NAME, "digest": "sha256:...",
 *                "state": STATE, "tries_left": N, "why": REASON,
 *                "failed_boots": N, "last_failure": REASON, "backoff_s": S}, ...]}]
 * "default" is the slot GRUB boots next; STATE is good, trying (to be tried
 * once), abandoned (with "why"), standby (an older image, still bootable by
 * an update of the other) or empty.  A try GRUB started that the kernel
 * never confirmed nor failed is abandoned for not-marked-good, as GRUB will
 * record at the next boot.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lib/bootslot.h>

#include "cli.h"
#include "export.h"

#define NOT_MARKED_GOOD "not-marked-good" /* grub.cfg's reason (export_grub.c) */

/* A slot letter as JSON, or null. */
static void json_slot(char c)
{
	if (c)
		printf("\"%c\"", c);
	else
		printf("null");
}

/* A text as JSON, or null when empty. */
static void json_text(const char *s)
{
	if (*s)
		state_json_quote(stdout, s);
	else
		printf("null");
}

static const char *slot_state(const struct bootslot_state *s, char c, const char **why)
{
	*why = "";
	if (s->trying == c && s->pending)
		return "trying";
	if (s->trying == c) {
		*why = NOT_MARKED_GOOD;
		return "abandoned";
	}
	if (s->good == c)
		return "good";
	if (s->abandoned == c) {
		*why = s->why;
		return "abandoned";
	}
	return s->image[c - 'a'][0] ? "standby" : "empty";
}

static void print_slot(const struct bootslot_state *s, char c)
{
	char name[BOOTSLOT_IMAGE_MAX + 1];
	const char *why, *state = slot_state(s, c, &why), *at;

	snprintf(name, sizeof(name), "%s", s->image[c - 'a']);
	at = strrchr(name, '@');
	printf("      {\n        \"slot\": \"%c\",\n        \"image\": ", c);
	if (at)
		name[at - name] = 0;
	json_text(at ? name : "");
	printf(",\n        \"digest\": ");
	json_text(at ? at + 1 : "");
	printf(",\n        \"state\": \"%s\",\n        \"tries_left\": %d,\n        \"why\": ",
	       state, !strcmp(state, "trying"));
	json_text(why);
	if (s->good == c && s->trying != c) {
		printf(",\n        \"failed_boots\": %u,\n        \"last_failure\": ", s->fails);
		json_text(s->fail_why);
		printf(",\n        \"backoff_s\": %u", s->fails ? s->backoff_s : 0);
	}
	printf("\n      }");
}

static int inspect_one(const char *path)
{
	struct export_env d;
	struct bootslot_state s;

	if (export_env_open(&d, path, O_RDONLY))
		return -1;
	close(d.fd);
	bootslot_read(d.env, &s);
	printf("  {\n    \"disk\": ");
	state_json_quote(stdout, path);
	printf(",\n    \"good\": \"%c\",\n    \"booted\": ", s.good);
	json_slot(s.booted);
	printf(",\n    \"default\": ");
	json_slot(s.trying && s.pending ? s.trying : s.good);
	printf(",\n    \"slots\": [\n");
	print_slot(&s, 'a');
	printf(",\n");
	print_slot(&s, 'b');
	printf("\n    ]\n  }");
	return 0;
}

int export_inspect_main(int argc, char **argv)
{
	int rc = 0;
	bool first = true;

	printf("[\n");
	for (int i = 0; i < argc; i++) {
		if (!first)
			printf(",\n");
		if (inspect_one(argv[i])) {
			rc = CLI_EXIT_ERROR;
			continue;
		}
		first = false;
	}
	printf("%s]\n", first ? "" : "\n");
	return rc;
}
