/*
 * FAT12/16/32 seed reader (contracts in <lib/fat.h>).  Offsets and the
 * type rule (FAT12 below 4085 clusters, FAT16 below 65525) are those of
 * Microsoft's "FAT: General Overview of On-Disk Format" (fatgen103), whose
 * section names are cited as "fatgen".
 */
#include <lib/errno.h>
#include <lib/fat.h>
#include <lib/string.h>

/* The boot sector's BIOS parameter block (fatgen, "Boot Sector and BPB"). */
#define FAT_BPB_BYTES	   11 /* bytes per sector, 16 bits */
#define FAT_BPB_SECPERCLUS 13
#define FAT_BPB_RESERVED   14 /* 16 bits */
#define FAT_BPB_NFATS	   16
#define FAT_BPB_ROOTENT	   17 /* 16 bits: FAT12/16 root entries */
#define FAT_BPB_TOTSEC16   19
#define FAT_BPB_FATSZ16	   22
#define FAT_BPB_TOTSEC32   32
#define FAT_BPB_FATSZ32	   36
#define FAT_BPB_ROOTCLUS   44
#define FAT_BS_LABEL16	   43  /* 11 bytes, FAT12/16 */
#define FAT_BS_LABEL32	   71  /* 11 bytes, FAT32 */
#define FAT_BS_SIGNATURE   510 /* 0x55 0xaa */
#define FAT12_MAX_CLUSTERS 4085
#define FAT16_MAX_CLUSTERS 65525
#define FAT32_MASK	   0x0fffffffu
#define FAT_FIRST_CLUSTER  2

/* Directory entries (fatgen, "FAT Directory Structure" and "FAT Long
 * Directory Entries"). */
#define FAT_DIRENT	 32
#define FAT_DE_ATTR	 11
#define FAT_DE_HICLUS	 20
#define FAT_DE_LOCLUS	 26
#define FAT_DE_SIZE	 28
#define FAT_ATTR_LABEL	 0x08
#define FAT_ATTR_DIR	 0x10
#define FAT_ATTR_LFN	 0x0f
#define FAT_DE_FREE	 0xe5
#define FAT_DE_KANJI_E5	 0x05 /* a name starting with 0xe5 */
#define FAT_LFN_LAST	 0x40
#define FAT_LFN_SEQ	 0x1f
#define FAT_LFN_CHECKSUM 13
#define FAT_LFN_CHARS	 13
#define FAT_LFN_MAX	 20 /* entries: 255 characters */
#define FAT_NAME_MAX	 (FAT_LFN_MAX * FAT_LFN_CHARS)

static uint32_t fat_le16(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8;
}

static uint32_t fat_le32(const uint8_t *p)
{
	return fat_le16(p) | fat_le16(p + 2) << 16;
}

static char fat_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether @a (@alen bytes) is NUL-terminated @b, ignoring ASCII case. */
static bool fat_name_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen && b[i]; i++)
		if (fat_lower(a[i]) != fat_lower(b[i]))
			return false;
	return i == alen && !b[i];
}

/* Read FAT sector @s into @buf. */
static int fat_sector(struct fat *fs, uint64_t s, uint8_t *buf)
{
	unsigned per = fs->sector_size / FAT_DEV_SECTOR;

	return fs->read(fs->ctx, s * per, buf, per);
}

/* The FAT entry of cluster @c (in range), through a one-sector cache. */
static int fat_entry(struct fat *fs, uint32_t c, uint32_t *next)
{
	uint64_t off = fs->bits == 12 ? c + c / 2 : (uint64_t)c * (fs->bits / 8);
	uint8_t b[4];

	for (unsigned i = 0; i < (fs->bits == 32 ? 4u : 2u); i++, off++) {
		uint64_t s = fs->fat_start + off / fs->sector_size;

		if (s != fs->cached) {
			int rc = fat_sector(fs, s, fs->fatbuf);

			fs->cached = rc ? UINT64_MAX : s;
			if (rc)
				return rc;
		}
		b[i] = fs->fatbuf[off % fs->sector_size]; /* FAT12 entries may straddle sectors */
	}
	if (fs->bits == 12)
		*next = c & 1 ? fat_le16(b) >> 4 : fat_le16(b) & 0xfff;
	else if (fs->bits == 16)
		*next = fat_le16(b);
	else
		*next = fat_le32(b) & FAT32_MASK;
	return 0;
}

static bool fat_valid_cluster(const struct fat *fs, uint32_t c)
{
	return c >= FAT_FIRST_CLUSTER && c - FAT_FIRST_CLUSTER < fs->clusters;
}

/*
 * Step the chain at *@c to its next cluster.  Returns 0 with *@c the next,
 * 1 at the chain's end, -EINVAL for a free, bad or out-of-range entry, or
 * after more steps (*@steps) than the volume has clusters: a loop.
 */
static int fat_step(struct fat *fs, uint32_t *c, uint32_t *steps)
{
	uint32_t next, eoc = fs->bits == 12 ? 0xff8 : fs->bits == 16 ? 0xfff8 : 0x0ffffff8;
	int rc = fat_entry(fs, *c, &next);

	if (rc)
		return rc;
	if (next >= eoc)
		return 1;
	if (!fat_valid_cluster(fs, next) || ++*steps >= fs->clusters)
		return -EINVAL;
	*c = next;
	return 0;
}

/* A search of the root directory, entry by entry. */
struct fat_lookup {
	const char *name; /* NULL: look for the label */
	uint16_t lfn[FAT_NAME_MAX];
	unsigned lfn_next; /* the sequence number the next LFN entry must have; 0: none */
	uint8_t lfn_sum;
	uint8_t entry[FAT_DIRENT]; /* the entry found */
};

/* The checksum of an 8.3 name that LFN entries carry (fatgen, "FAT Long
 * Directory Entries"). */
static uint8_t fat_lfn_checksum(const uint8_t *name)
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name[i]);
	return sum;
}

/* Take one LFN entry: they come last part first, numbered down to 1. */
static void fat_lfn_entry(struct fat_lookup *l, const uint8_t *e)
{
	static const uint8_t at[FAT_LFN_CHARS] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };
	unsigned seq = e[0] & FAT_LFN_SEQ;

	if (e[0] & FAT_LFN_LAST) {
		if (!seq || seq > FAT_LFN_MAX) {
			l->lfn_next = 0;
			l->lfn[0] = 0;
			return;
		}
		memset(l->lfn, 0, sizeof(l->lfn));
		l->lfn_sum = e[FAT_LFN_CHECKSUM];
	} else if (!l->lfn_next || seq != l->lfn_next || e[FAT_LFN_CHECKSUM] != l->lfn_sum) {
		l->lfn_next = 0; /* out of order: an orphan, ignored */
		return;
	}
	for (unsigned k = 0; k < FAT_LFN_CHARS; k++)
		l->lfn[(seq - 1) * FAT_LFN_CHARS + k] = (uint16_t)fat_le16(e + at[k]);
	l->lfn_next = seq - 1;
}

/* Whether the long name gathered is @name (ASCII compared without case;
 * any other character never matches a seed's file name). */
static bool fat_lfn_is(const struct fat_lookup *l, const char *name)
{
	size_t i;

	for (i = 0; i < FAT_NAME_MAX && l->lfn[i] && l->lfn[i] != 0xffff; i++)
		if (l->lfn[i] > 0x7f || !name[i] ||
		    fat_lower((char)l->lfn[i]) != fat_lower(name[i]))
			return false;
	return !name[i];
}

/* Whether the 8.3 name of entry @e is @name ("NAME.EXT", spaces cut). */
static bool fat_short_is(const uint8_t *e, const char *name)
{
	char s[13];
	size_t n = 0;

	for (int i = 0; i < 8 && e[i] != ' '; i++)
		s[n++] = (char)(i == 0 && e[i] == FAT_DE_KANJI_E5 ? FAT_DE_FREE : e[i]);
	if (e[8] != ' ')
		s[n++] = '.';
	for (int i = 8; i < 11 && e[i] != ' '; i++)
		s[n++] = (char)e[i];
	return fat_name_eq(s, n, name);
}

/* Look at one directory entry: 1 found or the directory's end, 0 go on. */
static int fat_visit(struct fat_lookup *l, const uint8_t *e)
{
	uint8_t attr = e[FAT_DE_ATTR];
	bool lfn_ok = l->lfn_next == 0 && l->lfn[0] && l->lfn_sum == fat_lfn_checksum(e);

	if (e[0] == 0)
		return 1; /* no entry follows */
	if (e[0] == FAT_DE_FREE) {
		l->lfn_next = 0;
		l->lfn[0] = 0;
		return 0;
	}
	if ((attr & 0x3f) == FAT_ATTR_LFN) {
		fat_lfn_entry(l, e);
		return 0;
	}
	if ((attr & FAT_ATTR_LABEL)
		    ? !l->name
		    : l->name && (lfn_ok ? fat_lfn_is(l, l->name) : fat_short_is(e, l->name))) {
		memcpy(l->entry, e, FAT_DIRENT);
		return 1;
	}
	l->lfn[0] = 0; /* a long name belongs to the one entry after it */
	l->lfn_next = 0;
	return 0;
}

/* Visit the entries of the directory sector in fs->buf. */
static int fat_visit_sector(struct fat *fs, struct fat_lookup *l)
{
	for (uint32_t off = 0; off < fs->sector_size; off += FAT_DIRENT)
		if (fat_visit(l, fs->buf + off))
			return 1;
	return 0;
}

/* Search the root directory; 1 if found (in l->entry), 0 if not. */
static int fat_search_root(struct fat *fs, struct fat_lookup *l)
{
	uint32_t c = fs->root_cluster, steps = 0;
	int rc;

	l->lfn_next = 0;
	l->lfn[0] = 0;
	memset(l->entry, 0, sizeof(l->entry));
	for (uint32_t s = 0; fs->bits != 32 && s < fs->root_sectors; s++) {
		rc = fat_sector(fs, fs->root_start + s, fs->buf);
		if (rc || (rc = fat_visit_sector(fs, l)))
			return rc < 0 ? rc : l->entry[0] != 0;
	}
	while (fs->bits == 32) {
		for (uint32_t s = 0; s < fs->cluster_sectors; s++) {
			rc = fat_sector(
				fs, fs->data_start + (uint64_t)(c - 2) * fs->cluster_sectors + s,
				fs->buf);
			if (rc || (rc = fat_visit_sector(fs, l)))
				return rc < 0 ? rc : l->entry[0] != 0;
		}
		rc = fat_step(fs, &c, &steps);
		if (rc)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

/* Copy an 11-byte label, spaces cut; "NO NAME" is no label. */
static void fat_set_label(struct fat *fs, const uint8_t *p)
{
	memcpy(fs->label, p, 11);
	fs->label[11] = '\0';
	for (int i = 10; i >= 0 && (fs->label[i] == ' ' || !fs->label[i]); i--)
		fs->label[i] = '\0';
	if (!strcmp(fs->label, "NO NAME"))
		fs->label[0] = '\0';
}

static bool fat_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Check the BIOS parameter block in fs->buf and derive the layout. */
static int fat_parse_bpb(struct fat *fs, uint64_t dev_sectors)
{
	const uint8_t *b = fs->buf;
	uint32_t reserved = fat_le16(b + FAT_BPB_RESERVED), nfats = b[FAT_BPB_NFATS];
	uint32_t rootent = fat_le16(b + FAT_BPB_ROOTENT);
	/* The 16-bit fields, if not 0, else the 32-bit ones. */
	uint32_t fatsz = fat_le16(b + FAT_BPB_FATSZ16), total = fat_le16(b + FAT_BPB_TOTSEC16);
	uint64_t meta, fat_entries;

	if (!fatsz)
		fatsz = fat_le32(b + FAT_BPB_FATSZ32);
	if (!total)
		total = fat_le32(b + FAT_BPB_TOTSEC32);
	fs->sector_size = fat_le16(b + FAT_BPB_BYTES);
	fs->cluster_sectors = b[FAT_BPB_SECPERCLUS];
	if (b[FAT_BS_SIGNATURE] != 0x55 || b[FAT_BS_SIGNATURE + 1] != 0xaa ||
	    !fat_pow2(fs->sector_size) || fs->sector_size < FAT_DEV_SECTOR ||
	    fs->sector_size > FAT_MAX_SECTOR || !fat_pow2(fs->cluster_sectors) || !reserved ||
	    !nfats || !fatsz || (uint64_t)total * (fs->sector_size / FAT_DEV_SECTOR) > dev_sectors)
		return -EINVAL;
	fs->root_sectors = (rootent * 32 + fs->sector_size - 1) / fs->sector_size;
	meta = reserved + (uint64_t)nfats * fatsz + fs->root_sectors;
	if (meta >= total)
		return -EINVAL;
	fs->fat_start = reserved;
	fs->root_start = reserved + nfats * fatsz;
	fs->data_start = (uint32_t)meta;
	fs->clusters = (uint32_t)((total - meta) / fs->cluster_sectors);
	fs->bits = fs->clusters < FAT12_MAX_CLUSTERS   ? 12
		   : fs->clusters < FAT16_MAX_CLUSTERS ? 16
						       : 32;
	/* The FAT must hold an entry for every cluster (and the two reserved). */
	fat_entries = (uint64_t)fatsz * fs->sector_size * 8 / fs->bits;
	if (!fs->clusters || fat_entries < (uint64_t)fs->clusters + FAT_FIRST_CLUSTER ||
	    (fs->bits == 32) != (rootent == 0))
		return -EINVAL;
	fs->root_cluster = fat_le32(b + FAT_BPB_ROOTCLUS) & FAT32_MASK;
	if (fs->bits == 32 && !fat_valid_cluster(fs, fs->root_cluster))
		return -EINVAL;
	fat_set_label(fs, b + (fs->bits == 32 ? FAT_BS_LABEL32 : FAT_BS_LABEL16));
	return 0;
}

int fat_open(struct fat *fs, fat_read_fn read, void *ctx, uint64_t dev_sectors)
{
	struct fat_lookup l = { .name = NULL };
	int rc;

	memset(fs, 0, sizeof(*fs));
	fs->read = read;
	fs->ctx = ctx;
	fs->cached = UINT64_MAX;
	if (!dev_sectors)
		return -EINVAL;
	rc = read(ctx, 0, fs->buf, 1);
	if (rc)
		return rc;
	rc = fat_parse_bpb(fs, dev_sectors);
	if (rc)
		return rc;
	/* The root directory's label entry is the label (mkfs.vfat, mlabel). */
	rc = fat_search_root(fs, &l);
	if (rc < 0)
		return rc;
	if (rc)
		fat_set_label(fs, l.entry);
	return 0;
}

bool fat_label_is(const struct fat *fs, const char *label)
{
	return fat_name_eq(fs->label, strlen(fs->label), label);
}

long fat_read(struct fat *fs, const char *name, void *buf, size_t cap)
{
	struct fat_lookup l = { .name = name };
	uint8_t *out = buf;
	uint32_t size, c, steps = 0, done = 0;
	int rc = fat_search_root(fs, &l);

	if (rc <= 0)
		return rc ? rc : -ENOENT;
	if (l.entry[FAT_DE_ATTR] & FAT_ATTR_DIR)
		return -EISDIR;
	size = fat_le32(l.entry + FAT_DE_SIZE);
	c = fat_le16(l.entry + FAT_DE_LOCLUS) |
	    (fs->bits == 32 ? fat_le16(l.entry + FAT_DE_HICLUS) << 16 : 0);
	if (size > cap)
		return -E2BIG;
	if (size && !fat_valid_cluster(fs, c))
		return -EINVAL;
	while (done < size) {
		for (uint32_t s = 0; s < fs->cluster_sectors && done < size; s++) {
			uint32_t n = size - done < fs->sector_size ? size - done : fs->sector_size;

			rc = fat_sector(
				fs, fs->data_start + (uint64_t)(c - 2) * fs->cluster_sectors + s,
				fs->buf);
			if (rc)
				return rc;
			memcpy(out + done, fs->buf, n);
			done += n;
		}
		if (done < size && (rc = fat_step(fs, &c, &steps)))
			return rc < 0 ? rc : -EINVAL; /* the chain ended before the size */
	}
	return (long)size;
}
