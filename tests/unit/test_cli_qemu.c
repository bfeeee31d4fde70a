/*
 * Unit tests of the QEMU backend (cli/qemu.c): the accelerator choice on
 * fake /dev and /sys trees (hardware KVM, kvm_pvm, no /dev/kvm, forced
 * modes) and QEMU's command line.
 */
#include "unit.h"

#include "../../cli/msg.c"
#include "../../cli/qemu.c"

static char root[64];

static void touch(const char *rel, bool dir)
{
	char p[256];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	if (dir)
		mkdir(p, 0755);
	else
		close(open(p, O_CREAT | O_RDWR, 0600));
}

TEST(qemu_accel_choice)
{
	char why[256], p[256];
	bool kvm;

	snprintf(root, sizeof(root), "/tmp/monos-qemutest.XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	touch("/dev", true);
	touch("/sys", true);
	touch("/sys/module", true);
	/* No /dev/kvm: auto falls back, forced kvm fails. */
	CHECK_EQ(qemu_pick_accel(OPTIONS_ACCEL_AUTO, root, &kvm, why, sizeof(why)), 0);
	CHECK(!kvm && strstr(why, "/dev/kvm") != NULL);
	CHECK_EQ(qemu_pick_accel(OPTIONS_ACCEL_KVM, root, &kvm, why, sizeof(why)), -ENOENT);
	/* /dev/kvm from kvm_pvm alone: emulation, so TCG. */
	touch("/dev/kvm", false);
	touch("/sys/module/kvm_pvm", true);
	CHECK_EQ(qemu_pick_accel(OPTIONS_ACCEL_AUTO, root, &kvm, why, sizeof(why)), 0);
	CHECK(!kvm);
	CHECK_STR(why, "kvm is kvm_pvm emulation, not hardware");
	CHECK_EQ(qemu_pick_accel(OPTIONS_ACCEL_KVM, root, &kvm, why, sizeof(why)), 0);
	CHECK(kvm);
	CHECK_EQ(qemu_pick_accel(OPTIONS_ACCEL_TCG, root, &kvm, why, sizeof(why)), 0);
	CHECK(!kvm);
	/* Hardware KVM. */
	touch("/sys/module/kvm_amd", true);
	CHECK_EQ(qemu_pick_accel(OPTIONS_ACCEL_AUTO, root, &kvm, why, sizeof(why)), 0);
	CHECK(kvm);
	CHECK_STR(why, "hardware kvm_amd");
	snprintf(p, sizeof(p), "rm -rf %s", root);
	CHECK(system(p) == 0);
}

static int find_arg(char **argv, const char *a)
{
	for (int i = 0; argv[i]; i++)
		if (strcmp(argv[i], a) == 0)
			return i;
	return -1;
}

TEST(qemu_command_line)
{
	struct qemu_config cfg = {
		.qemu = "/q", .kernel = "/k", .initrd = "/i", .memory = 256u << 20, .trace = true
	};
	char *argv[64], buf[256];
	int n = qemu_build_argv(&cfg, argv, 64, buf, sizeof(buf)), i;

	CHECK(n > 20 && argv[n] == NULL);
	CHECK_STR(argv[0], "/q");
	CHECK((i = find_arg(argv, "-m")) > 0 && strcmp(argv[i + 1], "256M") == 0);
	CHECK((i = find_arg(argv, "-cpu")) > 0 && strcmp(argv[i + 1], "max") == 0);
	CHECK((i = find_arg(argv, "-accel")) > 0 && strcmp(argv[i + 1], "tcg") == 0);
	CHECK((i = find_arg(argv, "-append")) > 0 &&
	      strcmp(argv[i + 1], "monos.channel=1 monos.trace=1") == 0);
	CHECK((i = find_arg(argv, "-initrd")) > 0 && strcmp(argv[i + 1], "/i") == 0);
	CHECK(find_arg(argv, "microvm,acpi=off,pit=on,rtc=on") > 0);
	CHECK(find_arg(argv, "isa-debug-exit,iobase=0xf4,iosize=4") > 0);
	cfg.kvm = true, cfg.trace = false, cfg.verbose = true, cfg.memory = 1536u << 10;
	n = qemu_build_argv(&cfg, argv, 64, buf, sizeof(buf));
	CHECK((i = find_arg(argv, "-cpu")) > 0 && strcmp(argv[i + 1], "host") == 0);
	CHECK((i = find_arg(argv, "-accel")) > 0 && strcmp(argv[i + 1], "kvm") == 0);
	CHECK((i = find_arg(argv, "-m")) > 0 && strcmp(argv[i + 1], "1536K") == 0);
	CHECK((i = find_arg(argv, "-append")) > 0 &&
	      strcmp(argv[i + 1], "monos.channel=1 monos.verbose=1") == 0);
	CHECK_EQ(qemu_build_argv(&cfg, argv, 10, buf, sizeof(buf)), -E2BIG);
	CHECK(find_arg(argv, "-netdev") < 0);			       /* no --net: no device */
	CHECK(find_arg(argv, "virtserialport,chardev=vcon,nr=1") < 0); /* vcon off */
}

TEST(qemu_virtio_console)
{
	struct qemu_config cfg = {
		.qemu = "/q", .kernel = "/k", .initrd = "/i", .memory = 64u << 20, .vcon = true
	};
	char *argv[64], buf[256];
	int i;

	/* The channel's fast wire: a serial port (not a console: QEMU drops
	 * what a console port sends when the host is slow) at nr=1 on fd 3. */
	CHECK(qemu_build_argv(&cfg, argv, 64, buf, sizeof(buf)) > 0);
	CHECK((i = find_arg(argv, "socket,id=vcon,fd=3")) > 0 &&
	      strcmp(argv[i - 1], "-chardev") == 0);
	CHECK(find_arg(argv, "virtio-serial-device,max_ports=2") > 0);
	CHECK(find_arg(argv, "virtserialport,chardev=vcon,nr=1") > 0);
	cfg.machine = OPTIONS_MACHINE_Q35;
	CHECK(qemu_build_argv(&cfg, argv, 64, buf, sizeof(buf)) > 0);
	CHECK(find_arg(argv, "virtio-serial-pci,max_ports=2,disable-legacy=on") > 0);
	CHECK(find_arg(argv, "virtio-serial-device,max_ports=2") < 0);
}

TEST(qemu_networks_and_machines)
{
	struct qemu_config cfg = { .qemu = "/q",
				   .kernel = "/k",
				   .initrd = "/i",
				   .memory = 64u << 20,
				   .net = OPTIONS_NET_USER,
				   .publish = ",hostfwd=tcp:127.0.0.1:8080-:80" };
	char *argv[64], buf[512];
	int i;

	CHECK(qemu_build_argv(&cfg, argv, 64, buf, sizeof(buf)) > 0);
	CHECK((i = find_arg(argv, "-netdev")) > 0 &&
	      strcmp(argv[i + 1], "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80") == 0);
	CHECK((i = find_arg(argv, "-device")) > 0 &&
	      find_arg(argv, "virtio-net-device,netdev=net0") > 0);
	CHECK(find_arg(argv, "virtio-mmio.force-legacy=false") > 0);
	/* q35: PCI, modern-only virtio; tap; --ip and --gateway as kernel options. */
	cfg.machine = OPTIONS_MACHINE_Q35, cfg.net = OPTIONS_NET_TAP, cfg.tap = "tap7";
	cfg.ip = "192.168.7.2/24", cfg.gateway = "192.168.7.1", cfg.mac = "0a:58:0a:00:00:05";
	CHECK(qemu_build_argv(&cfg, argv, 64, buf, sizeof(buf)) > 0);
	CHECK((i = find_arg(argv, "-M")) > 0 && strcmp(argv[i + 1], "q35") == 0);
	CHECK(find_arg(argv, "virtio-mmio.force-legacy=false") < 0);
	CHECK((i = find_arg(argv, "-netdev")) > 0 &&
	      strcmp(argv[i + 1], "tap,id=net0,script=no,downscript=no,ifname=tap7") == 0);
	CHECK(find_arg(argv, "virtio-net-pci,netdev=net0,disable-legacy=on,mac=0a:58:0a:00:00:05") >
	      0);
	CHECK((i = find_arg(argv, "-append")) > 0 &&
	      strcmp(argv[i + 1],
		     "monos.channel=1 monos.ip=192.168.7.2/24 monos.gateway=192.168.7.1") == 0);
	CHECK(find_arg(argv, "isa-debug-exit,iobase=0xf4,iosize=4") > 0);
	/* Built strings that do not fit are refused, never cut. */
	CHECK_EQ(qemu_build_argv(&cfg, argv, 64, buf, 40), -E2BIG);
}

int main(void)
{
	RUN(qemu_accel_choice);
	RUN(qemu_virtio_console);
	RUN(qemu_command_line);
	RUN(qemu_networks_and_machines);
	return unit_summary();
}
