/*
 * monos-agent: the management agent that runs inside an instance beside the
 * application (design.md contract 23; docs/agent.md).  A small static
 * program (musl), started by the kernel (kernel/init/agent.c) as its own
 * process, root, not PID 1.  One thread, one poll loop: the HTTP API
 * (agent/server.c), the health check (agent/health.c), JSON and Prometheus
 * rendering (agent/api.c, agent/metrics.c) over what the kernel offers in
 * /proc and /dev/monos (agent/sys.c).  This header is the index of the
 * files' shared functions.
 */
#ifndef AGENT_AGENT_H
#define AGENT_AGENT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd.h"
#include "http.h"

#define AGENT_TOKEN_ENV "MONOS_API_TOKEN" /* the kernel sets it from the per-run data */
#define AGENT_DEVICE	"/dev/monos"
#define AGENT_COUNTERS	"/proc/monos/counters"
#define AGENT_LOG	"/proc/monos/log"
#define AGENT_CMDLINE	"/proc/monos/cmdline"

/* out.c: a growing output buffer.  Out of memory sets `failed` and stops
 * adding (the reply becomes a 500). */
struct out {
	char *p;
	size_t len, cap;
	bool failed;
};
void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void out_add(struct out *o, const char *s, size_t n);
/* A JSON string literal (quotes, escapes) of `n` bytes at `s`. */
void out_json_str(struct out *o, const char *s, size_t n);
void out_free(struct out *o);

/* sys.c: reading the kernel's files. */
/* The whole of a small file into `buf` (NUL-terminated): its length, or -1. */
long sys_read_file(const char *path, char *buf, size_t size);
/* Call `fn` for each line of /proc/monos/counters, split into at most three
 * words (`w[2]` NULL for "NAME VALUE" lines). */
int sys_counters(void (*fn)(void *ctx, char **w, int nw), void *ctx);
/* Write a command line to /dev/monos: 0 or -errno. */
int sys_command(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A signal number from "15", "TERM" or "SIGTERM"; 0 if none. */
int sys_signal_number(const char *s, size_t n);

/* health.c: the application's health check (--health). */
enum health_state { HEALTH_NONE, HEALTH_STARTING, HEALTH_HEALTHY, HEALTH_UNHEALTHY };
struct health_config {
	bool http; /* http://:PORT/PATH, else tcp:PORT */
	unsigned port;
	char path[256];
	unsigned interval_ms, timeout_ms, retries;
};
/* Parse "--health" SPEC: 0, or -1 (bad spec). */
int health_parse(const char *spec, struct health_config *c);
void health_start(const struct health_config *c);
/* Its state, consecutive failures and the last check's result text. */
enum health_state health_state(void);
const char *health_state_name(enum health_state s);
unsigned health_failing_streak(void);
const char *health_last(void);
/* For the poll loop: the descriptor and events to wait for (fd -1: none),
 * the time (ms, CLOCK_MONOTONIC) it needs to run next, and its step. */
int health_poll_fd(short *events);
int64_t health_deadline(void);
void health_step(int64_t now_ms);

/* api.c: the endpoints.  Fill `body` and return the HTTP status; set
 * *after_shutdown when the instance must be stopped once the reply is out. */
struct api_reply {
	int status;
	const char *content_type;
	struct out body;
	uint64_t shutdown_ms; /* nonzero: write "shutdown" once sent */
};
void api_handle(const struct http_request *req, struct api_reply *rep);

/* metrics.c: GET /metrics in Prometheus' text format 0.0.4. */
void metrics_render(struct out *o);
/* server.c's own counters, shown in /metrics. */
extern uint64_t server_requests_total, server_auth_failures_total;

/* server.c: the API listener and its connections. */
struct pollfd;
/* Listen on "[IP:]PORT" (IP default 0.0.0.0): 0, or -1 (logged). */
int server_start(const char *listen_spec, const char *token, size_t token_len);
/* Put the listener's and connections' descriptors in `fds` (room for
 * `max`): how many; lowers *deadline to the nearest time limit. */
int server_poll_fds(struct pollfd *fds, int max, int64_t *deadline);
/* Serve what poll found ready in those `n` entries, and end connections
 * past their time limits. */
void server_step(const struct pollfd *fds, int n, int64_t now_ms);

int64_t agent_now_ms(void);

#endif
