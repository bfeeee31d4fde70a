/*
 * `monos run`'s management flags (--api, --api-token-file, --health and its
 * timings) and the packing of the in-guest agent (agent/, design.md
 * contract 23) they ask for.  Nothing of it is packed without them.
 *
 * The agent, its arguments and the token go into a third small archive
 * after the per-run one (bootinfo.h: "agent", "api-token"), never into the
 * image: the token is a secret (contract 22).  The per-run entries are no
 * files in the guest: the kernel hands the token to the agent alone, in its
 * environment (which the agent wipes once read).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <monos/bootinfo.h>

#include "cli.h"

#define AGENT_NAME  "monos-agent"
#define AGENT_GUEST "/.monos-agent" /* a file of the tree: the kernel execs it */
#define AGENT_MODE  (S_IFREG | 0755)
#define TOKEN_MODE  (S_IFREG | 0400)
#define ARGS_MODE   (S_IFREG | 0444)
#define TOKEN_MAX   4096       /* the agent's buffer */
#define AGENT_MAX   (8u << 20) /* a sanity bound on the program's size */
#define TOKEN_ENV   "MONOS_API_TOKEN"

#define fail msg_fail

/* "[IP:]PORT": an IPv4 address (optional) and a port 1-65535. */
static bool api_spec_ok(const char *v)
{
	const char *colon = strrchr(v, ':'), *port = colon ? colon + 1 : v;
	char *end;
	unsigned long n = strtoul(port, &end, 10);
	unsigned a, b, c, d;
	char tail;

	if (!*port || *end || n == 0 || n > 65535 || *port == '-' || *port == '+')
		return false;
	if (!colon || colon == v)
		return true;
	return sscanf(v, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 5 && tail == ':' && a < 256 &&
	       b < 256 && c < 256 && d < 256;
}

/* "tcp:PORT" or "http://:PORT[/PATH]": the agent's health.c reads it. */
static bool health_spec_ok(const char *v)
{
	const char *p = !strncmp(v, "tcp:", 4) ? v + 4 : !strncmp(v, "http://:", 8) ? v + 8 : NULL;
	char *end;
	unsigned long n;

	if (!p || *p < '0' || *p > '9')
		return false;
	n = strtoul(p, &end, 10);
	if (n == 0 || n > 65535)
		return false;
	if (v[0] == 't')
		return !*end;
	if (*end && *end != '/')
		return false;
	for (; *end; end++)
		if ((unsigned char)*end <= ' ' || *end == 0x7f)
			return false;
	return strlen(v) < 200;
}

static bool seconds_ok(const char *v)
{
	char *end;
	double s = strtod(v, &end);

	return *v && !*end && s > 0 && s <= 86400;
}

int agent_option(struct run_options *o, const char *flag, const char *v, char *err, size_t errlen)
{
	struct agent_options *a = &o->agent;
	char **slot = NULL;

	if (!strcmp(flag, "api") && !api_spec_ok(v))
		return fail(err, errlen, "--api '%s': use [IP:]PORT", v);
	if (!strcmp(flag, "health") && !health_spec_ok(v))
		return fail(err, errlen, "--health '%s': use tcp:PORT or http://:PORT/PATH", v);
	if (!strncmp(flag, "health-", 7) && strcmp(flag, "health-retries") && !seconds_ok(v))
		return fail(err, errlen, "--%s '%s': want seconds (0 < S <= 86400)", flag, v);
	if (!strcmp(flag, "health-retries") &&
	    (atoi(v) < 1 || atoi(v) > 100 || strspn(v, "0123456789") != strlen(v)))
		return fail(err, errlen, "--health-retries '%s': want 1 to 100", v);
	if (!strcmp(flag, "api"))
		slot = &a->api;
	else if (!strcmp(flag, "api-token-file"))
		slot = &a->token_file;
	else if (!strcmp(flag, "health"))
		slot = &a->health;
	else if (!strcmp(flag, "health-interval"))
		slot = &a->interval;
	else if (!strcmp(flag, "health-timeout"))
		slot = &a->timeout;
	else if (!strcmp(flag, "health-retries"))
		slot = &a->retries;
	if (!slot)
		return -EINVAL;
	free(*slot);
	if (!(*slot = strdup(v)))
		return fail(err, errlen, "--%s: out of memory", flag);
	return 0;
}

void agent_options_free(struct agent_options *a)
{
	free(a->api);
	free(a->token_file);
	free(a->health);
	free(a->interval);
	free(a->timeout);
	free(a->retries);
	free(a->token);
	memset(a, 0, sizeof(*a));
}

/* A token: printable ASCII without spaces (RFC 6750's b64token and more),
 * 1 to TOKEN_MAX-1 bytes, one trailing newline allowed in a file. */
static int take_token(struct agent_options *a, const char *text, size_t len, const char *from,
		      char *err, size_t errlen)
{
	if (len && text[len - 1] == '\n')
		len--;
	if (len && text[len - 1] == '\r')
		len--;
	if (!len || len >= TOKEN_MAX)
		return fail(err, errlen, "the API token from %s is empty or too long", from);
	for (size_t i = 0; i < len; i++)
		if (text[i] <= ' ' || text[i] == 0x7f)
			return fail(err, errlen,
				    "the API token from %s holds a space or a control character",
				    from);
	if (!(a->token = strndup(text, len)))
		return fail(err, errlen, "out of memory");
	return 0;
}

static int read_token_file(struct agent_options *a, char *err, size_t errlen)
{
	char buf[TOKEN_MAX + 2];
	int fd = open(a->token_file, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return fail(err, errlen, "--api-token-file %s: %s", a->token_file, strerror(errno));
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return fail(err, errlen, "--api-token-file %s: %s", a->token_file, strerror(errno));
	return take_token(a, buf, (size_t)n, a->token_file, err, errlen);
}

int agent_prepare(struct run_options *o, char *err, size_t errlen, char *(*getenv_fn)(const char *))
{
	struct agent_options *a = &o->agent;
	const char *env = getenv_fn(TOKEN_ENV);

	if (a->token_file && !a->api)
		return fail(err, errlen, "--api-token-file needs --api");
	if ((a->interval || a->timeout || a->retries) && !a->health)
		return fail(err, errlen, "--health-interval, -timeout and -retries need --health");
	if (!a->api)
		return 0;
	if (a->token_file)
		return read_token_file(a, err, errlen);
	if (env && *env)
		return take_token(a, env, strlen(env), TOKEN_ENV, err, errlen);
	msg_error("warning: --api %s without a token (--api-token-file FILE or %s): the "
		  "management API does not start",
		  a->api, TOKEN_ENV);
	free(a->api);
	a->api = NULL;
	return 0;
}

/* The agent program: $MONOS_AGENT, else monos-agent beside this binary. */
static char *read_agent(size_t *len, char *err, size_t errlen)
{
	const char *env = getenv("MONOS_AGENT");
	char path[4200], self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct stat st;
	char *data = NULL;
	int fd;

	self[n > 0 ? n : 0] = 0;
	if (strrchr(self, '/'))
		*strrchr(self, '/') = 0;
	snprintf(path, sizeof(path), "%s/%s", n > 0 ? self : ".", AGENT_NAME);
	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > AGENT_MAX ||
	    !(data = malloc((size_t)st.st_size + 1)) ||
	    read(fd, data, (size_t)st.st_size) != st.st_size) {
		fail(err, errlen,
		     "the agent %s cannot be read (build it with make, or set "
		     "MONOS_AGENT)",
		     path);
		free(data);
		data = NULL;
	}
	if (fd >= 0)
		close(fd);
	*len = data ? (size_t)st.st_size : 0;
	return data;
}

/* The agent's argv, NUL-separated (bootinfo.h's "agent" entry). */
static size_t agent_args(const struct agent_options *a, char *buf, size_t size)
{
	const char *words[12];
	size_t n = 0, len = 0;

	words[n++] = AGENT_GUEST;
	if (a->api)
		words[n++] = "--api", words[n++] = a->api;
	if (a->health)
		words[n++] = "--health", words[n++] = a->health;
	if (a->interval)
		words[n++] = "--health-interval", words[n++] = a->interval;
	if (a->timeout)
		words[n++] = "--health-timeout", words[n++] = a->timeout;
	if (a->retries)
		words[n++] = "--health-retries", words[n++] = a->retries;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(words[i]) + 1;
		if (len + l > size)
			return 0;
		memcpy(buf + len, words[i], l);
		len += l;
	}
	return len;
}

int agent_write(struct image_writer *w, const struct run_options *o, char *err, size_t errlen)
{
	const struct agent_options *a = &o->agent;
	char args[1024];
	size_t alen, plen;
	char *prog;
	int rc;

	if (!a->api && !a->health)
		return 0;
	if (!(alen = agent_args(a, args, sizeof(args))))
		return fail(err, errlen, "the agent's arguments are too long");
	if (!(prog = read_agent(&plen, err, errlen)))
		return -ENOENT;
	rc = image_add_data(w, AGENT_GUEST, prog, plen, AGENT_MODE);
	free(prog);
	if (!rc)
		rc = image_add_data(w, "/" MONOS_RUN_AGENT, args, alen, ARGS_MODE);
	if (!rc && a->api && a->token)
		rc = image_add_data(w, "/" MONOS_RUN_API_TOKEN, a->token, strlen(a->token),
				    TOKEN_MODE);
	if (!rc)
		rc = image_finish_archive(w);
	if (rc)
		return fail(err, errlen, "cannot pack the agent: %s", w->err);
	return 0;
}
