/*
 * The application's health check (monos run --health), run from inside the
 * instance as docker's HEALTHCHECK runs inside the container:
 *   tcp:PORT            a TCP connection to 127.0.0.1:PORT is accepted;
 *   http://:PORT/PATH   GET PATH from 127.0.0.1:PORT answers 200-399.
 * Every interval one check, limited by the timeout.  The state starts as
 * "starting", becomes "healthy" at the first success and "unhealthy" after
 * `retries` failures in a row (docker's rule).  The check is one
 * non-blocking socket driven by the agent's poll loop: it never blocks the
 * API.
 */
#include "agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <poll.h>

#define REPLY_MAX 512 /* the status line is all we read */

static struct health_config cfg;
static enum health_state state = HEALTH_NONE;
static unsigned streak;	    /* consecutive failures */
static char last[128] = ""; /* the last check's result */
static int fd = -1;	    /* the check in flight, or -1 */
static bool sent;	    /* its request is written (http) */
static char reply[REPLY_MAX];
static size_t reply_len;
static int64_t next_ms; /* when the next check starts, or the one in flight times out */

static unsigned parse_port(const char *s, const char **end)
{
	unsigned long v = strtoul(s, (char **)end, 10);

	return *end != s && v > 0 && v < 65536 ? (unsigned)v : 0;
}

int health_parse(const char *spec, struct health_config *c)
{
	const char *end;

	if (!strncmp(spec, "tcp:", 4)) {
		c->http = false;
		c->port = parse_port(spec + 4, &end);
		return c->port && !*end ? 0 : -1;
	}
	if (strncmp(spec, "http://:", 8))
		return -1;
	c->http = true;
	c->port = parse_port(spec + 8, &end);
	if (!c->port || (*end && *end != '/'))
		return -1;
	snprintf(c->path, sizeof(c->path), "%s", *end ? end : "/");
	for (const char *p = c->path; *p; p++)
		if ((unsigned char)*p <= ' ')
			return -1;
	return strlen(end) < sizeof(c->path) ? 0 : -1;
}

const char *health_state_name(enum health_state s)
{
	static const char *const names[] = { "none", "starting", "healthy", "unhealthy" };

	return names[s];
}

enum health_state health_state(void)
{
	return state;
}

unsigned health_failing_streak(void)
{
	return streak;
}

const char *health_last(void)
{
	return last;
}

void health_start(const struct health_config *c)
{
	cfg = *c;
	state = HEALTH_STARTING;
	next_ms = agent_now_ms(); /* the first check at once */
}

static void finish(bool ok, const char *why)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
	if (why != last)
		snprintf(last, sizeof(last), "%s", why);
	if (ok) {
		streak = 0;
		state = HEALTH_HEALTHY;
	} else if (++streak >= cfg.retries) {
		state = HEALTH_UNHEALTHY;
	}
	next_ms = agent_now_ms() + cfg.interval_ms;
}

static void begin(int64_t now)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)cfg.port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sent = false;
	reply_len = 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		finish(false, "no socket");
		return;
	}
	next_ms = now + cfg.timeout_ms;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
		finish(false, "connection refused");
}

int health_poll_fd(short *events)
{
	*events = sent ? POLLIN : POLLOUT;
	return fd;
}

int64_t health_deadline(void)
{
	return state == HEALTH_NONE ? INT64_MAX : next_ms;
}

/* The connection is up (tcp: done) or the request can be written. */
static void on_writable(void)
{
	char req[sizeof(cfg.path) + 64];
	int err = 0, n;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		finish(false, "connection refused");
		return;
	}
	if (!cfg.http) {
		finish(true, "connected");
		return;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", cfg.path);
	if (write(fd, req, (size_t)n) != n) {
		finish(false, "cannot send the request");
		return;
	}
	sent = true;
}

/* The status line "HTTP/1.x NNN ..." decides. */
static void on_readable(void)
{
	ssize_t n = read(fd, reply + reply_len, sizeof(reply) - 1 - reply_len);
	char *eol;
	int code;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return; /* nothing yet after all */
	if (n > 0)
		reply_len += (size_t)n;
	reply[reply_len] = 0;
	eol = strstr(reply, "\r\n");
	if (!eol && n > 0 && reply_len < sizeof(reply) - 1)
		return;
	if (sscanf(reply, "HTTP/1.%*1[01] %3d", &code) != 1) {
		finish(false, "no HTTP status");
		return;
	}
	snprintf(last, sizeof(last), "HTTP %d", code);
	finish(code >= 200 && code < 400, last);
}

void health_step(int64_t now)
{
	short ev;
	struct pollfd p;

	if (state == HEALTH_NONE)
		return;
	if (fd < 0) {
		if (now >= next_ms)
			begin(now);
		return;
	}
	if (now >= next_ms) {
		finish(false, "timed out");
		return;
	}
	p = (struct pollfd){ .fd = fd, .events = (short)(health_poll_fd(&ev), ev) };
	if (poll(&p, 1, 0) <= 0)
		return;
	if (p.revents & (POLLERR | POLLHUP) && !(p.revents & POLLIN) && sent)
		finish(false, "connection closed");
	else if (!sent)
		on_writable();
	else
		on_readable();
}
