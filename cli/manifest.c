/*
 * monos.yaml, the manifest (docs/manifest.md; issue 11): read with the YAML
 * parser the kernel reads cloud-init with (kernel/lib/yaml*.c, contract 22),
 * into struct manifest (cli.h), each key checked where it is read so that an
 * error names the file, the line and the key.  A key that is also a flag of
 * `monos run` is checked by that flag's own code (options_set), so a value
 * the command line refuses is refused here too, with the same reason.
 *
 * The same reader serves an image's configuration (store.c): manifest_json
 * writes the model as JSON, which is YAML, and manifest_from_node reads it
 * back.
 *
 * Paths: a relative HOST path (files, a volume's file) is taken against the
 * manifest's directory and may not leave it with ".."; an absolute one is
 * the host's.  A GUEST path is absolute and has no ".." component.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lib/yaml.h>

#include "cli.h"

#define MANIFEST_MAX_RETRIES	   1000
#define MANIFEST_MAX_RESTARTS	   1000000
#define MANIFEST_MAX_DURATION_MS   (24ull * 3600 * 1000) /* a day */
#define HEALTH_DEFAULT_INTERVAL_MS 10000		 /* docker's HEALTHCHECK defaults */
#define HEALTH_DEFAULT_TIMEOUT_MS  30000
#define HEALTH_DEFAULT_RETRIES	   3

/* One reading: where messages point, and what the keys fill. */
struct mctx {
	const char *name; /* the file, for messages */
	const char *dir;  /* relative host paths are taken against it */
	struct manifest *m;
	struct run_options scratch; /* options_set checks values into it */
	char *err;
	size_t errlen;
};

/* "NAME:LINE: KEY: reason" into c->err; returns -EINVAL. */
static int merr(struct mctx *c, const struct yaml_node *n, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int merr(struct mctx *c, const struct yaml_node *n, const char *key, const char *fmt, ...)
{
	va_list ap;
	int len = snprintf(c->err, c->errlen, "%s:%u: %s: ", c->name, n ? n->line : 1, key);

	if (len >= 0 && (size_t)len < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + len, c->errlen - len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *kind_name(const struct yaml_node *n)
{
	static const char *const names[] = { "nothing", "a scalar", "a list", "a mapping" };

	return names[n->kind];
}

/* The text of scalar `n`, or an error naming what it is instead. */
static int scalar(struct mctx *c, const char *key, const struct yaml_node *n, const char **out)
{
	*out = "";
	if (n->kind != YAML_SCALAR)
		return merr(c, n, key, "expected a string or a number, not %s", kind_name(n));
	if (strlen(n->str) != n->len)
		return merr(c, n, key, "a NUL character in the value");
	*out = n->str;
	return 0;
}

static int want(struct mctx *c, const char *key, const struct yaml_node *n, enum yaml_kind kind)
{
	static const char *const what[] = { "", "a string or a number", "a list", "a mapping" };

	if (n->kind != kind)
		return merr(c, n, key, "expected %s, not %s", what[kind], kind_name(n));
	return 0;
}

static int nomem(struct mctx *c)
{
	snprintf(c->err, c->errlen, "%s: out of memory", c->name);
	return -ENOMEM;
}

/* Append a copy of `s` to the list *v (*n entries). */
static int push(struct mctx *c, char ***v, size_t *n, const char *s)
{
	char **grown = realloc(*v, (*n + 1) * sizeof(char *));

	if (!grown)
		return nomem(c);
	*v = grown;
	if (!(grown[*n] = strdup(s)))
		return nomem(c);
	++*n;
	return 0;
}

static int set_str(struct mctx *c, char **slot, const char *s)
{
	free(*slot);
	return (*slot = strdup(s)) ? 0 : nomem(c);
}

/* Check `value` with the run flag --`flag`, as the command line would. */
static int check_flag(struct mctx *c, const struct yaml_node *n, const char *key, const char *flag,
		      const char *value)
{
	char why[512];

	if (options_set(&c->scratch, flag, value, why, sizeof(why)) < 0)
		return merr(c, n, key, "%s", why);
	return 0;
}

/* A guest path: absolute, no ".." component. */
static int guest_ok(struct mctx *c, const struct yaml_node *n, const char *key, const char *g)
{
	if (g[0] != '/')
		return merr(c, n, key, "'%s': the guest path must be absolute", g);
	for (const char *p = g; (p = strstr(p, "..")); p += 2)
		if (p[-1] == '/' && (p[2] == '/' || p[2] == 0))
			return merr(c, n, key, "'%s': the guest path escapes with '..'", g);
	return 0;
}

/* A host path made absolute: relative ones against c->dir, which they may
 * not leave.  *out malloc'd. */
static int host_path(struct mctx *c, const struct yaml_node *n, const char *key, const char *h,
		     char **out)
{
	size_t dl = strlen(c->dir);
	char *joined;

	if (!*h)
		return merr(c, n, key, "an empty host path");
	if (h[0] == '/') {
		*out = image_normalize(h);
		return *out ? 0 : nomem(c);
	}
	if (asprintf(&joined, "%s/%s", c->dir, h) < 0)
		return nomem(c);
	*out = image_normalize(joined);
	free(joined);
	if (!*out)
		return nomem(c);
	if (strcmp(c->dir, "/") && (strncmp(*out, c->dir, dl) || ((*out)[dl] && (*out)[dl] != '/')))
		return merr(c, n, key, "'%s' escapes the manifest's directory %s", h, c->dir);
	return 0;
}

/* A path, or a name looked up on PATH; a relative path with a '/' is the
 * manifest directory's. */
static int key_program(struct mctx *c, const struct yaml_node *v)
{
	const char *s;
	char *abs;
	int rc = scalar(c, "program", v, &s);

	if (!rc && !*s)
		rc = merr(c, v, "program", "empty");
	if (rc || s[0] == '/' || !strchr(s, '/'))
		return rc ? rc : set_str(c, &c->m->program, s);
	if ((rc = host_path(c, v, "program", s, &abs)))
		return rc;
	free(c->m->program);
	c->m->program = abs;
	return 0;
}

static int key_args(struct mctx *c, const struct yaml_node *v)
{
	const char *s;
	int rc = want(c, "args", v, YAML_SEQ);

	for (const struct yaml_entry *e = v->entries; !rc && e; e = e->next)
		if (!(rc = scalar(c, "args", e->value, &s)))
			rc = push(c, &c->m->args, &c->m->nargs, s);
	return rc;
}

static int env_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int key_env(struct mctx *c, const struct yaml_node *v)
{
	int rc = want(c, "env", v, YAML_MAP);

	for (const struct yaml_entry *e = v->entries; !rc && e; e = e->next) {
		const char *name, *val;
		char *kv;

		if ((rc = scalar(c, "env", e->key, &name)))
			break;
		if (!*name || strchr(name, '='))
			return merr(c, e->key, "env", "'%s': not a variable name", name);
		if ((rc = scalar(c, "env", e->value, &val)))
			break;
		if (asprintf(&kv, "%s=%s", name, val) < 0)
			return nomem(c);
		rc = push(c, &c->m->env, &c->m->nenv, kv);
		free(kv);
	}
	if (!rc && c->m->nenv > 1) /* canonical: sorted by name (keys are unique) */
		qsort(c->m->env, c->m->nenv, sizeof(char *), env_cmp);
	return rc;
}

/* files: HOST[:GUEST]; a relative HOST without GUEST lands at the same
 * path under / (the manifest's directory is the image's root). */
static int one_file(struct mctx *c, const struct yaml_node *n, const char *s)
{
	const char *colon = strrchr(s, ':');
	char *host = strndup(s, colon ? (size_t)(colon - s) : strlen(s)), *abs = NULL, *kv = NULL;
	char *guest = NULL;
	int rc;

	if (!host)
		return nomem(c);
	rc = host_path(c, n, "files", host, &abs);
	if (!rc && colon)
		guest = image_normalize(colon + 1), rc = guest_ok(c, n, "files", colon + 1);
	else if (!rc)
		guest = strdup(host[0] == '/' || !strcmp(c->dir, "/") ? abs : abs + strlen(c->dir));
	if (!rc && !guest)
		rc = nomem(c);
	if (!rc && asprintf(&kv, "%s:%s", abs, guest) < 0)
		rc = nomem(c);
	if (!rc)
		rc = push(c, &c->m->files, &c->m->nfiles, kv);
	free(host), free(abs), free(guest), free(kv);
	return rc;
}

static int key_files(struct mctx *c, const struct yaml_node *v)
{
	const char *s;
	int rc = want(c, "files", v, YAML_SEQ);

	for (const struct yaml_entry *e = v->entries; !rc && e; e = e->next)
		if (!(rc = scalar(c, "files", e->value, &s)))
			rc = one_file(c, e->value, s);
	return rc;
}

/* A scalar key that is a run flag: memory, machine. */
static int flag_key(struct mctx *c, const struct yaml_node *v, const char *key, const char *flag,
		    char **slot)
{
	const char *s;
	int rc = scalar(c, key, v, &s);

	if (!rc)
		rc = check_flag(c, v, key, flag, s);
	return rc ? rc : set_str(c, slot, s);
}

static int key_memory(struct mctx *c, const struct yaml_node *v)
{
	return flag_key(c, v, "memory", "memory", &c->m->memory);
}

static int key_machine(struct mctx *c, const struct yaml_node *v)
{
	return flag_key(c, v, "machine", "machine", &c->m->machine);
}

/* network: MODE, or {mode: MODE, address: ADDR/PREFIX|dhcp, gateway: ADDR}. */
static int key_network(struct mctx *c, const struct yaml_node *v)
{
	static const struct {
		const char *key, *flag;
		size_t off;
	} parts[] = {
		{ "mode", "net", offsetof(struct manifest, net) },
		{ "address", "ip", offsetof(struct manifest, ip) },
		{ "gateway", "gateway", offsetof(struct manifest, gateway) },
	};
	int rc;

	if (v->kind == YAML_SCALAR)
		return flag_key(c, v, "network", "net", &c->m->net);
	if ((rc = want(c, "network", v, YAML_MAP)))
		return rc;
	for (const struct yaml_entry *e = v->entries; !rc && e; e = e->next) {
		size_t i = 0;

		while (i < 3 && !yaml_is(e->key, parts[i].key))
			i++;
		if (i == 3)
			return merr(c, e->key, "network",
				    "unknown key '%s' (mode, address, gateway)", e->key->str);
		rc = flag_key(c, e->value, "network", parts[i].flag,
			      (char **)((char *)c->m + parts[i].off));
	}
	if (!rc && !c->m->net && (c->m->ip || c->m->gateway))
		rc = set_str(c, &c->m->net, "user"); /* an address needs a network */
	return rc;
}

static int key_ports(struct mctx *c, const struct yaml_node *v)
{
	const char *s;
	int rc = want(c, "ports", v, YAML_SEQ);

	for (const struct yaml_entry *e = v->entries; !rc && e; e = e->next)
		if (!(rc = scalar(c, "ports", e->value, &s)) &&
		    !(rc = check_flag(c, e->value, "ports", "publish", s)))
			rc = push(c, &c->m->ports, &c->m->nports, s);
	return rc;
}

/* SRC:DIR[:ro]: SRC is a volume's name or (with a '/') a disk file; DIR as
 * --volume wants it.  A named volume need not exist until the run. */
static int one_volume(struct mctx *c, const struct yaml_node *n, const char *s)
{
	size_t len = strlen(s);
	bool ro = len > 3 && !strcmp(s + len - 3, ":ro");
	char *src = strndup(s, ro ? len - 3 : len), *dir, *abs = NULL, *kv = NULL;
	int rc = 0;

	if (!src)
		return nomem(c);
	dir = strrchr(src, ':');
	if (!dir || dir == src)
		rc = merr(c, n, "volumes", "'%s': want SRC:DIR[:ro]", s);
	else
		*dir++ = 0;
	if (!rc && (!dir[0] || !strcmp(dir, "/") || strpbrk(dir, " \t\n")))
		rc = merr(c, n, "volumes",
			  "'%s': DIR must be a directory other than /, without "
			  "spaces",
			  s);
	if (!rc)
		rc = guest_ok(c, n, "volumes", dir);
	if (!rc && strchr(src, '/'))
		rc = host_path(c, n, "volumes", src, &abs);
	else if (!rc && !volume_name_ok(src))
		rc = merr(c, n, "volumes", "'%s': not a volume name", src);
	if (!rc && asprintf(&kv, "%s:%s%s", abs ? abs : src, dir, ro ? ":ro" : "") < 0)
		rc = nomem(c);
	if (!rc)
		rc = push(c, &c->m->volumes, &c->m->nvolumes, kv);
	free(src), free(abs), free(kv);
	return rc;
}

static int key_volumes(struct mctx *c, const struct yaml_node *v)
{
	const char *s;
	int rc = want(c, "volumes", v, YAML_SEQ);

	for (const struct yaml_entry *e = v->entries; !rc && e; e = e->next)
		if (!(rc = scalar(c, "volumes", e->value, &s)))
			rc = one_volume(c, e->value, s);
	return rc;
}

/* A duration: N (seconds), Nms, Ns, Nm or Nh; 1 ms to a day. */
static int duration(struct mctx *c, const struct yaml_node *n, const char *key, uint64_t *ms)
{
	const char *s;
	char *end;
	unsigned long long v;
	uint64_t unit = 1000;
	int rc = scalar(c, key, n, &s);

	if (rc)
		return rc;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!strcmp(end, "ms"))
		unit = 1;
	else if (!strcmp(end, "m"))
		unit = 60000;
	else if (!strcmp(end, "h"))
		unit = 3600000;
	else if (*end && strcmp(end, "s"))
		end = (char *)s;
	if (end == s || s[0] < '0' || s[0] > '9' || errno || v == 0 ||
	    v > MANIFEST_MAX_DURATION_MS / unit)
		return merr(c, n, key, "'%s': not a duration from 1ms to 24h (e.g. 10s, 500ms)", s);
	*ms = v * unit;
	return 0;
}

/* A whole number from `lo` to `hi`. */
static int number(struct mctx *c, const struct yaml_node *n, const char *key, int64_t lo,
		  int64_t hi, int64_t *out)
{
	if (n->kind != YAML_SCALAR || yaml_int(n, out) < 0 || *out < lo || *out > hi)
		return merr(c, n, key, "expected a whole number from %lld to %lld", (long long)lo,
			    (long long)hi);
	return 0;
}

static int health_entry(struct mctx *c, const struct yaml_entry *e)
{
	struct manifest_health *h = &c->m->health;
	const struct yaml_node *v = e->value;
	const char *s;
	int64_t n;
	int rc;

	if (yaml_is(e->key, "type")) {
		if ((rc = scalar(c, "health.type", v, &s)))
			return rc;
		if (strcmp(s, "http") && strcmp(s, "tcp"))
			return merr(c, v, "health.type", "'%s': use http or tcp", s);
		h->kind = !strcmp(s, "http") ? MANIFEST_HEALTH_HTTP : MANIFEST_HEALTH_TCP;
	} else if (yaml_is(e->key, "port")) {
		if ((rc = number(c, v, "health.port", 1, 65535, &n)))
			return rc;
		h->port = (unsigned)n;
	} else if (yaml_is(e->key, "path")) {
		if ((rc = scalar(c, "health.path", v, &s)))
			return rc;
		if (s[0] != '/' || strpbrk(s, " \t\r\n"))
			return merr(c, v, "health.path", "'%s': an absolute path, no spaces", s);
		return set_str(c, &h->path, s);
	} else if (yaml_is(e->key, "interval")) {
		return duration(c, v, "health.interval", &h->interval_ms);
	} else if (yaml_is(e->key, "timeout")) {
		return duration(c, v, "health.timeout", &h->timeout_ms);
	} else if (yaml_is(e->key, "retries")) {
		if ((rc = number(c, v, "health.retries", 1, MANIFEST_MAX_RETRIES, &n)))
			return rc;
		h->retries = (unsigned)n;
	} else {
		return merr(c, e->key, "health",
			    "unknown key '%s' (type, port, path, interval, timeout, retries)",
			    e->key->str);
	}
	return 0;
}

static int key_health(struct mctx *c, const struct yaml_node *v)
{
	struct manifest_health *h = &c->m->health;
	int rc = want(c, "health", v, YAML_MAP);

	for (const struct yaml_entry *e = v->entries; !rc && e; e = e->next)
		rc = health_entry(c, e);
	if (rc)
		return rc;
	if (h->kind == MANIFEST_HEALTH_NONE || !h->port)
		return merr(c, v, "health", "needs a type (http or tcp) and a port");
	if (h->kind == MANIFEST_HEALTH_TCP && h->path)
		return merr(c, v, "health.path", "only for type http");
	if (h->kind == MANIFEST_HEALTH_HTTP && !h->path && set_str(c, &h->path, "/"))
		return -ENOMEM;
	if (!h->interval_ms)
		h->interval_ms = HEALTH_DEFAULT_INTERVAL_MS;
	if (!h->timeout_ms)
		h->timeout_ms = HEALTH_DEFAULT_TIMEOUT_MS;
	if (!h->retries)
		h->retries = HEALTH_DEFAULT_RETRIES;
	return 0;
}

/* registry: {etcd: http://IP:PORT, service: NAME, ttl: DURATION}, the
 * etcd registration (docs/agent.md); each value checked as its run flag
 * (--etcd, --service, --etcd-ttl) would be. */
static int registry_entry(struct mctx *c, const struct yaml_entry *e)
{
	struct manifest *m = c->m;
	const struct yaml_node *v = e->value;
	uint64_t ms;
	char secs[24];
	int rc;

	if (yaml_is(e->key, "etcd"))
		return flag_key(c, v, "registry.etcd", "etcd", &m->reg_etcd);
	if (yaml_is(e->key, "service"))
		return flag_key(c, v, "registry.service", "service", &m->reg_service);
	if (!yaml_is(e->key, "ttl"))
		return merr(c, e->key, "registry", "unknown key '%s' (etcd, service, ttl)",
			    e->key->str);
	if ((rc = duration(c, v, "registry.ttl", &ms)))
		return rc;
	if (ms % 1000)
		return merr(c, v, "registry.ttl", "whole seconds, please");
	snprintf(secs, sizeof(secs), "%llu", (unsigned long long)(ms / 1000));
	if ((rc = check_flag(c, v, "registry.ttl", "etcd-ttl", secs)))
		return rc;
	return set_str(c, &m->reg_ttl, secs);
}

static int key_registry(struct mctx *c, const struct yaml_node *v)
{
	int rc = want(c, "registry", v, YAML_MAP);

	for (const struct yaml_entry *e = v->entries; !rc && e; e = e->next)
		rc = registry_entry(c, e);
	if (!rc && (!c->m->reg_etcd || !c->m->reg_service))
		return merr(c, v, "registry", "needs etcd (http://IP:PORT) and service");
	return rc;
}

/* restart: no | on-failure[:N] | always (docker's policies). */
static int key_restart(struct mctx *c, const struct yaml_node *v)
{
	const char *s, *n;
	char *end;
	long long max;
	int rc = scalar(c, "restart", v, &s);

	if (rc)
		return rc;
	if (!strcmp(s, "no") || !strcmp(s, "always") || !strcmp(s, "on-failure"))
		return set_str(c, &c->m->restart, s);
	if (!strncmp(s, "on-failure:", 11)) {
		n = s + 11;
		errno = 0;
		max = strtoll(n, &end, 10);
		if (*n >= '1' && *n <= '9' && !*end && !errno && max <= MANIFEST_MAX_RESTARTS)
			return set_str(c, &c->m->restart, s);
	}
	return merr(c, v, "restart",
		    "'%s': use no, on-failure, on-failure:N (N from 1 to %d) "
		    "or always",
		    s, MANIFEST_MAX_RESTARTS);
}

static const struct {
	const char *key;
	int (*fn)(struct mctx *c, const struct yaml_node *v);
} keys[] = {
	{ "program", key_program }, { "args", key_args },	{ "env", key_env },
	{ "files", key_files },	    { "memory", key_memory },	{ "machine", key_machine },
	{ "network", key_network }, { "ports", key_ports },	{ "volumes", key_volumes },
	{ "health", key_health },   { "restart", key_restart }, { "registry", key_registry },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

int manifest_from_node(const struct yaml_node *root, const char *name, const char *dir,
		       struct manifest *m, char *err, size_t errlen)
{
	struct mctx c = { .name = name, .dir = dir, .m = m, .err = err, .errlen = errlen };
	int rc = 0;

	options_init(&c.scratch);
	if (!(m->dir = strdup(dir)))
		return nomem(&c);
	if (!root || root->kind == YAML_NULL)
		rc = merr(&c, root, "program", "missing: the manifest is empty");
	else if (root->kind != YAML_MAP)
		rc = merr(&c, root, "manifest", "expected a mapping of keys, not %s",
			  kind_name(root));
	for (const struct yaml_entry *e = rc ? NULL : root->entries; !rc && e; e = e->next) {
		size_t i = 0;

		while (i < NKEYS && !yaml_is(e->key, keys[i].key))
			i++;
		if (i == NKEYS)
			rc = merr(&c, e->key, e->key->kind == YAML_SCALAR ? e->key->str : "?",
				  "unknown key (see docs/manifest.md)");
		else if (e->value->kind == YAML_NULL && strcmp(keys[i].key, "program"))
			rc = merr(&c, e->key, keys[i].key, "no value");
		else
			rc = keys[i].fn(&c, e->value);
	}
	if (!rc && !m->program)
		rc = merr(&c, root, "program", "missing: the program to run is required");
	options_free(&c.scratch);
	return rc;
}

static void *yalloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static void yfree(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

int manifest_yaml_parse(const char *text, size_t len, struct yaml_tree *tree,
			struct yaml_error *err)
{
	const struct yaml_alloc alloc = { yalloc, yfree, NULL };

	return yaml_parse(text, len, &alloc, NULL, tree, err);
}

int manifest_parse(const char *text, size_t len, const char *name, const char *dir,
		   struct manifest *m, char *err, size_t errlen)
{
	struct yaml_tree tree;
	struct yaml_error yerr;
	int rc = manifest_yaml_parse(text, len, &tree, &yerr);

	if (rc) {
		snprintf(err, errlen, "%s:%u: %s", name, yerr.line ? yerr.line : 1, yerr.msg);
		return rc == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	if (tree.ndocs > 1) {
		snprintf(err, errlen, "%s:%u: manifest: one YAML document, not %zu", name,
			 tree.docs->next->root->line, tree.ndocs);
		rc = -EINVAL;
	} else {
		rc = manifest_from_node(yaml_root(&tree), name, dir, m, err, errlen);
	}
	yaml_free(&tree);
	return rc;
}
