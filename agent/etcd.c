/*
 * The etcd client of the agent (etcd.h; docs/agent.md "Service
 * registration"): it keeps /monos/services/SERVICE/ID holding the
 * instance's JSON under a lease, CoreOS-style discovery.
 *
 * One step at a time, each a fresh HTTP/1.1 connection (Connection: close)
 * to the gateway: grant a lease, put the key with it, keep the lease alive
 * every TTL/3, delete the key.  What to do next follows from three facts:
 * the lease (none, or its ID), whether the key is believed in etcd, and
 * whether it should be (healthy or no health check, and not ending):
 *   no lease                  -> grant
 *   should be, is not         -> put
 *   should not be, is         -> deleterange
 *   renewal due               -> keepalive
 * A lease etcd no longer knows (it expired while etcd was down or
 * unreachable, or etcd lost its data) means grant anew and put again: so a
 * restarted etcd gets every key back.  A failed step (refused, timed out,
 * garbage, an answer past ETCD_REPLY_MAX) is retried after a delay
 * doubling from BACKOFF_FIRST_MS to BACKOFF_MAX_MS.
 *
 * Nothing here blocks: a non-blocking socket in the agent's poll loop, each
 * step limited to STEP_MS (so a slow etcd never holds anything but the
 * registration), a reply buffer of ETCD_REPLY_MAX.  Between renewals the
 * client asks for no wake-up at all.
 */
#include "agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STEP_MS		 2000 /* connect, request and whole reply */
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS	 2000 /* a restarted etcd hears from us within 2 s */
#define KEY_MAX		 256
#define VALUE_MAX	 4096

static struct etcd_config cfg;
static bool running, ending, end_done;
static int health = HEALTH_NONE;
static int64_t lease;	 /* 0: none */
static bool registered;	 /* the key is in etcd, as far as we know */
static int64_t renew_at; /* CLOCK_MONOTONIC ms of the next keepalive */
static int64_t next_ms;	 /* nothing before (a backoff's end); 0: at once */
static unsigned backoff; /* ms; 0: the last step worked */
static char started[40]; /* the key's start time, RFC 3339 */
uint64_t etcd_renewals_total, etcd_failures_total;

/* The step in flight. */
static enum etcd_op op;
static int fd = -1;
static struct out req; /* the request, sent from req_off */
static size_t req_off;
static char reply[ETCD_REPLY_MAX + 1];
static size_t reply_len;
static int64_t step_deadline;

int etcd_parse_url(const char *url, struct etcd_config *c)
{
	char ip[32];
	unsigned port;
	char tail;
	struct in_addr a;

	if (sscanf(url, "http://%31[0-9.]:%u%c", ip, &port, &tail) != 2 &&
	    !(sscanf(url, "http://%31[0-9.]:%u%c", ip, &port, &tail) == 3 && tail == '/'))
		return -1;
	if (!port || port > 65535 || inet_pton(AF_INET, ip, &a) != 1)
		return -1;
	c->addr = a.s_addr;
	c->port = (uint16_t)port;
	snprintf(c->host, sizeof(c->host), "%s:%u", ip, port);
	return 0;
}

static void key(char *buf, size_t n)
{
	snprintf(buf, n, ETCD_PREFIX "%s/%s", cfg.service, cfg.id);
}

/* The key's value: the CLI's facts, then what only the guest knows. */
static void value(struct out *o)
{
	const char *m = cfg.meta && *cfg.meta == '{' ? cfg.meta : "{}";
	size_t len = strlen(m);

	while (len && m[len - 1] != '}')
		len--;
	out_add(o, m, len - 1);
	out_printf(o, "%s\"started\":\"%s\",\"health\":\"%s\"}", len > 2 ? "," : "", started,
		   health_state_name((enum health_state)health));
}

/* A field "NAME":"base64 of S" for the request body. */
static void b64_field(struct out *o, const char *name, const char *s, size_t n)
{
	static char enc[(VALUE_MAX + 2) / 3 * 4 + 1];

	if (etcd_b64(s, n, enc, sizeof(enc)) < 0) {
		o->failed = true;
		return;
	}
	out_printf(o, "\"%s\":\"%s\"", name, enc);
}

/* The JSON body of `what`. */
static void body(enum etcd_op what, struct out *b)
{
	char k[KEY_MAX];
	struct out v = { 0 };

	key(k, sizeof(k));
	out_add(b, "{", 1);
	switch (what) {
	case ETCD_GRANT:
		out_printf(b, "\"TTL\":\"%u\"", cfg.ttl_s);
		break;
	case ETCD_KEEPALIVE:
		out_printf(b, "\"ID\":\"%lld\"", (long long)lease);
		break;
	case ETCD_PUT:
		value(&v);
		b64_field(b, "key", k, strlen(k));
		out_add(b, ",", 1);
		if (v.failed || v.len > VALUE_MAX)
			b->failed = true;
		else
			b64_field(b, "value", v.p, v.len);
		out_printf(b, ",\"lease\":\"%lld\"", (long long)lease);
		out_free(&v);
		break;
	default:
		b64_field(b, "key", k, strlen(k));
		break;
	}
	out_add(b, "}", 1);
}

static void close_step(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
	op = ETCD_NONE;
	out_free(&req);
	req_off = reply_len = 0;
}

/* Start step `what`: false when it could not even begin (a failure). */
static bool begin(enum etcd_op what, int64_t now)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cfg.port) };
	struct out b = { 0 };

	a.sin_addr.s_addr = cfg.addr;
	body(what, &b);
	out_printf(&req,
		   "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
		   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		   etcd_op_path(what), cfg.host, b.len);
	out_add(&req, b.p, b.len);
	out_free(&b);
	op = what;
	step_deadline = now + (ending ? STEP_MS * 3 / 4 : STEP_MS);
	if (req.failed || b.failed)
		return false;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return fd >= 0 &&
	       (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
}

/* A step failed: try again later, from the top. */
static void failed(int64_t now, const char *why)
{
	enum etcd_op what = op;

	close_step();
	etcd_failures_total++;
	backoff = !backoff			 ? BACKOFF_FIRST_MS
		  : backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
						 : backoff * 2;
	next_ms = now + backoff;
	if (backoff == BACKOFF_FIRST_MS) /* once per outage, not per retry */
		fprintf(stderr, "monos-agent: etcd %s: %s (retrying)\n", etcd_op_path(what), why);
	if (ending)
		end_done = true; /* no time for retries */
}

/* The lease etcd no longer knows: everything goes with it. */
static void lease_lost(void)
{
	lease = 0;
	registered = false;
}

static void done(const struct etcd_result *r, int64_t now)
{
	enum etcd_op what = op;

	close_step();
	backoff = 0;
	next_ms = 0;
	switch (what) {
	case ETCD_GRANT:
		lease = r->id;
		registered = false;
		renew_at = now + (int64_t)r->ttl * 1000 / 3;
		break;
	case ETCD_PUT:
		registered = true;
		break;
	case ETCD_KEEPALIVE:
		etcd_renewals_total++;
		renew_at = now + (int64_t)r->ttl * 1000 / 3;
		break;
	case ETCD_DELETE:
		registered = false;
		end_done = ending;
		break;
	default:
		break;
	}
}

/* The whole reply (or the peer's end) is here. */
static void finish(bool eof, int64_t now)
{
	struct etcd_result r;
	int rc = etcd_parse_reply(op, reply, reply_len, eof, &r);

	if (rc == -EAGAIN)
		return;
	if (rc == 0 && r.lease_gone) {
		lease_lost();
		close_step();
		next_ms = 0; /* grant anew at once */
	} else if (rc == 0 && r.ok) {
		done(&r, now);
	} else {
		failed(now, rc ? "not an etcd gateway answer" : "refused");
	}
}

static void on_ready(short revents, int64_t now)
{
	ssize_t n;
	int err = 0;
	socklen_t len = sizeof(err);

	if (req_off < req.len) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			failed(now, strerror(err ? err : errno));
			return;
		}
		n = write(fd, req.p + req_off, req.len - req_off);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			failed(now, strerror(errno));
		else if (n > 0)
			req_off += (size_t)n;
		return;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	n = read(fd, reply + reply_len, sizeof(reply) - 1 - reply_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		failed(now, strerror(errno));
		return;
	}
	reply_len += (size_t)n;
	if (n > 0 && reply_len == sizeof(reply) - 1)
		failed(now, "reply too large");
	else
		finish(n == 0, now);
}

/* The next step due, or ETCD_NONE. */
static enum etcd_op next_step(int64_t now)
{
	bool want = !ending && (!cfg.health_gated || health == HEALTH_HEALTHY);

	if (ending)
		return registered && !end_done ? ETCD_DELETE : ETCD_NONE;
	if (now < next_ms)
		return ETCD_NONE;
	if (!lease)
		return ETCD_GRANT;
	if (want != registered)
		return want ? ETCD_PUT : ETCD_DELETE;
	return now >= renew_at ? ETCD_KEEPALIVE : ETCD_NONE;
}

void etcd_step(int64_t now)
{
	enum etcd_op what;
	struct pollfd p;

	if (!running)
		return;
	if (op != ETCD_NONE) {
		if (now >= step_deadline) {
			failed(now, "timed out");
			return;
		}
		p = (struct pollfd){ .fd = fd,
				     .events = (short)(req_off < req.len ? POLLOUT : POLLIN) };
		if (poll(&p, 1, 0) > 0)
			on_ready(p.revents, now);
		return;
	}
	if ((what = next_step(now)) != ETCD_NONE && !begin(what, now))
		failed(now, errno ? strerror(errno) : "out of memory");
}

int etcd_poll_fd(short *events)
{
	*events = req_off < req.len ? POLLOUT : POLLIN;
	return op != ETCD_NONE ? fd : -1;
}

int64_t etcd_deadline(void)
{
	bool want = !cfg.health_gated || health == HEALTH_HEALTHY;

	if (!running)
		return INT64_MAX;
	if (op != ETCD_NONE)
		return step_deadline;
	if (ending)
		return registered && !end_done ? 0 : INT64_MAX;
	if (next_ms > agent_now_ms())
		return next_ms; /* a failed step's delay */
	return !lease || want != registered ? 0 : renew_at;
}

void etcd_start(const struct etcd_config *c)
{
	struct timespec ts;
	struct tm tm;

	cfg = *c;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	running = true;
}

void etcd_set_health(int state)
{
	health = state;
}

void etcd_end(void)
{
	if (!running || ending)
		return;
	ending = true;
	if (op != ETCD_NONE && op != ETCD_DELETE)
		close_step(); /* a renewal no longer matters */
	end_done = !registered;
}

bool etcd_done(void)
{
	return !running || end_done;
}

bool etcd_enabled(void)
{
	return running;
}

bool etcd_registered(void)
{
	return registered;
}
