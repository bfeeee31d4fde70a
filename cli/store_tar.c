/*
 * `monos save IMAGE... -o FILE` and `monos load -i FILE`: images moved
 * between hosts as a POSIX ustar archive (POSIX.1-2001 "pax" section's
 * ustar header; `tar tf FILE` lists it) holding the store's own files:
 *
 *   configs/HEX.json   each image's configuration
 *   rootfs/HEX.cpio    each packed tree
 *   tags               "NAME:TAG sha256:HEX" lines for the names given
 *
 * Load trusts nothing: each file's bytes must hash to the digest its name
 * says before it joins the store, and a tag is added only once its image
 * reads back whole (configuration and tree checked against their digests).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lib/sha256.h>

#include "cli.h"
#include "store.h"

#define TAR_BLOCK     512
#define TAR_NAME_LEN  100
#define TAR_MAX_SIZE  077777777777ull /* 11 octal digits */
#define TAR_TAGS_MAX  (1u << 20)
#define TAR_FILE_MODE 0644

/* The ustar header (POSIX.1 ustar interchange format). */
struct tar_header {
	char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8];
	char typeflag, linkname[100], magic[6], version[2], uname[32], gname[32];
	char devmajor[8], devminor[8], prefix[155], pad[12];
};

_Static_assert(sizeof(struct tar_header) == TAR_BLOCK, "ustar header is one block");

static unsigned tar_sum(const struct tar_header *h)
{
	const unsigned char *p = (const unsigned char *)h;
	unsigned sum = 0;

	for (size_t i = 0; i < TAR_BLOCK; i++) /* the checksum field counts as spaces */
		sum += (i >= 148 && i < 156) ? ' ' : p[i];
	return sum;
}

static int write_header(int fd, const char *name, uint64_t size)
{
	struct tar_header h;

	memset(&h, 0, sizeof(h));
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(h.mode, sizeof(h.mode), "%07o", TAR_FILE_MODE);
	snprintf(h.uid, sizeof(h.uid), "%07o", 0);
	snprintf(h.gid, sizeof(h.gid), "%07o", 0);
	snprintf(h.size, sizeof(h.size), "%011llo", (unsigned long long)size);
	snprintf(h.mtime, sizeof(h.mtime), "%011o", 0); /* reproducible, as the trees */
	h.typeflag = '0';
	memcpy(h.magic, "ustar", 6);
	memcpy(h.version, "00", 2);
	snprintf(h.chksum, sizeof(h.chksum), "%06o", tar_sum(&h));
	h.chksum[7] = ' ';
	return msg_write_full(fd, &h, sizeof(h));
}

static const char tar_zeros[2 * TAR_BLOCK];

static int write_pad(int fd, uint64_t size)
{
	size_t pad = (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;

	return msg_write_full(fd, tar_zeros, pad);
}

/* One image: its configuration, then its tree (checked as it is copied). */
static int save_image(int fd, const struct store_image *img, char *err, size_t errlen)
{
	char name[TAR_NAME_LEN], *text;
	size_t len;

	if (store_config_text(img->digest, &text, &len, err, errlen))
		return -1;
	snprintf(name, sizeof(name), "configs/%s.json", img->digest + 7);
	if (write_header(fd, name, len) || msg_write_full(fd, text, len) || write_pad(fd, len)) {
		free(text);
		return store_fail(err, errlen, "cannot write: %s", strerror(errno));
	}
	free(text);
	snprintf(name, sizeof(name), "rootfs/%s.cpio", img->rootfs + 7);
	if (write_header(fd, name, img->rootfs_size))
		return store_fail(err, errlen, "cannot write: %s", strerror(errno));
	if (store_copy_rootfs(img, fd, err, errlen))
		return -1;
	return write_pad(fd, img->rootfs_size) ? store_fail(err, errlen, "cannot write") : 0;
}

static int save_images(int fd, int argc, char **argv, char *err, size_t errlen)
{
	char *tags = NULL, full[STORE_REF_MAX];
	size_t tlen = 0;
	FILE *tf = open_memstream(&tags, &tlen);
	int rc = tf ? 0 : store_fail(err, errlen, "out of memory");

	for (int i = 0; !rc && i < argc; i++) {
		struct store_image img;
		int found = store_find(argv[i], &img, err, errlen);

		if (found == 0)
			store_fail(err, errlen, "save: no such image: %s", argv[i]);
		rc = found <= 0 ? -1 : save_image(fd, &img, err, errlen);
		if (!rc && !store_ref(argv[i], full, sizeof(full)) &&
		    strncmp(argv[i], "sha256:", 7))
			fprintf(tf, "%s %s\n", full, img.digest);
		if (found > 0)
			store_image_free(&img);
	}
	if (tf && fclose(tf) && !rc)
		rc = store_fail(err, errlen, "out of memory");
	if (!rc &&
	    (write_header(fd, "tags", tlen) || msg_write_full(fd, tags, tlen) ||
	     write_pad(fd, tlen) ||
	     msg_write_full(fd, tar_zeros, sizeof(tar_zeros)))) /* the end: two zero blocks */
		rc = store_fail(err, errlen, "cannot write: %s", strerror(errno));
	free(tags);
	return rc;
}

int store_save_main(int argc, char **argv)
{
	const char *out = NULL;
	char *images[64], err[1024];
	int n = 0, fd, rc;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (n < 64 && argv[i][0] != '-')
			images[n++] = argv[i];
		else
			return msg_error("save: unexpected '%s'", argv[i]), CLI_EXIT_ERROR;
	}
	if (!out || !n)
		return msg_error("save: use 'monos save IMAGE... -o FILE'"), CLI_EXIT_ERROR;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return msg_error("save: %s: %s", out, strerror(errno)), CLI_EXIT_ERROR;
	rc = save_images(fd, n, images, err, sizeof(err));
	if (close(fd) < 0 && !rc)
		rc = store_fail(err, sizeof(err), "save: %s: %s", out, strerror(errno));
	if (rc) {
		msg_error("%s", err);
		unlink(out);
	}
	return rc ? CLI_EXIT_ERROR : 0;
}

/* Read exactly `n` bytes: 0, or -1 at a short read (a truncated archive). */
static int read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;
	ssize_t got;

	while (done < n) {
		got = read(fd, (char *)buf + done, n - done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		done += got;
	}
	return 0;
}

/* A header's octal field: its value, or -1 when it is not octal digits. */
static long long octal(const char *f, size_t n)
{
	long long v = 0;
	size_t i = 0;

	while (i < n && f[i] == ' ')
		i++;
	if (i == n || f[i] < '0' || f[i] > '7')
		return -1;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (f[i] - '0');
	return i == n || f[i] == 0 || f[i] == ' ' ? v : -1;
}

/* Members read and checked, waiting in tmp/ until the whole archive is:
 * a load that fails leaves the store as it was. */
struct pending {
	char tmp[PATH_MAX];
	const char *dir, *suffix;
	char digest[STORE_DIGEST_LEN];
};

struct loading {
	struct pending *p;
	size_t n;
	char *tags;
	size_t tags_len;
};

/* Copy one member of `size` bytes to a file of tmp/, checking that it
 * hashes to `hex` (from its name); it joins l->p. */
static int load_blob(int fd, uint64_t size, const char *dir, const char *hex, const char *suffix,
		     struct loading *l, char *err, size_t errlen)
{
	struct pending *grown = realloc(l->p, (l->n + 1) * sizeof(*grown));
	char tmp[PATH_MAX], buf[1 << 16], got_hex[SHA256_HEX_SIZE], digest[STORE_DIGEST_LEN];
	uint8_t d[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;
	int out, rc = 0;

	if (!grown)
		return store_fail(err, errlen, "out of memory");
	l->p = grown;
	if (store_path(tmp, sizeof(tmp), "tmp/load.XXXXXX") || (out = mkstemp(tmp)) < 0)
		return store_fail(err, errlen, "cannot create a file in the store");
	sha256_init(&c);
	for (uint64_t left = size; !rc && left;) {
		size_t n = left < sizeof(buf) ? left : sizeof(buf);

		if (read_full(fd, buf, n))
			rc = store_fail(err, errlen, "load: the archive is truncated");
		else if (msg_write_full(out, buf, n))
			rc = store_fail(err, errlen, "load: cannot write %s", tmp);
		sha256_update(&c, buf, n);
		left -= n;
	}
	sha256_final(&c, d);
	sha256_hex(d, got_hex);
	if (close(out) && !rc)
		rc = store_fail(err, errlen, "load: cannot write %s", tmp);
	if (!rc && strcmp(got_hex, hex))
		rc = store_fail(err, errlen, "load: %s/%s%s does not match its digest (sha256:%s)",
				dir, hex, suffix, got_hex);
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	if (rc) {
		unlink(tmp);
		return rc;
	}
	grown = &l->p[l->n++];
	snprintf(grown->tmp, sizeof(grown->tmp), "%s", tmp);
	snprintf(grown->digest, sizeof(grown->digest), "%s", digest);
	grown->dir = dir, grown->suffix = suffix;
	return 0;
}

/* A member's name: configs/HEX.json or rootfs/HEX.cpio into its parts. */
static bool blob_name(const char *name, const char **dir, const char **suffix, char *hex)
{
	static const struct {
		const char *dir, *suffix;
	} kinds[] = { { "configs", ".json" }, { "rootfs", ".cpio" } };

	for (size_t i = 0; i < 2; i++) {
		size_t dl = strlen(kinds[i].dir);

		if (strncmp(name, kinds[i].dir, dl) || name[dl] != '/' ||
		    strlen(name) != dl + 1 + 64 + 5 || strcmp(name + dl + 65, kinds[i].suffix))
			continue;
		memcpy(hex, name + dl + 1, 64);
		hex[64] = 0;
		*dir = kinds[i].dir, *suffix = kinds[i].suffix;
		return store_hex_ok(hex, 64);
	}
	return false;
}

/* One member at the archive's position: 1 read, 0 at the end, -1. */
static int load_member(int fd, struct loading *l, char *err, size_t errlen)
{
	struct tar_header h;
	char name[TAR_NAME_LEN + 1], hex[SHA256_HEX_SIZE];
	const char *dir, *suffix;
	long long size;

	if (read_full(fd, &h, sizeof(h)))
		return store_fail(err, errlen, "load: the archive is truncated");
	if (!memcmp(&h, tar_zeros, sizeof(h)))
		return 0;
	size = octal(h.size, sizeof(h.size));
	if (memcmp(h.magic, "ustar", 5) || octal(h.chksum, sizeof(h.chksum)) != tar_sum(&h) ||
	    size < 0 || (h.typeflag != '0' && h.typeflag != 0))
		return store_fail(err, errlen,
				  "load: not an archive of 'monos save' (a bad tar "
				  "header)");
	memcpy(name, h.name, TAR_NAME_LEN);
	name[TAR_NAME_LEN] = 0;
	if (!strcmp(name, "tags") && size <= TAR_TAGS_MAX && !l->tags) {
		if (!(l->tags = calloc(1, size + 1)))
			return store_fail(err, errlen, "out of memory");
		l->tags_len = size;
		if (read_full(fd, l->tags, size))
			return store_fail(err, errlen, "load: the archive is truncated");
	} else if (blob_name(name, &dir, &suffix, hex)) {
		if (load_blob(fd, size, dir, hex, suffix, l, err, errlen))
			return -1;
	} else {
		return store_fail(err, errlen, "load: unexpected member '%s'", name);
	}
	if (size % TAR_BLOCK && read_full(fd, (char[TAR_BLOCK]){ 0 }, TAR_BLOCK - size % TAR_BLOCK))
		return store_fail(err, errlen, "load: the archive is truncated");
	return 1;
}

/* The tags of the archive, each checked by reading its image back whole. */
static int load_tags(const char *text, char *err, size_t errlen)
{
	char ref[STORE_REF_MAX + 1], dig[STORE_DIGEST_LEN + 1], full[STORE_REF_MAX];
	struct store_tags t;
	struct store_image img;
	const char *p = text;
	int n, rc = store_tags_read(&t, err, errlen);

	while (!rc && p && *p) {
		if (sscanf(p, "%256s %71s%n", ref, dig, &n) != 2 ||
		    store_ref(ref, full, sizeof(full)) || strncmp(dig, "sha256:", 7) ||
		    !store_hex_ok(dig + 7, 64)) {
			rc = store_fail(err, errlen, "load: a bad line in the archive's tags");
			break;
		}
		p = strchr(p + n, '\n');
		p = p ? p + 1 : NULL;
		if ((rc = store_find(dig, &img, err, errlen)) <= 0) {
			if (!rc)
				store_fail(err, errlen, "load: %s names %s, not in the archive",
					   full, dig);
			rc = -1;
			break;
		}
		rc = store_copy_rootfs(&img, -1, err, errlen) || store_tags_add(&t, full, dig);
		store_image_free(&img);
		if (!rc)
			printf("Loaded image: %s\n", full);
	}
	if (!rc)
		rc = store_tags_write(&t, err, errlen);
	store_tags_free(&t);
	return rc ? -1 : 0;
}

/* Move every checked member into place (rc 0), or drop them all. */
static int load_finish(struct loading *l, int rc, char *err, size_t errlen)
{
	for (size_t i = 0; i < l->n; i++) {
		struct pending *p = &l->p[i];

		if (rc || store_put_file(p->tmp, p->dir, p->digest, p->suffix, err, errlen))
			unlink(p->tmp), rc = -1;
	}
	free(l->p);
	return rc;
}

int store_load_main(int argc, char **argv)
{
	struct loading l = { 0 };
	char err[1024];
	int fd, lock, rc = 1;

	if (argc != 2 || strcmp(argv[0], "-i"))
		return msg_error("load: use 'monos load -i FILE'"), CLI_EXIT_ERROR;
	if ((fd = open(argv[1], O_RDONLY | O_CLOEXEC)) < 0)
		return msg_error("load: %s: %s", argv[1], strerror(errno)), CLI_EXIT_ERROR;
	if ((lock = store_lock(err, sizeof(err))) < 0) {
		close(fd);
		return msg_error("%s", err), CLI_EXIT_ERROR;
	}
	while (rc == 1)
		rc = load_member(fd, &l, err, sizeof(err));
	rc = load_finish(&l, rc, err, sizeof(err));
	if (!rc && l.tags)
		rc = load_tags(l.tags, err, sizeof(err));
	if (rc)
		msg_error("%s", err);
	free(l.tags);
	close(lock);
	close(fd);
	return rc ? CLI_EXIT_ERROR : 0;
}
