/*
 * The image packer: writes the cpio "newc" archives `monos run` boots
 * (include/monos/bootinfo.h).  The first archive holds the program, its
 * parent directories and each --file; the second, appended, holds the
 * per-run data under .monos/.  The kernel maps file data in place, so every
 * non-empty regular file's data starts at a MONOS_IMAGE_ALIGN boundary: the
 * name field is padded with NULs to get there (namesize counts them; readers
 * take the name up to its first NUL).
 *
 * Guest paths are absolute and lexically normalised ("." and ".." folded);
 * archive names are the same without the leading '/'.  Every name is written
 * once: a later request for a directory already written is a no-op, and a
 * later file at an existing name is skipped, so the first one wins.
 * The per-run archive's contents are rundata.c's; this file only writes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lib/cpio.h>
#include <monos/bootinfo.h>

#include "cli.h"

#define IMAGE_COPY_CHUNK       (256u << 10)
#define IMAGE_MAX_SYMLINK_HOPS 40 /* Linux's MAXSYMLINKS */

static const char zeros[MONOS_IMAGE_ALIGN];

static int fail(struct image_writer *w, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct image_writer *w, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return rc;
}

int image_open(struct image_writer *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->next_ino = 1;
	return 0;
}

void image_close(struct image_writer *w)
{
	for (size_t i = 0; i < w->capnames; i++) /* a hash table: every slot */
		free(w->names[i]);
	free(w->names);
	w->names = NULL;
	w->nnames = w->capnames = 0;
}

static int emit(struct image_writer *w, const void *buf, size_t len)
{
	int rc = msg_write_full(w->fd, buf, len);

	if (rc < 0)
		return fail(w, rc, "cannot write the image: %s", strerror(-rc));
	w->off += len;
	return 0;
}

static int emit_zeros(struct image_writer *w, size_t len)
{
	while (len) {
		size_t n = len < sizeof(zeros) ? len : sizeof(zeros);
		int rc = emit(w, zeros, n);

		if (rc < 0)
			return rc;
		len -= n;
	}
	return 0;
}

/* FNV-1a: the name set is an open-addressing hash table of strdup'd names. */
static size_t name_hash(const char *s)
{
	size_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static size_t name_slot(const struct image_writer *w, const char *name)
{
	size_t i = name_hash(name) & (w->capnames - 1);

	while (w->names[i] && strcmp(w->names[i], name) != 0)
		i = (i + 1) & (w->capnames - 1);
	return i;
}

bool image_contains(const struct image_writer *w, const char *name)
{
	return w->capnames && w->names[name_slot(w, name)];
}

/* Remember `name`; keeps the table at most half full. */
static int remember(struct image_writer *w, const char *name)
{
	if (image_contains(w, name))
		return 0;
	if (2 * (w->nnames + 1) > w->capnames) {
		struct image_writer big = *w;

		big.capnames = w->capnames ? 2 * w->capnames : 64;
		big.names = calloc(big.capnames, sizeof(char *));
		if (!big.names)
			return fail(w, -ENOMEM, "out of memory");
		for (size_t i = 0; i < w->capnames; i++)
			if (w->names[i])
				big.names[name_slot(&big, w->names[i])] = w->names[i];
		free(w->names);
		w->names = big.names;
		w->capnames = big.capnames;
	}
	w->names[name_slot(w, name)] = strdup(name);
	if (!w->names[name_slot(w, name)])
		return fail(w, -ENOMEM, "out of memory");
	w->nnames++;
	return 0;
}

/*
 * Write one entry's header and name field.  `name` has no leading '/'.
 * With `align`, the name field is padded so the data that follows starts at
 * a MONOS_IMAGE_ALIGN boundary of the archive.
 */
static int emit_header(struct image_writer *w, const char *name, const struct stat *st,
		       uint64_t size, bool align)
{
	struct cpio_entry e = {0};
	char hdr[CPIO_HEADER_SIZE];
	size_t namesize = strlen(name) + 1;
	size_t end = w->off + CPIO_HEADER_SIZE + namesize;
	int rc;

	if (align && size)
		namesize += (MONOS_IMAGE_ALIGN - end % MONOS_IMAGE_ALIGN) % MONOS_IMAGE_ALIGN;
	e.mode = st->st_mode;
	e.uid = st->st_uid;
	e.gid = st->st_gid;
	e.nlink = S_ISDIR(st->st_mode) ? 2 : 1;
	e.ino = w->next_ino++;
	e.mtime = st->st_mtime;
	e.size = size;
	if (cpio_header(hdr, &e, namesize) != CPIO_HEADER_SIZE)
		return fail(w, -EFBIG, "%s: too large for a cpio archive", name);
	rc = emit(w, hdr, sizeof(hdr));
	if (!rc)
		rc = emit(w, name, strlen(name));
	if (!rc)
		rc = emit_zeros(w, namesize - strlen(name));
	if (!rc)
		rc = emit_zeros(w, cpio_pad(w->off));
	return rc;
}

/* An entry whose data is in memory; `path` is an absolute guest path. */
static int emit_entry(struct image_writer *w, const char *path, const struct stat *st,
		      const void *data, size_t len, bool align)
{
	int rc = remember(w, path);

	if (!rc)
		rc = emit_header(w, path + 1, st, len, align);
	if (!rc)
		rc = emit(w, data, len);
	if (!rc)
		rc = emit_zeros(w, cpio_pad(w->off));
	return rc;
}

/* Lexically normalised absolute guest path of `path` (absolute). */
static char *normalize(const char *path)
{
	char *out = malloc(strlen(path) + 2);
	size_t o = 0;
	const char *p = path;

	if (!out)
		return NULL;
	while (*p) {
		const char *s;
		size_t n;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		n = p - s;
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[--o] != '/')
				;
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, s, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

/* `path` made absolute against the cwd and normalised; NULL on ENOMEM. */
char *image_absolute(const char *path)
{
	char *cwd, *joined, *out;

	if (path[0] == '/')
		return normalize(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (asprintf(&joined, "%s/%s", cwd, path) < 0)
		joined = NULL;
	free(cwd);
	if (!joined)
		return NULL;
	out = normalize(joined);
	free(joined);
	return out;
}

/*
 * A directory entry for `guest` (absolute, normalised), once.  Its mode,
 * owner and time come from the host directory of the same path when there is
 * one, else it is a root-owned 0755 directory.
 */
int image_add_dir_entry(struct image_writer *w, const char *guest, uint32_t mode)
{
	struct stat st;

	if (strcmp(guest, "/") == 0 || image_contains(w, guest))
		return 0;
	if (stat(guest, &st) < 0 || !S_ISDIR(st.st_mode)) {
		memset(&st, 0, sizeof(st));
		st.st_mode = mode;
	}
	return emit_entry(w, guest, &st, NULL, 0, false);
}

/* Directory entries for every parent of `guest`, outermost first. */
int image_add_parents(struct image_writer *w, const char *guest)
{
	char *p = strdup(guest);
	int rc = 0;

	if (!p)
		return fail(w, -ENOMEM, "out of memory");
	for (char *s = strchr(p + 1, '/'); s && !rc; s = strchr(s + 1, '/')) {
		*s = '\0';
		rc = image_add_dir_entry(w, p, IMAGE_DIR_MODE);
		*s = '/';
	}
	free(p);
	return rc;
}

/* Copy exactly st->st_size bytes of the open file `fd` into the image. */
static int copy_data(struct image_writer *w, int fd, const char *host, uint64_t size)
{
	static char buf[IMAGE_COPY_CHUNK];

	while (size) {
		ssize_t n = read(fd, buf, size < sizeof(buf) ? size : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(w, -errno, "%s: %s", host, strerror(errno));
		if (n == 0)
			return fail(w, -EIO, "%s: file shrank while being packed", host);
		if (emit(w, buf, n) < 0)
			return -EIO;
		size -= n;
	}
	return emit_zeros(w, cpio_pad(w->off));
}

static int add_file(struct image_writer *w, const char *host, const char *guest)
{
	struct stat st;
	int fd, rc;

	fd = open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(w, -errno, "%s: %s", host, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(w, -EINVAL, "%s: not a regular file", host);
	}
	rc = remember(w, guest);
	if (!rc)
		rc = emit_header(w, guest + 1, &st, st.st_size, true);
	if (!rc)
		rc = copy_data(w, fd, host, st.st_size);
	close(fd);
	return rc;
}

/* A symlink as a symlink: its target is the entry's data. */
static int add_symlink(struct image_writer *w, const char *host, const char *guest,
		       const struct stat *st, char *target, size_t tlen)
{
	ssize_t n = readlink(host, target, tlen);

	if (n < 0)
		return fail(w, -errno, "%s: %s", host, strerror(errno));
	if ((size_t)n >= tlen)
		return fail(w, -ENAMETOOLONG, "%s: symlink target too long", host);
	target[n] = '\0';
	return emit_entry(w, guest, st, target, n, false);
}

static int add_tree(struct image_writer *w, const char *host, const char *guest,
		    const struct stat *st);

/* Dispatch on the type of `st` (the lstat, or stat, of `host`). */
static int add_one(struct image_writer *w, const char *host, const char *guest,
		   const struct stat *st)
{
	char target[PATH_MAX];

	if (image_contains(w, guest))
		return S_ISDIR(st->st_mode) ? add_tree(w, host, guest, st) : 0;
	if (S_ISREG(st->st_mode))
		return add_file(w, host, guest);
	if (S_ISLNK(st->st_mode))
		return add_symlink(w, host, guest, st, target, sizeof(target));
	if (S_ISDIR(st->st_mode))
		return add_tree(w, host, guest, st);
	msg_error("warning: %s: skipped (not a file, directory or symlink)", host);
	return 0;
}

/* A directory and, recursively, everything in it (symlinks not followed). */
static int add_tree(struct image_writer *w, const char *host, const char *guest,
		    const struct stat *st)
{
	struct dirent **ents;
	int n, rc = 0;

	if (strcmp(guest, "/") != 0 && !image_contains(w, guest))
		rc = emit_entry(w, guest, st, NULL, 0, false);
	n = scandir(host, &ents, NULL, alphasort);
	if (n < 0)
		return rc ? rc : fail(w, -errno, "%s: %s", host, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *h = NULL, *g = NULL;
		struct stat cst;

		if (!rc && strcmp(name, ".") && strcmp(name, "..")) {
			if (asprintf(&h, "%s/%s", host, name) < 0 ||
			    asprintf(&g, "%s/%s", strcmp(guest, "/") ? guest : "", name) < 0)
				rc = fail(w, -ENOMEM, "out of memory");
			else if (lstat(h, &cst) < 0)
				rc = fail(w, -errno, "%s: %s", h, strerror(errno));
			else
				rc = add_one(w, h, g, &cst);
		}
		free(h);
		free(g);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/*
 * Add the host file, symlink or directory tree `host` at guest path `guest`
 * (absolute; NULL: host's absolute path), with its parent directories.  With
 * `follow_top`, a symlink given as `host` itself is followed (as a bind mount
 * would); symlinks inside a tree never are.  Returns 0 or -errno with the
 * reason in w->err.
 */
int image_add_path(struct image_writer *w, const char *host, const char *guest, bool follow_top)
{
	char *g = guest ? normalize(guest) : image_absolute(host);
	struct stat st;
	int rc;

	if (!g)
		return fail(w, -ENOMEM, "out of memory");
	if ((follow_top ? stat(host, &st) : lstat(host, &st)) < 0)
		rc = fail(w, -errno, "%s: %s", host, strerror(errno));
	else
		rc = image_add_parents(w, g);
	if (!rc)
		rc = add_one(w, host, g, &st);
	free(g);
	return rc;
}

/* Host path of a symlink's target: relative targets start from its directory. */
static char *link_target(const char *link, const char *target)
{
	const char *slash = strrchr(link, '/');
	char *out;

	if (target[0] == '/' || !slash)
		return strdup(target);
	if (asprintf(&out, "%.*s/%s", (int)(slash - link), link, target) < 0)
		return NULL;
	return out;
}

/*
 * Add the program at `host_abs` (absolute, not symlink-resolved): if it is a
 * symlink, the link and then its target, hop by hop, each at its own path.
 */
int image_add_program(struct image_writer *w, const char *host_abs)
{
	char *cur = strdup(host_abs), target[PATH_MAX];
	int rc = -ELOOP;

	for (int hop = 0; cur && hop < IMAGE_MAX_SYMLINK_HOPS; hop++) {
		struct stat st;
		ssize_t n;
		char *next;

		if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode)) {
			rc = image_add_path(w, cur, NULL, false);
			break;
		}
		rc = image_add_path(w, cur, NULL, false);
		n = readlink(cur, target, sizeof(target) - 1);
		if (rc < 0 || n < 0)
			break;
		target[n] = '\0';
		next = link_target(cur, target);
		free(cur);
		cur = next;
		rc = -ELOOP;
	}
	free(cur);
	if (rc == -ELOOP)
		return fail(w, rc, "%s: too many levels of symbolic links", host_abs);
	return rc < 0 && !w->err[0] ? fail(w, rc, "%s: %s", host_abs, strerror(-rc)) : rc;
}

/* The "TRAILER!!!" entry that ends an archive. */
int image_finish_archive(struct image_writer *w)
{
	struct stat st = {0};

	return emit_header(w, CPIO_TRAILER, &st, 0, false);
}

/* Per-run data files are small: written unaligned (the kernel copies them). */
int image_add_data(struct image_writer *w, const char *guest, const void *data, size_t len,
		   uint32_t mode)
{
	struct stat st = {0};

	st.st_mode = mode;
	st.st_mtime = time(NULL);
	return emit_entry(w, guest, &st, data, len, false);
}
