/*
 * /dev: the character devices programs expect (null, zero, full, random,
 * urandom, tty, console) and stdin, stdout and stderr, which reopen the
 * program's fds 0-2 as Linux's /proc/self/fd links do; the fd link to
 * /proc/self/fd; ptmx and the pts
 * directory of the pseudo-terminals (fs/pty.c); /dev/shm (tmpfs).  Device numbers are
 * Linux's (Documentation/admin-guide/devices.txt).
 */
#include "fs/vfs.h"
#include "fs/mount.h"
#include "core/console.h"
#include "core/cred.h"
#include "core/kernel.h"
#include "core/random.h"
#include "core/uaccess.h"
#include "fs/pty.h"
#include "fs/tty.h"
#include "linux/uapi.h"

#define DEV_MODE  (S_IFCHR | 0666)
#define DEVFS_DEV 0x0005

/* devtmpfs is a tmpfs of the default size that holds no data. */
static void devfs_space(const struct vfs_sb *sb, struct vfs_space *sp)
{
	sp->blocks = sp->bfree = tmpfs_max_pages();
}

struct vfs_sb devfs_sb = { .name = "devtmpfs",
			   .magic = TMPFS_MAGIC,
			   .dev = DEVFS_DEV,
			   .space = devfs_space,
			   .evict = tmpfs_evict, /* files made in /dev are tmpfs' */
			   .iops = &libfs_rw_iops };
#define MKDEV(major, minor) (((major) << 8) | (minor))

static long null_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	return 0;
}

static long null_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	return n;
}

static long zero_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	memset(kbuf, 0, n);
	return n;
}

/* The user-buffer forms: /dev/null never looks at the buffer (Linux's does
 * not either: write(null_fd, NULL, 10) is 10), /dev/zero clears it in place. */
static long null_read_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return 0;
}

static long null_write_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return n;
}

static long zero_read_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return clear_user(ubuf, n) ? -EFAULT : (long)n;
}

static long full_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	return -ENOSPC;
}

static long random_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	random_fill(kbuf, n);
	return n;
}

/* Devices are not seekable in the sense of a position, but lseek on them
 * succeeds (and returns 0) on Linux: seekable with no size does that. */
static const struct file_ops null_ops = { .read = null_read,
					  .write = null_write,
					  .read_user = null_read_user,
					  .write_user = null_write_user,
					  .seekable = true };
static const struct file_ops zero_ops = { .read = zero_read,
					  .write = null_write,
					  .read_user = zero_read_user,
					  .write_user = null_write_user,
					  .seekable = true };
static const struct file_ops full_ops = {
	.read = zero_read, .write = full_write, .read_user = zero_read_user, .seekable = true
};
static const struct file_ops random_ops = { .read = random_read,
					    .write = null_write,
					    .seekable = true };

/* /dev/stdin, /dev/stdout, /dev/stderr, /dev/console: the program's own
 * descriptors (for console, fd 0). */
static struct file *reopen_fd(struct inode *ino, unsigned flags)
{
	int fd = ino->rdev == MKDEV(5, 1) ? 0 : (int)ino->rdev - 0xfd00;
	struct file *f = fd_get(fd);

	if (!f)
		return ERR_PTR(-ENXIO);
	f->refs++;
	return f;
}

/* /dev/tty: the controlling terminal (fs/tty.c), ENXIO without one. */
static struct file *open_ctty(struct inode *ino, unsigned flags)
{
	return tty_open_ctty(flags);
}

static const struct file_ops reopen_ops = { .open = reopen_fd };
static const struct file_ops tty_ops = { .open = open_ctty };

struct dev {
	const char *name;
	uint32_t rdev, mode;
	const struct file_ops *ops;
};

static const struct dev devices[] = {
	{ "null", MKDEV(1, 3), DEV_MODE, &null_ops },
	{ "zero", MKDEV(1, 5), DEV_MODE, &zero_ops },
	{ "full", MKDEV(1, 7), DEV_MODE, &full_ops },
	{ "random", MKDEV(1, 8), DEV_MODE, &random_ops },
	{ "urandom", MKDEV(1, 9), DEV_MODE, &random_ops },
	{ "tty", MKDEV(5, 0), DEV_MODE, &tty_ops },
	{ "ptmx", MKDEV(5, 2), DEV_MODE, &pty_ptmx_ops },
	{ "console", MKDEV(5, 1), S_IFCHR | 0600, &reopen_ops },
	/* Not devices on Linux but links to /proc/self/fd/N; rdev here only
	 * tells reopen_fd which fd (0xfd00 + N), and stat shows a char device. */
	{ "stdin", 0xfd00, S_IFCHR | 0600, &reopen_ops },
	{ "stdout", 0xfd01, S_IFCHR | 0600, &reopen_ops },
	{ "stderr", 0xfd02, S_IFCHR | 0600, &reopen_ops },
};

void devfs_init(void)
{
	struct inode *dev = vfs_mknode(vfs_root(), "dev", S_IFDIR | 0755);

	if (!dev)
		boot_out_of_memory("/dev");
	if (!S_ISDIR(dev->mode)) /* the CLI never packs one: a hand-made image */
		panic("boot: the image has a file where /dev must be a directory");
	dev->sb = &devfs_sb;
	mount_boot(&devfs_sb, dev, "devtmpfs", MS_NOSUID);
	for (unsigned i = 0; i < ARRAY_SIZE(devices); i++) {
		struct inode *ino = vfs_mknode(dev, devices[i].name, devices[i].mode);
		if (!ino)
			boot_out_of_memory("/dev");
		ino->mode = devices[i].mode;
		ino->rdev = devices[i].rdev;
		ino->fops = devices[i].ops;
		ino->size = 0;
		ino->data = NULL;
		ino->sb = &devfs_sb;
		/* The terminal is the user's, as a container runtime makes
		 * it; the links to fds 0-2 stand for what the user holds. */
		if (devices[i].ops == &reopen_ops) {
			ino->uid = cred_current()->uid;
			ino->gid = cred_current()->gid;
		}
	}
	/* /dev/fd, as udev and container runtimes make it: bash's process
	 * substitution passes "/dev/fd/63" to the commands it runs.  Made by
	 * the filesystem itself, with no permission check: under `monos run
	 * -u` the boot already has the user's credentials. */
	if (vfs_iops(dev)->symlink(dev, "fd", 2, "/proc/self/fd", 13))
		boot_out_of_memory("/dev/fd");
	pty_init(dev);
	blkdev_init(dev, &devfs_sb);
	/* /dev/shm, as Linux mounts it: where shm_open and sem_open (glibc and
	 * musl) make the files they map MAP_SHARED. */
	if (!tmpfs_mount_dir(dev, "shm"))
		boot_out_of_memory("/dev/shm");
}
