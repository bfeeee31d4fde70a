/*
 * cpio "newc" archives: a checking reader for the kernel (images and per-run
 * data) and the header formatter the CLI packs images with.  Format and
 * contracts in <lib/cpio.h>.
 *
 * Every length read from the archive is bounded by the bytes left in the
 * buffer before any pointer is formed, using subtraction (never addition of
 * two untrusted values), so no arithmetic can wrap.
 */
#include <stdbool.h>
#include <lib/cpio.h>
#include <lib/errno.h>
#include <lib/string.h>

#define CPIO_MAGIC_LEN 6
#define CPIO_FIELD_LEN 8
#define CPIO_S_IFMT    0170000	/* file type bits of c_mode (Linux stat.h) */
#define CPIO_S_IFREG   0100000	/* regular file */
#define CPIO_DONE      SIZE_MAX /* it->off after an error: every later call fails */

/* Field order after the magic, as 8 hex digits each. */
enum cpio_field {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_FILESIZE,
	F_DEVMAJOR,
	F_DEVMINOR,
	F_RDEVMAJOR,
	F_RDEVMINOR,
	F_NAMESIZE,
	F_CHECK,
	F_COUNT
};

#define CPIO_ONES 0x0101010101010101ull
#define CPIO_HIGH (0x80 * CPIO_ONES)

/*
 * The 8 hex digits (either case) at @p as a number, or -1 if one is not a
 * hex digit.  All eight bytes at once (SWAR: each byte a lane of a 64-bit
 * word; a byte below 0x80 plus at most 0x50 never carries into the next
 * lane), because a header is 104 digits, parsed for every file of the image
 * at every boot: a third of the instructions of a digit at a time.
 */
static int64_t cpio_hex8(const uint8_t *p)
{
	uint64_t x, l, digit, alpha, v;

	__builtin_memcpy(&x, p, sizeof(x)); /* p[0], the most significant digit, in lane 0 */
	if (x & CPIO_HIGH)
		return -1;
	l = x | (0x20 * CPIO_ONES); /* 'A'-'F' to 'a'-'f' */
	/* A lane's high bit after adding 0x80 - c is set when the byte is >= c. */
	digit = (x + 0x50 * CPIO_ONES) & ~(x + 0x46 * CPIO_ONES) & CPIO_HIGH; /* '0'..'9' */
	alpha = (l + 0x1f * CPIO_ONES) & ~(l + 0x19 * CPIO_ONES) & CPIO_HIGH; /* 'a'..'f' */
	if ((digit | alpha) != CPIO_HIGH)
		return -1;
	v = (x & (0x0f * CPIO_ONES)) + (alpha >> 7) * 9; /* each lane its digit's value */
	/* Gather the lanes' nibbles, lane 0 highest: pairs, then quads, then all. */
	v = (v & 0x0f000f000f000f00ull) >> 8 | (v & 0x000f000f000f000full) << 4;
	v = (v & 0x00ff000000ff0000ull) >> 16 | (v & 0x000000ff000000ffull) << 8;
	v = (v & 0x0000ffff00000000ull) >> 32 | (v & 0x000000000000ffffull) << 16;
	return (int64_t)v;
}

/* Parse the 13 fields of the header at @h; -EINVAL on a non-hex digit. */
static int cpio_parse_fields(const uint8_t *h, uint32_t f[F_COUNT])
{
	const uint8_t *p = h + CPIO_MAGIC_LEN;

	for (int i = 0; i < F_COUNT; i++, p += CPIO_FIELD_LEN) {
		int64_t v = cpio_hex8(p);
		if (v < 0)
			return -EINVAL;
		f[i] = (uint32_t)v;
	}
	return 0;
}

static bool cpio_only_nuls(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Skip a "./" or "/" prefix (repeated: "/./x" is "x"). */
static void cpio_strip_name(struct cpio_entry *e)
{
	for (;;) {
		if (e->namelen >= 2 && e->name[0] == '.' && e->name[1] == '/') {
			e->name += 2;
			e->namelen -= 2;
		} else if (e->namelen >= 1 && e->name[0] == '/') {
			e->name++;
			e->namelen--;
		} else {
			return;
		}
	}
}

/* The "crc" format's check field: the sum of the data bytes, mod 2^32. */
static uint32_t cpio_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	while (n--)
		sum += *p++;
	return sum;
}

/*
 * Decode the entry whose header starts at it->off (the magic already seen).
 * On success fills @e and advances it->off past the entry's data padding.
 */
static int cpio_decode(struct cpio_iter *it, struct cpio_entry *e, bool crc)
{
	const uint8_t *h = it->buf + it->off;
	size_t left = it->len - it->off;
	uint32_t f[F_COUNT];
	size_t name_at = CPIO_HEADER_SIZE, data_at, end;

	if (left < CPIO_HEADER_SIZE || cpio_parse_fields(h, f))
		return -EINVAL;
	/* The name field: at least its NUL, inside the buffer, NUL terminated. */
	if (f[F_NAMESIZE] == 0 || f[F_NAMESIZE] > left - name_at)
		return -EINVAL;
	e->name = (const char *)h + name_at;
	e->namelen = strnlen(e->name, f[F_NAMESIZE]);
	if (e->namelen == f[F_NAMESIZE])
		return -EINVAL;
	/* Data, then padding; the final padding may be cut by the buffer's end. */
	data_at = name_at + f[F_NAMESIZE];
	data_at += cpio_pad(data_at);
	if (data_at > left && f[F_FILESIZE] == 0)
		data_at = left; /* an empty last entry whose padding was cut */
	if (data_at > left || f[F_FILESIZE] > left - data_at)
		return -EINVAL;
	end = data_at + f[F_FILESIZE];
	end += cpio_pad(end);
	e->data = h + data_at;
	e->size = f[F_FILESIZE];
	/* Writers (GNU cpio, Linux) sum regular files' data only. */
	if (crc && (f[F_MODE] & CPIO_S_IFMT) == CPIO_S_IFREG &&
	    cpio_checksum(e->data, e->size) != f[F_CHECK])
		return -EINVAL;
	e->mode = f[F_MODE];
	e->uid = f[F_UID];
	e->gid = f[F_GID];
	e->nlink = f[F_NLINK];
	e->ino = f[F_INO];
	e->mtime = f[F_MTIME];
	it->off += end < left ? end : left;
	return 0;
}

void cpio_iter_init(struct cpio_iter *it, const void *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->off = 0;
}

/* After a trailer: skip the NUL padding up to the next archive, if any. */
static void cpio_skip_nuls(struct cpio_iter *it)
{
	while (it->off < it->len && it->buf[it->off] == 0)
		it->off++;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
	for (;;) {
		const uint8_t *h;
		size_t left;
		bool crc;

		if (it->off == CPIO_DONE || it->off > it->len)
			return -EINVAL;
		h = it->buf + it->off;
		left = it->len - it->off;
		/* NULs are only allowed to the end (padding, or a buffer that
		 * is larger than the archives in it); a header never starts
		 * with one, so the scan costs nothing for well-formed input. */
		if (left == 0 || h[0] == 0) {
			if (cpio_only_nuls(h, left))
				return 0;
			goto bad;
		}
		if (left < CPIO_MAGIC_LEN)
			goto bad;
		crc = !memcmp(h, CPIO_MAGIC_CRC, CPIO_MAGIC_LEN);
		if (!crc && memcmp(h, CPIO_MAGIC_NEWC, CPIO_MAGIC_LEN))
			goto bad;
		if (cpio_decode(it, e, crc))
			goto bad;
		if (e->namelen == sizeof(CPIO_TRAILER) - 1 &&
		    !memcmp(e->name, CPIO_TRAILER, e->namelen)) {
			cpio_skip_nuls(it);
			continue;
		}
		cpio_strip_name(e);
		return 1;
	}
bad:
	it->off = CPIO_DONE;
	return -EINVAL;
}

static void cpio_put_hex(char *out, uint32_t v)
{
	static const char digits[] = "0123456789ABCDEF";

	for (int i = CPIO_FIELD_LEN - 1; i >= 0; i--, v >>= 4)
		out[i] = digits[v & 0xf];
}

size_t cpio_header(char out[110], const struct cpio_entry *e, size_t namesize)
{
	uint32_t f[F_COUNT] = { 0 };

	if (e->size > UINT32_MAX || namesize > UINT32_MAX)
		return 0;
	f[F_INO] = e->ino;
	f[F_MODE] = e->mode;
	f[F_UID] = e->uid;
	f[F_GID] = e->gid;
	f[F_NLINK] = e->nlink;
	f[F_MTIME] = (uint32_t)e->mtime;
	f[F_FILESIZE] = (uint32_t)e->size;
	f[F_NAMESIZE] = (uint32_t)namesize;
	memcpy(out, CPIO_MAGIC_NEWC, CPIO_MAGIC_LEN);
	for (int i = 0; i < F_COUNT; i++)
		cpio_put_hex(out + CPIO_MAGIC_LEN + CPIO_FIELD_LEN * i, f[i]);
	return CPIO_HEADER_SIZE;
}
