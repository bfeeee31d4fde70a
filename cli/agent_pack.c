/*
 * The packing of the in-guest agent (agent/) for `monos run --api/--health/--etcd`
 * (flags: cli/agent.c): the program, its arguments and the API token as one
 * more small archive after the per-run one, never in the image (design.md
 * contract 22).  The per-run entries ("agent", "api-token": bootinfo.h) are
 * no files in the guest; the program is /.monos-agent, which the kernel
 * (kernel/init/agent.c) execs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <monos/bootinfo.h>

#include "cli.h"

#define AGENT_NAME  "monos-agent"
#define AGENT_GUEST "/.monos-agent"
#define AGENT_MODE  (S_IFREG | 0755)
#define TOKEN_MODE  (S_IFREG | 0400)
#define ARGS_MODE   (S_IFREG | 0444)
#define AGENT_MAX   (8u << 20) /* a sanity bound on the program's size */
#define ARGS_MAX    4096       /* the etcd facts hold the -p list */
#define fail	    msg_fail

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

/* The etcd key's ID: the instance's (-d), else 64 random bits as an
 * instance id has (a foreground run). */
static const char *etcd_id(const struct agent_options *a, char *id, size_t n)
{
	unsigned char b[8] = { 0 };

	if (a->instance) {
		snprintf(id, n, "%s", a->instance);
		return id;
	}
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		msg_error("warning: no random bytes for the etcd key's ID");
	for (size_t i = 0; i < sizeof(b) && 2 * i + 2 < n; i++)
		snprintf(id + 2 * i, 3, "%02x", b[i]);
	return id;
}

/* The facts of the etcd key's JSON value that the host knows (the agent
 * adds its start time and health): a string to free, or NULL. */
static char *etcd_meta(const struct run_options *o, const char *id)
{
	const struct agent_options *a = &o->agent;
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fputs("{\"id\":", f);
	state_json_quote(f, id);
	fputs(",\"service\":", f);
	state_json_quote(f, a->service);
	fputs(",\"address\":", f);
	if (monitor_address(o))
		state_json_quote(f, monitor_address(o));
	else
		fputs("null", f);
	fputs(",\"ports\":", f);
	monitor_ports_json(f, o->publish);
	fputs(",\"image\":", f);
	if (a->image)
		state_json_quote(f, a->image);
	else
		fputs("null", f);
	fputs("}", f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* The agent's argv, NUL-separated (bootinfo.h's "agent" entry); `meta`
 * is etcd_meta's. */
static size_t agent_args(const struct agent_options *a, const char *meta, const char *id, char *buf,
			 size_t size)
{
	const char *words[24];
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
	if (a->etcd) {
		words[n++] = "--etcd", words[n++] = a->etcd;
		words[n++] = "--service", words[n++] = a->service;
		words[n++] = "--etcd-meta", words[n++] = meta;
	}
	if (a->etcd)
		words[n++] = "--etcd-id", words[n++] = id;
	if (a->etcd && a->etcd_ttl)
		words[n++] = "--etcd-ttl", words[n++] = a->etcd_ttl;
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
	char args[ARGS_MAX], *meta = NULL, id[STATE_ID_LEN + 1];
	size_t alen, plen;
	char *prog;
	int rc;

	if (!a->api && !a->health && !a->etcd)
		return 0;
	if (a->etcd && !(meta = etcd_meta(o, etcd_id(a, id, sizeof(id)))))
		return fail(err, errlen, "out of memory");
	alen = agent_args(a, meta, id, args, sizeof(args));
	free(meta);
	if (!alen)
		return fail(err, errlen, "the agent's arguments are too long");
	if (!(prog = read_agent(&plen, err, errlen)))
		return -ENOENT;
	rc = image_add_data(w, AGENT_GUEST, prog, plen, AGENT_MODE);
	free(prog);
	if (!rc)
		rc = image_add_data(w, "/" MONOS_RUN_AGENT, args, alen, ARGS_MODE);
	if (!rc && a->api && a->token)
		rc = image_add_data(w, "/" MONOS_RUN_TOKEN, a->token, strlen(a->token), TOKEN_MODE);
	if (!rc)
		rc = image_finish_archive(w);
	if (rc)
		return fail(err, errlen, "cannot pack the agent: %s", w->err);
	return 0;
}
