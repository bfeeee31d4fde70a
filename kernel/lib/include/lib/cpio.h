/*
 * cpio "newc" archives: the format of monos images and of the per-run data
 * appended to them (include/monos/bootinfo.h).
 *
 * Layout of one entry: a 110-byte ASCII header (magic "070701", or "070702"
 * for the "crc" variant, then 13 fields of 8 hex digits), the name (namesize
 * bytes including its NUL), NUL padding to a multiple of 4, the data
 * (filesize bytes), NUL padding to a multiple of 4.  An entry named
 * "TRAILER!!!" ends an archive; archives may be concatenated.
 *
 * The reader trusts nothing in the buffer: every field is checked and a
 * malformed or truncated archive yields -EINVAL, never a read outside it.
 */
#ifndef LIB_CPIO_H
#define LIB_CPIO_H

#include <stddef.h>
#include <stdint.h>

#define CPIO_HEADER_SIZE 110
#define CPIO_MAGIC_NEWC	 "070701"
#define CPIO_MAGIC_CRC	 "070702"
#define CPIO_TRAILER	 "TRAILER!!!"

/* One archive member, pointing into the archive buffer. */
struct cpio_entry {
	const char *name; /* NUL terminated in the buffer; leading "./" and "/" stripped */
	size_t namelen;	  /* without the NUL; 0 for the root directory ("/" or "./") */
	uint32_t mode, uid, gid, nlink, ino;
	uint64_t mtime;
	const uint8_t *data; /* the file's bytes (a symlink's target, not NUL terminated) */
	size_t size;
};

/* Iteration state over one buffer (possibly several concatenated archives). */
struct cpio_iter {
	const uint8_t *buf;
	size_t len, off; /* off == SIZE_MAX once an error was reported */
};

/* cpio_iter_init - start iterating over the @len bytes at @buf. */
void cpio_iter_init(struct cpio_iter *it, const void *buf, size_t len);

/*
 * cpio_next - read the next entry into @e.  Returns 1 with @e filled in; 0 at
 * the end (end of buffer, or only NUL bytes left); -EINVAL if the archive is
 * malformed (and again on every later call).  Trailer entries are consumed,
 * not returned.  Names: the name is the field up to its first NUL (the
 * packer may pad the name field with NULs to align the data), so the field
 * must hold at least one NUL.  For "070702" archives the checksum of a
 * regular file's data is verified as well.
 */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);

/*
 * cpio_header - format the 110-byte newc header ("070701") of @e into @out
 * (no NUL is written).  @namesize is the name field's size including its NUL
 * and any padding NULs the caller adds; e->name is not read.  Fields are
 * written as 8 hex digits: e->mtime is truncated to 32 bits, as GNU cpio
 * does.  Returns CPIO_HEADER_SIZE, or 0 if e->size or @namesize does not fit
 * in 32 bits.  The caller then writes the name, its NUL padding up to
 * @namesize and then to a multiple of 4 (cpio_pad()), the data and its
 * padding.
 */
size_t cpio_header(char out[110], const struct cpio_entry *e, size_t namesize);

/* cpio_pad - the number of NUL bytes that align offset @off to 4. */
static inline size_t cpio_pad(size_t off)
{
	return (4 - (off & 3)) & 3;
}

#endif
