/*
 * Dependencies of a dynamic program: its interpreter (PT_INTERP) and every
 * shared library it needs, found on the host as the guest's ld.so will look
 * for them, and packed into the image at the same paths.
 *
 * Nothing is run: deps_elf.c reads each object's dynamic section (with
 * every bound checked, so a damaged library is a message, never a crash),
 * and this file searches for each DT_NEEDED name, breadth first as ld.so
 * loads, matching names already loaded (or their DT_SONAME) first.
 *
 * Search order, per interpreter:
 *  glibc  (1) DT_RPATH of the requesting object, then of the object that
 *             needed it, up to the program (each only if that object has
 *             no DT_RUNPATH; none at all if the requester has one);
 *         (2) DT_RUNPATH of the requester; (3) the directories of
 *             /etc/ld.so.conf and its includes (what ldconfig caches);
 *         (4) the system defaults.  LD_LIBRARY_PATH is not used: the
 *             host's environment is not the guest's.
 *  musl   DT_RUNPATH (else DT_RPATH) of the requester and its needers,
 *         then /etc/ld-musl-x86_64.path, else /lib:/usr/local/lib:/usr/lib.
 *         musl's libc is its interpreter: libc.so, libm.so, libpthread.so
 *         and the rest of the names musl reserves resolve to it.
 * $ORIGIN and ${ORIGIN} expand to the directory of the object whose path
 * list it is.  A candidate of another ELF class or machine is skipped, as
 * ld.so skips 32-bit libraries in the same directories.
 *
 * Packing keeps host paths: each symlink met on the way to a file (a
 * library's own link, or a merged-/usr directory link such as /lib ->
 * usr/lib) is packed as a symlink, and the file at its real path, so both
 * the path ld.so asks for and the real one resolve in the guest
 * (image_add_host_path).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/elf.h>

#include "cli.h"

#define DEPS_MAX_OBJECTS    4096 /* far beyond any real program */
#define DEPS_MAX_CONF_DEPTH 8	 /* nesting of ld.so.conf `include` */
#define DEPS_LD_SO_CONF	    "/etc/ld.so.conf"
#define DEPS_LD_SO_CACHE    "/etc/ld.so.cache" /* what the guest's glibc ld.so reads */
#define DEPS_MUSL_PATH_FILE "/etc/ld-musl-x86_64.path"
#define DEPS_MUSL_DEFAULT   "/lib:/usr/local/lib:/usr/lib"
#define DEPS_MUSL_PREFIX    "ld-musl-"

/* glibc's built-in directories for x86-64 (after ld.so.conf), in order. */
static const char deps_glibc_default[] = "/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:"
					 "/lib64:/usr/lib64:/lib:/usr/lib";

static int deps_fail(struct deps_list *l, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int deps_fail(struct deps_list *l, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* Append a copy of `s` to the vector (NULL entries are never stored). */
static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(char *));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Read `path` into `o`: 1 skipped, 0 read, -1 damaged (see deps_elf.c). */
static int load_object(struct deps_list *l, const char *path, bool shared, struct deps_object *o)
{
	return deps_elf_read(path, shared, o, l->err, sizeof(l->err));
}

/* Append `o` (taking its memory) to the list; -1 with l->err on failure. */
static int add_object(struct deps_list *l, struct deps_object *o)
{
	if (l->n == DEPS_MAX_OBJECTS)
		return deps_fail(l, -1, "more than %d shared libraries", DEPS_MAX_OBJECTS);
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct deps_object *no = realloc(l->objs, cap * sizeof(*no));

		if (!no)
			return deps_fail(l, -1, "out of memory");
		l->objs = no;
		l->cap = cap;
	}
	l->objs[l->n++] = *o;
	return 0;
}

/* The directory part of `path` ("/" for "/x", "." for "x"), malloc'd. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* One search in progress: the name, what was tried, what was found. */
struct deps_search {
	struct deps_list *l;
	const char *name;
	char *searched; /* "dir:dir:..." for the error message */
	struct deps_object found;
	int rc; /* 1 not found yet, 0 found, -1 error */
};

/* Try `dir`/name; remembers the directory for the message. */
static void try_dir(struct deps_search *s, const char *dir, size_t dlen, const char *how)
{
	char *path, *old = s->searched;

	if (s->rc != 1 || dlen == 0)
		return;
	if (asprintf(&s->searched, "%s%s%.*s", old ? old : "", old ? ":" : "", (int)dlen, dir) < 0)
		s->searched = NULL;
	free(old);
	if (asprintf(&path, "%.*s/%s", (int)dlen, dir, s->name) < 0 || !s->searched) {
		s->rc = deps_fail(s->l, -1, "out of memory");
		return;
	}
	s->rc = load_object(s->l, path, true, &s->found);
	if (s->rc == 0) {
		s->found.path = path;
		s->found.how = how;
		return;
	}
	deps_elf_free(&s->found);
	free(path);
}

/*
 * Try each directory of the list `dirs` (separated by any of `seps`), with
 * $ORIGIN and ${ORIGIN} replaced by `origin`.  Other tokens ($LIB,
 * $PLATFORM) are left as they are and so match nothing.
 */
static void try_list(struct deps_search *s, const char *dirs, const char *seps, const char *origin,
		     const char *how)
{
	while (s->rc == 1 && dirs && *dirs) {
		size_t n = strcspn(dirs, seps);
		const char *tok = NULL;

		if (n >= 7 && !strncmp(dirs, "$ORIGIN", 7))
			tok = dirs + 7;
		else if (n >= 9 && !strncmp(dirs, "${ORIGIN}", 9))
			tok = dirs + 9;
		if (tok) {
			char *d;

			if (asprintf(&d, "%s%.*s", origin, (int)(n - (tok - dirs)), tok) < 0) {
				s->rc = deps_fail(s->l, -1, "out of memory");
				return;
			}
			try_dir(s, d, strlen(d), how);
			free(d);
		} else {
			try_dir(s, dirs, n, how);
		}
		dirs += n;
		dirs += strspn(dirs, seps);
	}
}

/* Try the path list of object `i` (`runpath` or rpath), $ORIGIN its directory. */
static void try_object_path(struct deps_search *s, size_t i, bool runpath, const char *how)
{
	const struct deps_object *o = &s->l->objs[i];
	const char *list = runpath ? o->runpath : o->rpath;
	char *origin;

	if (!list)
		return;
	/* The program's origin is its real directory, as ld.so takes it
	 * from /proc/self/exe; a library's is where it was found. */
	if (i == 0) {
		char *real = realpath(o->path, NULL);

		origin = dir_of(real ? real : o->path);
		free(real);
	} else {
		origin = dir_of(o->path);
	}
	if (!origin) {
		s->rc = deps_fail(s->l, -1, "out of memory");
		return;
	}
	try_list(s, list, ":", origin, how);
	free(origin);
}

/* glibc ld.so's order for a name needed by object `from` (see the top). */
static void search_glibc(struct deps_search *s, size_t from)
{
	struct deps_list *l = s->l;

	if (!l->objs[from].runpath)
		for (ssize_t i = from; i >= 0; i = l->objs[i].loader)
			if (!l->objs[i].runpath)
				try_object_path(s, i, false, "DT_RPATH");
	try_object_path(s, from, true, "DT_RUNPATH");
	for (size_t i = 0; i < l->nconf; i++)
		try_dir(s, l->conf[i], strlen(l->conf[i]), DEPS_LD_SO_CONF);
	try_list(s, deps_glibc_default, ":", "", "default path");
}

/* musl's order: each needer's RUNPATH-else-RPATH, then the system path. */
static void search_musl(struct deps_search *s, size_t from)
{
	struct deps_list *l = s->l;

	for (ssize_t i = from; i >= 0; i = l->objs[i].loader)
		try_object_path(s, i, l->objs[i].runpath != NULL,
				l->objs[i].runpath ? "DT_RUNPATH" : "DT_RPATH");
	try_list(s, l->musl_path ? l->musl_path : DEPS_MUSL_DEFAULT, ":\n", "",
		 l->musl_path ? DEPS_MUSL_PATH_FILE : "musl default path");
}

/* Whether musl keeps `name` for itself (libc.so, libm.so.6, libdl.so...). */
static bool musl_reserved(const char *name)
{
	static const char *const reserved[] = { "c", "pthread", "rt", "m", "dl", "util", "xnet" };
	size_t n = strcspn(name, ".");

	if (strncmp(name, "lib", 3) || !name[n] || n < 3)
		return false;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (n - 3 == strlen(reserved[i]) && !strncmp(name + 3, reserved[i], n - 3))
			return true;
	return false;
}

/* The object already loaded under `name` (its name or DT_SONAME), or -1. */
static ssize_t find_loaded(const struct deps_list *l, const char *name)
{
	for (size_t i = 1; i < l->n; i++)
		if (!strcmp(l->objs[i].name, name) ||
		    (l->objs[i].soname && !strcmp(l->objs[i].soname, name)))
			return i;
	if (l->musl && musl_reserved(name))
		return 1;
	return -1;
}

/* "PROG needs NAME" plus, for an indirect need, which library asked. */
static int not_found(struct deps_list *l, size_t from, const char *name, const char *searched)
{
	const struct deps_object *o = &l->objs[from];
	char via[PATH_MAX + 16] = "";

	if (from != 0)
		snprintf(via, sizeof(via), " (for %s)", o->path);
	return deps_fail(l, -1, "%s needs %s%s, which was not found (searched: %s)",
			 l->objs[0].name, name, via, searched ? searched : "nothing");
}

/* Find the library `name` needed by object `from` and append it. */
static int resolve_needed(struct deps_list *l, size_t from, const char *name)
{
	struct deps_search s = { .l = l, .name = name, .rc = 1 };

	if (find_loaded(l, name) >= 0)
		return 0;
	if (strchr(name, '/')) {
		/* A name with a slash is a path, relative to the cwd. */
		char *abs = image_absolute(name);

		s.searched = strdup(name);
		s.rc = abs ? load_object(l, abs, true, &s.found)
			   : deps_fail(l, -1, "out of memory");
		if (s.rc == 0)
			s.found.path = abs, s.found.how = "its own path";
		else
			free(abs);
	} else if (l->musl) {
		search_musl(&s, from);
	} else {
		search_glibc(&s, from);
	}
	if (s.rc == 1)
		not_found(l, from, name, s.searched);
	if (s.rc == 0) {
		s.found.name = strdup(name);
		s.found.loader = from;
		s.rc = s.found.name ? add_object(l, &s.found) : deps_fail(l, -1, "out of memory");
	}
	if (s.rc)
		deps_elf_free(&s.found);
	free(s.searched);
	return s.rc ? -1 : 0;
}

static int read_conf_glob(struct deps_list *l, const char *file, const char *pattern, int depth);

/*
 * Append the directories of one ld.so.conf-format file: one per line, '#'
 * comments, `include GLOB` (relative to the file's directory), `hwcap`
 * lines ignored, and ldconfig's old "dir=TYPE" suffix dropped.
 */
static int read_conf(struct deps_list *l, const char *file, int depth)
{
	FILE *f = depth < DEPS_MAX_CONF_DEPTH ? fopen(file, "re") : NULL;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	if (!f)
		return 0; /* as ldconfig: a missing file adds nothing */
	while (!rc && getline(&line, &cap, f) > 0) {
		char *s = line + strspn(line, " \t"), *e;

		s[strcspn(s, "#\n=")] = '\0';
		for (e = s + strlen(s); e > s && strchr(" \t/", e[-1]); e--)
			*(e - 1) = '\0';
		if (!strncmp(s, "include", 7) && (s[7] == ' ' || s[7] == '\t'))
			rc = read_conf_glob(l, file, s + 8 + strspn(s + 8, " \t"), depth);
		else if (*s == '/' && strncmp(s, "hwcap", 5))
			rc = strv_push(&l->conf, &l->nconf, s);
	}
	free(line);
	fclose(f);
	return rc < 0 ? deps_fail(l, -1, "out of memory") : 0;
}

/* Each file matching `pattern` (an `include` of `file`), in sorted order. */
static int read_conf_glob(struct deps_list *l, const char *file, const char *pattern, int depth)
{
	char *dir = dir_of(file), *full = NULL;
	glob_t g;
	int rc = 0;

	if (!dir || asprintf(&full, "%s%s%s", pattern[0] == '/' ? "" : dir,
			     pattern[0] == '/' ? "" : "/", pattern) < 0) {
		free(dir);
		return -ENOMEM;
	}
	if (glob(full, 0, NULL, &g) == 0) {
		for (size_t i = 0; !rc && i < g.gl_pathc; i++)
			rc = read_conf(l, g.gl_pathv[i], depth + 1);
		globfree(&g);
	}
	free(dir);
	free(full);
	return rc;
}

/*
 * musl's path file: "<prefix>/etc/ld-musl-x86_64.path", where the prefix is
 * the interpreter's path above its directory ("" for /lib/ld-musl-...).
 * Present: its contents, even empty; absent: NULL (musl's default).
 */
static int read_musl_path(struct deps_list *l, const char *interp)
{
	const char *dir_end = strrchr(interp, '/'), *up = interp;
	FILE *f;
	size_t cap = 0;

	for (const char *p = interp; p < dir_end; p++)
		if (*p == '/')
			up = p;
	if (asprintf(&l->musl_path_file, "%.*s%s", (int)(up - interp), interp,
		     DEPS_MUSL_PATH_FILE) < 0) {
		l->musl_path_file = NULL;
		return deps_fail(l, -1, "out of memory");
	}
	f = fopen(l->musl_path_file, "re");
	if (!f)
		return 0;
	if (getdelim(&l->musl_path, &cap, '\0', f) <= 0) {
		free(l->musl_path);
		l->musl_path = strdup("");
	}
	fclose(f);
	return l->musl_path ? 0 : deps_fail(l, -1, "out of memory");
}

/* Record the program (object 0) and its interpreter (object 1). */
static int add_program_and_interp(struct deps_list *l, struct deps_object *prog, const char *exe,
				  const char *display)
{
	struct deps_object in = { .loader = 0, .how = "PT_INTERP" };
	const char *base = strrchr(prog->interp, '/');
	int rc;

	prog->name = strdup(display);
	prog->path = strdup(exe);
	prog->loader = -1;
	prog->how = "the program";
	if (!prog->name || !prog->path || add_object(l, prog) < 0) {
		deps_elf_free(prog);
		return deps_fail(l, -1, "out of memory");
	}
	base = base ? base + 1 : prog->interp;
	l->musl = !strncmp(base, DEPS_MUSL_PREFIX, strlen(DEPS_MUSL_PREFIX));
	rc = l->musl ? read_musl_path(l, prog->interp) : read_conf(l, DEPS_LD_SO_CONF, 0);
	if (rc == 0)
		rc = load_object(l, prog->interp, true, &in);
	if (rc == 1)
		rc = deps_fail(l, -1, "%s needs the interpreter %s, which is missing or not x86-64",
			       display, prog->interp);
	if (rc == 0 && (!(in.name = strdup(prog->interp)) || !(in.path = strdup(in.name))))
		rc = deps_fail(l, -1, "out of memory");
	if (rc == 0)
		rc = add_object(l, &in);
	if (rc)
		deps_elf_free(&in);
	return rc;
}

/*
 * Resolve every dependency of the program at `exe` (absolute, already
 * checked by program_check; `display` names it in messages).  See cli.h.
 */
int deps_resolve(const char *exe, const char *display, struct deps_list *l)
{
	struct deps_object prog = { 0 };
	int rc;

	memset(l, 0, sizeof(*l));
	rc = load_object(l, exe, false, &prog);
	if (rc == 1)
		rc = deps_fail(l, -1, "%s: not an x86-64 ELF file", display);
	if (rc || !prog.interp) {
		deps_elf_free(&prog);
		return rc ? CLI_EXIT_CANNOT_RUN : 0; /* static: nothing to add */
	}
	if (add_program_and_interp(l, &prog, exe, display) < 0)
		return CLI_EXIT_CANNOT_RUN;
	/* Breadth first, as ld.so loads: the list grows while it is walked. */
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < l->objs[i].nneeded; j++)
			if (resolve_needed(l, i, l->objs[i].needed[j]) < 0)
				return CLI_EXIT_CANNOT_RUN;
	return 0;
}

/* See cli.h: a module's missing library is left out. */
int deps_resolve_modules(struct deps_list *l, size_t from, bool verbose)
{
	for (size_t i = from; i < l->n; i++) {
		for (size_t j = 0; j < l->objs[i].nneeded; j++) {
			if (resolve_needed(l, i, l->objs[i].needed[j]) == 0)
				continue;
			if (strstr(l->err, "out of memory"))
				return -1;
			if (verbose)
				msg_error("warning: %s: %s", l->objs[i].path, l->err);
			l->err[0] = '\0';
		}
	}
	return 0;
}

/* See cli.h: damaged or foreign ELF files, and objects that need nothing,
 * are passed over. */
int deps_add_module(struct deps_list *l, const char *path)
{
	struct deps_object o = { 0 };
	char err[256];

	/* Past the cap a tree (say all of /usr) adds no more modules: those
	 * left out still travel in the tree, only their needs are not sought. */
	if (l->n >= DEPS_MAX_OBJECTS / 2 || deps_elf_read(path, true, &o, err, sizeof(err)) != 0 ||
	    !o.nneeded) {
		deps_elf_free(&o);
		return 0;
	}
	o.name = strdup(path);
	o.path = strdup(path);
	o.how = "--file";
	o.loader = 0; /* dlopen'ed by the program */
	o.module = true;
	if (!o.name || !o.path || add_object(l, &o) < 0) {
		deps_elf_free(&o);
		return deps_fail(l, -1, "out of memory");
	}
	return 0;
}

void deps_free(struct deps_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		deps_elf_free(&l->objs[i]);
	free(l->objs);
	strv_free(l->conf, l->nconf);
	free(l->musl_path);
	free(l->musl_path_file);
	memset(l, 0, sizeof(*l));
}

/*
 * Pack every object of `l` (the program included) and the file the guest's
 * loader reads its search path from, if the host has it.  See cli.h.
 */
int deps_pack(struct image_writer *w, const struct deps_list *l, bool verbose)
{
	const char *conf = l->musl ? l->musl_path_file : DEPS_LD_SO_CACHE;
	int rc = 0;

	if (l->n == 0)
		return 0; /* a static program: no loader to feed */

	for (size_t i = 0; !rc && i < l->n; i++) {
		const struct deps_object *o = &l->objs[i];

		if (o->module)
			continue;
		if (verbose && i > 0)
			msg_error("packing %s: %s (found by %s)", o->name, o->path, o->how);
		rc = image_add_host_path(w, o->path);
	}
	if (!rc && conf && access(conf, R_OK) == 0) {
		if (verbose)
			msg_error("packing %s (the loader's search path)", conf);
		rc = image_add_host_path(w, conf);
	}
	return rc;
}
