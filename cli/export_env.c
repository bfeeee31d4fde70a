/*
 * The A/B state of a disk `monos export` wrote, found on the disk file
 * (export.h): the partitions by their GPT names, the grubenv block by its
 * header inside the ESP.  Shared by `monos update` (cmd_update.c) and
 * `monos inspect DISK` (export_inspect.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
#define ENV_SCAN_CHUNK	  (1u << 20)
#define QCOW2_MAGIC	  "QFI\xfb"

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
static int read_gpt(struct export_env *d, const char *path)
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
static int find_env(struct export_env *d, const char *path)
{
	char *buf = malloc(ENV_SCAN_CHUNK);
	uint64_t start = d->first[0] * EXPORT_SECTOR, end = (d->last[0] + 1) * EXPORT_SECTOR;
	int found = 0;

	for (uint64_t at = start; buf && at < end; at += ENV_SCAN_CHUNK) {
		ssize_t n = pread(d->fd, buf, ENV_SCAN_CHUNK, (off_t)at);

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
int export_env_unused(int fd, const char *path)
{
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_OFD_GETLK, &l) == 0 && l.l_type != F_UNLCK) {
		msg_error("%s: in use by a running instance (QEMU holds it): refused", path);
		return -1;
	}
	return 0;
}

bool export_is_disk(const char *path)
{
	struct stat st;
	char sig[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes =
		fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode) &&
		(pread(fd, sig, sizeof(sig), GPT_HEADER_LBA * EXPORT_SECTOR) == (ssize_t)sizeof(sig)
			 ? !memcmp(sig, GPT_SIGNATURE, 8)
			 : false);

	if (!yes && fd >= 0 && pread(fd, sig, 4, 0) == 4 && !memcmp(sig, QCOW2_MAGIC, 4))
		yes = true; /* said by export_env_open */
	if (fd >= 0)
		close(fd);
	return yes;
}

int export_env_open(struct export_env *d, const char *path, int flags)
{
	char magic[4];

	memset(d, 0, sizeof(*d));
	if ((d->fd = open(path, flags | O_CLOEXEC)) < 0) {
		msg_error("%s: %s", path, strerror(errno));
		return -1;
	}
	if (pread(d->fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	    !memcmp(magic, QCOW2_MAGIC, 4))
		msg_error("%s: a qcow2 disk: use the raw disk (qcow2 is its conversion)", path);
	else if (!read_gpt(d, path) && !find_env(d, path))
		return 0;
	close(d->fd);
	d->fd = -1;
	return -1;
}
