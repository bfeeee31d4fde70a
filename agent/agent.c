/*
 * monos-agent's entry: its arguments (the CLI writes them into the per-run
 * "agent" entry; docs/agent.md), the token, and the poll loop that drives
 * the API server and the health check.
 *
 *   monos-agent [--api [IP:]PORT] [--health SPEC] [--health-interval S]
 *               [--health-timeout S] [--health-retries N]
 *
 * The token comes in the environment (AGENT_TOKEN_ENV, put there by the
 * kernel from the per-run data); without it the API does not start (the
 * CLI says so before that).  The
 * agent never ends on its own while something is asked of it: a failed
 * step is logged to stderr (the instance's log) and the loop goes on.
 */
#include "agent.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MAX	   48
#define TOKEN_MAX	   4096
#define HEALTH_INTERVAL_MS 10000 /* defaults as the CLI documents them */
#define HEALTH_TIMEOUT_MS  3000
#define HEALTH_RETRIES	   3

int64_t agent_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The token the kernel put in our environment: copied to `buf`, then
 * wiped where it was (so /proc/self/environ no longer shows it).  Its
 * length, or 0 (none). */
static size_t read_token(char *buf, size_t size)
{
	char *t = getenv(AGENT_TOKEN_ENV);
	size_t n = t ? strlen(t) : 0;

	if (!n || n >= size)
		return 0;
	memcpy(buf, t, n + 1);
	memset(t, 0, n);
	return n;
}

static unsigned seconds_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	return *end || v <= 0 || v > 86400 ? 0 : (unsigned)(v * 1000);
}

struct args {
	const char *api, *health;
	struct health_config hc;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	a->hc = (struct health_config){ .interval_ms = HEALTH_INTERVAL_MS,
					.timeout_ms = HEALTH_TIMEOUT_MS,
					.retries = HEALTH_RETRIES };
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return -1;
		if (!strcmp(argv[i], "--api"))
			a->api = v;
		else if (!strcmp(argv[i], "--health"))
			a->health = v;
		else if (!strcmp(argv[i], "--health-interval"))
			a->hc.interval_ms = seconds_ms(v);
		else if (!strcmp(argv[i], "--health-timeout"))
			a->hc.timeout_ms = seconds_ms(v);
		else if (!strcmp(argv[i], "--health-retries"))
			a->hc.retries = (unsigned)strtoul(v, NULL, 10);
		else
			return -1;
		i++;
	}
	if (!a->hc.interval_ms || !a->hc.timeout_ms || !a->hc.retries)
		return -1;
	return a->health && health_parse(a->health, &a->hc) ? -1 : 0;
}

static void loop(void)
{
	struct pollfd fds[POLL_MAX];

	for (;;) {
		int64_t now = agent_now_ms(), deadline = health_deadline();
		int n = server_poll_fds(fds, POLL_MAX - 1, &deadline), timeout;
		short ev;
		int hfd = health_poll_fd(&ev);

		if (hfd >= 0)
			fds[n] = (struct pollfd){ .fd = hfd, .events = ev };
		timeout = deadline == INT64_MAX ? -1 : deadline <= now ? 0 : (int)(deadline - now);
		if (poll(fds, (nfds_t)(n + (hfd >= 0)), timeout) < 0 && errno != EINTR) {
			perror("monos-agent: poll");
			return;
		}
		now = agent_now_ms();
		server_step(fds, n, now);
		health_step(now);
	}
}

int main(int argc, char **argv)
{
	static char token[TOKEN_MAX];
	struct args a = { 0 };
	size_t token_len;

	signal(SIGPIPE, SIG_IGN); /* a client gone mid-reply is an EPIPE */
	if (parse_args(argc, argv, &a)) {
		fprintf(stderr, "monos-agent: bad arguments\n");
		return 2;
	}
	if (a.api) {
		token_len = read_token(token, sizeof(token));
		if (!token_len)
			fprintf(stderr, "monos-agent: no token in %s: the API does not start\n",
				AGENT_TOKEN_ENV);
		else if (server_start(a.api, token, token_len))
			a.api = NULL;
	}
	if (a.health)
		health_start(&a.hc);
	if (!a.health && !a.api)
		return 1;
	loop();
	return 1;
}
