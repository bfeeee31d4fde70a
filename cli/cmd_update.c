/*
 * `monos update DISK IMAGE`: write IMAGE into the slot of DISK (a raw disk
 * `monos export` wrote) that is not the good one, and mark it to be tried
 * once at the next boot (export.h has the layout, export_grub.c the
 * choice GRUB makes, export_env.c finds the slots and the grubenv block);
 * a disk QEMU holds open (its image locks: a running instance) is refused,
 * and so is a damaged grubenv block, since the good slot cannot then be
 * told.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lib/bootslot.h>
#include <lib/grubenv.h>

#include "cli.h"
#include "export.h"

static const char update_help[] =
	"Usage: monos update DISK IMAGE [--grace SECONDS]\n"
	"\n"
	"Write IMAGE (of the store) into the slot of DISK (a raw disk from 'monos\n"
	"export') that is not the good one, and mark it to be tried once: the next\n"
	"boot runs it, and it becomes the good slot once its program has run for the\n"
	"grace period (default 10 s) or exited with status 0; with a health check in\n"
	"its manifest, once the check has stayed healthy for the grace period.  If it\n"
	"fails first (a crash, a status, unhealthy), the machine reboots into the\n"
	"previous slot by itself.  'monos inspect DISK' shows both slots and why one\n"
	"was abandoned.\n";

/* The new slot's filesystem into its partition, then the block. */
static int write_update(struct export_env *d, int slot, struct export_pack *p, const char *tmp)
{
	char img[4096 + 16], name[2] = { (char)('a' + slot), 0 };
	uint64_t sectors = d->last[1 + slot] - d->first[1 + slot] + 1;
	int err;

	snprintf(img, sizeof(img), "%s/slot.img", tmp);
	if (export_slot_image(img, tmp, &p->slot, sectors,
			      slot ? EXPORT_SLOT_LABEL_B : EXPORT_SLOT_LABEL_A) ||
	    export_copy_into(d->fd, d->first[1 + slot] * EXPORT_SECTOR, img) || fsync(d->fd))
		return -1;
	err = grubenv_set(d->env, "monos_try", name);
	err = err ? err : grubenv_set(d->env, "monos_pending", "1");
	err = err ? err : bootslot_set_image(d->env, name[0], p->slot.image);
	if (err || pwrite(d->fd, d->env, GRUBENV_SIZE, (off_t)d->env_off) != GRUBENV_SIZE ||
	    fsync(d->fd)) {
		msg_error("cannot write the grubenv block: %s",
			  err ? "it is full" : strerror(errno));
		return -1;
	}
	return 0;
}

static int update(const char *path, const char *image, unsigned grace_s)
{
	struct export_env d = { .fd = -1 };
	struct export_pack *p = calloc(1, sizeof(*p));
	char tmp[4096];
	size_t len;
	const char *good;
	int slot, rc = -1;

	if (!p) {
		msg_error("out of memory");
		goto out;
	}
	if (export_env_open(&d, path, O_RDWR) || export_env_unused(d.fd, path))
		goto out;
	good = grubenv_get(d.env, "monos_slot", &len);
	slot = good && len == 1 && *good == 'b' ? 0 : 1; /* the other one */
	if (export_tmpdir(tmp, sizeof(tmp)))
		goto out;
	if (!export_pack(p, image, tmp, grace_s) && !write_update(&d, slot, p, tmp)) {
		printf("%s: %s written to slot %c, tried once at the next boot\n", path, image,
		       'a' + slot);
		rc = 0;
	}
	export_pack_free(p);
	export_tmpdir_remove(tmp);
out:
	free(p);
	if (d.fd >= 0)
		close(d.fd);
	return rc;
}

int cmd_update_main(int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL };
	unsigned long grace = EXPORT_GRACE_DEFAULT;
	int npos = 0;

	for (int i = 0; i < argc; i++) { /* argv[0]: the first argument after "update" */
		char *end;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(update_help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--grace") && i + 1 < argc) {
			grace = strtoul(argv[++i], &end, 10);
			if (*end || !*argv[i] || !grace || grace > 3600) {
				msg_error("--grace %s: 1 to 3600 seconds", argv[i]);
				return CLI_EXIT_ERROR;
			}
		} else if (argv[i][0] == '-' || npos == 2) {
			msg_error("update: unexpected argument '%s' (see 'monos update --help')",
				  argv[i]);
			return CLI_EXIT_ERROR;
		} else {
			pos[npos++] = argv[i];
		}
	}
	if (npos != 2) {
		msg_error("update needs DISK and IMAGE (see 'monos update --help')");
		return CLI_EXIT_ERROR;
	}
	return update(pos[0], pos[1], (unsigned)grace) ? CLI_EXIT_ERROR : 0;
}
