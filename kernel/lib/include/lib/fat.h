/*
 * A reader of FAT12, FAT16 and FAT32 filesystems as cloud-init's vfat seeds
 * come (`mkfs.vfat -n CIDATA` then `mcopy`): the boot sector's parameters,
 * the volume label (the root directory's label entry, else the boot
 * sector's), the root directory with long file names (VFAT LFN entries,
 * their checksum checked), and files by their cluster chains.  Only the
 * root directory is searched: a seed's files live there.
 *
 * The image is untrusted: the boot sector's numbers are checked against
 * each other and the device, every cluster number against the volume, and
 * a chain may not hold more clusters than the volume has (so a loop ends);
 * a lying image gives -EINVAL, never a read outside a buffer.  Nothing
 * allocates: the caller's struct fat (about 8 KiB: allocate it, never put
 * it on a kernel stack) holds two sector buffers.  Any
 * context that may call the read callback may call these functions.
 */
#ifndef LIB_FAT_H
#define LIB_FAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAT_DEV_SECTOR 512  /* the unit of the read callback */
#define FAT_MAX_SECTOR 4096 /* the largest FAT sector size */

/* Read @count sectors of FAT_DEV_SECTOR bytes from @sector into @buf;
 * returns 0 or -errno (-EIO). */
typedef int (*fat_read_fn)(void *ctx, uint64_t sector, void *buf, unsigned count);

struct fat {
	fat_read_fn read;
	void *ctx;
	unsigned bits;			   /* 12, 16 or 32 */
	uint32_t sector_size;		   /* bytes of a FAT sector */
	uint32_t cluster_sectors;	   /* FAT sectors per cluster */
	uint32_t fat_start;		   /* FAT sector of the first FAT */
	uint32_t root_start, root_sectors; /* FAT12/16's fixed root directory */
	uint32_t root_cluster;		   /* FAT32's root directory */
	uint32_t data_start;		   /* FAT sector of cluster 2 */
	uint32_t clusters;		   /* data clusters: numbers 2 to clusters + 1 */
	char label[12];			   /* trailing spaces cut; "" if none */
	uint64_t cached;		   /* the FAT sector in fatbuf, or UINT64_MAX */
	uint8_t fatbuf[FAT_MAX_SECTOR];
	uint8_t buf[FAT_MAX_SECTOR];
};

/*
 * fat_open - read the boot sector and the root directory's label of the
 * filesystem behind @read (@dev_sectors device sectors long).  Returns 0;
 * -EINVAL if it is not a FAT filesystem or a malformed one; or the read
 * callback's error.
 */
int fat_open(struct fat *fs, fat_read_fn read, void *ctx, uint64_t dev_sectors);

/* fat_label_is - whether the volume label is @label, ignoring case. */
bool fat_label_is(const struct fat *fs, const char *label);

/*
 * fat_read - read the whole file @name of the root directory (found by its
 * long name, else its 8.3 name, ignoring case) into @buf, room for @cap
 * bytes.  Returns its size; -ENOENT; -EISDIR; -E2BIG if larger than @cap;
 * -EINVAL if the directory or the file's chain is malformed (a cluster out
 * of range, free, bad, a loop, or a chain shorter than the size); or the
 * read callback's error.
 */
long fat_read(struct fat *fs, const char *name, void *buf, size_t cap);

#endif
