/*
 * The manifest's model put to use (manifest.c reads it): a manifest file
 * read from disk, its keys applied to a run's options as the lowest layer
 * above the defaults (contract 22; the command line is parsed over them,
 * store_run.c), and the model's release.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int manifest_load(const char *path, struct manifest *m, char *err, size_t errlen)
{
	char *text = malloc(MANIFEST_MAX_SIZE + 1), *abs = image_absolute(path), *slash;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -ENOMEM;
	ssize_t n = 0, got;

	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (text && (got = read(fd, text + n, MANIFEST_MAX_SIZE + 1 - n)) > 0)
		n += got;
	if (text && n > MANIFEST_MAX_SIZE) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, MANIFEST_MAX_SIZE);
		rc = -EFBIG;
	} else if (text && abs) {
		slash = strrchr(abs, '/');
		*slash = 0; /* the directory; "" for a file in / */
		rc = manifest_parse(text, n, path, *abs ? abs : "/", m, err, errlen);
	} else {
		snprintf(err, errlen, "out of memory");
	}
out:
	if (fd >= 0)
		close(fd);
	free(text);
	free(abs);
	return rc;
}

/* Apply each of `v` with --`flag`. */
static int apply_list(struct run_options *o, const char *flag, char *const *v, size_t n, char *err,
		      size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (options_set(o, flag, v[i], err, errlen) < 0)
			return -EINVAL;
	return 0;
}

/* health: the agent's --health and its timing flags (seconds, as text). */
static int apply_health(const struct manifest_health *h, struct run_options *o, char *err,
			size_t errlen)
{
	char spec[256], interval[32], timeout[32], retries[16];

	if (h->kind == MANIFEST_HEALTH_NONE)
		return 0;
	if (h->kind == MANIFEST_HEALTH_TCP)
		snprintf(spec, sizeof(spec), "tcp:%u", h->port);
	else
		snprintf(spec, sizeof(spec), "http://:%u%s", h->port, h->path);
	snprintf(interval, sizeof(interval), "%.3f", h->interval_ms / 1000.0);
	snprintf(timeout, sizeof(timeout), "%.3f", h->timeout_ms / 1000.0);
	snprintf(retries, sizeof(retries), "%u", h->retries);
	if (options_set(o, "health", spec, err, errlen) < 0 ||
	    options_set(o, "health-interval", interval, err, errlen) < 0 ||
	    options_set(o, "health-timeout", timeout, err, errlen) < 0 ||
	    options_set(o, "health-retries", retries, err, errlen) < 0)
		return -EINVAL;
	return 0;
}

int manifest_apply(const struct manifest *m, struct run_options *o, char *err, size_t errlen)
{
	const struct {
		const char *flag, *value;
	} scalars[] = { { "memory", m->memory },
			{ "machine", m->machine },
			{ "net", m->net },
			{ "ip", m->ip },
			{ "gateway", m->gateway } };
	int rc = 0;

	for (size_t i = 0; !rc && i < sizeof(scalars) / sizeof(scalars[0]); i++)
		if (scalars[i].value)
			rc = options_set(o, scalars[i].flag, scalars[i].value, err, errlen);
	if (!rc)
		rc = apply_list(o, "env", m->env, m->nenv, err, errlen);
	if (!rc)
		rc = apply_list(o, "file", m->files, m->nfiles, err, errlen);
	if (!rc)
		rc = apply_list(o, "publish", m->ports, m->nports, err, errlen);
	if (!rc)
		rc = apply_list(o, "volume", m->volumes, m->nvolumes, err, errlen);
	if (!rc)
		rc = apply_health(&m->health, o, err, errlen);
	if (!rc && m->restart && !(rc = options_set(o, "restart", m->restart, err, errlen)))
		o->restart_from_manifest = true; /* acted on by detached instances (run.c) */
	return rc;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void manifest_free(struct manifest *m)
{
	free(m->program);
	free_list(m->args, m->nargs);
	free_list(m->env, m->nenv);
	free_list(m->files, m->nfiles);
	free(m->memory);
	free(m->machine);
	free(m->net);
	free(m->ip);
	free(m->gateway);
	free_list(m->ports, m->nports);
	free_list(m->volumes, m->nvolumes);
	free(m->health.path);
	free(m->restart);
	free(m->dir);
	memset(m, 0, sizeof(*m));
}
