/*
 * `monos run --disk FILE[:ro]`: the host side of virtio-blk.  Each disk is
 * checked before anything starts (so a typo is one clear line, not a QEMU
 * error after the image was packed) and becomes a QEMU -drive and -device.
 *
 * Formats: QEMU is never left to probe one.  A guest that writes qcow2's
 * header into a raw disk would make a probing QEMU open it as qcow2 at the
 * next run, with a backing file of the guest's choosing -- any host file.
 * So the CLI reads the first bytes itself: qcow2's magic means qcow2, but
 * only without a backing file or an external data file (those name other
 * host files); anything else is raw.  The host file is named through the
 * driver's own options (file.driver=file|host_device, file.filename=), with
 * the absolute path, so no part of a name is taken for a protocol ("nbd:")
 * or an option (QEMU's ',' is doubled).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <monos/bootinfo.h>

#include "cli.h"

/* qcow2's header (docs/interop/qcow2.txt in QEMU), big endian. */
#define QCOW2_MAGIC	      "QFI\xfb"
#define QCOW2_BACKING_OFFSET  8	 /* u64: 0 without a backing file */
#define QCOW2_VERSION	      4	 /* u32: 2 or 3 */
#define QCOW2_INCOMPATIBLE    72 /* u64, version 3 only */
#define QCOW2_F_EXTERNAL_DATA (1ull << 2)
#define QCOW2_HEADER_V3	      104
#define QEMU_DISK_ID	      "disk"
#define QEMU_BLK_MMIO	      "virtio-blk-device"
#define QEMU_BLK_PCI	      "virtio-blk-pci,disable-legacy=on"
#define DISK_BLKLOG_SECTOR    "512" /* the log's sector: the volume's (virtio-blk) */

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The format of the disk open at `fd`: "qcow2" or "raw", or NULL with the
 * reason in `err` for a qcow2 that would open other files. */
static const char *disk_format(int fd, const struct options_disk *d, char *err, size_t errlen)
{
	unsigned char h[QCOW2_HEADER_V3] = { 0 };
	ssize_t n = pread(fd, h, sizeof(h), 0);

	if (n < 4 || memcmp(h, QCOW2_MAGIC, 4))
		return "raw";
	if (n < QCOW2_INCOMPATIBLE) {
		snprintf(err, errlen, "%s %s: a qcow2 header too short to read", d->flag, d->path);
		return NULL;
	}
	if (be(h + QCOW2_BACKING_OFFSET, 8)) {
		snprintf(err, errlen,
			 "%s %s: a qcow2 image with a backing file is not "
			 "supported (flatten it: qemu-img convert -O qcow2)",
			 d->flag, d->path);
		return NULL;
	}
	if (be(h + QCOW2_VERSION, 4) >= 3 &&
	    (n < QCOW2_INCOMPATIBLE + 8 ||
	     (be(h + QCOW2_INCOMPATIBLE, 8) & QCOW2_F_EXTERNAL_DATA))) {
		snprintf(err, errlen,
			 "%s %s: a qcow2 image with an external data file is "
			 "not supported",
			 d->flag, d->path);
		return NULL;
	}
	return "qcow2";
}

/* `path` with QEMU's option separator ',' doubled; malloc'd or NULL. */
static char *qemu_escape(const char *path)
{
	char *out = malloc(2 * strlen(path) + 1), *q = out;

	if (!out)
		return NULL;
	for (const char *p = path; *p; p++) {
		*q++ = *p;
		if (*p == ',')
			*q++ = ',';
	}
	*q = 0;
	return out;
}

/* Open and identify disk `d`: 0 with *st filled and *fd open, or -1. */
static int disk_open(const struct options_disk *d, struct stat *st, int *fd, char *err,
		     size_t errlen)
{
	if (stat(d->path, st) < 0) {
		snprintf(err, errlen, "%s %s: %s", d->flag, d->path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st->st_mode) || (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))) {
		snprintf(err, errlen, "%s %s: %s", d->flag, d->path,
			 S_ISDIR(st->st_mode) ? "is a directory, not a disk file"
					      : "not a regular file or a block device");
		return -1;
	}
	*fd = open(d->path, (d->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (*fd < 0) {
		int e = errno;
		bool ro_would = !d->ro && (e == EACCES || e == EROFS || e == EPERM) &&
				access(d->path, R_OK) == 0;
		snprintf(err, errlen, "%s %s: cannot open it for %s: %s%s", d->flag, d->path,
			 d->ro ? "reading" : "writing", strerror(e),
			 ro_would ? " (attach it read-only: --disk FILE:ro)" : "");
		return -1;
	}
	return 0;
}

/*
 * The -drive value's driver part for `esc` (the escaped path): normally the
 * format over the file; for the logged volume (`log`, escaped, or NULL),
 * QEMU's blklogwrites over the raw file, recording every write and flush
 * in `log` (QEMU's block/blklogwrites.c; dm-log-writes' format).  A filter
 * needs no format: it is only ever a raw volume (disk_prepare_all).
 */
static int disk_driver(char **out, const char *format, bool blockdev, const char *esc,
		       const char *log)
{
	const char *proto = blockdev ? "host_device" : "file";

	if (log)
		return asprintf(out,
				"driver=blklogwrites,file.driver=%s,file.filename=%s,"
				"log.driver=file,log.filename=%s,log-append=off,"
				"log-sector-size=" DISK_BLKLOG_SECTOR,
				proto, esc, log);
	return asprintf(out, "format=%s,file.driver=%s,file.filename=%s", format, proto, esc);
}

/* The -drive and -device values of disk `i`; `log` as disk_driver's. */
static int disk_args(struct options_disk *d, size_t i, bool blockdev, const char *format,
		     enum options_machine machine, const char *log)
{
	char real[PATH_MAX], *esc, *drv = NULL;
	int n;

	if (!realpath(d->path, real) || !(esc = qemu_escape(real)))
		return -1;
	n = disk_driver(&drv, format, blockdev, esc, log);
	free(esc);
	if (n < 0)
		return -1;
	n = asprintf(&d->drive, "if=none,id=" QEMU_DISK_ID "%zu,%s%s", i, drv,
		     d->ro ? ",readonly=on" : "");
	free(drv);
	if (n < 0) {
		d->drive = NULL;
		return -1;
	}
	if (asprintf(&d->device, "%s,drive=" QEMU_DISK_ID "%zu",
		     machine == OPTIONS_MACHINE_Q35 ? QEMU_BLK_PCI : QEMU_BLK_MMIO, i) < 0) {
		d->device = NULL;
		return -1;
	}
	return 0;
}

/* Whether disk `i` is the same file as an earlier one (QEMU would refuse
 * the second with a lock error). */
static bool disk_repeated(const struct stat *sts, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (sts[j].st_dev == sts[i].st_dev && sts[j].st_ino == sts[i].st_ino)
			return true;
	return false;
}

/*
 * Hold an flock on disk `d` (open at `fd`, kept open) for the run's life:
 * exclusive read-write, shared read-only, so a second read-write attach of
 * a volume in use is refused while both read-only ones may run.
 */
static int disk_lock(struct options_disk *d, int fd, char *err, size_t errlen)
{
	if (flock(fd, (d->ro ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0) {
		d->lock_fd = fd;
		return 0;
	}
	if (errno == EWOULDBLOCK)
		snprintf(err, errlen, "%s is in use by a running instance%s", d->path,
			 d->ro ? " (read-write)" : "");
	else
		snprintf(err, errlen, "%s: cannot lock it: %s", d->path, strerror(errno));
	return -1;
}

/* The per-run "volumes" entry (bootinfo.h) for the disks with a target. */
static int volumes_entry(struct run_options *o)
{
	size_t cap = sizeof(MONOS_RUN_VOLUMES_VERSION) + 1, n;
	char *p;

	for (size_t i = 0; i < o->ndisks; i++)
		if (o->disks[i].target)
			cap += strlen(o->disks[i].target) + 16;
	if (cap == sizeof(MONOS_RUN_VOLUMES_VERSION) + 1)
		return 0;
	if (!(o->volumes = p = malloc(cap)))
		return -1;
	n = sprintf(p, "%s\n", MONOS_RUN_VOLUMES_VERSION);
	for (size_t i = 0; i < o->ndisks; i++)
		if (o->disks[i].target) /* the kernel names disks vda, vdb... in order */
			n += sprintf(p + n, "vd%c %s %s\n", (char)('a' + i), o->disks[i].target,
				     o->disks[i].ro ? "ro" : "rw");
	return 0;
}

/* disk_prepare for each disk, disk `logged` recorded in `log`. */
static int disk_prepare_all(struct run_options *o, enum options_machine machine, struct stat *sts,
			    long logged, const char *log, char *err, size_t errlen)
{
	for (size_t i = 0; i < o->ndisks; i++) {
		struct options_disk *d = &o->disks[i];
		const char *format;
		int fd;

		if (!d->flag)
			d->flag = "--disk";
		if (disk_open(d, &sts[i], &fd, err, errlen))
			return -1;
		format = disk_format(fd, d, err, errlen);
		if (format && disk_repeated(sts, i)) {
			snprintf(err, errlen, "%s %s: the same file is attached twice", d->flag,
				 d->path);
			format = NULL;
		}
		if (format && (long)i == logged && strcmp(format, "raw")) {
			snprintf(err, errlen, "MONOS_BLKLOG: %s %s is not a raw image", d->flag,
				 d->path);
			format = NULL;
		}
		if (!format || disk_lock(d, fd, err, errlen)) {
			close(fd);
			return -1;
		}
		if (disk_args(d, i, S_ISBLK(sts[i].st_mode), format, machine,
			      (long)i == logged ? log : NULL)) {
			snprintf(err, errlen, "%s %s: %s", d->flag, d->path, strerror(errno));
			return -1;
		}
	}
	if (volumes_entry(o)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * $MONOS_BLKLOG (a developer knob for tests/cli/volume_blklog.sh): the
 * index of the first volume (a disk with a target) to record, with the
 * escaped log path in *log; -1 without the knob, -2 (reason in `err`) if
 * it cannot apply.
 */
static long disk_logged(const struct run_options *o, char **log, char *err, size_t errlen)
{
	const char *env = getenv("MONOS_BLKLOG");
	char real[PATH_MAX];
	int fd;

	*log = NULL;
	if (!env || !*env)
		return -1;
	for (size_t i = 0; i < o->ndisks; i++) {
		if (!o->disks[i].target)
			continue;
		/* empty: QEMU (log-append=off) writes its super only at the first
		 * flush, and an old log's would count entries this run never made */
		fd = open(env, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || close(fd) || !realpath(env, real) || !(*log = qemu_escape(real))) {
			snprintf(err, errlen, "MONOS_BLKLOG %s: %s", env, strerror(errno));
			return -2;
		}
		return (long)i;
	}
	snprintf(err, errlen, "MONOS_BLKLOG is set but there is no --volume to record");
	return -2;
}

int disk_prepare(struct run_options *o, enum options_machine machine, char *err, size_t errlen)
{
	struct stat sts[OPTIONS_MAX_DISKS];
	char *log;
	long logged = disk_logged(o, &log, err, errlen);

	if (logged == -2)
		return -1;
	int ret = disk_prepare_all(o, machine, sts, logged, log, err, errlen);
	free(log);
	return ret;
}
