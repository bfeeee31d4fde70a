/*
 * Unit tests of --disk's host side (cli/disk.c): the format read from the
 * file (raw, qcow2; a qcow2 with a backing or external data file refused),
 * QEMU's -drive and -device values for each machine (absolute path, ','
 * doubled, readonly=on, host_device for a block device), the checks
 * (missing, directory, twice), and their place in QEMU's command line.
 */
#include "unit.h"

#include "../../cli/disk.c"
#include "../../cli/msg.c"
#include "../../cli/qemu.c"

static char dir[64];

static int find_arg(char **argv, const char *a)
{
	for (int i = 0; argv[i]; i++)
		if (strcmp(argv[i], a) == 0)
			return i;
	return -1;
}

/* A file `name` in the test folder holding `len` bytes of `data`. */
static char *make(const char *name, const void *data, size_t len)
{
	static char path[8][128];
	static unsigned next;
	char *p = path[next++ % 8];
	int fd;

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	fd = open(p, O_CREAT | O_TRUNC | O_RDWR, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || ftruncate(fd, 1 << 20))
		abort();
	close(fd);
	return p;
}

/* disk_prepare on one disk: its status, err in `err`. */
static int prepare1(struct options_disk *d, enum options_machine m, char *err, size_t errlen)
{
	struct run_options o = { .disks = d, .ndisks = 1 };

	return disk_prepare(&o, m, err, errlen);
}

/* What disk_prepare made, and the lock it holds for the run. */
static void disk_free(struct options_disk *d)
{
	free(d->drive);
	free(d->device);
	d->drive = d->device = NULL;
	if (d->lock_fd > 0)
		close(d->lock_fd);
	d->lock_fd = 0;
}

TEST(disk_formats)
{
	unsigned char q[QCOW2_HEADER_V3] = "QFI\xfb\0\0\0\3";
	char err[512], want[256];
	struct options_disk d = { .path = make("raw,img", "hello", 5) };

	CHECK_EQ(prepare1(&d, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), 0);
	snprintf(want, sizeof(want),
		 "if=none,id=disk0,format=raw,file.driver=file,file.filename=%s/raw,,img", dir);
	CHECK_STR(d.drive, want);
	CHECK_STR(d.device, "virtio-blk-device,drive=disk0");
	disk_free(&d);
	d.ro = true;
	CHECK_EQ(prepare1(&d, OPTIONS_MACHINE_Q35, err, sizeof(err)), 0);
	CHECK(strstr(d.drive, ",readonly=on") != NULL);
	CHECK_STR(d.device, "virtio-blk-pci,disable-legacy=on,drive=disk0");
	disk_free(&d);
	d = (struct options_disk){ .path = make("q.qcow2", q, sizeof(q)) };
	CHECK_EQ(prepare1(&d, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), 0);
	CHECK(strstr(d.drive, "format=qcow2,") != NULL);
	disk_free(&d);
	q[QCOW2_INCOMPATIBLE + 7] = QCOW2_F_EXTERNAL_DATA;
	d.path = make("ext.qcow2", q, sizeof(q));
	CHECK_EQ(prepare1(&d, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), -1);
	CHECK(strstr(err, "external data file") != NULL);
	q[QCOW2_INCOMPATIBLE + 7] = 0;
	q[QCOW2_BACKING_OFFSET + 7] = 0x80;
	d.path = make("back.qcow2", q, sizeof(q));
	CHECK_EQ(prepare1(&d, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), -1);
	CHECK(strstr(err, "backing file is not supported") != NULL);
}

TEST(disk_refusals)
{
	char err[512];
	struct options_disk d = { .path = dir }, two[2];
	struct run_options o = { .disks = two, .ndisks = 2 };

	CHECK_EQ(prepare1(&d, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), -1);
	CHECK(strstr(err, "is a directory") != NULL);
	d.path = "/nonexistent/disk.img";
	CHECK_EQ(prepare1(&d, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), -1);
	CHECK_STR(err, "--disk /nonexistent/disk.img: No such file or directory");
	d.path = "/dev/null";
	CHECK_EQ(prepare1(&d, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), -1);
	CHECK(strstr(err, "not a regular file or a block device") != NULL);
	two[0] = (struct options_disk){ .path = make("a.img", "a", 1) };
	two[1] = (struct options_disk){ .path = two[0].path, .ro = true };
	CHECK_EQ(disk_prepare(&o, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), -1);
	CHECK(strstr(err, "attached twice") != NULL);
	disk_free(&two[0]);
}

/* A run holds its disks: exclusive read-write, shared read-only. */
TEST(disk_locks)
{
	char err[512];
	struct options_disk a = { .path = make("l.img", "l", 1) }, b = { .path = a.path };

	CHECK_EQ(prepare1(&a, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), 0);
	CHECK_EQ(prepare1(&b, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), -1);
	CHECK(strstr(err, "is in use by a running instance") != NULL);
	b.ro = true;
	CHECK_EQ(prepare1(&b, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), -1);
	disk_free(&a);
	a.ro = true;
	CHECK_EQ(prepare1(&a, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), 0);
	CHECK_EQ(prepare1(&b, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), 0); /* both read-only */
	disk_free(&a);
	disk_free(&b);
	b.ro = false;
	CHECK_EQ(prepare1(&b, OPTIONS_MACHINE_MICROVM, err, sizeof(err)), 0); /* released */
	disk_free(&b);
}

TEST(disk_command_line)
{
	struct options_disk disks[2] = { { .drive = "D0", .device = "V0" },
					 { .drive = "D1", .device = "V1" } };
	struct qemu_config cfg = { .qemu = "/q",
				   .kernel = "/k",
				   .initrd = "/i",
				   .memory = 256u << 20,
				   .disks = disks,
				   .ndisks = 2 };
	char *argv[64], buf[256];
	int i;

	CHECK(qemu_build_argv(&cfg, argv, 64, buf, sizeof(buf)) > 0);
	CHECK((i = find_arg(argv, "D0")) > 0 && !strcmp(argv[i - 1], "-drive") &&
	      !strcmp(argv[i + 1], "-device") && !strcmp(argv[i + 2], "V0") &&
	      !strcmp(argv[i + 3], "-drive") && !strcmp(argv[i + 4], "D1") &&
	      !strcmp(argv[i + 6], "V1"));
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_cli_disk.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN(disk_formats);
	RUN(disk_refusals);
	RUN(disk_locks);
	RUN(disk_command_line);
	char rm[128];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm) < 0)
		return 1;
	return unit_summary();
}
