/*
 * `monos export IMAGE -o FILE [--format raw|qcow2|gce] [--libvirt-xml]`:
 * an image of the store as a disk that boots without the CLI (export.h has
 * the layout).  The image is packed as `monos run IMAGE` would pack it (its
 * tree checked against its digest, its manifest's configuration), minus
 * what belongs to one moment (time, seed, terminals: rundata_gather's
 * disk_boot), and the manifest's restart policy goes to the kernel's
 * command line.  qcow2 is the raw disk converted by qemu-img.  gce is
 * refused: GCE attaches disks through virtio-scsi or NVMe, which the kernel
 * does not drive, so it could neither mount nor mark a good boot there.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lib/bootslot.h>

#include "cli.h"
#include "export.h"

#define EXPORT_GRACE_MAX 3600
#define EXPORT_NFTW_FDS	 16

static const char export_help[] =
	"Usage: monos export IMAGE -o FILE [--format raw|qcow2|gce] [--libvirt-xml]\n"
	"                    [--grace SECONDS]\n"
	"\n"
	"Write IMAGE (of the store) as a GPT disk that boots without monos: GRUB 2\n"
	"for BIOS and UEFI, the kernel and the image in slot A of two (see 'monos\n"
	"update'), the serial port as the console, the network by DHCP, and the\n"
	"image's restart policy deciding between power-off and reboot at the end.\n"
	"\n"
	"  -o, --output FILE   the disk to write\n"
	"      --format F      raw (default), qcow2, or gce (refused: GCE's disks are\n"
	"                      virtio-scsi or NVMe, which monos does not drive yet)\n"
	"      --libvirt-xml   also print a libvirt domain (type qemu, q35) that boots it\n"
	"      --grace S       seconds an updated slot must run (or stay healthy) before\n"
	"                      it is marked good (default 10)\n";

enum export_format { EXPORT_RAW, EXPORT_QCOW2, EXPORT_GCE };

struct export_args {
	const char *image, *output;
	enum export_format format;
	bool libvirt_xml;
	unsigned grace_s;
};

static int parse_format(const char *s, enum export_format *f)
{
	if (!strcmp(s, "raw"))
		*f = EXPORT_RAW;
	else if (!strcmp(s, "qcow2"))
		*f = EXPORT_QCOW2;
	else if (!strcmp(s, "gce"))
		*f = EXPORT_GCE;
	else
		return -1;
	return 0;
}

/* 0, 1 (help printed), or -1 after one error line. */
static int parse_args(int argc, char **argv, struct export_args *a)
{
	*a = (struct export_args){ .grace_s = EXPORT_GRACE_DEFAULT };
	for (int i = 0; i < argc; i++) { /* argv[0]: the first argument after "export" */
		const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(export_help, stdout);
			return 1;
		} else if (!strcmp(arg, "--libvirt-xml")) {
			a->libvirt_xml = true;
		} else if ((!strcmp(arg, "-o") || !strcmp(arg, "--output")) && val) {
			a->output = argv[++i];
		} else if (!strcmp(arg, "--format") && val) {
			if (parse_format(argv[++i], &a->format)) {
				msg_error("--format %s: use raw, qcow2 or gce", argv[i]);
				return -1;
			}
		} else if (!strcmp(arg, "--grace") && val) {
			unsigned long g = strtoul(argv[++i], &end, 10);

			if (*end || !*argv[i] || g < 1 || g > EXPORT_GRACE_MAX) {
				msg_error("--grace %s: 1 to %d seconds", argv[i], EXPORT_GRACE_MAX);
				return -1;
			}
			a->grace_s = (unsigned)g;
		} else if (arg[0] == '-' || a->image) {
			msg_error("export: unexpected argument '%s' (see 'monos export --help')",
				  arg);
			return -1;
		} else {
			a->image = arg;
		}
	}
	if (!a->image || !a->output) {
		msg_error("export needs IMAGE and -o FILE (see 'monos export --help')");
		return -1;
	}
	return 0;
}

static const char *restart_name(enum options_restart r)
{
	return r == OPTIONS_RESTART_ALWAYS	 ? "always"
	       : r == OPTIONS_RESTART_ON_FAILURE ? "on-failure"
						 : "no";
}

/* IMAGE's archives, as `monos run IMAGE` packs them, into `initrd`. */
static int pack_image(const char *image, const char *initrd, struct run_options *o,
		      struct store_run *sr)
{
	char *argv[] = { (char *)image, NULL }, err[1024];
	struct image_writer w;
	int fd, rc;

	if (options_parse_run(1, argv, o, err, sizeof(err), getenv) < 0 ||
	    (rc = store_run_layer(1, argv, o, sr, err, sizeof(err))) < 0 ||
	    agent_prepare(o, err, sizeof(err), getenv)) {
		msg_error("%s", err);
		return -1;
	}
	if (!rc || !sr->image) {
		msg_error("%s: not an image of the store (see 'monos images')", image);
		return -1;
	}
	/* The restart policy is the monitor's under `monos run -d`, not a
	 * layer of manifest_apply; on a disk it is the kernel's. */
	if (sr->img.m.restart && options_set(o, "restart", sr->img.m.restart, err, sizeof(err))) {
		msg_error("%s", err);
		return -1;
	}
	o->disk_boot = true;
	if ((fd = open(initrd, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		msg_error("cannot create %s: %s", initrd, strerror(errno));
		return -1;
	}
	image_open(&w, fd);
	rc = store_run_write(&w, o, sr, o->workdir ? o->workdir : "/");
	if (rc) {
		msg_error("%s", w.err);
	} else if (agent_write(&w, o, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		rc = -1;
	}
	image_close(&w);
	if (close(fd) && !rc) {
		msg_error("cannot write %s: %s", initrd, strerror(errno));
		rc = -1;
	}
	return rc ? -1 : 0;
}

static int remove_one(const char *path, const struct stat *st __attribute__((unused)),
		      int flag __attribute__((unused)), struct FTW *ftw __attribute__((unused)))
{
	return remove(path);
}

/* The domain name libvirt gets: "monos-" and the image's name, tamed. */
static void domain_name(char *out, size_t n, const char *image)
{
	size_t len = (size_t)snprintf(out, n, "monos-%s", image);

	for (size_t i = 0; i < len && i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
			    out[i]))
			out[i] = '-';
}

/* A libvirt domain of type qemu (TCG where there is no hardware KVM) on
 * q35 with SeaBIOS that boots the disk; the serial port is its console. */
static void print_libvirt_xml(const struct export_args *a, const struct run_options *o)
{
	char name[128], *abs = realpath(a->output, NULL);

	domain_name(name, sizeof(name), a->image);
	printf("<domain type='qemu'>\n"
	       "  <name>%s</name>\n"
	       "  <memory unit='KiB'>%llu</memory>\n"
	       "  <vcpu>1</vcpu>\n"
	       "  <os>\n"
	       "    <type arch='x86_64' machine='q35'>hvm</type>\n"
	       "    <boot dev='hd'/>\n"
	       "  </os>\n"
	       "  <features><acpi/></features>\n"
	       "  <on_poweroff>destroy</on_poweroff>\n"
	       "  <on_reboot>restart</on_reboot>\n"
	       "  <on_crash>destroy</on_crash>\n"
	       "  <devices>\n"
	       "    <disk type='file' device='disk'>\n"
	       "      <driver name='qemu' type='%s'/>\n"
	       "      <source file='%s'/>\n"
	       "      <target dev='vda' bus='virtio'/>\n"
	       "    </disk>\n"
	       "    <interface type='user'>\n"
	       "      <model type='virtio'/>\n"
	       "    </interface>\n"
	       "    <serial type='pty'><target port='0'/></serial>\n"
	       "    <console type='pty'><target type='serial' port='0'/></console>\n"
	       "  </devices>\n"
	       "</domain>\n",
	       name, (unsigned long long)(o->memory >> 10),
	       a->format == EXPORT_QCOW2 ? "qcow2" : "raw", abs ? abs : a->output);
	free(abs);
}

int export_pack(struct export_pack *p, const char *image, const char *tmp, unsigned grace_s)
{
	memset(p, 0, sizeof(*p));
	options_init(&p->o);
	snprintf(p->initrd, sizeof(p->initrd), "%s/image.cpio", tmp);
	p->slot = (struct export_slot){ .kernel = p->kernel,
					.initrd = p->initrd,
					.grace_s = grace_s };
	if (run_find_kernel(p->kernel, sizeof(p->kernel)) ||
	    pack_image(image, p->initrd, &p->o, &p->sr))
		return -1;
	p->slot.restart = restart_name(p->o.restart);
	p->slot.health = p->o.agent.health != NULL;
	/* The name cut so that the whole fits the block's bound. */
	snprintf(p->slot.image, sizeof(p->slot.image), "%.*s@%s",
		 (int)(BOOTSLOT_IMAGE_MAX - 1 - strlen(p->sr.img.digest)), image, p->sr.img.digest);
	return 0;
}

void export_pack_free(struct export_pack *p)
{
	store_run_free(&p->sr);
	options_free(&p->o);
}

static int export_image(const struct export_args *a, const char *tmp)
{
	char raw[PATH_MAX + 16];
	struct export_pack *p = malloc(sizeof(*p));
	const char *convert[] = { "qemu-img", "convert", "-f",	    "raw", "-O",
				  "qcow2",    raw,	 a->output, NULL };
	int rc = -1;

	snprintf(raw, sizeof(raw), "%s/disk.raw", tmp);
	if (!p) {
		msg_error("out of memory");
		return -1;
	}
	if (export_pack(p, a->image, tmp, a->grace_s) ||
	    export_disk_write(a->format == EXPORT_QCOW2 ? raw : a->output, tmp, &p->slot))
		goto out;
	if (a->format == EXPORT_QCOW2 && export_run(convert, "qemu-utils"))
		goto out;
	if (a->libvirt_xml)
		print_libvirt_xml(a, &p->o);
	rc = 0;
out:
	export_pack_free(p);
	free(p);
	return rc;
}

int export_tmpdir(char *out, size_t n)
{
	const char *base = getenv("TMPDIR");

	snprintf(out, n, "%s/monos-export-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(out)) {
		msg_error("cannot create a temporary directory: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void export_tmpdir_remove(const char *dir)
{
	nftw(dir, remove_one, EXPORT_NFTW_FDS, FTW_DEPTH | FTW_PHYS);
}

int cmd_export_main(int argc, char **argv)
{
	struct export_args a;
	char tmp[PATH_MAX];
	int rc = parse_args(argc, argv, &a);

	if (rc)
		return rc > 0 ? 0 : CLI_EXIT_ERROR;
	if (a.format == EXPORT_GCE) {
		msg_error("--format gce: refused: Google Compute Engine attaches disks through "
			  "virtio-scsi or NVMe, which the monos kernel does not drive yet, so it "
			  "could neither read its image nor mark a good boot there");
		return CLI_EXIT_ERROR;
	}
	if (export_tmpdir(tmp, sizeof(tmp)))
		return CLI_EXIT_ERROR;
	rc = export_image(&a, tmp);
	export_tmpdir_remove(tmp);
	if (rc)
		unlink(a.output);
	return rc ? CLI_EXIT_ERROR : 0;
}
