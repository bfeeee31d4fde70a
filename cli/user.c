/*
 * `monos run -u USER[:GROUP]`: the ids the program starts with, resolved as
 * docker (runc's GetExecUser) resolves them, against the image's
 * /etc/passwd and /etc/group: the files a --file packs there, else the ones
 * monos generates (rundata.c).  The kernel gets the numbers in the per-run
 * entry MONOS_RUN_USER (include/monos/bootinfo.h).
 *
 * USER: a name of /etc/passwd (its uid, gid and home), or a number (taken
 * as is when /etc/passwd lacks it: group 0, home "/").  GROUP: a name of
 * /etc/group or a number.  Without GROUP, the supplementary groups are
 * those of /etc/group that list the user's name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define ETC_MAX_BYTES (4u << 20) /* larger /etc files are refused */

/* A decimal id below (uid_t)-1, or -1. */
static long long parse_id(const char *s, size_t len)
{
	long long v = 0;

	if (!len || len > 10)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v < 0xffffffffll ? v : -1;
}

/* The host file packed at guest path `guest` by the last --file that
 * brings one, or NULL. */
static char *packed_source(const struct run_options *o, const char *guest)
{
	for (size_t i = o->nfiles; i-- > 0;) {
		const char *g = o->files[i].guest ? o->files[i].guest : o->files[i].host;
		size_t glen = strlen(g);
		struct stat st;
		char *host;

		while (glen > 1 && g[glen - 1] == '/')
			glen--;
		if (strncmp(guest, g, glen) || (guest[glen] != '/' && guest[glen] && glen > 1))
			continue;
		if (asprintf(&host, "%s%s", o->files[i].host, guest + (glen > 1 ? glen : 0)) < 0)
			return NULL;
		if (stat(host, &st) == 0 && S_ISREG(st.st_mode))
			return host;
		free(host);
	}
	return NULL;
}

/* The text of the image's /etc file `guest` (malloc'd), or NULL with `err`. */
static char *etc_text(const struct run_options *o, const char *guest, char *err, size_t errlen)
{
	char *host = packed_source(o, guest), *buf = NULL;
	FILE *f;
	size_t n;

	if (!host) {
		buf = strdup(rundata_etc_text(guest));
		if (!buf)
			snprintf(err, errlen, "out of memory");
		return buf;
	}
	f = fopen(host, "r");
	if (f && (buf = malloc(ETC_MAX_BYTES + 1))) {
		n = fread(buf, 1, ETC_MAX_BYTES + 1, f);
		buf[n <= ETC_MAX_BYTES ? n : 0] = 0;
		if (n > ETC_MAX_BYTES) {
			snprintf(err, errlen, "%s: larger than 4 MiB", host);
			free(buf), buf = NULL;
		}
	} else {
		snprintf(err, errlen, "cannot read %s: %s", host, strerror(errno));
	}
	if (f)
		fclose(f);
	free(host);
	return buf; /* `err` is written, never read: the caller need not clear it */
}

/* Split `line` at ':' into up to `max` fields; returns how many. */
static int fields(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ':')
			*p = 0, f[n++] = p + 1;
	return n;
}

/* The passwd entry whose name (or, for a number, uid) is `user`: fills
 * uid, gid, home and name; false if none. */
static bool find_passwd(char *text, const char *user, struct run_user *u)
{
	long long id = parse_id(user, strlen(user));

	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *f[7];
		if (fields(line, f, 7) < 7 || parse_id(f[2], strlen(f[2])) < 0 ||
		    parse_id(f[3], strlen(f[3])) < 0)
			continue;
		if (strcmp(f[0], user) && parse_id(f[2], strlen(f[2])) != id)
			continue;
		u->uid = parse_id(f[2], strlen(f[2]));
		u->gid = parse_id(f[3], strlen(f[3]));
		snprintf(u->home, sizeof(u->home), "%s", f[5]);
		snprintf(u->name, sizeof(u->name), "%s", f[0]);
		return true;
	}
	return false;
}

/* Is `name` in the comma-separated member list `list`? */
static bool is_member(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; *p; p += strcspn(p, ","), p += *p == ',')
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

/* The group named (or numbered) `group`, or else the groups listing the
 * user `u->name`, from the /etc/group text. */
static int scan_groups(char *text, const char *group, struct run_user *u)
{
	long long id = group ? parse_id(group, strlen(group)) : -1;

	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *f[4];
		long long gid;
		if (fields(line, f, 4) < 4 || (gid = parse_id(f[2], strlen(f[2]))) < 0)
			continue;
		if (group && (!strcmp(f[0], group) || gid == id)) {
			u->gid = gid;
			return 0;
		}
		if (!group && u->name[0] && is_member(f[3], u->name) &&
		    u->ngroups < USER_MAX_GROUPS)
			u->groups[u->ngroups++] = gid;
	}
	return group ? -ENOENT : 0;
}

/* USER against /etc/passwd: a name must be there, a number may not be. */
static int resolve_name(const struct run_options *o, const char *user, struct run_user *u,
			char *err, size_t errlen)
{
	char *text = etc_text(o, "/etc/passwd", err, errlen);
	int rc = 0;

	if (!text)
		return -EINVAL;
	if (!find_passwd(text, user, u)) {
		if (parse_id(user, strlen(user)) < 0) {
			snprintf(err, errlen, "--user %s: no such user in the image's /etc/passwd",
				 user);
			rc = -ENOENT;
		}
		u->uid = parse_id(user, strlen(user));
	}
	free(text);
	return rc;
}

/* GROUP (or NULL) against /etc/group: the gid, or the user's groups. */
static int resolve_group(const struct run_options *o, const char *group, struct run_user *u,
			 char *err, size_t errlen)
{
	char *text = etc_text(o, "/etc/group", err, errlen);
	int rc = 0;

	if (!text)
		return -EINVAL;
	if (scan_groups(text, group, u)) { /* GROUP is not in the file */
		long long id = parse_id(group, strlen(group));
		if (id < 0) {
			snprintf(err, errlen, "--user %s: no such group in the image's /etc/group",
				 o->user);
			rc = -ENOENT;
		}
		u->gid = id;
	}
	free(text);
	return rc;
}

int user_resolve(const struct run_options *o, struct run_user *u, char *err, size_t errlen)
{
	char *spec = strdup(o->user), *group;
	int rc;

	memset(u, 0, sizeof(*u));
	snprintf(u->home, sizeof(u->home), "/");
	if (!spec) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((group = strchr(spec, ':')))
		*group++ = 0;
	rc = resolve_name(o, spec, u, err, errlen);
	if (!rc)
		rc = resolve_group(o, group, u, err, errlen);
	free(spec);
	return rc;
}

char *user_ids_text(const struct run_user *u)
{
	size_t cap = 32 + 11 * u->ngroups, len;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	len = snprintf(s, cap, "%u:%u", u->uid, u->gid);
	for (size_t i = 0; i < u->ngroups; i++)
		len += snprintf(s + len, cap - len, "%c%u", i ? ',' : ':', u->groups[i]);
	return s;
}
