/*
 * What a run packs besides the --file trees themselves: everything the
 * program may exec, each with what its own exec needs.
 *
 *  - PROGRAM: its ELF file with its interpreter and libraries (deps.c), and
 *    for a `#!` script the scripts of its chain and the command of a
 *    `#!/usr/bin/env CMD` line, with theirs (program.c);
 *  - in each --file (a file or a tree): every dynamic executable brings its
 *    interpreter and libraries, resolved as its own program; every
 *    executable `#!` script its interpreter chain (and env's command); every
 *    other shared object is a module the program may dlopen, whose libraries
 *    are resolved with the program's (or, for a static program, with the
 *    first dynamic program found) search rules.
 *
 * A program is resolved once (by its host path).  Problems of what a tree
 * holds (a script whose interpreter the host lacks, a library not found)
 * are left out, as they would fail natively too: said with -v.  Packing is
 * by host path, so every name is written once (image.c: the first wins).
 */
#include <elf.h>
#include <errno.h>
#include <fts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Append a copy of `s` to the vector; -1 when out of memory. */
static int pack_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(char *));

	if (!nv)
		return -1;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -1;
	(*n)++;
	return 0;
}

static bool pack_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static int pack_oom(struct pack *k)
{
	snprintf(k->err, sizeof(k->err), "out of memory");
	return CLI_EXIT_ERROR;
}

/* Remember the program at `path` by its real path (/bin/sh and
 * /usr/bin/dash are one): 1 when new, 0 when seen, -1 when out of memory. */
static int see(struct pack *k, const char *path)
{
	char *real = realpath(path, NULL);
	const char *key = real ? real : path;
	int rc = pack_has(k->seen, k->nseen, key) ? 0 : 1;

	if (rc == 1 && pack_push(&k->seen, &k->nseen, key) < 0) {
		pack_oom(k);
		rc = -1;
	}
	free(real);
	return rc;
}

/*
 * The ELF program at `path` (absolute) and, when dynamic, its interpreter
 * and libraries.  `in_tree`: a --file packs the file itself.  A failure is
 * an error when `required`, else left out (said with -v).
 */
static int add_elf(struct pack *k, const char *path, bool in_tree, bool required)
{
	struct deps_list l, *nv;
	int rc = see(k, path);

	if (rc <= 0)
		return rc < 0 ? CLI_EXIT_ERROR : 0;
	rc = deps_resolve(path, path, &l);
	if (rc) {
		if (required)
			snprintf(k->err, sizeof(k->err), "%s", l.err);
		else if (k->verbose)
			msg_error("warning: %s", l.err);
		deps_free(&l);
		return required ? rc : 0;
	}
	if (l.n == 0) { /* static: only the file itself */
		deps_free(&l);
		if (!in_tree && pack_push(&k->files, &k->nfiles, path) < 0)
			return pack_oom(k);
		return 0;
	}
	l.objs[0].module = in_tree;
	nv = realloc(k->execs, (k->nexecs + 1) * sizeof(*nv));
	if (!nv) {
		deps_free(&l);
		return pack_oom(k);
	}
	k->execs = nv;
	nv[k->nexecs++] = l;
	return 0;
}

static int add_env(struct pack *k, const struct program *p, bool required);

/* A followed chain: its scripts (all but the first when `in_tree`), the
 * ELF at its end, and env's command. */
static int add_chain(struct pack *k, const struct program *p, bool in_tree, bool required)
{
	int rc = 0;

	for (int i = in_tree ? 1 : 0; !rc && i < p->nscripts; i++)
		if (!pack_has(k->files, k->nfiles, p->scripts[i]) &&
		    pack_push(&k->files, &k->nfiles, p->scripts[i]) < 0)
			rc = pack_oom(k);
	if (!rc && (p->nscripts || !in_tree))
		rc = add_elf(k, p->exe, false, required);
	if (!rc && p->env)
		rc = add_env(k, p, required);
	return rc;
}

/* env's command, and the directory of PATH it was found in. */
static int add_env(struct pack *k, const struct program *p, bool required)
{
	if (p->env_dir && !pack_has(k->path_dirs, k->npath_dirs, p->env_dir) &&
	    pack_push(&k->path_dirs, &k->npath_dirs, p->env_dir) < 0)
		return pack_oom(k);
	return add_chain(k, p->env, false, required);
}

/* See cli.h. */
int pack_program(struct pack *k, const struct program *p, const char *display, bool verbose)
{
	int rc;

	memset(k, 0, sizeof(*k));
	k->verbose = verbose;
	rc = deps_resolve(p->exe, p->nscripts ? p->exe : display, &k->prog);
	if (rc) {
		snprintf(k->err, sizeof(k->err), "%s", k->prog.err);
		return rc;
	}
	if (see(k, p->exe) < 0 || (k->prog.n == 0 && pack_push(&k->files, &k->nfiles, p->exe) < 0))
		return pack_oom(k);
	for (int i = 0; i < p->nscripts; i++)
		if (pack_push(&k->files, &k->nfiles, p->scripts[i]) < 0)
			return pack_oom(k);
	return p->env ? add_env(k, p, true) : 0;
}

/* One regular file of a --file tree, by its first bytes. */
static int scan_file(struct pack *k, const char *path, size_t size)
{
	struct deps_object o = { 0 };
	struct script_line l;
	struct program p;
	char err[512];
	int rc = script_read(path, &l);

	if (rc == 0 && access(path, X_OK) == 0) {
		rc = program_follow(path, &p, err, sizeof(err));
		if (rc && k->verbose)
			msg_error("warning: %s", err);
		rc = rc ? 0 : add_chain(k, &p, true, false);
		program_free(&p);
		return rc;
	}
	if (rc != 1 || size <= SELFMAG || memcmp(l.buf, ELFMAG, SELFMAG))
		return 0; /* neither a script nor an ELF file */
	/* An executable (PT_INTERP) is a program of its own; another shared
	 * object a module, resolved when every tree has been seen. */
	rc = deps_elf_read(path, false, &o, err, sizeof(err));
	if (rc == 0 && o.interp)
		rc = add_elf(k, path, true, false);
	else if (rc == 0 && o.nneeded)
		rc = pack_push(&k->modules, &k->nmodules, path) < 0 ? pack_oom(k) : 0;
	else
		rc = 0; /* static, foreign or damaged: nothing to add */
	deps_elf_free(&o);
	return rc;
}

/* See cli.h.  The tree is walked without following symlinks (those are
 * packed as symlinks; what they name is packed where the tree has it). */
int pack_scan(struct pack *k, const char *host)
{
	char *abs = image_absolute(host), *const roots[] = { abs, NULL };
	FTSENT *e;
	FTS *fts;
	int rc = 0;

	if (!abs)
		return pack_oom(k);
	fts = fts_open(roots, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_NOCHDIR, NULL);
	while (fts && !rc && (e = fts_read(fts)))
		if (e->fts_info == FTS_F)
			rc = scan_file(k, e->fts_path, e->fts_statp->st_size);
	if (fts)
		fts_close(fts); /* no fts: packing the tree will say what is wrong */
	free(abs);
	return rc;
}

/* See cli.h. */
int pack_finish(struct pack *k)
{
	struct deps_list *l = k->prog.n ? &k->prog : NULL;
	size_t first;

	for (size_t i = 0; !l && i < k->nexecs; i++)
		l = &k->execs[i];
	if (!l) {
		if (k->nmodules && k->verbose)
			msg_error(
				"warning: no dynamic program to load the shared objects of --file: "
				"their libraries are not packed");
		return 0;
	}
	first = l->n;
	for (size_t i = 0; i < k->nmodules; i++)
		if (deps_add_module(l, k->modules[i]) < 0)
			return snprintf(k->err, sizeof(k->err), "%s", l->err), CLI_EXIT_ERROR;
	if (deps_resolve_modules(l, first, k->verbose) < 0)
		return snprintf(k->err, sizeof(k->err), "%s", l->err), CLI_EXIT_ERROR;
	return 0;
}

/* See cli.h. */
int pack_write(struct image_writer *w, const struct pack *k)
{
	int rc = deps_pack(w, &k->prog, k->verbose);

	for (size_t i = 0; !rc && i < k->nexecs; i++) {
		if (k->verbose)
			msg_error("packing what %s needs", k->execs[i].objs[0].path);
		rc = deps_pack(w, &k->execs[i], k->verbose);
	}
	for (size_t i = 0; !rc && i < k->nfiles; i++)
		rc = image_add_host_path(w, k->files[i]);
	return rc;
}

static void pack_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void pack_free(struct pack *k)
{
	deps_free(&k->prog);
	for (size_t i = 0; i < k->nexecs; i++)
		deps_free(&k->execs[i]);
	free(k->execs);
	pack_strv_free(k->files, k->nfiles);
	pack_strv_free(k->modules, k->nmodules);
	pack_strv_free(k->seen, k->nseen);
	pack_strv_free(k->path_dirs, k->npath_dirs);
	memset(k, 0, sizeof(*k));
}
