/*
 * Host helpers shared by the ext4 unit tests (tests/unit/test_ext4_*.c):
 * the filesystem code itself (included, as unit tests include what they
 * test), a struct ext4_dev over a file, and running e2fsprogs' tools.
 */
#ifndef EXT4_HOST_H
#define EXT4_HOST_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include "../../kernel/lib/crc32c.c"
#include "../../kernel/lib/ext4/alloc.c"
#include "../../kernel/lib/ext4/dir.c"
#include "../../kernel/lib/ext4/dir_write.c"
#include "../../kernel/lib/ext4/extent.c"
#include "../../kernel/lib/ext4/htree.c"
#include "../../kernel/lib/ext4/inode.c"
#include "../../kernel/lib/ext4/journal.c"
#include "../../kernel/lib/ext4/super.c"
#include "../../kernel/lib/ext4/write.c"

static int host_read_blocks(void *ctx, uint64_t blk, uint32_t count, void *buf)
{
	size_t len = (size_t)count * EXT4_DEV_BLOCK;

	return pread(*(int *)ctx, buf, len, (off_t)(blk * EXT4_DEV_BLOCK)) == (ssize_t)len ? 0
											   : -EIO;
}

static int host_write_blocks(void *ctx, uint64_t blk, uint32_t count, const void *buf)
{
	size_t len = (size_t)count * EXT4_DEV_BLOCK;

	return pwrite(*(int *)ctx, buf, len, (off_t)(blk * EXT4_DEV_BLOCK)) == (ssize_t)len ? 0
											    : -EIO;
}

static int host_flush(void *ctx)
{
	return fdatasync(*(int *)ctx) ? -EIO : 0;
}

static void *host_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void host_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	(void)size;
	free(p);
}

static void host_now(void *ctx, int64_t *sec, uint32_t *nsec)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = ts.tv_sec;
	*nsec = (uint32_t)ts.tv_nsec;
}

/* A device over image file @path (read-write unless @ro); host_dev_close() ends it. */
struct host_dev {
	int fd;
	struct ext4_dev dev;
};

static int host_dev_open(struct host_dev *h, const char *path, bool ro)
{
	struct stat st;

	h->fd = open(path, ro ? O_RDONLY : O_RDWR);
	if (h->fd < 0 || fstat(h->fd, &st))
		return -1;
	h->dev = (struct ext4_dev){ .ctx = &h->fd,
				    .nr_blocks = (uint64_t)st.st_size / EXT4_DEV_BLOCK,
				    .read_blocks = host_read_blocks,
				    .write_blocks = ro ? NULL : host_write_blocks,
				    .flush = host_flush,
				    .alloc = host_alloc,
				    .free = host_free,
				    .now = host_now };
	return 0;
}

static void host_dev_close(struct host_dev *h)
{
	close(h->fd);
}

/* Run a shell command made from a format; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		printf("  (exit %d: %s)\n", rc, cmd);
	return rc;
}

/* Read a whole host file into a malloc'd buffer (its length in *@len), or NULL. */
static uint8_t *host_slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	*len = (size_t)st.st_size;
	if (buf && pread(fd, buf, *len, 0) != (ssize_t)*len) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	return buf;
}

#endif
