/*
 * The VFS: inodes in one tree, open files, and the program's descriptor
 * table.  This first version has one filesystem, the image (fs/image.c,
 * read-only, from the initrd), and the console files behind fds 0-2
 * (fs/console_file.c).  tmpfs, /dev and /proc plug in as further inode and
 * file operations.
 */
#ifndef FS_VFS_H
#define FS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/list.h>

#define PATH_MAX    4096
#define NAME_MAX    255
#define SYMLOOP_MAX 40

/* Linux's mode bits (include/uapi/linux/stat.h). */
#define S_IFMT	   0170000
#define S_IFSOCK   0140000
#define S_IFLNK	   0120000
#define S_IFREG	   0100000
#define S_IFDIR	   0040000
#define S_IFCHR	   0020000
#define S_IFIFO	   0010000
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)

/* open flags (include/uapi/asm-generic/fcntl.h) */
#define O_ACCMODE	    3
#define O_RDONLY	    0
#define O_WRONLY	    1
#define O_RDWR		    2
#define O_CREAT		    0100
#define O_EXCL		    0200
#define O_NOCTTY	    0400
#define O_TRUNC		    01000
#define O_APPEND	    02000
#define O_NONBLOCK	    04000
#define O_DIRECTORY	    0200000
#define O_NOFOLLOW	    0400000
#define O_CLOEXEC	    02000000
#define O_PATH		    010000000
#define AT_FDCWD	    (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS	    0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_EMPTY_PATH	    0x1000

struct inode {
	uint64_t ino;
	uint32_t mode, uid, gid, nlink;
	uint64_t size;
	uint64_t mtime;	      /* seconds */
	const uint8_t *data;  /* image files: the bytes, in the initrd */
	struct inode *parent; /* directories: ".." (the root: itself) */
	const char *name;     /* the entry's name in its parent */
	size_t namelen;
	struct list_head children; /* directories: struct inode.sibling */
	struct list_head sibling;
	const struct file_ops *fops; /* devices: their operations; NULL: image file */
	uint32_t rdev;		     /* devices: (major << 8) | minor */
};

struct file;
struct file_ops {
	/* Optional: open the inode yourself (e.g. /dev/stdout reopens fd 1). */
	struct file *(*open)(struct inode *ino, unsigned flags);
	long (*read)(struct file *f, void *kbuf, size_t n, uint64_t off);
	long (*write)(struct file *f, const void *kbuf, size_t n, uint64_t off);
	long (*ioctl)(struct file *f, unsigned cmd, uint64_t arg);
	bool seekable; /* false: pipes, terminals (lseek gives -ESPIPE) */
};

/* An open file description (shared by dup'ed descriptors). */
struct file {
	int refs;
	unsigned flags; /* O_* status flags (O_APPEND, O_NONBLOCK, access mode) */
	uint64_t off;	/* file position */
	struct inode *inode;
	const struct file_ops *ops;
	int stream; /* console files: 0, 1 or 2 */
};

/* Build the image tree from the initrd at `buf`: every archive, the per-run
 * one included.  Returns 0 or -EINVAL (malformed archive, logged). */
int vfs_init_image(const void *buf, size_t len);

/* Add (or find) the entry `name` (a static string) in directory `dir`, with
 * `mode`; NULL when out of memory.  Boot only: synthetic trees (/dev). */
struct inode *vfs_mknode(struct inode *dir, const char *name, uint32_t mode);

/* devfs.c: populate /dev.  Called once by init after the image tree. */
void devfs_init(void);

/* The root directory, and the program's working directory. */
struct inode *vfs_root(void);
struct inode *vfs_cwd(void);
void vfs_set_cwd(struct inode *dir);

/*
 * Resolve `path` relative to `dir` (absolute paths from the root), following
 * symlinks, the last one only if `follow`.  Returns the inode or an ERR_PTR:
 * -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG.
 */
struct inode *vfs_lookup(struct inode *dir, const char *path, bool follow);

/* The absolute path of `ino` into `buf` (NUL terminated); its length or
 * -ENAMETOOLONG. */
long vfs_path(struct inode *ino, char *buf, size_t n);

/* Open `ino` with O_* `flags`: a new file with one reference, or ERR_PTR. */
struct file *vfs_open(struct inode *ino, unsigned flags);

/* Drop a reference; the last one frees the file. */
void file_put(struct file *f);

/* fd table (fs/fd.c).  All return -EBADF for a bad descriptor. */
#define FD_MAX	   1024 /* RLIMIT_NOFILE */
#define FD_CLOEXEC 1
int fd_install(struct file *f, int min_fd, bool cloexec); /* lowest free >= min_fd, or -EMFILE */
struct file *fd_get(int fd);				  /* borrowed reference, or NULL */
int fd_close(int fd);
int fd_dup(int oldfd, int newfd, bool cloexec); /* newfd < 0: lowest free */
int fd_get_flags(int fd);
int fd_set_flags(int fd, int flags);

/* Console files for fds 0-2 (fs/console_file.c); `tty` is the host side's
 * isatty of each. */
void console_files_init(const bool tty[3]);
bool console_file_is_tty(struct file *f);

#endif
