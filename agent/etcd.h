/*
 * The agent's etcd registration (issue 12; docs/agent.md "Service
 * registration"): etcd 3.4's gRPC gateway spoken over HTTP/1.1 and JSON.
 *
 *   etcd_proto.c  pure code: the request bodies (keys and values in
 *                 base64, as the gateway wants bytes fields) and the
 *                 parsing of the untrusted replies (lib/http, lib/json).
 *                 Fuzzed on the host by tests/fuzz/fuzz_etcd.c.
 *   etcd.c        the client: one non-blocking connection at a time,
 *                 driven by the agent's poll loop, every step bounded in
 *                 time and bytes, so a slow, silent or hostile etcd costs
 *                 the agent nothing but its registration.
 */
#ifndef AGENT_ETCD_H
#define AGENT_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETCD_REPLY_MAX (16u << 10) /* a gateway reply is a few hundred bytes */
#define ETCD_PREFIX    "/monos/services/"

/* The gateway calls the client makes (etcd's api/etcdserverpb/rpc.proto
 * names them; the paths are the 3.4 gateway's). */
enum etcd_op { ETCD_NONE, ETCD_GRANT, ETCD_PUT, ETCD_KEEPALIVE, ETCD_DELETE };

/* What a reply said. */
struct etcd_result {
	unsigned status; /* HTTP status */
	bool ok;	 /* 200 with a JSON object carrying a "header" (or
			  * keepalive's "result") and no "error" */
	bool lease_gone; /* the lease is not (or no longer) etcd's: grant anew */
	int64_t id;	 /* grant: the lease's ID */
	int64_t ttl;	 /* grant, keepalive: the TTL in seconds (keepalive:
			  * <= 0 when the lease has expired) */
};

/* The URL path of `op`. */
const char *etcd_op_path(enum etcd_op op);

/* base64 (RFC 4648, "+/", padded) of `n` bytes at `s` into `out` (room for
 * `cap` bytes, NUL included): its length, or -1 if it does not fit. */
long etcd_b64(const char *s, size_t n, char *out, size_t cap);

/*
 * etcd_parse_reply - the reply to `op` in `buf` (`len` bytes received so
 * far; `eof`: the peer has closed).  Returns 0 with `r` filled once the
 * reply is whole; -EAGAIN if more bytes may complete it; -EPROTO for
 * anything not an HTTP answer with a JSON object body (then the call
 * failed: retry later).  Reads only within `len`; chunked bodies are
 * decoded in place.  Pure; any caller.
 */
int etcd_parse_reply(enum etcd_op op, char *buf, size_t len, bool eof, struct etcd_result *r);

/* The client (etcd.c). */
struct etcd_config {
	uint32_t addr; /* etcd's IPv4 address, network order */
	uint16_t port;
	char host[64];	   /* "IP:PORT", the Host header */
	char service[64];  /* NAME in /monos/services/NAME/ID */
	char id[64];	   /* ID: the instance's */
	const char *meta;  /* the CLI's JSON object of facts (address, ports, image) */
	unsigned ttl_s;	   /* the lease's TTL */
	bool health_gated; /* a health check runs: registered only while healthy */
};
/* Parse "http://IP:PORT" into `c`: 0, or -1. */
int etcd_parse_url(const char *url, struct etcd_config *c);
/* Start keeping the key (copies `c`; `c->meta` must live on). */
void etcd_start(const struct etcd_config *c);
/* The health check's new state (HEALTH_*: agent.h). */
void etcd_set_health(int state);
/* The instance is ending: remove the key now; etcd_done() turns true once
 * it is removed, or could not be within the time a step has. */
void etcd_end(void);
bool etcd_done(void);
/* For the poll loop, as health.c's. */
int etcd_poll_fd(short *events);
int64_t etcd_deadline(void);
void etcd_step(int64_t now_ms);
/* Renewals made, for the benchmark's count (shown in /metrics). */
extern uint64_t etcd_renewals_total, etcd_failures_total;
bool etcd_registered(void);
bool etcd_enabled(void); /* etcd_start was called */

#endif
