/*
 * `monos run`'s management flags (--api, --api-token-file, --health and its
 * timings, --etcd, --service, --etcd-ttl) for the in-guest agent (agent/, design.md contract 23), checked
 * here; cli/agent_pack.c packs the agent they ask for.  Nothing of it is
 * packed without them.
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

#define TOKEN_MAX    4096 /* the agent's buffer */
#define TOKEN_ENV    "MONOS_API_TOKEN"
#define ETCD_TTL_MIN 5 /* etcd's own minimum is about 1.5 s; renewals at TTL/3 */
#define ETCD_TTL_MAX 3600

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

/* "http://IP:PORT[/]": the agent speaks to an IPv4 address (it resolves no
 * names: no resolver may block it). */
static bool etcd_url_ok(const char *v)
{
	char buf[64];
	size_t n;

	if (strncmp(v, "http://", 7) || (n = strlen(v + 7)) >= sizeof(buf) || !strchr(v + 7, ':'))
		return false;
	memcpy(buf, v + 7, n + 1);
	if (n && buf[n - 1] == '/')
		buf[n - 1] = 0;
	return buf[0] != ':' && api_spec_ok(buf);
}

/* A service name: one path element of the key, [A-Za-z0-9._-]{1,63}. */
static bool service_ok(const char *v)
{
	size_t n = strlen(v);

	return n && n < 64 &&
	       strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._-") == n &&
	       strcmp(v, ".") && strcmp(v, "..");
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
	if (!strcmp(flag, "etcd") && !etcd_url_ok(v))
		return fail(err, errlen, "--etcd '%s': use http://IP:PORT (an IPv4 address)", v);
	if (!strcmp(flag, "service") && !service_ok(v))
		return fail(err, errlen, "--service '%s': 1 to 63 of A-Z a-z 0-9 . _ -", v);
	if (!strcmp(flag, "etcd-ttl") &&
	    (strspn(v, "0123456789") != strlen(v) || atoi(v) < ETCD_TTL_MIN ||
	     atoi(v) > ETCD_TTL_MAX || strlen(v) > 4))
		return fail(err, errlen, "--etcd-ttl '%s': want whole seconds, %d to %d", v,
			    ETCD_TTL_MIN, ETCD_TTL_MAX);
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
	else if (!strcmp(flag, "etcd"))
		slot = &a->etcd;
	else if (!strcmp(flag, "service"))
		slot = &a->service;
	else if (!strcmp(flag, "etcd-ttl"))
		slot = &a->etcd_ttl;
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
	free(a->etcd);
	free(a->service);
	free(a->etcd_ttl);
	free(a->instance);
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
	if (!a->etcd != !a->service)
		return fail(err, errlen, "--etcd and --service go together");
	if (a->etcd_ttl && !a->etcd)
		return fail(err, errlen, "--etcd-ttl needs --etcd");
	if (a->etcd && o->net == OPTIONS_NET_NONE && o->net_given)
		return fail(err, errlen, "--etcd needs a network: --net user or --net tap:NAME");
	if (a->etcd) /* etcd is reached over the network, as -p implies one */
		o->net = o->net == OPTIONS_NET_NONE ? OPTIONS_NET_USER : o->net;
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
