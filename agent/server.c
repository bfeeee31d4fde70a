/*
 * The agent's HTTP/1.1 server: one listener, at most SERVER_CONN_MAX
 * connections, each non-blocking and driven by the agent's poll loop.
 *
 * Safe by default (issue 12): every endpoint but GET /healthz needs
 * "Authorization: Bearer TOKEN", compared in constant time (http.c); a
 * missing or wrong one gets 401 with WWW-Authenticate, and a client address
 * with AUTH_FAIL_MAX failures within AUTH_WINDOW_MS gets 429 for the rest
 * of the window, whatever it sends.  Requests are bounded in size (http.h:
 * 431, 413) and in time: a request must arrive whole within REQUEST_MS of
 * its connection or of the previous reply (a slowloris client gets 408 and
 * is closed), and a reply must be taken within REPLY_MS.  When every slot
 * is taken, a new connection replaces the longest idle one (nothing
 * received yet), else the oldest with a partial request; it is closed at
 * once only when every one is sending a reply.
 */
#include "agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SERVER_CONN_MAX 32
#define REQUEST_MS	5000
#define REPLY_MS	10000
#define AUTH_FAIL_MAX	5
#define AUTH_WINDOW_MS	10000
#define AUTH_CLIENTS	64 /* client addresses remembered for the rate limit */
#define LISTEN_BACKLOG	16

struct conn {
	int fd;
	uint32_t addr; /* the client's IPv4 address, network order */
	char in[HTTP_HEAD_MAX + HTTP_BODY_MAX];
	size_t in_len;
	struct out out; /* the reply being sent */
	size_t out_pos;
	int64_t deadline;
	bool close_after;     /* close once the reply is out */
	uint64_t shutdown_ms; /* nonzero: ask the kernel to stop once it is */
};

/* Failures per client address within its current window. */
struct auth_client {
	uint32_t addr;
	unsigned failures;
	int64_t window_end;
};

uint64_t server_requests_total, server_auth_failures_total;

static int listen_fd = -1;
static struct conn *conns[SERVER_CONN_MAX];
static const char *token;
static size_t token_len;
static struct auth_client clients[AUTH_CLIENTS];

int server_start(const char *spec, const char *tok, size_t tok_len)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	const char *colon = strrchr(spec, ':');
	char ip[INET_ADDRSTRLEN] = "0.0.0.0";
	unsigned long port = strtoul(colon ? colon + 1 : spec, NULL, 10);
	int one = 1;

	if (colon && colon != spec) {
		if ((size_t)(colon - spec) >= sizeof(ip))
			return -1;
		memcpy(ip, spec, (size_t)(colon - spec));
		ip[colon - spec] = 0;
	}
	if (!port || port > 65535 || inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		fprintf(stderr, "monos-agent: bad --api address %s\n", spec);
		return -1;
	}
	a.sin_port = htons((uint16_t)port);
	token = tok;
	token_len = tok_len;
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 ||
	    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(listen_fd, LISTEN_BACKLOG) < 0) {
		fprintf(stderr, "monos-agent: cannot listen on %s: %s\n", spec, strerror(errno));
		return -1;
	}
	return 0;
}

static void conn_close(int i)
{
	close(conns[i]->fd);
	out_free(&conns[i]->out);
	free(conns[i]);
	conns[i] = NULL;
}

/* Whether connection `i` is a better one to drop than `victim` (-1: none
 * yet): one with a reply going out never is; an idle one (nothing
 * received) before one with a partial request; then the oldest. */
static bool better_victim(int i, int victim)
{
	const struct conn *c = conns[i], *v = victim >= 0 ? conns[victim] : NULL;

	if (c->out.len)
		return false;
	if (!v || (!c->in_len && v->in_len))
		return true;
	return (!c->in_len || v->in_len) && c->deadline < v->deadline;
}

/* A free slot, or, when all are taken, the slot of the connection closed
 * to make room (better_victim): clients holding connections open, idle or
 * dripping, do not lock the API out.  -1: every one is sending a reply. */
static int free_slot(void)
{
	int victim = -1;

	for (int i = 0; i < SERVER_CONN_MAX; i++) {
		if (!conns[i])
			return i;
		if (better_victim(i, victim))
			victim = i;
	}
	if (victim >= 0)
		conn_close(victim);
	return victim;
}

static void accept_one(int64_t now)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = accept4(listen_fd, (struct sockaddr *)&a, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int one = 1, i;

	if (fd < 0)
		return;
	if ((i = free_slot()) < 0 || !(conns[i] = calloc(1, sizeof(*conns[i])))) {
		close(fd); /* every connection is busy: the client may retry */
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conns[i]->fd = fd;
	conns[i]->addr = a.sin_addr.s_addr;
	conns[i]->deadline = now + REQUEST_MS;
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

/* Queue a reply: the head, then `body`; extra header lines in `extra`. */
static void reply(struct conn *c, int status, const char *type, const struct out *body,
		  const char *extra)
{
	static const char empty[] = "";
	const char *b = body && body->p ? body->p : empty;
	size_t n = body ? body->len : 0;

	out_printf(&c->out,
		   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		   "Cache-Control: no-store\r\nConnection: %s\r\n%s\r\n",
		   status, reason(status), type, n, c->close_after ? "close" : "keep-alive", extra);
	out_add(&c->out, b, n);
	c->out_pos = 0;
	c->deadline = agent_now_ms() + REPLY_MS;
}

static void reply_error(struct conn *c, int status, const char *extra)
{
	struct out body = { 0 };

	out_printf(&body, "{\"error\":\"%s\"}\n", reason(status));
	reply(c, status, "application/json", &body, extra);
	out_free(&body);
}

/* The client's rate-limit slot: its own, else the oldest one, reset. */
static struct auth_client *client_of(uint32_t addr, int64_t now)
{
	struct auth_client *oldest = &clients[0];

	for (int i = 0; i < AUTH_CLIENTS; i++) {
		if (clients[i].addr == addr && clients[i].window_end) {
			if (now >= clients[i].window_end)
				clients[i].failures = 0,
				clients[i].window_end = now + AUTH_WINDOW_MS;
			return &clients[i];
		}
		if (clients[i].window_end < oldest->window_end)
			oldest = &clients[i];
	}
	*oldest = (struct auth_client){ addr, 0, now + AUTH_WINDOW_MS };
	return oldest;
}

/* Whether the request may go on; if not, its reply is queued. */
static bool authorized(struct conn *c, const struct http_request *req, int64_t now)
{
	struct auth_client *cl;
	char extra[64];

	if (http_str_is(req->path, "/healthz") && http_str_is(req->method, "GET"))
		return true;
	cl = client_of(c->addr, now);
	if (cl->failures >= AUTH_FAIL_MAX) {
		snprintf(extra, sizeof(extra), "Retry-After: %lld\r\n",
			 (long long)((cl->window_end - now + 999) / 1000));
		reply_error(c, 429, extra);
		return false;
	}
	if (http_bearer_ok(req->authorization, token, token_len))
		return true;
	cl->failures++;
	server_auth_failures_total++;
	reply_error(c, 401, "WWW-Authenticate: Bearer realm=\"monos\"\r\n");
	return false;
}

static void serve(struct conn *c, const struct http_request *req, int64_t now)
{
	struct api_reply rep = { 0 };

	server_requests_total++;
	c->close_after = !req->keep_alive;
	if (!authorized(c, req, now))
		return;
	api_handle(req, &rep);
	if (rep.body.failed) {
		out_free(&rep.body);
		reply_error(c, 500, "");
		return;
	}
	reply(c, rep.status, rep.content_type ? rep.content_type : "application/json", &rep.body,
	      rep.status == 405 ? "Allow: GET, POST\r\n" : "");
	c->shutdown_ms = rep.shutdown_ms;
	out_free(&rep.body);
}

/* Answer the request at the start of the buffer, if it is whole (or
 * refuse a bad one). */
static void try_serve(struct conn *c, int64_t now)
{
	struct http_request req;
	int r = http_parse(c->in, c->in_len, &req);

	if (r == 0 && c->in_len == sizeof(c->in))
		r = -413; /* a head within its limit and a body over the buffer */
	if (r < 0) {
		server_requests_total++;
		c->close_after = true; /* the stream cannot be trusted past it */
		reply_error(c, -r, "");
		return;
	}
	if (r == 0)
		return;
	serve(c, &req, now);
	memmove(c->in, c->in + req.length, c->in_len - req.length);
	c->in_len -= req.length;
}

static void on_readable(int i, int64_t now)
{
	struct conn *c = conns[i];
	ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(i);
		return;
	}
	c->in_len += (size_t)n;
	try_serve(c, now);
}

/* Send what the socket takes; at the end, close or wait for the next. */
static void on_writable(int i, int64_t now)
{
	struct conn *c = conns[i];
	ssize_t n = write(c->fd, c->out.p + c->out_pos, c->out.len - c->out_pos);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(i);
		return;
	}
	c->out_pos += (size_t)n;
	if (c->out_pos < c->out.len)
		return;
	if (c->shutdown_ms) {
		int err = sys_command("shutdown %llu", (unsigned long long)c->shutdown_ms);
		if (err)
			fprintf(stderr, "monos-agent: shutdown: %s\n", strerror(-err));
		c->shutdown_ms = 0;
	}
	out_free(&c->out);
	c->out_pos = 0;
	if (c->close_after) {
		conn_close(i);
		return;
	}
	c->deadline = now + REQUEST_MS;
	if (c->in_len) /* a pipelined request already here */
		try_serve(c, now);
}

int server_poll_fds(struct pollfd *fds, int max, int64_t *deadline)
{
	int n = 0;

	if (listen_fd < 0 || max < 1)
		return 0;
	fds[n++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
	for (int i = 0; i < SERVER_CONN_MAX && n < max; i++) {
		if (!conns[i])
			continue;
		fds[n++] = (struct pollfd){ .fd = conns[i]->fd,
					    .events = conns[i]->out.len ? POLLOUT : POLLIN };
		if (conns[i]->deadline < *deadline)
			*deadline = conns[i]->deadline;
	}
	return n;
}

static int conn_index(int fd)
{
	for (int i = 0; i < SERVER_CONN_MAX; i++)
		if (conns[i] && conns[i]->fd == fd)
			return i;
	return -1;
}

void server_step(const struct pollfd *fds, int n, int64_t now)
{
	for (int k = 1; k < n; k++) {
		int i = conn_index(fds[k].fd);
		if (i < 0 || !fds[k].revents)
			continue;
		if (conns[i]->out.len)
			on_writable(i, now);
		else if (fds[k].revents & (POLLIN | POLLHUP | POLLERR))
			on_readable(i, now);
	}
	for (int i = 0; i < SERVER_CONN_MAX; i++) {
		struct conn *c = conns[i];
		if (!c || now < c->deadline)
			continue;
		if (c->out.len) { /* the client does not read its reply */
			conn_close(i);
			continue;
		}
		/* Too slow to send its request (slowloris), or idle. */
		c->close_after = true;
		if (c->in_len)
			reply_error(c, 408, "");
		else
			conn_close(i);
	}
	if (n > 0 && (fds[0].revents & POLLIN))
		accept_one(now);
}
