/*
 * `monos update DISK IMAGE`: write IMAGE into the slot of DISK (a raw disk
 * `monos export` wrote) that is not the good one, and mark it to be tried
 * once at the next boot (export.h has the layout, export_grub.c the
 * choice GRUB makes).  The slots are found by their GPT names, the grubenv
 * block by its header inside the ESP; a disk QEMU holds open (its image
 * locks) is refused, and so is a damaged grubenv block, since the good slot
 * cannot then be told.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lib/grubenv.h>

#include "cli.h"
#include "export.h"

/* UEFI 2.10, 5.3.2 (GPT header) and 5.3.3 (partition entries). */
#define GPT_HEADER_LBA	  1
#define GPT_SIGNATURE	  "EFI PART"
#define GPT_ENTRIES_LBA	  72
#define GPT_ENTRIES_COUNT 80
#define GPT_ENTRY_SIZE	  84
#define GPT_ENTRY_FIRST	  32
#define GPT_ENTRY_LAST	  40
#define GPT_ENTRY_NAME	  56
#define GPT_NAME_CHARS	  36 /* UTF-16LE */
#define GPT_MAX_ENTRIES	  128
#define UPDATE_SCAN_CHUNK (1u << 20)
#define QCOW2_MAGIC	  "QFI\xfb"

static const char update_help[] =
	"Usage: monos update DISK IMAGE [--grace SECONDS]\n"
	"\n"
	"Write IMAGE (of the store) into the slot of DISK (a raw disk from 'monos\n"
	"export') that is not the good one, and mark it to be tried once: the next\n"
	"boot runs it, and it becomes the good slot once its program has run for the\n"
	"grace period (default 10 s) or exited with status 0.  If it fails first,\n"
	"the machine reboots into the previous slot by itself.\n";

struct update_disk {
	int fd;
	uint64_t first[3], last[3]; /* esp, monos-a, monos-b: sectors */
	uint64_t env_off;
	char env[GRUBENV_SIZE];
};

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Whether the UTF-16LE GPT name at `p` is the ASCII `want`. */
static bool name_is(const uint8_t *p, const char *want)
{
	size_t n = strlen(want);

	for (size_t i = 0; i < GPT_NAME_CHARS; i++)
		if (le(p + 2 * i, 2) != (i < n ? (uint8_t)want[i] : 0))
			return false;
	return true;
}

/* The ESP and the slots, by their names in the GPT. */
static int read_gpt(struct update_disk *d, const char *path)
{
	static const char *const names[3] = { "esp", EXPORT_SLOT_LABEL_A, EXPORT_SLOT_LABEL_B };
	uint8_t h[EXPORT_SECTOR], e[128];
	uint64_t lba, count, size;
	int found = 0;

	if (pread(d->fd, h, sizeof(h), GPT_HEADER_LBA * EXPORT_SECTOR) != (ssize_t)sizeof(h) ||
	    memcmp(h, GPT_SIGNATURE, 8))
		goto bad;
	lba = le(h + GPT_ENTRIES_LBA, 8);
	count = le(h + GPT_ENTRIES_COUNT, 4);
	size = le(h + GPT_ENTRY_SIZE, 4);
	if (size < GPT_ENTRY_NAME + 2 * GPT_NAME_CHARS || size > sizeof(e))
		goto bad;
	for (uint64_t i = 0; i < count && i < GPT_MAX_ENTRIES; i++) {
		if (pread(d->fd, e, size, (off_t)(lba * EXPORT_SECTOR + i * size)) != (ssize_t)size)
			goto bad;
		for (int k = 0; k < 3; k++)
			if (name_is(e + GPT_ENTRY_NAME, names[k])) {
				d->first[k] = le(e + GPT_ENTRY_FIRST, 8);
				d->last[k] = le(e + GPT_ENTRY_LAST, 8);
				found |= 1 << k;
			}
	}
	if (found == 7)
		return 0;
bad:
	msg_error("%s: not a disk 'monos export' wrote (no GPT with esp, %s and %s)", path,
		  EXPORT_SLOT_LABEL_A, EXPORT_SLOT_LABEL_B);
	return -1;
}

/* The grubenv block: the one sector of the ESP that starts with its header. */
static int find_env(struct update_disk *d, const char *path)
{
	char *buf = malloc(UPDATE_SCAN_CHUNK);
	uint64_t start = d->first[0] * EXPORT_SECTOR, end = (d->last[0] + 1) * EXPORT_SECTOR;
	int found = 0;

	for (uint64_t at = start; buf && at < end; at += UPDATE_SCAN_CHUNK) {
		ssize_t n = pread(d->fd, buf, UPDATE_SCAN_CHUNK, (off_t)at);

		for (ssize_t s = 0; s + GRUBENV_SIZE <= n; s += EXPORT_SECTOR)
			if (!memcmp(buf + s, GRUBENV_HEADER, sizeof(GRUBENV_HEADER) - 1) &&
			    found++ == 0) {
				d->env_off = at + s;
				memcpy(d->env, buf + s, GRUBENV_SIZE);
			}
	}
	free(buf);
	if (found != 1 || grubenv_check(d->env)) {
		msg_error("%s: the grubenv block is %s: cannot tell the good slot", path,
			  found ? "damaged" : "missing");
		return -1;
	}
	return 0;
}

/* Refused while QEMU has the disk open: its image locks are OFD locks. */
static int check_unused(int fd, const char *path)
{
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char magic[4];

	if (pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	    !memcmp(magic, QCOW2_MAGIC, 4)) {
		msg_error("%s: a qcow2 disk: update the raw disk, then convert it", path);
		return -1;
	}
	if (fcntl(fd, F_OFD_GETLK, &l) == 0 && l.l_type != F_UNLCK) {
		msg_error("%s: in use by a running instance (QEMU holds it): refused", path);
		return -1;
	}
	return 0;
}

/* The new slot's filesystem into its partition, then the block. */
static int write_update(struct update_disk *d, int slot, struct export_pack *p, const char *tmp)
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
	struct update_disk d = { .fd = open(path, O_RDWR | O_CLOEXEC) };
	struct export_pack *p = calloc(1, sizeof(*p));
	char tmp[4096];
	size_t len;
	const char *good;
	int slot, rc = -1;

	if (d.fd < 0 || !p) {
		msg_error("%s: %s", path, strerror(errno));
		goto out;
	}
	if (check_unused(d.fd, path) || read_gpt(&d, path) || find_env(&d, path))
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
