/*
 * A reader of ISO 9660 images (ECMA-119) as cloud-init seeds come:
 * `cloud-localds` or `genisoimage -volid cidata -joliet -rock`.  It reads
 * the primary volume descriptor (its volume identifier is the seed's label,
 * "cidata"), the root directory, Rock Ridge names (SUSP "NM" entries, IEEE
 * P1282) and Joliet names (UCS-2 in a supplementary volume descriptor), and
 * files by their extent.  Only the root directory is searched: a seed's
 * files live there.  A Rock Ridge name continued in a SUSP continuation
 * area (CE) is not followed (a seed's names are short): such a file is
 * found by its Joliet or ISO 9660 name.
 *
 * The image is untrusted: every length, offset and extent is checked
 * against the sector, the directory and the volume, and a lying image gives
 * -EINVAL, never a read outside a buffer.  Nothing allocates: the caller's
 * struct iso9660 (2 KiB and a little) holds the one sector buffer.  Any context that may call
 * the read callback may call these functions.
 */
#ifndef LIB_ISO9660_H
#define LIB_ISO9660_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISO9660_SECTOR 2048 /* the logical block size every CD-ROM image uses */

/* Read @count sectors of ISO9660_SECTOR bytes from sector @sector into @buf;
 * returns 0 or -errno (-EIO). */
typedef int (*iso9660_read_fn)(void *ctx, uint64_t sector, void *buf, unsigned count);

struct iso9660 {
	iso9660_read_fn read;
	void *ctx;
	uint64_t sectors;		/* of the volume, no more than the device has */
	char volume_id[33];		/* the primary descriptor's, trailing spaces cut */
	uint32_t root, root_size;	/* the primary root directory's extent and bytes */
	uint32_t jroot, jroot_size;	/* Joliet's root directory; jroot 0 if none */
	uint8_t sector[ISO9660_SECTOR]; /* scratch */
};

/* A file found in the root directory. */
struct iso9660_file {
	uint32_t extent; /* first sector */
	uint32_t size;	 /* bytes */
};

/*
 * iso9660_open - read the volume descriptors of the image behind @read
 * (@dev_sectors sectors long).  Returns 0; -EINVAL if it is not an ISO 9660
 * image (or a malformed one), or the read callback's error.
 */
int iso9660_open(struct iso9660 *fs, iso9660_read_fn read, void *ctx, uint64_t dev_sectors);

/* iso9660_label_is - whether the volume identifier is @label, ignoring case. */
bool iso9660_label_is(const struct iso9660 *fs, const char *label);

/*
 * iso9660_find - look up @name in the root directory: by its Rock Ridge
 * name, else its Joliet name, else its ISO 9660 name without ";1" (these
 * two ignoring case).  Returns 0 with *@f; -ENOENT, -EISDIR for a
 * directory, -EINVAL for a malformed directory or a file outside the
 * volume (or in several extents), or the read callback's error.
 */
int iso9660_find(struct iso9660 *fs, const char *name, struct iso9660_file *f);

/*
 * iso9660_read - read the whole file @name into @buf (room for @cap bytes).
 * Returns its size; -E2BIG if it is larger than @cap; or iso9660_find's
 * errors.
 */
long iso9660_read(struct iso9660 *fs, const char *name, void *buf, size_t cap);

#endif
