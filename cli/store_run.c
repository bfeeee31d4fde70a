/*
 * `monos run -f monos.yaml [ARGS]` and `monos run IMAGE [ARGS]`: the layers
 * of contract 22 for a run, lowest first: the defaults, the manifest (or
 * the image's configuration, its manifest as built), then the command line.
 * The layering is done by applying the manifest's keys as flags
 * (manifest_apply) and then parsing the command line again on top: a flag
 * replaces a scalar key (memory, machine, network), adds to a list (-e, a
 * variable of the same name replaced; --file, -p, --volume), and ARGS given
 * replace the manifest's args (docker's CMD rule).
 *
 * An image boots from its stored tree, copied beside the per-run archive
 * and checked against its digest on the way (store_copy_rootfs): a corrupt
 * or truncated image is refused, never booted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/cpio.h>

#include "cli.h"
#include "store.h"

/* The program's argv: `head` (n of them), then ARGS if any were given, else
 * the manifest's args. */
static int make_argv(struct store_run *sr, char *const *head, size_t n, char **args, int nargs,
		     const struct manifest *m)
{
	size_t total = n + (nargs > 0 ? (size_t)nargs : m->nargs);

	if (!(sr->argv = calloc(total + 1, sizeof(char *))))
		return -1;
	for (size_t i = 0; i < n; i++)
		sr->argv[i] = head[i];
	for (size_t i = 0; i < total - n; i++) /* memcpy may not take NULL, even for 0 */
		sr->argv[n + i] = nargs > 0 ? args[i] : m->args[i];
	sr->argc = (int)total;
	return 0;
}

/* The image `o->argv[0]` names, if the store holds one: 1, 0, -1 (err). */
static int find_image(struct run_options *o, struct store_run *sr, char *err, size_t errlen)
{
	char dir[4096];

	if (o->argc < 1 || strchr(o->argv[0], '/') || store_path(dir, sizeof(dir), "%s", ""))
		return 0; /* a host path, or no store */
	return store_find(o->argv[0], &sr->img, err, errlen);
}

int store_run_layer(int argc, char **argv, struct run_options *o, struct store_run *sr, char *err,
		    size_t errlen)
{
	const struct manifest *m = &sr->m;
	int rc;

	memset(sr, 0, sizeof(*sr));
	if (o->manifest) {
		if (manifest_load(o->manifest, &sr->m, err, errlen))
			return -1;
	} else if ((rc = find_image(o, sr, err, errlen)) <= 0) {
		return rc;
	} else {
		sr->image = true;
		m = &sr->img.m;
	}
	options_free(o);
	options_init(o);
	if (manifest_apply(m, o, err, errlen) ||
	    options_parse_args(argc, argv, o, err, errlen, getenv) < 0)
		return -1;
	if (sr->image)
		rc = make_argv(sr, sr->img.entry, sr->img.nentry, o->argv + 1, o->argc - 1, m);
	else
		rc = make_argv(sr, &sr->m.program, 1, o->argv, o->argc, m);
	if (rc)
		return snprintf(err, errlen, "out of memory"), -1;
	o->argv = sr->argv;
	o->argc = sr->argc;
	return 1;
}

/* The names of the tree at `path` into the writer, as if it had written
 * them (rundata.c asks what the image holds: /etc files, the cwd). */
static int learn_names(struct image_writer *w, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	struct stat st;
	struct cpio_iter it;
	struct cpio_entry e;
	void *map = MAP_FAILED;
	char *name;

	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0)
		map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (fd >= 0)
		close(fd);
	if (map == MAP_FAILED)
		return image_fail(w, -EIO, "%s: cannot read it back", path);
	cpio_iter_init(&it, map, st.st_size);
	while (!rc && (rc = cpio_next(&it, &e)) == 1) {
		rc = 0;
		if (!e.namelen)
			continue;
		if (asprintf(&name, "/%s", e.name) < 0)
			rc = image_fail(w, -ENOMEM, "out of memory");
		else
			rc = image_names_add(w, name, e.mode, e.data,
					     (e.mode & 0170000) == 0120000 ? e.size : 0);
		free(name);
		w->next_ino++;
	}
	munmap(map, st.st_size);
	return rc < 0 ? image_fail(w, rc, "%s: a damaged tree", path) : 0;
}

int store_run_write(struct image_writer *w, const struct run_options *o, const struct store_run *sr,
		    const char *cwd)
{
	const struct store_image *img = &sr->img;
	struct rundata ri;
	int rc;

	if (store_copy_rootfs(img, w->fd, w->err, sizeof(w->err)))
		return -EINVAL;
	w->off = img->rootfs_size;
	rc = learn_names(w, img->rootfs_path);
	/* --file over an image: the files alone (their libraries are not
	 * looked for: build an image with them instead). */
	for (size_t i = 0; !rc && i < o->nfiles; i++)
		rc = image_add_path(w, o->files[i].host, o->files[i].guest);
	if (!rc && o->nfiles)
		rc = image_finish_archive(w);
	if (rc)
		return rc;
	rundata_gather(&ri, o, img->exe, cwd);
	ri.argv = sr->argv;
	ri.argc = sr->argc;
	for (size_t i = 0; i < img->npath_dirs; i++)
		rundata_path_add(&ri, img->path_dirs[i]);
	return rundata_write(w, &ri);
}

void store_run_free(struct store_run *sr)
{
	free(sr->argv);
	if (sr->image)
		store_image_free(&sr->img);
	manifest_free(&sr->m);
	memset(sr, 0, sizeof(*sr));
}
