/*
 * 9P2000.L messages (pure code: the kernel's share driver and filesystem,
 * host unit tests, a libFuzzer target).
 *
 * The protocol: every message is size[4] type[1] tag[2] then fields, all
 * little endian; a string is len[2] then bytes (no NUL); a qid is
 * type[1] version[4] path[8].  The 9P2000.L message set is Linux's
 * (include/net/9p/9p.h, Documentation/filesystems/9p.rst) and QEMU's
 * hw/9pfs/9p.c server's.
 *
 * Requests are built from a format string (p9_build) and replies read
 * with one (p9_parse), so each message's layout is one line at its
 * caller.  Formats: 'b' u8, 'w' u16, 'd' u32, 'q' u64, 's' a string,
 * 'Q' a qid, 'A' Rgetattr's attributes, 'D' count[4] then that many
 * bytes.  Building takes the values (a string as `const char *, size_t`,
 * 'D' as `const void *, uint32_t`); parsing takes pointers (a string as
 * `const char **, uint16_t *`, pointing into the reply; 'D' as
 * `const uint8_t **, uint32_t *`).
 *
 * Every reply comes from the host and is untrusted: p9_parse checks the
 * size field against what arrived, the tag, the type (Rlerror becomes its
 * -errno) and every field against the end, and never reads past `len`.
 */
#ifndef LIB_P9_H
#define LIB_P9_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define P9_VERSION     "9P2000.L"
#define P9_NOTAG       0xffffu	   /* Tversion's tag */
#define P9_NOFID       0xffffffffu /* no fid (Tattach's afid) */
#define P9_HDR_SIZE    7	   /* size[4] type[1] tag[2] */
#define P9_RREAD_HDR   11	   /* Rread's header and count[4], before the data */
#define P9_TWRITE_HDR  23	   /* Twrite's header, fid, offset and count */
#define P9_MIN_MSIZE   4096	   /* the least msize worth using */
#define P9_MAX_ERRNO   4095	   /* an Rlerror code past this is a protocol error */
#define P9_QID_SIZE    13
#define P9_DIRENT_HEAD (P9_QID_SIZE + 8 + 1) /* qid, offset, type before the name */

/* Message types (include/net/9p/9p.h enum p9_msg_t). */
enum p9_type {
	P9_RLERROR = 7,
	P9_TSTATFS = 8,
	P9_TLOPEN = 12,
	P9_TLCREATE = 14,
	P9_TSYMLINK = 16,
	P9_TMKNOD = 18,
	P9_TREADLINK = 22,
	P9_TGETATTR = 24,
	P9_TSETATTR = 26,
	P9_TXATTRWALK = 30,
	P9_TXATTRCREATE = 32,
	P9_TREADDIR = 40,
	P9_TFSYNC = 50,
	P9_TLINK = 70,
	P9_TMKDIR = 72,
	P9_TRENAMEAT = 74,
	P9_TUNLINKAT = 76,
	P9_TVERSION = 100,
	P9_TATTACH = 104,
	P9_TFLUSH = 108,
	P9_TWALK = 110,
	P9_TREAD = 116,
	P9_TWRITE = 118,
	P9_TCLUNK = 120,
};
/* A reply's type is its request's plus one. */
#define P9_REPLY(t) ((uint8_t)((t) + 1))

#define P9_MAXWELEM 16 /* names in one Twalk */

/* Tgetattr's request mask and Rgetattr's valid bits (9p.h P9_STATS_*). */
#define P9_GETATTR_BASIC 0x000007ffull /* mode .. blocks: what stat needs */

/* Tsetattr's valid bits (9p.h P9_ATTR_*). */
#define P9_SETATTR_MODE	     0x1u
#define P9_SETATTR_UID	     0x2u
#define P9_SETATTR_GID	     0x4u
#define P9_SETATTR_SIZE	     0x8u
#define P9_SETATTR_ATIME     0x10u
#define P9_SETATTR_MTIME     0x20u
#define P9_SETATTR_CTIME     0x40u
#define P9_SETATTR_ATIME_SET 0x80u /* the given time, not the server's now */
#define P9_SETATTR_MTIME_SET 0x100u

/* A qid's type bits (9p.h P9_QT*). */
#define P9_QTDIR     0x80
#define P9_QTSYMLINK 0x02

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path; /* the server's inode number: equal for hard links */
};

/* Rgetattr's fields (9P2000.L). */
struct p9_attr {
	uint64_t valid;
	struct p9_qid qid;
	uint32_t mode, uid, gid;
	uint64_t nlink, rdev, size, blksize, blocks;
	uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
	uint64_t btime_sec, btime_nsec, gen, data_version;
};

/* Rstatfs's fields. */
struct p9_statfs {
	uint32_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree, fsid;
	uint32_t namelen;
};

/* One entry of Rreaddir's data. */
struct p9_dirent {
	struct p9_qid qid;
	uint64_t offset; /* the position after this entry (Treaddir's next offset) */
	uint8_t type;	 /* DT_* */
	const char *name;
	uint16_t namelen;
};

/*
 * p9_build - a request of `type` with tag `tag` and the fields `fmt` names
 * (see above) into `buf` (`cap` bytes), its size field set.  Returns its
 * length, or 0 when it does not fit or `fmt` has an unknown letter.
 */
size_t p9_build(void *buf, size_t cap, uint8_t type, uint16_t tag, const char *fmt, ...);
/* p9_vbuild - p9_build with the values in `ap`. */
size_t p9_vbuild(void *buf, size_t cap, uint8_t type, uint16_t tag, const char *fmt, va_list ap);

/*
 * p9_parse - read reply `buf` (`len` bytes as the device returned them)
 * to the request of `type` with tag `tag`: the header's size must be at
 * most `len` (what follows it is ignored), its tag `tag` and its type
 * P9_REPLY(type), then the fields of `fmt` are stored through the pointers
 * that follow.  0; the Rlerror's -errno (1..P9_MAX_ERRNO); -EPROTO for
 * anything else (short, a wrong tag or type, a field past the end).
 */
int p9_parse(const void *buf, size_t len, uint8_t type, uint16_t tag, const char *fmt, ...);
/* p9_vparse - p9_parse with the pointers in `ap`. */
int p9_vparse(const void *buf, size_t len, uint8_t type, uint16_t tag, const char *fmt, va_list ap);

/*
 * p9_parse_data - read the header of an Rread or Rreaddir whose data went
 * into a buffer of its own: `hdr` holds the first P9_RREAD_HDR bytes of
 * the reply, `got` is how many the device says it wrote in all.  The
 * count in *count; its size field must be exactly the header and the
 * count, and at most `got`.  0, the Rlerror's -errno, or -EPROTO.
 */
int p9_parse_data(const void *hdr, size_t got, uint8_t type, uint16_t tag, uint32_t *count);

/*
 * p9_dirent_next - the entry at *at of Rreaddir data `data` (`len` bytes)
 * into `e` (its name points into `data`), *at moved past it.  1, 0 at the
 * end, -EPROTO for a truncated entry.
 */
int p9_dirent_next(const uint8_t *data, size_t len, size_t *at, struct p9_dirent *e);

/* p9_add_size - `extra` more bytes in the size field of message `buf`
 * (built by p9_build): data that travels in a buffer of its own after
 * it (Twrite's, passed to the device as a second segment).  false when
 * the size would pass 32 bits. */
bool p9_add_size(void *buf, uint32_t extra);

/* p9_header - the size, type and tag of the message in `buf` (`len` at
 * least P9_HDR_SIZE bytes): what a driver matches a reply to its request
 * by.  false when `len` is shorter. */
bool p9_header(const void *buf, size_t len, uint32_t *size, uint8_t *type, uint16_t *tag);

#endif
