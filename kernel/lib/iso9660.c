/*
 * ISO 9660 seed reader (contracts in <lib/iso9660.h>).  Offsets are those
 * of ECMA-119 (volume descriptors 8.4 and 8.5, directory records 9.1),
 * SUSP/Rock Ridge (IEEE P1281 and P1282: "NM" alternate names) and Joliet
 * (a supplementary descriptor whose escape sequence names UCS-2).
 */
#include <lib/errno.h>
#include <lib/iso9660.h>
#include <lib/string.h>

#define ISO_FIRST_VD	  16 /* volume descriptors start at sector 16 */
#define ISO_MAX_VDS	  32 /* descriptors read before giving up on a terminator */
#define ISO_VD_PRIMARY	  1
#define ISO_VD_SUPPLEMENT 2
#define ISO_VD_END	  255
#define ISO_VD_ID	  1   /* "CD001" */
#define ISO_VD_VOLID	  40  /* 32 bytes */
#define ISO_VD_SPACE	  80  /* volume space size, both-endian 32 */
#define ISO_VD_ESCAPES	  88  /* Joliet: "%/@", "%/C" or "%/E" */
#define ISO_VD_BLOCK	  128 /* logical block size, both-endian 16 */
#define ISO_VD_ROOT	  156 /* the root directory's record */
#define ISO_DR_LEN	  0
#define ISO_DR_EXTENT	  2  /* both-endian 32 */
#define ISO_DR_SIZE	  10 /* both-endian 32 */
#define ISO_DR_FLAGS	  25
#define ISO_DR_NAMELEN	  32
#define ISO_DR_NAME	  33 /* also the smallest record */
#define ISO_FLAG_DIR	  0x02
#define ISO_FLAG_MULTI	  0x80			 /* the file continues in another record */
#define ISO_MAX_DIR	  (256 * ISO9660_SECTOR) /* a seed's root is one sector */
#define ISO_NM_CONTINUE	  0x01
#define ISO_NAME_MAX	  255

static uint32_t iso_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static char iso_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether @a (@alen bytes) is NUL-terminated @b, ignoring case if @fold. */
static bool iso_name_eq(const char *a, size_t alen, const char *b, bool fold)
{
	size_t i;

	for (i = 0; i < alen && b[i]; i++)
		if (fold ? iso_lower(a[i]) != iso_lower(b[i]) : a[i] != b[i])
			return false;
	return i == alen && !b[i];
}

/* Cut an ISO 9660 or Joliet name's ";version" and a trailing '.'. */
static size_t iso_trim(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == ';')
			len = i;
	if (len && s[len - 1] == '.')
		len--;
	return len;
}

/* The directory at @extent, @size bytes, if it lies within the volume. */
static bool iso_inside(const struct iso9660 *fs, uint32_t extent, uint32_t size)
{
	uint64_t n = ((uint64_t)size + ISO9660_SECTOR - 1) / ISO9660_SECTOR;

	return extent >= ISO_FIRST_VD && (uint64_t)extent + n <= fs->sectors;
}

/* Take what the primary volume descriptor @vd says. */
static int iso_primary(struct iso9660 *fs, const uint8_t *vd)
{
	if ((vd[ISO_VD_BLOCK] | vd[ISO_VD_BLOCK + 1] << 8) != ISO9660_SECTOR)
		return -EINVAL;
	if (iso_le32(vd + ISO_VD_SPACE) < fs->sectors)
		fs->sectors = iso_le32(vd + ISO_VD_SPACE);
	memcpy(fs->volume_id, vd + ISO_VD_VOLID, 32);
	for (int i = 31; i >= 0 && (fs->volume_id[i] == ' ' || !fs->volume_id[i]); i--)
		fs->volume_id[i] = '\0';
	fs->root = iso_le32(vd + ISO_VD_ROOT + ISO_DR_EXTENT);
	fs->root_size = iso_le32(vd + ISO_VD_ROOT + ISO_DR_SIZE);
	return 0;
}

/* Whether @vd is Joliet's supplementary descriptor (UCS-2 level 1, 2 or 3). */
static bool iso_is_joliet(const uint8_t *vd)
{
	const uint8_t *e = vd + ISO_VD_ESCAPES;

	return vd[0] == ISO_VD_SUPPLEMENT && e[0] == '%' && e[1] == '/' &&
	       (e[2] == '@' || e[2] == 'C' || e[2] == 'E');
}

int iso9660_open(struct iso9660 *fs, iso9660_read_fn read, void *ctx, uint64_t dev_sectors)
{
	bool primary = false;

	memset(fs, 0, sizeof(*fs));
	fs->read = read;
	fs->ctx = ctx;
	fs->sectors = dev_sectors;
	for (uint64_t s = ISO_FIRST_VD; s < ISO_FIRST_VD + ISO_MAX_VDS && s < dev_sectors; s++) {
		const uint8_t *vd = fs->sector;
		int rc = read(ctx, s, fs->sector, 1);

		if (rc)
			return rc;
		if (memcmp(vd + ISO_VD_ID, "CD001", 5) || vd[0] == ISO_VD_END)
			break;
		if (vd[0] == ISO_VD_PRIMARY && !primary) {
			rc = iso_primary(fs, vd);
			if (rc)
				return rc;
			primary = true;
		} else if (iso_is_joliet(vd)) {
			fs->jroot = iso_le32(vd + ISO_VD_ROOT + ISO_DR_EXTENT);
			fs->jroot_size = iso_le32(vd + ISO_VD_ROOT + ISO_DR_SIZE);
		}
	}
	if (!primary || !iso_inside(fs, fs->root, fs->root_size) || fs->root_size > ISO_MAX_DIR)
		return -EINVAL;
	if (fs->jroot &&
	    (!iso_inside(fs, fs->jroot, fs->jroot_size) || fs->jroot_size > ISO_MAX_DIR))
		fs->jroot = 0; /* a broken Joliet tree: the primary one still serves */
	return 0;
}

bool iso9660_label_is(const struct iso9660 *fs, const char *label)
{
	return iso_name_eq(fs->volume_id, strlen(fs->volume_id), label, true);
}

/*
 * The Rock Ridge name of record @r (@len bytes) into @out (room for
 * ISO_NAME_MAX): its NM entries joined.  Returns its length, or -1 if the
 * record has no NM entry.  A malformed system use area ends the search.
 */
static int iso_rr_name(const uint8_t *r, size_t len, char *out)
{
	size_t su = ISO_DR_NAME + r[ISO_DR_NAMELEN] + !(r[ISO_DR_NAMELEN] & 1); /* padded to even */
	int n = -1;

	while (su + 4 <= len) {
		size_t elen = r[su + 2];

		if (elen < 4 || su + elen > len || !memcmp(r + su, "ST", 2))
			break;
		if (!memcmp(r + su, "NM", 2) && elen >= 5) {
			size_t clen = elen - 5;

			if (n < 0)
				n = 0;
			if ((size_t)n + clen > ISO_NAME_MAX)
				return -1;
			memcpy(out + n, r + su + 5, clen);
			n += (int)clen;
			if (!(r[su + 4] & ISO_NM_CONTINUE))
				break;
		}
		su += elen;
	}
	return n;
}

/* A Joliet name (UCS-2 big-endian, @len bytes) as UTF-8 into @out (room
 * for 3 * ISO_NAME_MAX / 2); returns its length. */
static size_t iso_joliet_name(const uint8_t *s, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		unsigned c = (unsigned)s[i] << 8 | s[i + 1];

		if (c < 0x80) {
			out[n++] = (char)c;
		} else if (c < 0x800) {
			out[n++] = (char)(0xc0 | c >> 6);
			out[n++] = (char)(0x80 | (c & 0x3f));
		} else {
			out[n++] = (char)(0xe0 | c >> 12);
			out[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[n++] = (char)(0x80 | (c & 0x3f));
		}
	}
	return n;
}

/* Whether directory record @r (@len bytes) is named @name. */
static bool iso_record_is(const uint8_t *r, size_t len, bool joliet, const char *name)
{
	char buf[3 * ISO_NAME_MAX / 2 + 3];
	size_t nlen = r[ISO_DR_NAMELEN];
	int rr;

	if (nlen == 1 && r[ISO_DR_NAME] <= 1)
		return false; /* "." and ".." */
	if (joliet) {
		nlen = iso_joliet_name(r + ISO_DR_NAME, nlen, buf);
		return iso_name_eq(buf, iso_trim(buf, nlen), name, true);
	}
	rr = iso_rr_name(r, len, buf);
	if (rr >= 0)
		return iso_name_eq(buf, (size_t)rr, name, false);
	return iso_name_eq((const char *)r + ISO_DR_NAME,
			   iso_trim((const char *)r + ISO_DR_NAME, nlen), name, true);
}

/* What a matching record says: the file's place, checked. */
static int iso_record_file(const struct iso9660 *fs, const uint8_t *r, struct iso9660_file *f)
{
	if (r[ISO_DR_FLAGS] & ISO_FLAG_DIR)
		return -EISDIR;
	f->extent = iso_le32(r + ISO_DR_EXTENT);
	f->size = iso_le32(r + ISO_DR_SIZE);
	if ((r[ISO_DR_FLAGS] & ISO_FLAG_MULTI) || (f->size && !iso_inside(fs, f->extent, f->size)))
		return -EINVAL;
	return 0;
}

/* Search one sector's records (@bytes of it belong to the directory). */
static int iso_scan_sector(struct iso9660 *fs, size_t bytes, bool joliet, const char *name,
			   struct iso9660_file *f)
{
	size_t off = 0;

	while (off < bytes) {
		const uint8_t *r = fs->sector + off;
		size_t len = r[ISO_DR_LEN];

		if (!len)
			break; /* records never cross a sector: the rest is padding */
		if (len < ISO_DR_NAME || len > bytes - off ||
		    ISO_DR_NAME + (size_t)r[ISO_DR_NAMELEN] > len)
			return -EINVAL;
		if (iso_record_is(r, len, joliet, name))
			return iso_record_file(fs, r, f);
		off += len;
	}
	return -ENOENT;
}

/* Search the directory at @extent (@size bytes). */
static int iso_scan(struct iso9660 *fs, uint32_t extent, uint32_t size, bool joliet,
		    const char *name, struct iso9660_file *f)
{
	for (uint32_t s = 0; (uint64_t)s * ISO9660_SECTOR < size; s++) {
		uint32_t left = size - s * ISO9660_SECTOR;
		int rc = fs->read(fs->ctx, extent + s, fs->sector, 1);

		if (rc)
			return rc;
		rc = iso_scan_sector(fs, left < ISO9660_SECTOR ? left : ISO9660_SECTOR, joliet,
				     name, f);
		if (rc != -ENOENT)
			return rc;
	}
	return -ENOENT;
}

int iso9660_find(struct iso9660 *fs, const char *name, struct iso9660_file *f)
{
	int rc = iso_scan(fs, fs->root, fs->root_size, false, name, f);

	if (rc == -ENOENT && fs->jroot)
		rc = iso_scan(fs, fs->jroot, fs->jroot_size, true, name, f);
	return rc;
}

long iso9660_read(struct iso9660 *fs, const char *name, void *buf, size_t cap)
{
	struct iso9660_file f;
	uint8_t *out = buf;
	int rc = iso9660_find(fs, name, &f);

	if (rc)
		return rc;
	if (f.size > cap)
		return -E2BIG;
	for (uint32_t done = 0, s = f.extent; done < f.size; s++) {
		uint32_t n = f.size - done < ISO9660_SECTOR ? f.size - done : ISO9660_SECTOR;

		rc = fs->read(fs->ctx, s, fs->sector, 1);
		if (rc)
			return rc;
		memcpy(out + done, fs->sector, n);
		done += n;
	}
	return (long)f.size;
}
