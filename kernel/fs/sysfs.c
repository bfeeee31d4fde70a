/*
 * /sys: the few files libc and runtimes read, built like /proc (generated
 * text).  glibc's get_nprocs reads /sys/devices/system/cpu/online; others
 * read possible and present.  One CPU: "0".  /sys/block/DISK/size and ro
 * for each disk of the block layer (drivers/blk.h).
 */
#include "fs/procfs.h"
#include "fs/mount.h"
#include "core/kernel.h"
#include "drivers/blk.h"
#include <lib/fmt.h>

#define SYSFS_MAGIC  0x62656572 /* include/uapi/linux/magic.h */
#define SYSFS_DEV    0x0016
#define THP_PMD_SIZE (2ul << 20) /* one page-directory entry maps 2 MiB */

struct vfs_sb sysfs_sb = { .name = "sysfs",
			   .magic = SYSFS_MAGIC,
			   .dev = SYSFS_DEV,
			   .rdonly = true,
			   .iops = &libfs_ro_iops };

static long gen_cpus(struct inode *ino, char *buf, size_t n)
{
	return fmt_snprintf(buf, n, "0\n");
}

static long gen_thp(struct inode *ino, char *buf, size_t n)
{
	return fmt_snprintf(buf, n, "always madvise [never]\n");
}

/* The PMD huge page size, which Linux shows even with THP off: Go's runtime
 * reads it at start to size its heap chunks (runtime.osinit). */
static long gen_thp_size(struct inode *ino, char *buf, size_t n)
{
	return fmt_snprintf(buf, n, "%lu\n", THP_PMD_SIZE);
}

/* /sys/block/DISK/: the disk named by the file's folder. */
static struct blk_dev *sys_block_dev(struct inode *ino)
{
	const struct dentry *dir = ino->dentry->parent;
	char name[16];

	if (dir->namelen >= sizeof(name))
		return NULL;
	memcpy(name, dir->name, dir->namelen); /* dentry names are not terminated */
	name[dir->namelen] = 0;
	return blk_find(name);
}

/* size: 512-byte sectors, whatever the logical block size (Linux's). */
static long gen_block_size(struct inode *ino, char *buf, size_t n)
{
	struct blk_dev *d = sys_block_dev(ino);

	return d ? fmt_snprintf(buf, n, "%lu\n", d->sectors) : -ENODEV;
}

static long gen_block_ro(struct inode *ino, char *buf, size_t n)
{
	struct blk_dev *d = sys_block_dev(ino);

	return d ? fmt_snprintf(buf, n, "%d\n", d->ro) : -ENODEV;
}

/* /sys/block/vda/{size,ro} for each disk (a folder, where Linux has a link
 * into /sys/devices: readers open the files through it alike). */
static void sysfs_block_init(struct inode *sys)
{
	struct inode *block = procfs_dir(sys, "block");

	for (unsigned i = 0; i < blk_count(); i++) {
		struct inode *disk = procfs_dir(block, blk_get(i)->name);
		procfs_file(disk, "size", gen_block_size, 0444);
		procfs_file(disk, "ro", gen_block_ro, 0444);
	}
}

void sysfs_init(void)
{
	struct inode *sys = vfs_mknode(vfs_root(), "sys", S_IFDIR | 0555), *cpu, *mm;

	if (!sys)
		boot_out_of_memory("/sys");
	if (!S_ISDIR(sys->mode)) /* the CLI never packs one: a hand-made image */
		panic("boot: the image has a file where /sys must be a directory");
	list_init(&sys->dentry->children); /* the mount hides the image's /sys */
	sys->sb = &sysfs_sb;
	mount_boot(&sysfs_sb, sys, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	cpu = procfs_dir(procfs_dir(procfs_dir(sys, "devices"), "system"), "cpu");
	procfs_file(cpu, "online", gen_cpus, 0444);
	procfs_file(cpu, "possible", gen_cpus, 0444);
	procfs_file(cpu, "present", gen_cpus, 0444);
	mm = procfs_dir(procfs_dir(procfs_dir(sys, "kernel"), "mm"), "transparent_hugepage");
	procfs_file(mm, "enabled", gen_thp, 0444);
	procfs_file(mm, "hpage_pmd_size", gen_thp_size, 0444);
	sysfs_block_init(sys);
}
