/*
 * `monos run -v HOSTDIR:DIR[:ro]` and `--rootfs DIR`: the host side of
 * directory shares.  Each share is one virtio-9p device on QEMU's built-in
 * 9p server (-fsdev local + -device virtio-9p-device on microvm,
 * virtio-9p-pci on q35), named by its mount tag ("monosN", or "rootfs"),
 * and one line per mount in the per-run "volumes" entry, which the kernel
 * mounts at boot (kernel/fs/mount.c, kernel/fs/v9fs.c).
 *
 * Why 9p and not virtio-fs: QEMU 7.2 serves 9p itself, so a share costs no
 * process; virtio-fs needs a virtiofsd daemon per share started and
 * reaped beside QEMU, vhost-user sockets, and the guest's RAM in shared
 * memory (-object memory-backend-memfd,share=on plus -numa), and its DAX
 * window is what makes it faster than 9p -- QEMU 7.2's does not have it.
 *
 * The security model: passthrough when monos runs as root (the host's
 * owners and modes are the guest's, and chown works), else none (the
 * same, but the server cannot chown: files the guest makes are the user's,
 * as any file the user writes, and a chown to another owner is ignored).
 * mapped-xattr would keep the guest's owners in xattrs, so the host would
 * see every new file as 0600 and the user's: wrong for a directory both
 * sides use.
 *
 * A share whose guest path equals its host path (-v /usr:/usr:ro, and
 * --rootfs /) serves the program and its libraries too, so they are not
 * packed (share_covers, used by the image writer).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <monos/bootinfo.h>

#include "cli.h"

#define QEMU_9P_MMIO "virtio-9p-device"
#define QEMU_9P_PCI  "virtio-9p-pci,disable-legacy=on"
#define ROOTFS_TAG   "rootfs"

/* Top-level directories the guest has of its own over a --rootfs (the
 * kernel's boot mounts), or that hold only the host's running state:
 * what --rootfs / does not serve, so a program there is packed. */
static const char *const rootfs_skip[] = { "dev", "proc", "sys", "tmp", "run", "lost+found" };

/* `s` with QEMU's option separator ',' doubled; malloc'd or NULL. */
static char *qemu_escape(const char *s)
{
	size_t n = strlen(s), commas = 0;
	char *out, *p;

	for (const char *c = s; *c; c++)
		commas += *c == ',';
	if (!(out = p = malloc(n + commas + 1)))
		return NULL;
	for (const char *c = s; *c; c++) {
		*p++ = *c;
		if (*c == ',')
			*p++ = ',';
	}
	*p = 0;
	return out;
}

/* The tag of share `i` of `o` into `tag` (32 bytes). */
static void share_tag(const struct run_options *o, size_t i, char *tag)
{
	if (!o->shares[i].target)
		snprintf(tag, 32, "%s", ROOTFS_TAG);
	else
		snprintf(tag, 32, "monos%zu", i);
}

static int share_qemu_args(const struct run_options *o, size_t i, enum options_machine machine)
{
	struct options_share *s = &o->shares[i];
	char tag[32], *path = qemu_escape(s->path);
	const char *model = geteuid() == 0 ? "passthrough" : "none";

	share_tag(o, i, tag);
	if (!path)
		return -1;
	if (asprintf(&s->fsdev, "local,id=fs%zu,path=%s,security_model=%s,multidevs=remap%s", i,
		     path, model, s->ro ? ",readonly=on" : "") < 0)
		s->fsdev = NULL;
	if (asprintf(&s->device, "%s,fsdev=fs%zu,mount_tag=%s",
		     machine == OPTIONS_MACHINE_Q35 ? QEMU_9P_PCI : QEMU_9P_MMIO, i, tag) < 0)
		s->device = NULL;
	free(path);
	return s->fsdev && s->device ? 0 : -1;
}

/* Append `line` to o->volumes (made with its version line if absent). */
static int volumes_add(struct run_options *o, const char *line)
{
	size_t have = o->volumes ? strlen(o->volumes) : 0;
	char *grown =
		realloc(o->volumes, have + strlen(line) + sizeof(MONOS_RUN_VOLUMES_VERSION) + 2);

	if (!grown)
		return -1;
	if (!have)
		have = (size_t)sprintf(grown, "%s\n", MONOS_RUN_VOLUMES_VERSION);
	strcpy(grown + have, line);
	o->volumes = grown;
	return 0;
}

static bool rootfs_skipped(const char *name)
{
	for (size_t i = 0; i < sizeof(rootfs_skip) / sizeof(rootfs_skip[0]); i++)
		if (!strcmp(name, rootfs_skip[i]))
			return true;
	return name[0] == '.' || strpbrk(name, " \t\n") != NULL;
}

/* --rootfs DIR[:rw]: the share is the root ("9p:rootfs / rw"); the guest's
 * own tmpfs at /tmp and /run, as `monos run` always has them (the host's
 * running state is not the guest's) and an OCI config asks.  Nothing of
 * DIR is packed or read here: its top-level files and symlinks are the
 * share's own (kernel/fs/mount_boot.c). */
static int rootfs_lines(struct run_options *o, const struct options_share *s)
{
	char line[64];

	snprintf(line, sizeof(line), "9p:%s / %s\n", ROOTFS_TAG, s->ro ? "ro" : "rw");
	if (volumes_add(o, line))
		return -1;
	if ((!o->rootfs_by_config || o->rootfs_tmp) && volumes_add(o, "tmpfs /tmp rw\n"))
		return -1;
	if ((!o->rootfs_by_config || o->rootfs_run) && volumes_add(o, "tmpfs /run rw\n"))
		return -1;
	return 0;
}

int share_prepare(struct run_options *o, enum options_machine machine, char *err, size_t errlen)
{
	for (size_t i = 0; i < o->nshares; i++) {
		struct options_share *s = &o->shares[i];
		char tag[32], line[2 * PATH_MAX];

		if (share_qemu_args(o, i, machine)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (!s->target) {
			if (rootfs_lines(o, s)) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			continue;
		}
		share_tag(o, i, tag);
		snprintf(line, sizeof(line), "9p:%s %s %s\n", tag, s->target, s->ro ? "ro" : "rw");
		if (volumes_add(o, line)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* Is `path` (absolute, resolved) `dir` or inside it? */
static bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return true;
	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

bool share_covers(const struct run_options *o, const char *path)
{
	for (size_t i = 0; i < o->nshares; i++) {
		const struct options_share *s = &o->shares[i];
		char top[NAME_MAX + 1];
		size_t n;

		if (s->target) {
			if (!strcmp(s->target, s->path) && path_within(path, s->path))
				return true;
			continue;
		}
		/* --rootfs /: what it serves (the guest's own trees are not). */
		if (strcmp(s->path, "/") || path[0] != '/')
			continue;
		n = strcspn(path + 1, "/");
		if (!n || n > NAME_MAX)
			continue;
		memcpy(top, path + 1, n);
		top[n] = 0;
		if (!rootfs_skipped(top))
			return true;
	}
	return false;
}
