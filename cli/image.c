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
	for (size_t i = 0; i < w->capnames; i++) { /* a hash table: every slot */
		free(w->names[i].name);
		free(w->names[i].target);
	}
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

	while (w->names[i].name && strcmp(w->names[i].name, name) != 0)
		i = (i + 1) & (w->capnames - 1);
	return i;
}

/* The entry written at `name`, or NULL. */
static const struct image_name *find_name(const struct image_writer *w, const char *name)
{
	const struct image_name *n = w->capnames ? &w->names[name_slot(w, name)] : NULL;

	return n && n->name ? n : NULL;
}

bool image_contains(const struct image_writer *w, const char *name)
{
	return find_name(w, name) != NULL;
}

/* Remember `name` with its type (and a symlink's target, `len` bytes);
 * keeps the table at most half full. */
static int remember(struct image_writer *w, const char *name, uint32_t mode, const void *target,
		    size_t len)
{
	struct image_name *slot;

	if (image_contains(w, name))
		return 0;
	if (2 * (w->nnames + 1) > w->capnames) {
		struct image_writer big = *w;

		big.capnames = w->capnames ? 2 * w->capnames : 64;
		big.names = calloc(big.capnames, sizeof(*big.names));
		if (!big.names)
			return fail(w, -ENOMEM, "out of memory");
		for (size_t i = 0; i < w->capnames; i++)
			if (w->names[i].name)
				big.names[name_slot(&big, w->names[i].name)] = w->names[i];
		free(w->names);
		w->names = big.names;
		w->capnames = big.capnames;
	}
	slot = &w->names[name_slot(w, name)];
	slot->name = strdup(name);
	slot->mode = mode;
	slot->target = S_ISLNK(mode) ? strndup(target, len) : NULL;
	if (!slot->name || (S_ISLNK(mode) && !slot->target)) {
		free(slot->name);
		free(slot->target);
		slot->name = slot->target = NULL;
		return fail(w, -ENOMEM, "out of memory");
	}
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
	struct cpio_entry e = { 0 };
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
	int rc = remember(w, path, st->st_mode, data, len);

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
 * `path` (absolute, normalised) as the guest's lookup will find it in the
 * archive: each symlink already written on the way (and at the end, with
 * `follow_last`) is replaced by its target.  0 with *out malloc'd, or
 * -ENOMEM, -ELOOP (w->err).
 */
static int resolve(struct image_writer *w, const char *path, bool follow_last, char **out)
{
	char *cur = strdup(path);
	int hops = 0;

	for (size_t i = 1; cur && cur[i - 1];) {
		size_t end = i + strcspn(cur + i, "/");
		char save = cur[end], *next;
		const struct image_name *n;

		cur[end] = '\0';
		n = find_name(w, cur);
		cur[end] = save;
		if (!n || !S_ISLNK(n->mode) || (!save && !follow_last)) {
			i = end + 1;
			continue;
		}
		if (++hops > IMAGE_MAX_SYMLINK_HOPS) {
			free(cur);
			return fail(w, -ELOOP, "%s: too many levels of symbolic links in the image",
				    path);
		}
		/* An absolute target restarts from /, a relative one from the link's
		 * directory; normalize() folds the "..". */
		cur[i - 1] = '\0';
		if (asprintf(&next, "%s/%s%s", n->target[0] == '/' ? "" : cur, n->target,
			     cur + end) < 0)
			next = NULL;
		free(cur);
		cur = next ? normalize(next) : NULL;
		free(next);
		i = 1;
	}
	*out = cur;
	return cur ? 0 : fail(w, -ENOMEM, "out of memory");
}

/* One directory entry at `guest` (resolved), unless it is there already. */
static int add_dir_at(struct image_writer *w, const char *guest, uint32_t mode)
{
	const struct image_name *n = find_name(w, guest);
	struct stat st;

	if (strcmp(guest, "/") == 0 || (n && S_ISDIR(n->mode)))
		return 0;
	if (n)
		return fail(w, -ENOTDIR, "%s is a file in the image, not a directory", guest);
	/* Attributes from the host's directory of the same path, if any. */
	if (stat(guest, &st) < 0 || !S_ISDIR(st.st_mode)) {
		memset(&st, 0, sizeof(st));
		st.st_mode = mode;
	}
	return emit_entry(w, guest, &st, NULL, 0, false);
}

/* Directory entries for every parent of `guest` (resolved), outermost first. */
static int add_parents_at(struct image_writer *w, const char *guest)
{
	char *p = strdup(guest);
	int rc = 0;

	if (!p)
		return fail(w, -ENOMEM, "out of memory");
	for (char *s = strchr(p + 1, '/'); s && !rc; s = strchr(s + 1, '/')) {
		*s = '\0';
		rc = add_dir_at(w, p, IMAGE_DIR_MODE);
		*s = '/';
	}
	free(p);
	return rc;
}

/*
 * A directory for `guest` (absolute, normalised) and its parents, where the
 * guest's lookup will find it (through symlinks of the image).  Its mode,
 * owner and time come from the host directory of the same path when there is
 * one, else `mode` with owner root.
 */
int image_add_dir_entry(struct image_writer *w, const char *guest, uint32_t mode)
{
	char *g;
	int rc = resolve(w, guest, true, &g);

	if (!rc)
		rc = add_parents_at(w, g);
	if (!rc)
		rc = add_dir_at(w, g, mode);
	free(g);
	return rc;
}

/* Directory entries for every parent of `guest` (through the image's
 * symlinks), outermost first. */
int image_add_parents(struct image_writer *w, const char *guest)
{
	char *g;
	int rc = resolve(w, guest, false, &g);

	if (!rc)
		rc = add_parents_at(w, g);
	free(g);
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
	rc = remember(w, guest, st.st_mode, NULL, 0);
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
static int place(struct image_writer *w, const char *host, const char *guest,
		 const struct stat *st);

/* The directories every guest has (the root, the kernel's mounts, the
 * generated /etc and HOME): a --file may add to them, never replace them. */
static bool guest_needs_dir(const char *guest)
{
	static const char *const dirs[] = { "/",    "/tmp", "/dev",  "/proc",
					    "/sys", "/etc", "/root", "/" MONOS_RUN_DIR };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strcmp(guest, dirs[i]))
			return true;
	return false;
}

static const char *type_name(uint32_t mode)
{
	return S_ISDIR(mode) ? "directory" : S_ISLNK(mode) ? "symlink" : "file";
}

/*
 * `host` (of type `st`) meets the entry `n` already at `guest`: a directory
 * merges into a directory (or into the directory a symlink of the image
 * names); a non-directory never replaces a directory nor the reverse; a
 * non-directory over a non-directory is skipped (the first one wins).
 */
static int add_over(struct image_writer *w, const char *host, const char *guest,
		    const struct stat *st, const struct image_name *n)
{
	if (S_ISDIR(st->st_mode) && S_ISDIR(n->mode))
		return add_tree(w, host, guest, st);
	if (S_ISDIR(st->st_mode) && S_ISLNK(n->mode))
		return place(w, host, guest, st); /* behind the link, resolved */
	if (!S_ISDIR(st->st_mode) && !S_ISDIR(n->mode))
		return 0;
	return fail(w, S_ISDIR(n->mode) ? -EISDIR : -ENOTDIR,
		    "%s: a %s cannot replace the %s %s of the image", host, type_name(st->st_mode),
		    type_name(n->mode), guest);
}

/* Dispatch on the type of `st` (the lstat, or stat, of `host`). */
static int add_one(struct image_writer *w, const char *host, const char *guest,
		   const struct stat *st)
{
	const struct image_name *n = find_name(w, guest);
	char target[PATH_MAX];

	if (n)
		return add_over(w, host, guest, st, n);
	if (!S_ISDIR(st->st_mode) && guest_needs_dir(guest))
		return fail(w, -EISDIR, "%s: a %s cannot replace %s, a directory the guest needs",
			    host, type_name(st->st_mode), guest);
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

/* `host` (of type `st`) at `guest`, found through the image's symlinks
 * (the last one too for a directory), with its parents. */
static int place(struct image_writer *w, const char *host, const char *guest, const struct stat *st)
{
	char *g;
	int rc = resolve(w, guest, S_ISDIR(st->st_mode), &g);

	if (!rc)
		rc = add_parents_at(w, g);
	if (!rc)
		rc = add_one(w, host, g, st);
	free(g);
	return rc;
}

/*
 * The host walk met the symlink `cand` with `after` still to walk: pack the
 * link, then continue along its target (from the root when absolute, else
 * from `done`, the link's directory).  *rest becomes the new remainder.
 */
static int walk_link(struct image_writer *w, const char *cand, const struct stat *st,
		     const char *after, char *done, char **rest)
{
	char target[PATH_MAX], *next = NULL;
	ssize_t n;
	int rc = place(w, cand, cand, st);

	if (rc < 0)
		return rc;
	n = readlink(cand, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (target[0] == '/')
		done[0] = '\0';
	if (asprintf(&next, "%s%s%s", target, *after ? "/" : "", after) < 0)
		return -ENOMEM;
	free(*rest);
	*rest = next;
	return 0;
}

/*
 * Pack `path` as the guest's lookup will walk it: every symlink met on the
 * way (at any component) is packed as a symlink under its real parent, and
 * the file or tree at the end at its real path.  So both /bin/sh and
 * /usr/bin/dash resolve in the image on a merged-/usr host (/bin ->
 * usr/bin, sh -> dash), and no directory entry is ever written where the
 * host has a symlink.
 */
int image_add_host_path(struct image_writer *w, const char *path)
{
	char *rest = strdup(path), *done = calloc(1, strlen(path) + PATH_MAX), *cand = NULL;
	const char *p = rest;
	int rc = 0, hops = 0;

	if (!rest || !done)
		rc = -ENOMEM;
	while (!rc && *(p += strspn(p, "/"))) {
		size_t n = strcspn(p, "/");
		const char *after = p + n + strspn(p + n, "/");
		struct stat st;

		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && !strncmp(p, "..", 2)) {
			*(strrchr(done, '/') ? strrchr(done, '/') : done) = '\0';
			p += n;
			continue;
		}
		free(cand);
		if (asprintf(&cand, "%s/%.*s", done, (int)n, p) < 0) {
			cand = NULL;
			rc = -ENOMEM;
		} else if (lstat(cand, &st) < 0) {
			rc = -errno;
		} else if (S_ISLNK(st.st_mode)) {
			rc = ++hops > IMAGE_MAX_SYMLINK_HOPS
				     ? -ELOOP
				     : walk_link(w, cand, &st, after, done, &rest);
			p = rest;
		} else if (*after == '\0') {
			rc = place(w, cand, cand, &st);
			p = after;
		} else if (!S_ISDIR(st.st_mode)) {
			rc = -ENOTDIR;
		} else if (strlen(cand) >= strlen(path) + PATH_MAX) {
			rc = -ENAMETOOLONG;
		} else {
			strcpy(done, cand);
			p = after;
		}
	}
	if (!rc && !cand) /* the path was "/" itself */
		rc = fail(w, -EISDIR, "%s: the whole host root cannot be packed", path);
	if (rc < 0 && !w->err[0])
		fail(w, rc, "%s: %s", path, strerror(-rc));
	free(cand);
	free(rest);
	free(done);
	return rc;
}

/*
 * Add the host file, symlink or tree `host` at `guest` (absolute), or at
 * its own path when `guest` is NULL.  See cli.h.
 */
int image_add_path(struct image_writer *w, const char *host, const char *guest)
{
	char *g, *real = NULL;
	struct stat st;
	int rc;

	if (!guest) {
		g = image_absolute(host);
		rc = g ? image_add_host_path(w, g) : fail(w, -ENOMEM, "out of memory");
		free(g);
		return rc;
	}
	/* As a bind mount: the host path resolved, the result at `guest`. */
	if (stat(host, &st) < 0 || !(real = realpath(host, NULL))) {
		rc = fail(w, -errno, "%s: %s", host, strerror(errno));
		free(real);
		return rc;
	}
	g = normalize(guest);
	rc = g ? place(w, real, g, &st) : fail(w, -ENOMEM, "out of memory");
	free(g);
	free(real);
	return rc;
}

/* The "TRAILER!!!" entry that ends an archive. */
int image_finish_archive(struct image_writer *w)
{
	struct stat st = { 0 };

	return emit_header(w, CPIO_TRAILER, &st, 0, false);
}

/* Per-run data files are small: written unaligned (the kernel copies them). */
int image_add_data(struct image_writer *w, const char *guest, const void *data, size_t len,
		   uint32_t mode)
{
	struct stat st = { 0 };

	st.st_mode = mode;
	st.st_mtime = time(NULL);
	return emit_entry(w, guest, &st, data, len, false);
}
