/*
 * The image's namespace: the names written to the archive so far (an
 * open-addressing hash table keyed by guest path, with each entry's type and
 * a symlink's target), lexical normalisation of guest paths, and their
 * resolution through the symlinks already written, as the guest's lookup
 * will do it.  image.c writes; this file remembers and answers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

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

/* The entry written at `name`, or NULL.  See cli.h. */
const struct image_name *image_names_find(const struct image_writer *w, const char *name)
{
	const struct image_name *n = w->capnames ? &w->names[name_slot(w, name)] : NULL;

	return n && n->name ? n : NULL;
}

bool image_contains(const struct image_writer *w, const char *name)
{
	return image_names_find(w, name) != NULL;
}

/* Remember `name` with its type (and a symlink's target, `len` bytes);
 * keeps the table at most half full. */
int image_names_add(struct image_writer *w, const char *name, uint32_t mode, const void *target,
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
			return image_fail(w, -ENOMEM, "out of memory");
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
		return image_fail(w, -ENOMEM, "out of memory");
	}
	w->nnames++;
	return 0;
}

/* Free every remembered name.  See cli.h. */
void image_names_free(struct image_writer *w)
{
	for (size_t i = 0; i < w->capnames; i++) { /* a hash table: every slot */
		free(w->names[i].name);
		free(w->names[i].target);
	}
	free(w->names);
	w->names = NULL;
	w->nnames = w->capnames = 0;
}

/* Lexically normalised absolute guest path of `path` (absolute). */
char *image_normalize(const char *path)
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
		return image_normalize(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (asprintf(&joined, "%s/%s", cwd, path) < 0)
		joined = NULL;
	free(cwd);
	if (!joined)
		return NULL;
	out = image_normalize(joined);
	free(joined);
	return out;
}

/*
 * `path` (absolute, normalised) as the guest's lookup will find it in the
 * archive: each symlink already written on the way (and at the end, with
 * `follow_last`) is replaced by its target.  0 with *out malloc'd, or
 * -ENOMEM, -ELOOP (w->err).
 */
int image_names_resolve(struct image_writer *w, const char *path, bool follow_last, char **out)
{
	char *cur = strdup(path);
	int hops = 0;

	for (size_t i = 1; cur && cur[i - 1];) {
		size_t end = i + strcspn(cur + i, "/");
		char save = cur[end], *next;
		const struct image_name *n;

		cur[end] = '\0';
		n = image_names_find(w, cur);
		cur[end] = save;
		if (!n || !S_ISLNK(n->mode) || (!save && !follow_last)) {
			i = end + 1;
			continue;
		}
		if (++hops > IMAGE_MAX_SYMLINK_HOPS) {
			free(cur);
			return image_fail(w, -ELOOP,
					  "%s: too many levels of symbolic links in the image",
					  path);
		}
		/* An absolute target restarts from /, a relative one from the link's
		 * directory; image_normalize() folds the "..". */
		cur[i - 1] = '\0';
		if (asprintf(&next, "%s/%s%s", n->target[0] == '/' ? "" : cur, n->target,
			     cur + end) < 0)
			next = NULL;
		free(cur);
		cur = next ? image_normalize(next) : NULL;
		free(next);
		i = 1;
	}
	*out = cur;
	return cur ? 0 : image_fail(w, -ENOMEM, "out of memory");
}
