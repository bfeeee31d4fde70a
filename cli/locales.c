/*
 * The glibc locale data a run asks for: when -e sets LC_ALL, LANG or an
 * LC_* variable to a locale other than C or POSIX, a glibc program's
 * setlocale(LC_ALL, "") reads it from /usr/lib/locale: the locale archive
 * (locale-archive, from the locales package) first, then a directory named
 * after the locale with its codeset normalised ("C.UTF-8" -> C.utf8, the
 * directory libc-bin ships).  Both are packed at their host paths when the
 * host has them; nothing is packed for C, for musl (which has its own
 * built-in C.UTF-8) or for a static program (no ld.so to tell which libc).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define LOCALES_DIR	 "/usr/lib/locale"
#define LOCALES_ARCHIVE	 LOCALES_DIR "/locale-archive"
#define LOCALES_NAME_MAX 128 /* far beyond "ll_TT.codeset@modifier" */

/* The locale a "NAME=VALUE" variable asks for, or NULL (not a locale
 * variable, empty, C or POSIX). */
static const char *wanted(const char *var)
{
	const char *v = strchr(var, '=') + 1;

	if (strncmp(var, "LANG=", 5) && strncmp(var, "LC_", 3))
		return NULL;
	if (!strncmp(var, "LC_", 3) && v - var == 4) /* "LC_=" */
		return NULL;
	if (!*v || !strcmp(v, "C") || !strcmp(v, "POSIX"))
		return NULL;
	return v;
}

/*
 * glibc's directory name for locale `name`: the codeset (after '.', before
 * '@') lowercased with only letters and digits kept, "iso" before an
 * all-digit one (glibc's _nl_normalize_codeset).  False if it cannot be a
 * file name.
 */
static bool normalize_codeset(const char *name, char *out, size_t outlen)
{
	const char *dot = strchr(name, '.'), *at = strchr(name, '@');
	size_t o = 0, end = dot ? (size_t)(dot - name) : strlen(name);
	bool digits = true;

	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strlen(name) >= outlen || end >= outlen)
		return false;
	memcpy(out, name, end);
	o = end;
	if (dot) {
		const char *c, *cend = at && at > dot ? at : dot + strlen(dot);

		for (c = dot + 1; c < cend; c++)
			if (isalpha((unsigned char)*c))
				digits = false;
		o += snprintf(out + o, outlen - o, ".%s", digits ? "iso" : "");
		for (c = dot + 1; c < cend && o + 1 < outlen; c++)
			if (isalnum((unsigned char)*c))
				out[o++] = (char)tolower((unsigned char)*c);
		out[o] = '\0';
		if (at && at > dot)
			snprintf(out + o, outlen - o, "%s", at);
	} else {
		snprintf(out + o, outlen - o, "%s", name + end);
	}
	return true;
}

/* Pack the host path `path` if it exists; 0 or -errno (w->err). */
static int pack_if_there(struct image_writer *w, const char *path, bool verbose)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	if (verbose)
		msg_error("packing %s (a locale the environment asks for)", path);
	return image_add_host_path(w, path);
}

/*
 * locales_pack - see the top.  `l` is the program's resolved dependencies,
 * `env` its -e variables.  Returns 0 or -errno with w->err.
 */
int locales_pack(struct image_writer *w, const struct deps_list *l, char *const *env, size_t nenv,
		 bool verbose)
{
	char dir[LOCALES_NAME_MAX + sizeof(LOCALES_DIR) + 1], norm[LOCALES_NAME_MAX];
	bool archive = false;
	int rc = 0;

	if (!l->n || l->musl)
		return 0;
	for (size_t i = 0; !rc && i < nenv; i++) {
		const char *name = wanted(env[i]);

		if (!name)
			continue;
		if (!archive) {
			rc = pack_if_there(w, LOCALES_ARCHIVE, verbose);
			archive = true;
		}
		if (!rc && normalize_codeset(name, norm, sizeof(norm))) {
			snprintf(dir, sizeof(dir), "%s/%s", LOCALES_DIR, norm);
			rc = pack_if_there(w, dir, verbose);
		}
	}
	return rc;
}
