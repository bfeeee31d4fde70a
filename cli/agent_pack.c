/*
 * The packing of the in-guest agent (agent/) for `monos run --api/--health`
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
		rc = image_add_data(w, "/" MONOS_RUN_TOKEN, a->token, strlen(a->token),
				    TOKEN_MODE);
	if (!rc)
		rc = image_finish_archive(w);
	if (rc)
		return fail(err, errlen, "cannot pack the agent: %s", w->err);
	return 0;
}
