/*
 * Figure 14d, flushes per fsync on ext4: the ext4 library (host build, as
 * the unit tests include it) on a 64 MiB image made by mkfs.ext4 (4 KiB
 * blocks), a device that counts its flushes.  100 times: a new 8 KiB file
 * and ext4_sync (fsync), an overwrite in place and ext4_sync, ext4_sync
 * with nothing changed, an overwrite and ext4_sync_data (fdatasync); the
 * mean flushes of each, then e2fsck -fn on the image.  Built against any
 * tree (-I TREE/...), so the same program measures an older journal.c;
 * -DEXT4FLUSH_NO_DATASYNC for a tree without ext4_sync_data.
 *
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -I. -Iinclude -Ikernel/lib/include -Itests/unit \
 *       -o /tmp/ext4flush bench/ext4flush.c && /tmp/ext4flush /tmp/ext4flush.img
 */
#include "unit.h"
#include "ext4_host.h"

#define EXT4FLUSH_ROUNDS 100

static int flushes;
static int (*real_flush)(void *ctx);

static int count_flush(void *ctx)
{
	flushes++;
	return real_flush ? real_flush(ctx) : 0;
}

/* Flushes that @sync of @fs takes. */
static int flushes_of(int (*sync)(struct ext4_fs *fs, uint32_t ino), struct ext4_fs *fs,
		      uint32_t ino)
{
	int before = flushes;

	sync(fs, ino);
	return flushes - before;
}

static int fsync_all(struct ext4_fs *fs, uint32_t ino)
{
	(void)ino;
	return ext4_sync(fs);
}

int main(int argc, char **argv)
{
	static uint8_t data[8192];
	static struct host_dev h;
	struct ext4_fs fs;
	struct ext4_inode root, in;
	struct ext4_dev dev;
	long sum[4] = { 0 };
	char name[32];
	int i;

	if (argc != 2 ||
	    sh("rm -f %s && truncate -s 64M %s && mkfs.ext4 -q %s", argv[1], argv[1], argv[1]) ||
	    host_dev_open(&h, argv[1], false))
		return 1;
	dev = h.dev;
	real_flush = dev.flush;
	dev.flush = count_flush;
	if (ext4_mount(&fs, &dev, 0) || ext4_namei(&fs, "/", &root))
		return 1;
	for (i = 0; i < EXT4FLUSH_ROUNDS; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		if (ext4_create(&fs, &root, name, strlen(name), EXT4_S_IFREG | 0644, 0, 0, NULL,
				&in))
			return 1;
		ext4_write(&fs, &in, 0, data, sizeof(data));
		sum[0] += flushes_of(fsync_all, &fs, in.ino);
		ext4_write(&fs, &in, 0, data, sizeof(data));
		sum[1] += flushes_of(fsync_all, &fs, in.ino);
		sum[2] += flushes_of(fsync_all, &fs, in.ino);
#ifndef EXT4FLUSH_NO_DATASYNC
		ext4_write(&fs, &in, 0, data, sizeof(data));
		sum[3] += flushes_of(ext4_sync_data, &fs, in.ino);
#endif
	}
	printf("flushes per call, mean of %d: fsync of a new file %.2f, fsync after an overwrite "
	       "%.2f, fsync with nothing changed %.2f, fdatasync after an overwrite %.2f\n",
	       EXT4FLUSH_ROUNDS, sum[0] / (double)EXT4FLUSH_ROUNDS,
	       sum[1] / (double)EXT4FLUSH_ROUNDS, sum[2] / (double)EXT4FLUSH_ROUNDS,
	       sum[3] / (double)EXT4FLUSH_ROUNDS);
	ext4_unmount(&fs);
	return sh("e2fsck -fn %s >/dev/null 2>&1", argv[1]) ? 1 : 0;
}
