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
 * The names written (with their types and symlink targets) are kept by
 * image_names.c, so a host path is placed where the guest's lookup will
 * find it and a file never goes over a directory.
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

#define IMAGE_COPY_CHUNK (256u << 10)

static const char zeros[MONOS_IMAGE_ALIGN];

/* Record why a call failed in w->err; returns `rc`.  For image*.c. */
int image_fail(struct image_writer *w, int rc, const char *fmt, ...)
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
	image_names_free(w);
}

static int emit(struct image_writer *w, const void *buf, size_t len)
{
	int rc = msg_write_full(w->fd, buf, len);

	if (rc < 0)
		return image_fail(w, rc, "cannot write the image: %s", strerror(-rc));
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
	if (w->reproducible)
		e.uid = e.gid = 0;
	if (w->zero_times)
		e.mtime = 0;
	e.size = size;
	if (cpio_header(hdr, &e, namesize) != CPIO_HEADER_SIZE)
		return image_fail(w, -EFBIG, "%s: too large for a cpio archive", name);
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
	int rc = image_names_add(w, path, st->st_mode, data, len);

	if (!rc)
		rc = emit_header(w, path + 1, st, len, align);
	if (!rc)
		rc = emit(w, data, len);
	if (!rc)
		rc = emit_zeros(w, cpio_pad(w->off));
	return rc;
}

/* One directory entry at `guest` (resolved), unless it is there already. */
static int add_dir_at(struct image_writer *w, const char *guest, uint32_t mode)
{
	const struct image_name *n = image_names_find(w, guest);
	struct stat st;

	if (strcmp(guest, "/") == 0 || (n && S_ISDIR(n->mode)))
		return 0;
	if (n)
		return image_fail(w, -ENOTDIR, "%s is a file in the image, not a directory", guest);
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
		return image_fail(w, -ENOMEM, "out of memory");
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
	int rc = image_names_resolve(w, guest, true, &g);

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
	int rc = image_names_resolve(w, guest, false, &g);

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
			return image_fail(w, -errno, "%s: %s", host, strerror(errno));
		if (n == 0)
			return image_fail(w, -EIO, "%s: file shrank while being packed", host);
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
		return image_fail(w, -errno, "%s: %s", host, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return image_fail(w, -EINVAL, "%s: not a regular file", host);
	}
	rc = image_names_add(w, guest, st.st_mode, NULL, 0);
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
		return image_fail(w, -errno, "%s: %s", host, strerror(errno));
	if ((size_t)n >= tlen)
		return image_fail(w, -ENAMETOOLONG, "%s: symlink target too long", host);
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
	return image_fail(w, S_ISDIR(n->mode) ? -EISDIR : -ENOTDIR,
			  "%s: a %s cannot replace the %s %s of the image", host,
			  type_name(st->st_mode), type_name(n->mode), guest);
}

/* Dispatch on the type of `st` (the lstat, or stat, of `host`). */
static int add_one(struct image_writer *w, const char *host, const char *guest,
		   const struct stat *st)
{
	const struct image_name *n = image_names_find(w, guest);
	char target[PATH_MAX];

	if (n)
		return add_over(w, host, guest, st, n);
	if (!S_ISDIR(st->st_mode) && guest_needs_dir(guest))
		return image_fail(w, -EISDIR,
				  "%s: a %s cannot replace %s, a directory the guest needs", host,
				  type_name(st->st_mode), guest);
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
		return rc ? rc : image_fail(w, -errno, "%s: %s", host, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *h = NULL, *g = NULL;
		struct stat cst;

		if (!rc && strcmp(name, ".") && strcmp(name, "..")) {
			if (asprintf(&h, "%s/%s", host, name) < 0 ||
			    asprintf(&g, "%s/%s", strcmp(guest, "/") ? guest : "", name) < 0)
				rc = image_fail(w, -ENOMEM, "out of memory");
			else if (lstat(h, &cst) < 0)
				rc = image_fail(w, -errno, "%s: %s", h, strerror(errno));
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
	int rc = image_names_resolve(w, guest, S_ISDIR(st->st_mode), &g);

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
			/* A share serves it at this very path: nothing to pack. */
			rc = w->skip && w->skip(w->skip_ctx, cand) ? 0 : place(w, cand, cand, &st);
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
		rc = image_fail(w, -EISDIR, "%s: the whole host root cannot be packed", path);
	if (rc < 0 && !w->err[0])
		image_fail(w, rc, "%s: %s", path, strerror(-rc));
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
		rc = g ? image_add_host_path(w, g) : image_fail(w, -ENOMEM, "out of memory");
		free(g);
		return rc;
	}
	/* As a bind mount: the host path resolved, the result at `guest`. */
	if (stat(host, &st) < 0 || !(real = realpath(host, NULL))) {
		rc = image_fail(w, -errno, "%s: %s", host, strerror(errno));
		free(real);
		return rc;
	}
	g = image_normalize(guest);
	rc = g ? place(w, real, g, &st) : image_fail(w, -ENOMEM, "out of memory");
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
