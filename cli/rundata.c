/*
 * The per-run data (include/monos/bootinfo.h): what changes from one run of
 * an image to the next (arguments, environment, time, seed, terminal state,
 * working directory) travels in a small second cpio archive appended to the
 * image, so the image itself stays immutable.  This file gathers the values
 * and writes that archive with image.c's writer.
 *
 * A run also looks like a container's: the files of /etc that libc reads
 * (users, hosts, DNS) and /root are generated when the image lacks them
 * (services and protocols are the host's),
 * and the environment gets docker's defaults (PATH, HOSTNAME, HOME) for the
 * names -e does not give.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <monos/bootinfo.h>

#include "cli.h"

#define RUNDATA_MODE (S_IFREG | 0444)	  /* read-only data files */
#define RUNDATA_CWD  MONOS_RUN_DIR "/cwd" /* proposed for bootinfo.h */
#define ETC_MODE     (S_IFREG | 0644)
#define ROOT_MODE    (S_IFDIR | 0700)
#define RUN_HOSTNAME "monos"

/* The generated /etc: the users and groups of Debian's base-passwd that
 * servers look up by name (root; daemon; www-data for web servers; nobody
 * and nogroup, which nginx and others switch to), the local names, QEMU user
 * networking's DNS server (design.md, network: 10.0.2.3) and the guest's
 * static address (10.0.2.15) for the host name, as docker writes its own. */
static const struct {
	const char *path, *text;
} etc_files[] = {
	{ "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
			 "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			 "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
			 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" },
	{ "/etc/group", "root:x:0:\ndaemon:x:1:\nwww-data:x:33:\nnogroup:x:65534:\n" },
	{ "/etc/hosts", "127.0.0.1\tlocalhost\n"
			"::1\tlocalhost ip6-localhost ip6-loopback\n"
			"10.0.2.15\t" RUN_HOSTNAME "\n" },
	{ "/etc/resolv.conf", "nameserver 10.0.2.3\n" },
	{ "/etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
				"networks: files\nprotocols: files\nservices: files\n" },
	{ "/etc/hostname", RUN_HOSTNAME "\n" },
};

/* docker run's environment: PATH and HOSTNAME before the user's variables,
 * HOME after them, each only when -e does not name it. */
static const char *env_before[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOSTNAME=" RUN_HOSTNAME, /* --hostname's, when given */
};
static const char *env_after[] = { "HOME=/root" }; /* -u: the user's home */

const char *rundata_etc_text(const char *path)
{
	for (size_t i = 0; i < sizeof(etc_files) / sizeof(etc_files[0]); i++)
		if (strcmp(etc_files[i].path, path) == 0)
			return etc_files[i].text;
	return "";
}

/* The window size of whichever of fds 0-2 is a terminal; false if none. */
bool rundata_get_winsize(struct monos_chan_winsize *ws)
{
	struct winsize w;

	for (int fd = 0; fd <= 2; fd++) {
		if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &w) == 0) {
			ws->rows = w.ws_row;
			ws->cols = w.ws_col;
			ws->xpixel = w.ws_xpixel;
			ws->ypixel = w.ws_ypixel;
			return true;
		}
	}
	return false;
}

/* Whether "NAME=..." `var` names a variable that `env` sets. */
static bool env_has(char *const *env, size_t n, const char *var)
{
	size_t len = strcspn(var, "=") + 1;

	for (size_t i = 0; i < n; i++)
		if (strncmp(env[i], var, len) == 0)
			return true;
	return false;
}

/* Append each of `defs` that `user` lacks to `out` (room is there). */
static void add_defaults(char **out, size_t *n, const char *const *defs, size_t ndefs,
			 char *const *user, size_t nuser)
{
	for (size_t i = 0; i < ndefs; i++)
		if (!env_has(user, nuser, defs[i]))
			out[(*n)++] = (char *)defs[i];
}

/*
 * The guest's environment: docker's defaults around the -e variables.  The
 * array lives until the next call (one run per process); on a failed
 * allocation the -e variables alone are used.
 */
static void merge_env(struct rundata *ri, const struct run_options *o)
{
	static char **merged;
	size_t n = 0, max = o->nenv + sizeof(env_before) / sizeof(env_before[0]) +
			    sizeof(env_after) / sizeof(env_after[0]);

	static char *home, *hostname;

	free(merged);
	free(home);
	free(hostname);
	home = hostname = NULL;
	env_before[1] = "HOSTNAME=" RUN_HOSTNAME;
	if (o->hostname && asprintf(&hostname, "HOSTNAME=%s", o->hostname) > 0)
		env_before[1] = hostname;
	if (o->user_home && asprintf(&home, "HOME=%s", o->user_home) > 0)
		env_after[0] = home;
	merged = malloc(max * sizeof(*merged));
	if (!merged)
		return;
	add_defaults(merged, &n, env_before, sizeof(env_before) / sizeof(env_before[0]), o->env,
		     o->nenv);
	for (size_t i = 0; i < o->nenv; i++)
		merged[n++] = o->env[i];
	add_defaults(merged, &n, env_after, sizeof(env_after) / sizeof(env_after[0]), o->env,
		     o->nenv);
	ri->env = merged;
	ri->nenv = n;
}

/* Whether the PATH value `path` lists the directory `dir`. */
static bool path_lists(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	for (const char *p = path; p; p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL)
		if (!strncmp(p, dir, len) && (p[len] == ':' || !p[len]))
			return true;
	return false;
}

/*
 * rundata_path_add - make sure the guest's PATH lists `dir` (where a
 * script's `#!/usr/bin/env CMD` found CMD on the host): docker's default
 * PATH gets it appended; a PATH given with -e is the user's and is left
 * alone.  Returns true when PATH lists `dir` afterwards.  Call after
 * rundata_gather(); the string lives until the next call.
 */
bool rundata_path_add(struct rundata *ri, const char *dir)
{
	static char *extended;
	char *next;

	for (size_t i = 0; i < ri->nenv; i++) {
		if (strncmp(ri->env[i], "PATH=", 5))
			continue;
		if (path_lists(ri->env[i] + 5, dir))
			return true;
		if (ri->env[i] != env_before[0] && ri->env[i] != extended)
			return false; /* the user's own PATH */
		if (asprintf(&next, "%s:%s", ri->env[i], dir) < 0)
			return false;
		free(extended);
		((char **)ri->env)[i] = extended = next;
		return true;
	}
	return false;
}

/*
 * Collect this run's values: `o`'s argv and -e variables, the program's
 * guest path `exe`, the host cwd `cwd` (kept by pointer), the time, a fresh
 * seed, and whether fds 0-2 are terminals (with the window size).
 */
void rundata_gather(struct rundata *ri, const struct run_options *o, const char *exe,
		    const char *cwd)
{
	struct timespec ts;

	memset(ri, 0, sizeof(*ri));
	ri->exe = exe;
	ri->argv = o->argv;
	ri->argc = o->argc;
	ri->env = o->env;
	ri->nenv = o->nenv;
	merge_env(ri, o);
	ri->cwd = cwd;
	ri->user = o->user_ids;
	ri->volumes = o->volumes;
	ri->hostname = o->hostname;
	ri->rlimits = o->rlimits;
	ri->disk_boot = o->disk_boot;
	clock_gettime(CLOCK_REALTIME, &ts);
	ri->sec = ts.tv_sec;
	ri->nsec = ts.tv_nsec;
	for (size_t got = 0; got < sizeof(ri->seed);) {
		ssize_t n = getrandom(ri->seed + got, sizeof(ri->seed) - got, 0);

		if (n > 0)
			got += n;
	}
	for (int fd = 0; fd < 3; fd++) /* a disk's boot has its serial log, no terminal */
		ri->tty[fd] = !o->disk_boot && isatty(fd) ? '1' : '0';
	ri->have_winsize = rundata_get_winsize(&ri->winsize);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The NUL-terminated strings of `v`, concatenated, in a malloc'd buffer. */
static char *join_strings(char *const *v, size_t n, size_t *len)
{
	char *buf, *p;

	*len = 0;
	for (size_t i = 0; i < n; i++)
		*len += strlen(v[i]) + 1;
	buf = p = malloc(*len + 1);
	for (size_t i = 0; buf && i < n; i++)
		p = stpcpy(p, v[i]) + 1;
	return buf;
}

static int add_run_lists(struct image_writer *w, const struct rundata *ri)
{
	size_t alen, elen;
	char *a = join_strings(ri->argv, ri->argc, &alen);
	char *e = join_strings(ri->env, ri->nenv, &elen);
	int rc = -ENOMEM;

	if (a && e) {
		rc = image_add_data(w, "/" MONOS_RUN_ARGV, a, alen, RUNDATA_MODE);
		if (!rc)
			rc = image_add_data(w, "/" MONOS_RUN_ENVP, e, elen, RUNDATA_MODE);
	} else {
		snprintf(w->err, sizeof(w->err), "out of memory");
	}
	free(a);
	free(e);
	return rc;
}

/* Files of /etc taken from the host when the image lacks them: the
 * service and protocol names (getservbyname, getprotobyname) are the same
 * everywhere, and a program may rely on them. */
static const char *const etc_from_host[] = { "/etc/services", "/etc/protocols" };

/* The generated /etc files the image lacks (a --file of one wins), the
 * host's etc_from_host[] when it has them, and /root for HOME. */
static int add_etc(struct image_writer *w)
{
	int rc = image_add_dir_entry(w, "/root", ROOT_MODE);

	for (size_t i = 0; !rc && i < sizeof(etc_from_host) / sizeof(etc_from_host[0]); i++)
		if (!image_contains(w, etc_from_host[i]) && access(etc_from_host[i], R_OK) == 0)
			rc = image_add_path(w, etc_from_host[i], etc_from_host[i]);

	for (size_t i = 0; !rc && i < sizeof(etc_files) / sizeof(etc_files[0]); i++) {
		if (image_contains(w, etc_files[i].path))
			continue;
		rc = image_add_parents(w, etc_files[i].path);
		if (!rc)
			rc = image_add_data(w, etc_files[i].path, etc_files[i].text,
					    strlen(etc_files[i].text), ETC_MODE);
	}
	return rc;
}

/*
 * Append the per-run archive (bootinfo.h): .monos/{exe,argv,envp,time,seed,
 * tty,winsize,cwd}, plus directory entries for the cwd (so the guest can
 * chdir there) unless the image already has them, the generated /etc files
 * and /root the image lacks, and its trailer.
 */
int rundata_write(struct image_writer *w, const struct rundata *ri)
{
	uint8_t t[sizeof(struct monos_run_time)];
	uint8_t ws[sizeof(struct monos_chan_winsize)];
	const uint16_t wv[4] = { ri->winsize.rows, ri->winsize.cols, ri->winsize.xpixel,
				 ri->winsize.ypixel };
	int rc;

	put_le64(t, (uint64_t)ri->sec);
	put_le64(t + 8, (uint64_t)ri->nsec);
	for (int i = 0; i < 4; i++) {
		ws[2 * i] = (uint8_t)wv[i];
		ws[2 * i + 1] = (uint8_t)(wv[i] >> 8);
	}
	rc = image_add_dir_entry(w, "/" MONOS_RUN_DIR, IMAGE_DIR_MODE);
	if (!rc)
		rc = image_add_data(w, "/" MONOS_RUN_EXE, ri->exe, strlen(ri->exe), RUNDATA_MODE);
	if (!rc)
		rc = add_run_lists(w, ri);
	/* A disk boots later, elsewhere: its kernel takes the RTC's time and
	 * seeds from RDRAND, the TSC and the RTC, not from this moment. */
	if (!rc && !ri->disk_boot)
		rc = image_add_data(w, "/" MONOS_RUN_TIME, t, sizeof(t), RUNDATA_MODE);
	if (!rc && !ri->disk_boot)
		rc = image_add_data(w, "/" MONOS_RUN_SEED, ri->seed, sizeof(ri->seed),
				    RUNDATA_MODE);
	if (!rc)
		rc = image_add_data(w, "/" MONOS_RUN_TTY, ri->tty, sizeof(ri->tty), RUNDATA_MODE);
	if (!rc && ri->have_winsize && !ri->disk_boot)
		rc = image_add_data(w, "/" MONOS_RUN_WINSIZE, ws, sizeof(ws), RUNDATA_MODE);
	if (!rc)
		rc = image_add_data(w, "/" RUNDATA_CWD, ri->cwd, strlen(ri->cwd), RUNDATA_MODE);
	if (!rc && ri->user)
		rc = image_add_data(w, "/" MONOS_RUN_USER, ri->user, strlen(ri->user),
				    RUNDATA_MODE);
	if (!rc && ri->volumes)
		rc = image_add_data(w, "/" MONOS_RUN_VOLUMES, ri->volumes, strlen(ri->volumes),
				    RUNDATA_MODE);
	if (!rc && ri->hostname)
		rc = image_add_data(w, "/" MONOS_RUN_HOSTNAME, ri->hostname, strlen(ri->hostname),
				    RUNDATA_MODE);
	if (!rc && ri->rlimits)
		rc = image_add_data(w, "/" MONOS_RUN_RLIMITS, ri->rlimits, strlen(ri->rlimits),
				    RUNDATA_MODE);
	if (!rc)
		rc = image_add_parents(w, ri->cwd);
	if (!rc)
		rc = image_add_dir_entry(w, ri->cwd, IMAGE_DIR_MODE);
	if (!rc)
		rc = add_etc(w);
	if (!rc)
		rc = image_finish_archive(w);
	return rc;
}
