/*
 * An OCI bundle's config.json (runtime-spec 1.0, config.md and
 * config-linux.md) read into the `monos run` model (contracts in oci.h).
 *
 * oci_config_parse() reads the JSON into struct oci_config, checking every
 * field monos uses for its type and range, and refusing what a virtual
 * machine cannot honour; it touches no file.  oci_bundle.c then makes the
 * `monos run` arguments of it.
 *
 * What a VM has by itself and is therefore accepted and not acted on:
 * namespaces other than network and user (an instance is all of them),
 * capabilities, seccomp, AppArmor/SELinux labels, masked and read-only
 * paths, sysctls, devices and cgroup resources other than the memory
 * limit, and the mounts of proc, sysfs, devpts, mqueue, cgroup and tmpfs
 * at the places the guest kernel provides them.  Unknown fields are
 * ignored, as runc (Go's encoding/json) ignores them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/json.h>

#include "oci.h"

int oci_config_fail(struct oci_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---------------------------------------------------------------- typed members */

/* A JSON kind as runtime-spec names it, JSON_TRUE standing for both booleans. */
static bool oci_kind_is(const struct json_node *n, enum json_kind kind)
{
	if (kind == JSON_TRUE)
		return n->kind == JSON_TRUE || n->kind == JSON_FALSE;
	return n->kind == kind;
}

/*
 * Member @key of @obj (whose path is @path) into *@out: NULL when absent or
 * null (Go leaves the field at its zero value), else checked to be @kind.
 * 0, or -1 when it is of another kind.
 */
static int oci_get(struct oci_ctx *x, const struct json_node *obj, const char *path,
		   const char *key, enum json_kind kind, const struct json_node **out)
{
	const struct json_node *n = json_get(obj, key);

	*out = NULL;
	if (!n || n->kind == JSON_NULL)
		return 0;
	if (!oci_kind_is(n, kind))
		return oci_config_fail(x, "%s%s%s: expected %s, found %s (line %u)", path,
				       *path ? "." : "", key, json_kind_name(kind),
				       json_kind_name(n->kind), n->line);
	*out = n;
	return 0;
}

/* A string member into *@out (malloc'd; NULL when absent): no NUL inside. */
static int oci_get_str(struct oci_ctx *x, const struct json_node *obj, const char *path,
		       const char *key, char **out)
{
	const struct json_node *n;

	*out = NULL;
	if (oci_get(x, obj, path, key, JSON_STRING, &n))
		return -1;
	if (!n)
		return 0;
	if (!json_cstr(n))
		return oci_config_fail(x, "%s.%s: a NUL character inside", path, key);
	if (!(*out = strdup(n->str)))
		return oci_config_fail(x, "out of memory");
	return 0;
}

/* An unsigned integer member, at most @max, into *@out (unchanged when absent). */
static int oci_get_uint(struct oci_ctx *x, const struct json_node *obj, const char *path,
			const char *key, uint64_t max, uint64_t *out)
{
	const struct json_node *n;
	uint64_t v;

	if (oci_get(x, obj, path, key, JSON_NUMBER, &n))
		return -1;
	if (!n)
		return 0;
	if (json_uint64(n, &v) || v > max)
		return oci_config_fail(x, "%s.%s: %s is not an integer from 0 to %llu", path, key,
				       n->str, (unsigned long long)max);
	*out = v;
	return 0;
}

/* A boolean member into *@out (unchanged when absent). */
static int oci_get_bool(struct oci_ctx *x, const struct json_node *obj, const char *path,
			const char *key, bool *out)
{
	const struct json_node *n;

	if (oci_get(x, obj, path, key, JSON_TRUE, &n))
		return -1;
	if (n)
		*out = n->kind == JSON_TRUE;
	return 0;
}

/* An array of strings (@arr, at @path) into a NULL-terminated malloc'd vector. */
static int oci_strings(struct oci_ctx *x, const struct json_node *arr, const char *path,
		       char ***out)
{
	char **v = calloc((arr ? arr->count : 0) + 1, sizeof(*v));
	size_t i = 0;

	*out = v;
	if (!v)
		return oci_config_fail(x, "out of memory");
	for (const struct json_node *n = arr ? arr->child : NULL; n; n = n->next, i++) {
		if (n->kind != JSON_STRING)
			return oci_config_fail(x, "%s[%zu]: expected a string, found %s", path, i,
					       json_kind_name(n->kind));
		if (!json_cstr(n))
			return oci_config_fail(x, "%s[%zu]: a NUL character inside", path, i);
		if (!(v[i] = strdup(n->str)))
			return oci_config_fail(x, "out of memory");
	}
	return 0;
}

static void oci_strings_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* ---------------------------------------------------------------- process */

/* Linux's RLIMIT_* numbers (asm-generic/resource.h), by runtime-spec name. */
static const char *const oci_rlimit_names[OCI_MAX_RLIMITS] = {
	"RLIMIT_CPU",	   "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
	"RLIMIT_CORE",	   "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
	"RLIMIT_MEMLOCK",  "RLIMIT_AS",	   "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
	"RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

const char *oci_rlimit_name(int resource)
{
	return resource >= 0 && resource < OCI_MAX_RLIMITS ? oci_rlimit_names[resource] : NULL;
}

void oci_rlimit_ulimit(int resource, char out[OCI_ULIMIT_NAME])
{
	const char *n = oci_rlimit_name(resource);
	size_t k = 0;

	for (n = n ? n + strlen("RLIMIT_") : ""; *n && k < OCI_ULIMIT_NAME - 1; n++)
		out[k++] = (char)(*n - 'A' + 'a');
	out[k] = '\0';
}

static int oci_rlimits(struct oci_ctx *x, const struct json_node *arr)
{
	struct oci_config *c = x->c;
	size_t i = 0;

	for (const struct json_node *n = arr ? arr->child : NULL; n; n = n->next, i++) {
		struct oci_rlimit r = { -1, 0, 0 };
		const struct json_node *type;
		char path[48];

		snprintf(path, sizeof(path), "process.rlimits[%zu]", i);
		if (n->kind != JSON_OBJECT)
			return oci_config_fail(x, "%s: expected an object", path);
		if (oci_get(x, n, path, "type", JSON_STRING, &type))
			return -1;
		for (int k = 0; type && k < OCI_MAX_RLIMITS; k++)
			if (!strcmp(type->str, oci_rlimit_names[k]))
				r.resource = k;
		if (r.resource < 0)
			return oci_config_fail(x, "%s: unknown rlimit type %s", path,
					       type ? type->str : "(none)");
		if (oci_get_uint(x, n, path, "soft", UINT64_MAX, &r.soft) ||
		    oci_get_uint(x, n, path, "hard", UINT64_MAX, &r.hard))
			return -1;
		if (r.soft > r.hard)
			return oci_config_fail(x, "%s: soft limit %llu above the hard limit %llu",
					       path, (unsigned long long)r.soft,
					       (unsigned long long)r.hard);
		if (c->nrlimits == OCI_MAX_RLIMITS)
			return oci_config_fail(x, "process.rlimits: more than %d entries",
					       OCI_MAX_RLIMITS);
		c->rlimits[c->nrlimits++] = r;
	}
	return 0;
}

static int oci_user(struct oci_ctx *x, const struct json_node *proc)
{
	const struct json_node *user, *gids;
	uint64_t uid = 0, gid = 0;

	if (oci_get(x, proc, "process", "user", JSON_OBJECT, &user))
		return -1;
	if (oci_get_uint(x, user, "process.user", "uid", UINT32_MAX - 1, &uid) ||
	    oci_get_uint(x, user, "process.user", "gid", UINT32_MAX - 1, &gid) ||
	    oci_get(x, user, "process.user", "additionalGids", JSON_ARRAY, &gids))
		return -1;
	/* The supplementary groups exactly as given (runc sets them so). */
	for (const struct json_node *g = gids ? gids->child : NULL; g; g = g->next) {
		uint64_t v;
		char *more;

		if (g->kind != JSON_NUMBER || json_uint64(g, &v) || v >= UINT32_MAX)
			return oci_config_fail(
				x, "process.user.additionalGids: %s is not a group id",
				g->kind == JSON_NUMBER ? g->str : json_kind_name(g->kind));
		if (asprintf(&more, "%s%s%llu", x->c->groups ? x->c->groups : "",
			     x->c->groups ? "," : "", (unsigned long long)v) < 0)
			return oci_config_fail(x, "out of memory");
		free(x->c->groups);
		x->c->groups = more;
	}
	x->c->uid = (uint32_t)uid;
	x->c->gid = (uint32_t)gid;
	return 0;
}

/* The members of the process object @proc (config.json's process, or
 * exec's --process file). */
static int oci_process_members(struct oci_ctx *x, const struct json_node *proc)
{
	struct oci_config *c = x->c;
	const struct json_node *args, *env, *rl;

	if (oci_get(x, proc, "process", "args", JSON_ARRAY, &args) ||
	    oci_get(x, proc, "process", "env", JSON_ARRAY, &env) ||
	    oci_get(x, proc, "process", "rlimits", JSON_ARRAY, &rl) ||
	    oci_get_bool(x, proc, "process", "terminal", &c->terminal) ||
	    oci_get_str(x, proc, "process", "cwd", &c->cwd) ||
	    oci_strings(x, args, "process.args", &c->args) ||
	    oci_strings(x, env, "process.env", &c->env) || oci_user(x, proc) || oci_rlimits(x, rl))
		return -1;
	if (!c->args[0] || !c->args[0][0])
		return oci_config_fail(x, "process.args: args must not be empty");
	if (!c->cwd || c->cwd[0] != '/')
		return oci_config_fail(x, "process.cwd: %s%s must be an absolute path",
				       c->cwd ? "" : "(none)", c->cwd ? c->cwd : "");
	for (size_t i = 0; c->env[i]; i++)
		if (!strchr(c->env[i], '=') || c->env[i][0] == '=')
			return oci_config_fail(x, "process.env[%zu]: '%s' is not NAME=VALUE", i,
					       c->env[i]);
	return 0;
}

static int oci_process(struct oci_ctx *x, const struct json_node *root)
{
	const struct json_node *proc;

	if (oci_get(x, root, "", "process", JSON_OBJECT, &proc))
		return -1;
	if (!proc)
		return oci_config_fail(x, "process: missing (a container needs a process to run)");
	return oci_process_members(x, proc);
}

/* ---------------------------------------------------------------- mounts */

/* Where the guest kernel mounts what a container's runtime would (its
 * /proc, /sys, /dev with /dev/pts and /dev/shm, /tmp and /run tmpfs). */
static bool oci_guest_provides(const char *dest)
{
	static const char *const dirs[] = { "/proc",	   "/sys",     "/sys/fs/cgroup",
					    "/dev",	   "/dev/pts", "/dev/shm",
					    "/dev/mqueue", "/tmp",     "/run" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strcmp(dest, dirs[i]))
			return true;
	return false;
}

/* One mounts entry: kept if it is a bind mount, else checked to be one the
 * guest has by itself. */
static int oci_mount(struct oci_ctx *x, const struct json_node *n, size_t i)
{
	static const char *const own_types[] = { "proc",  "sysfs",  "devpts",  "mqueue",
						 "tmpfs", "cgroup", "cgroup2", "" };
	struct oci_mount *m = &x->c->mounts[x->c->nmounts];
	const struct json_node *opts;
	char path[32], **o = NULL;
	bool own = false;

	snprintf(path, sizeof(path), "mounts[%zu]", i);
	if (n->kind != JSON_OBJECT)
		return oci_config_fail(x, "%s: expected an object", path);
	if (oci_get_str(x, n, path, "destination", &m->destination) ||
	    oci_get_str(x, n, path, "type", &m->type) ||
	    oci_get_str(x, n, path, "source", &m->source) ||
	    oci_get(x, n, path, "options", JSON_ARRAY, &opts) ||
	    oci_strings(x, opts, "options", &o)) {
		oci_strings_free(o);
		return -1;
	}
	x->c->nmounts++;
	m->bind = m->type && !strcmp(m->type, "bind");
	for (size_t k = 0; o[k]; k++) {
		m->bind |= !strcmp(o[k], "bind") || !strcmp(o[k], "rbind");
		if (!strcmp(o[k], "ro") || !strcmp(o[k], "rw"))
			m->ro = o[k][1] == 'o';
	}
	oci_strings_free(o);
	if (!m->type && !(m->type = strdup("")))
		return oci_config_fail(x, "out of memory");
	if (!m->destination || m->destination[0] != '/')
		return oci_config_fail(x, "%s: destination must be an absolute path", path);
	if (m->bind && (!m->source || !m->source[0]))
		return oci_config_fail(x, "%s: a bind mount at %s needs a source", path,
				       m->destination);
	for (size_t k = 0; k < sizeof(own_types) / sizeof(own_types[0]); k++)
		own |= !strcmp(m->type, own_types[k]);
	if (!m->bind && !(own && oci_guest_provides(m->destination)))
		return oci_config_fail(
			x,
			"%s: mount of type '%s' at %s is not supported (a monos guest "
			"has its own /proc, /sys, /dev, /tmp and /run; other places "
			"take bind mounts)",
			path, m->type, m->destination);
	return 0;
}

static int oci_mounts(struct oci_ctx *x, const struct json_node *root)
{
	const struct json_node *arr;
	size_t i = 0;

	if (oci_get(x, root, "", "mounts", JSON_ARRAY, &arr))
		return -1;
	if (!arr)
		return 0;
	if (!(x->c->mounts = calloc(arr->count, sizeof(*x->c->mounts))))
		return arr->count ? oci_config_fail(x, "out of memory") : 0;
	for (const struct json_node *n = arr->child; n; n = n->next, i++)
		if (oci_mount(x, n, i))
			return -1;
	return 0;
}

/* ---------------------------------------------------------------- linux */

static int oci_namespaces(struct oci_ctx *x, const struct json_node *linux)
{
	const struct json_node *arr, *maps;
	bool has_net = false;
	size_t i = 0;

	if (oci_get(x, linux, "linux", "namespaces", JSON_ARRAY, &arr))
		return -1;
	for (const struct json_node *n = arr ? arr->child : NULL; n; n = n->next, i++) {
		char path[40], *type = NULL, *ns = NULL;
		int rc;

		snprintf(path, sizeof(path), "linux.namespaces[%zu]", i);
		if (n->kind != JSON_OBJECT)
			return oci_config_fail(x, "%s: expected an object", path);
		rc = oci_get_str(x, n, path, "type", &type) ?: oci_get_str(x, n, path, "path", &ns);
		if (!rc && type && !strcmp(type, "network")) {
			has_net = true;
			free(x->c->netns);
			x->c->netns = ns;
			ns = NULL;
		} else if (!rc && type && !strcmp(type, "user")) {
			rc = oci_config_fail(x,
					     "%s: user namespaces are not supported (run the "
					     "container manager as root)",
					     path);
		}
		free(type);
		free(ns);
		if (rc)
			return -1;
	}
	x->c->host_network = !has_net;
	if (oci_get(x, linux, "linux", "uidMappings", JSON_ARRAY, &maps))
		return -1;
	if (maps && maps->count)
		return oci_config_fail(x, "linux.uidMappings: user namespaces are not supported");
	return 0;
}

static int oci_linux(struct oci_ctx *x, const struct json_node *root)
{
	const struct json_node *linux, *res, *mem;
	uint64_t limit = 0;

	if (oci_get(x, root, "", "linux", JSON_OBJECT, &linux) || oci_namespaces(x, linux) ||
	    oci_get(x, linux, "linux", "resources", JSON_OBJECT, &res) ||
	    oci_get(x, res, "linux.resources", "memory", JSON_OBJECT, &mem))
		return -1;
	/* runc takes -1 as "no limit"; Go reads it into an int64. */
	if (mem && json_get(mem, "limit") && json_get(mem, "limit")->kind == JSON_NUMBER &&
	    json_get(mem, "limit")->str[0] == '-') {
		int64_t v;

		if (json_int64(json_get(mem, "limit"), &v) || v != -1)
			return oci_config_fail(x, "linux.resources.memory.limit: %s is not a size",
					       json_get(mem, "limit")->str);
		return 0;
	}
	if (oci_get_uint(x, mem, "linux.resources.memory", "limit", INT64_MAX, &limit))
		return -1;
	x->c->memory = limit;
	return 0;
}

/* ---------------------------------------------------------------- hooks */

static int oci_hook(struct oci_ctx *x, const struct json_node *n, const char *path,
		    struct oci_hook *h)
{
	const struct json_node *args, *env;
	uint64_t timeout = 0;

	if (n->kind != JSON_OBJECT)
		return oci_config_fail(x, "%s: expected an object", path);
	if (oci_get_str(x, n, path, "path", &h->path) ||
	    oci_get(x, n, path, "args", JSON_ARRAY, &args) ||
	    oci_get(x, n, path, "env", JSON_ARRAY, &env) || oci_strings(x, args, path, &h->args) ||
	    oci_strings(x, env, path, &h->env) ||
	    oci_get_uint(x, n, path, "timeout", OCI_HOOK_TIMEOUT_MAX, &timeout))
		return -1;
	if (!h->path || h->path[0] != '/')
		return oci_config_fail(x, "%s.path: must be an absolute path", path);
	if (json_get(n, "timeout") && !timeout)
		return oci_config_fail(x, "%s.timeout: must be positive", path);
	h->timeout = (int)timeout;
	return 0;
}

static int oci_hooks(struct oci_ctx *x, const struct json_node *root)
{
	static const char *const names[OCI_HOOK_POINTS] = { "prestart", "createRuntime",
							    "poststart", "poststop" };
	const struct json_node *hooks, *arr;

	if (oci_get(x, root, "", "hooks", JSON_OBJECT, &hooks))
		return -1;
	if (json_get(hooks, "createContainer") || json_get(hooks, "startContainer"))
		return oci_config_fail(
			x, "hooks: createContainer and startContainer hooks run inside the "
			   "container, a virtual machine under monos: not supported");
	for (int p = 0; p < OCI_HOOK_POINTS; p++) {
		size_t i = 0;

		if (oci_get(x, hooks, "hooks", names[p], JSON_ARRAY, &arr))
			return -1;
		if (!arr || !arr->count)
			continue;
		if (!(x->c->hooks[p] = calloc(arr->count, sizeof(struct oci_hook))))
			return oci_config_fail(x, "out of memory");
		for (const struct json_node *n = arr->child; n; n = n->next, i++) {
			char path[48];

			snprintf(path, sizeof(path), "hooks.%s[%zu]", names[p], i);
			x->c->nhooks[p]++;
			if (oci_hook(x, n, path, &x->c->hooks[p][i]))
				return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- the whole */

static void *oci_json_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static void oci_json_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

const struct json_alloc oci_json_malloc = { oci_json_alloc, oci_json_free, NULL };

/* root: path (relative to the bundle) and readonly; ociVersion 1.x. */
static int oci_root(struct oci_ctx *x, const struct json_node *top)
{
	const struct json_node *root, *ver;
	char *path = NULL;

	if (oci_get(x, top, "", "ociVersion", JSON_STRING, &ver) ||
	    oci_get(x, top, "", "root", JSON_OBJECT, &root))
		return -1;
	if (!ver || strncmp(ver->str, "1.", 2))
		return oci_config_fail(x, "ociVersion: %s%s: monos reads runtime-spec 1.x",
				       ver ? ver->str : "(none)", ver ? "" : "");
	if (!root)
		return oci_config_fail(x, "root: missing (a container needs a root filesystem)");
	if (oci_get_str(x, root, "root", "path", &path) ||
	    oci_get_bool(x, root, "root", "readonly", &x->c->readonly)) {
		free(path);
		return -1;
	}
	if (!path || !path[0]) {
		free(path);
		return oci_config_fail(x, "root.path: missing");
	}
	if (path[0] == '/') {
		x->c->rootfs = path;
		return 0;
	}
	if (asprintf(&x->c->rootfs, "%s/%s", x->c->bundle, path) < 0)
		x->c->rootfs = NULL;
	free(path);
	return x->c->rootfs ? 0 : oci_config_fail(x, "out of memory");
}

/* @text as JSON whose root must be an object (@what names the file in
 * errors) into @doc: 0, or -1 (said; nothing to free). */
static int oci_parse_object(struct oci_ctx *x, const char *text, size_t len, const char *what,
			    struct json_doc *doc)
{
	struct json_error jerr;

	if (json_parse(text, len, &oci_json_malloc, NULL, doc, &jerr))
		return oci_config_fail(x, "%s: line %u, column %u: %s", what, jerr.line, jerr.col,
				       jerr.msg);
	if (doc->root->kind == JSON_OBJECT)
		return 0;
	oci_config_fail(x, "%s: expected an object, found %s", what,
			json_kind_name(doc->root->kind));
	json_free(doc);
	return -1;
}

int oci_config_parse(const char *text, size_t len, const char *bundle, struct oci_config *c,
		     char *err, size_t errlen)
{
	struct oci_ctx x = { c, err, errlen };
	struct json_doc doc;
	int rc;

	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	if (!(c->bundle = strdup(bundle)))
		return oci_config_fail(&x, "out of memory");
	if (oci_parse_object(&x, text, len, "config.json", &doc))
		return -1;
	rc = oci_root(&x, doc.root) ?: oci_process(&x, doc.root) ?: oci_mounts(&x, doc.root)
		?: oci_linux(&x, doc.root) ?: oci_hooks(&x, doc.root)
		?: oci_get_str(&x, doc.root, "", "hostname", &c->hostname);
	if (!rc)
		c->sandbox = oci_pod_is_sandbox(doc.root, c->args);
	json_free(&doc);
	return rc;
}

int oci_process_parse(const char *text, size_t len, struct oci_config *c, char *err, size_t errlen)
{
	struct oci_ctx x = { c, err, errlen };
	struct json_doc doc;
	int rc;

	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	if (oci_parse_object(&x, text, len, "process", &doc))
		return -1;
	rc = oci_process_members(&x, doc.root);
	json_free(&doc);
	return rc;
}

void oci_config_free(struct oci_config *c)
{
	free(c->bundle);
	oci_strings_free(c->args);
	free(c->exe);
	free(c->groups);
	oci_strings_free(c->env);
	oci_strings_free(c->run_args);
	options_free(&c->run);
	free(c->rootfs);
	free(c->cwd);
	free(c->hostname);
	free(c->netns);
	for (size_t i = 0; i < c->nmounts; i++) {
		free(c->mounts[i].destination);
		free(c->mounts[i].type);
		free(c->mounts[i].source);
	}
	free(c->mounts);
	for (int p = 0; p < OCI_HOOK_POINTS; p++) {
		for (size_t i = 0; i < c->nhooks[p]; i++) {
			free(c->hooks[p][i].path);
			oci_strings_free(c->hooks[p][i].args);
			oci_strings_free(c->hooks[p][i].env);
		}
		free(c->hooks[p]);
	}
	memset(c, 0, sizeof(*c));
}
