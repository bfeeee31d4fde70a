/*
 * monos-agent's entry: its arguments (the CLI writes them into the per-run
 * "agent" entry; docs/agent.md), the token, and the poll loop that drives
 * the API server and the health check.
 *
 *   monos-agent [--api [IP:]PORT] [--health SPEC] [--health-interval S]
 *               [--health-timeout S] [--health-retries N]
 *               [--etcd http://IP:PORT --service NAME --etcd-id ID
 *                --etcd-ttl S --etcd-meta JSON]
 *
 * The token comes in the environment (AGENT_TOKEN_ENV, put there by the
 * kernel from the per-run data); without it the API does not start (the
 * CLI says so before that).  The
 * agent never ends on its own while something is asked of it: a failed
 * step is logged to stderr (the instance's log) and the loop goes on.
 *
 * Two things it tells the kernel through /dev/monos: each change of the
 * health state ("health N", passed on to the host: `monos ps`), and, with
 * etcd, that it wants to hear of the instance's end ("linger MS"): the
 * kernel then sends it SIGTERM when PID 1 ends and waits (at most MS) for
 * its "done", written once the key is deleted.
 */
#include "agent.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define POLL_MAX	   48
#define TOKEN_MAX	   4096
#define HEALTH_INTERVAL_MS 10000 /* defaults as the CLI documents them */
#define HEALTH_TIMEOUT_MS  3000
#define HEALTH_RETRIES	   3
#define ETCD_TTL_S	   10
#define LINGER_MS	   2000 /* the key's deletion within it (etcd.c's step: 1.5 s) */

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
	const char *api, *health, *etcd;
	struct health_config hc;
	struct etcd_config ec;
};

/* The --etcd-* arguments: true when `flag` was one (bad values leave the
 * config unusable, which parse_args refuses). */
static bool etcd_arg(const char *flag, const char *v, struct args *a)
{
	if (!strcmp(flag, "--etcd"))
		a->etcd = v;
	else if (!strcmp(flag, "--service"))
		snprintf(a->ec.service, sizeof(a->ec.service), "%s", v);
	else if (!strcmp(flag, "--etcd-id"))
		snprintf(a->ec.id, sizeof(a->ec.id), "%s", v);
	else if (!strcmp(flag, "--etcd-ttl"))
		a->ec.ttl_s = (unsigned)strtoul(v, NULL, 10);
	else if (!strcmp(flag, "--etcd-meta"))
		a->ec.meta = v;
	else
		return false;
	return true;
}

/* Without an id from the CLI (a foreground run): 64 random bits. */
static void random_id(char *id, size_t n)
{
	unsigned char b[8];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		memset(b, 0, sizeof(b));
	snprintf(id, n, "%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
		 b[6], b[7]);
}

static int check_etcd(struct args *a)
{
	if (!a->etcd)
		return 0;
	if (etcd_parse_url(a->etcd, &a->ec) || !a->ec.service[0] || a->ec.ttl_s < 2 ||
	    strchr(a->ec.service, '/') || strchr(a->ec.id, '/'))
		return -1;
	if (!a->ec.id[0])
		random_id(a->ec.id, sizeof(a->ec.id));
	a->ec.health_gated = a->health != NULL;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	a->hc = (struct health_config){ .interval_ms = HEALTH_INTERVAL_MS,
					.timeout_ms = HEALTH_TIMEOUT_MS,
					.retries = HEALTH_RETRIES };
	a->ec.ttl_s = ETCD_TTL_S;
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
		else if (!etcd_arg(argv[i], v, a))
			return -1;
		i++;
	}
	if (!a->hc.interval_ms || !a->hc.timeout_ms || !a->hc.retries)
		return -1;
	if (a->health && health_parse(a->health, &a->hc))
		return -1;
	return check_etcd(a);
}

static volatile sig_atomic_t ending; /* SIGTERM: the kernel says the instance ends */

static void on_term(int sig)
{
	(void)sig;
	ending = 1;
}

/* Each change of the health state, to the kernel (the host's ps) and to
 * the registration. */
static void health_changed(void)
{
	static int last = HEALTH_NONE;
	int now = health_state();

	if (now == last)
		return;
	last = now;
	sys_command("health %d", now);
	etcd_set_health(now);
}

/* The end: the key deleted (or given up on), then "done" to the kernel,
 * which powers off. */
static void end_step(void)
{
	static bool said;

	if (!ending || said)
		return;
	etcd_end();
	if (etcd_done()) {
		said = true;
		sys_command("done");
	}
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static void loop(void)
{
	struct pollfd fds[POLL_MAX];

	for (;;) {
		int64_t now, deadline;
		int n, ns, timeout, fd;
		short ev;

		end_step();
		now = agent_now_ms();
		deadline = min64(health_deadline(), etcd_deadline());
		n = ns = server_poll_fds(fds, POLL_MAX - 2, &deadline);
		if ((fd = health_poll_fd(&ev)) >= 0)
			fds[n++] = (struct pollfd){ .fd = fd, .events = ev };
		if ((fd = etcd_poll_fd(&ev)) >= 0)
			fds[n++] = (struct pollfd){ .fd = fd, .events = ev };
		timeout = deadline == INT64_MAX ? -1 : deadline <= now ? 0 : (int)(deadline - now);
		if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			perror("monos-agent: poll");
			return;
		}
		now = agent_now_ms();
		server_step(fds, ns, now);
		health_step(now);
		health_changed();
		etcd_step(now);
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
	if (a.etcd) {
		struct sigaction sa = { .sa_handler = on_term }; /* no SA_RESTART: poll ends */

		sigaction(SIGTERM, &sa, NULL);
		etcd_start(&a.ec);
		if (sys_command("linger %u", LINGER_MS))
			fprintf(stderr, "monos-agent: /dev/monos refused linger: the key "
					"outlives a graceful stop by up to its TTL\n");
	}
	if (!a.health && !a.api && !a.etcd)
		return 1;
	loop();
	return 1;
}
