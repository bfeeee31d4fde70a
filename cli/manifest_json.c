/*
 * The manifest model as JSON (manifest.c's reader reads it back: JSON is
 * YAML).  Canonical: keys in one fixed order, no spaces, no key that was
 * not set, env sorted by name (manifest.c), durations in milliseconds; so
 * one model gives one text, and an image's digest does not depend on how
 * its manifest was written.  The files are left out: an image holds them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void manifest_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void manifest_json_list(FILE *f, char *const *v, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		manifest_json_string(f, v[i]);
	}
	fputc(']', f);
}

/* ,"key":"value" when value is set. */
static void opt_str(FILE *f, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(f, ",\"%s\":", key);
	manifest_json_string(f, value);
}

static void env_map(FILE *f, char *const *env, size_t n)
{
	fputs(",\"env\":{", f);
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(env[i], '=');
		char *name = strndup(env[i], eq - env[i]);

		if (i)
			fputc(',', f);
		manifest_json_string(f, name ? name : "");
		fputc(':', f);
		manifest_json_string(f, eq + 1);
		free(name);
	}
	fputc('}', f);
}

static void health(FILE *f, const struct manifest_health *h)
{
	if (h->kind == MANIFEST_HEALTH_NONE)
		return;
	fprintf(f, ",\"health\":{\"type\":\"%s\",\"port\":%u",
		h->kind == MANIFEST_HEALTH_HTTP ? "http" : "tcp", h->port);
	opt_str(f, "path", h->path);
	fprintf(f, ",\"interval\":\"%llums\",\"timeout\":\"%llums\",\"retries\":%u}",
		(unsigned long long)h->interval_ms, (unsigned long long)h->timeout_ms, h->retries);
}

char *manifest_json(const struct manifest *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("{\"program\":", f);
	manifest_json_string(f, m->program);
	fputs(",\"args\":", f);
	manifest_json_list(f, m->args, m->nargs);
	env_map(f, m->env, m->nenv);
	opt_str(f, "memory", m->memory);
	opt_str(f, "machine", m->machine);
	if (m->net) {
		fputs(",\"network\":{\"mode\":", f);
		manifest_json_string(f, m->net);
		opt_str(f, "address", m->ip);
		opt_str(f, "gateway", m->gateway);
		fputc('}', f);
	}
	fputs(",\"ports\":", f);
	manifest_json_list(f, m->ports, m->nports);
	fputs(",\"volumes\":", f);
	manifest_json_list(f, m->volumes, m->nvolumes);
	health(f, &m->health);
	if (m->reg_etcd) {
		fputs(",\"registry\":{\"etcd\":", f);
		manifest_json_string(f, m->reg_etcd);
		fputs(",\"service\":", f);
		manifest_json_string(f, m->reg_service);
		if (m->reg_ttl)
			fprintf(f, ",\"ttl\":\"%ss\"", m->reg_ttl);
		fputc('}', f);
	}
	opt_str(f, "restart", m->restart);
	fputc('}', f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
