/*
 * Unit tests of the host side of shares (cli/share.c): QEMU's -fsdev and
 * -device values for each machine (',' doubled in the path, readonly=on
 * for :ro), the per-run "volumes" lines the kernel mounts (after the
 * disks'), --rootfs's lines (every top-level directory but the guest's
 * own), which host paths a share covers (not packed), and their place in
 * QEMU's command line.
 */
#include "unit.h"

#include "../../cli/share.c"
#include "../../cli/msg.c"
#include "../../cli/qemu.c"

/* share.c packs --rootfs /'s top-level symlinks through the image writer,
 * which these tests do not exercise. */
int image_add_host_path(struct image_writer *w, const char *path)
{
	(void)w, (void)path;
	return 0;
}

static struct options_share share(const char *path, const char *target, bool ro)
{
	return (struct options_share){ .path = strdup(path),
				       .target = target ? strdup(target) : NULL,
				       .ro = ro };
}

static void free_shares(struct run_options *o)
{
	for (size_t i = 0; i < o->nshares; i++) {
		free(o->shares[i].path);
		free(o->shares[i].target);
		free(o->shares[i].fsdev);
		free(o->shares[i].device);
	}
	free(o->volumes);
}

TEST(share_qemu_values_and_volume_lines)
{
	struct options_share s[2] = { share("/srv/a,b", "/data", true),
				      share("/usr", "/usr", false) };
	struct run_options o = { .shares = s, .nshares = 2 };
	char err[128];

	o.volumes = strdup("1\nvda /vol rw\n"); /* the disks' come first */
	CHECK_EQ(share_prepare(&o, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), 0);
	CHECK(strstr(s[0].fsdev, "local,id=fs0,path=/srv/a,,b,security_model=") == s[0].fsdev);
	CHECK(strstr(s[0].fsdev, ",multidevs=remap,readonly=on") != NULL);
	CHECK(strstr(s[1].fsdev, "readonly") == NULL);
	CHECK_STR(s[0].device, "virtio-9p-device,fsdev=fs0,mount_tag=monos0");
	CHECK_STR(o.volumes, "1\nvda /vol rw\n9p:monos0 /data ro\n9p:monos1 /usr rw\n");
	free_shares(&o);

	s[0] = share("/tmp", "/t", false);
	o = (struct run_options){ .shares = s, .nshares = 1 };
	CHECK_EQ(share_prepare(&o, OPTIONS_MACHINE_Q35, err, sizeof(err)), 0);
	CHECK_STR(s[0].device, "virtio-9p-pci,disable-legacy=on,fsdev=fs0,mount_tag=monos0");
	CHECK_STR(o.volumes, "1\n9p:monos0 /t rw\n");
	free_shares(&o);
}

TEST(share_rootfs_lines)
{
	struct options_share s[1] = { share("/", NULL, true) };
	struct run_options o = { .shares = s, .nshares = 1, .rootfs = true };
	char err[128];

	CHECK_EQ(share_prepare(&o, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), 0);
	CHECK_STR(s[0].device, "virtio-9p-device,fsdev=fs0,mount_tag=rootfs");
	/* The share is the root itself; the guest's own /tmp and /run (monos
	 * run always has them); /proc, /dev and /sys are the kernel's own,
	 * pinned over the root by name, so no line names them. */
	CHECK_STR(o.volumes, "1\n9p:rootfs / ro\ntmpfs /tmp rw\ntmpfs /run rw\n");
	CHECK(strstr(o.volumes, " /proc ") == NULL && strstr(o.volumes, " /dev ") == NULL &&
	      strstr(o.volumes, " /sys ") == NULL);
	CHECK(share_covers(&o, "/usr/bin/python3"));
	CHECK(!share_covers(&o, "/tmp/x"));
	free_shares(&o);
}

TEST(share_covers_only_the_same_path)
{
	struct options_share s[2] = { share("/usr", "/usr", true), share("/srv", "/data", true) };
	struct run_options o = { .shares = s, .nshares = 2 };

	CHECK(share_covers(&o, "/usr/lib/x86_64-linux-gnu/libc.so.6"));
	CHECK(share_covers(&o, "/usr"));
	CHECK(!share_covers(&o, "/usr2/x"));
	CHECK(!share_covers(&o, "/srv/x")); /* served at /data, not /srv */
	CHECK(!share_covers(&o, "/lib/x"));
	free(s[0].path), free(s[0].target), free(s[1].path), free(s[1].target);
}

TEST(share_in_qemu_argv)
{
	struct options_share s = { .fsdev = "local,id=fs0,path=/x", .device = "virtio-9p-device" };
	struct qemu_config cfg = { .qemu = "qemu",
				   .kernel = "k",
				   .initrd = "i",
				   .memory = 1 << 28,
				   .shares = &s,
				   .nshares = 1 };
	char *argv[QEMU_MAX_ARGS], buf[4096];
	int n = qemu_build_argv(&cfg, argv, QEMU_MAX_ARGS, buf, sizeof(buf)), at = -1;

	CHECK(n > 0);
	for (int i = 0; i < n; i++)
		if (!strcmp(argv[i], "-fsdev"))
			at = i;
	CHECK(at > 0 && !strcmp(argv[at + 1], s.fsdev) && !strcmp(argv[at + 2], "-device") &&
	      !strcmp(argv[at + 3], s.device));
}

int main(void)
{
	RUN(share_qemu_values_and_volume_lines);
	RUN(share_rootfs_lines);
	RUN(share_covers_only_the_same_path);
	RUN(share_in_qemu_argv);
	return unit_summary();
}
