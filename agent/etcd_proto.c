/*
 * etcd 3.4's gRPC gateway, the pure half (etcd.h): paths, base64 and the
 * replies.  The gateway maps protobuf to JSON as grpc-gateway does: int64
 * fields are JSON strings ("ID":"7587848412497263618"), zero values are
 * left out (a keepalive of an expired lease answers without "TTL"), bytes
 * fields are base64, and a failed call answers a non-200 status with
 * {"error":"...","code":N,"message":"..."}; a streaming call (keepalive)
 * wraps its answer in {"result":...} or {"error":{...}}.  Everything here
 * reads untrusted bytes: bounded by ETCD_REPLY_MAX and lib/json's limits.
 */
#include "etcd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lib/http.h>
#include <lib/json.h>

#define GRPC_NOT_FOUND 5 /* google.rpc.Code NOT_FOUND: "requested lease not found" */

const char *etcd_op_path(enum etcd_op op)
{
	static const char *const paths[] = {
		[ETCD_GRANT] = "/v3/lease/grant",
		[ETCD_PUT] = "/v3/kv/put",
		[ETCD_KEEPALIVE] = "/v3/lease/keepalive",
		[ETCD_DELETE] = "/v3/kv/deleterange",
	};

	return op > ETCD_NONE && op <= ETCD_DELETE ? paths[op] : "/";
}

long etcd_b64(const char *s, size_t n, char *out, size_t cap)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0;

	if ((n + 2) / 3 * 4 + 1 > cap)
		return -1;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		out[len++] = abc[v >> 18 & 63];
		out[len++] = abc[v >> 12 & 63];
		out[len++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
		out[len++] = i + 2 < n ? abc[v & 63] : '=';
	}
	out[len] = 0;
	return (long)len;
}

/* An int64 field: a JSON string of digits (the gateway's form) or a
 * number.  0 when absent or malformed (as protobuf's default). */
static int64_t int64_field(const struct json_node *obj, const char *key)
{
	const struct json_node *n = json_get(obj, key);
	int64_t v = 0;
	bool neg;
	size_t i;

	if (!n)
		return 0;
	if (n->kind == JSON_NUMBER)
		return json_int64(n, &v) ? 0 : v;
	if (n->kind != JSON_STRING || !n->len || n->len > 20)
		return 0;
	neg = n->str[0] == '-';
	for (i = neg; i < n->len; i++) {
		if (n->str[i] < '0' || n->str[i] > '9' || v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (n->str[i] - '0');
	}
	return i > (size_t)neg ? (neg ? -v : v) : 0;
}

static void *jalloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static void jfree(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

/* An error object ({"error":"...","code":5} or the stream's
 * {"error":{"grpc_code":5,...}}): is it "lease not found"? */
static bool error_lease_gone(const struct json_node *root)
{
	const struct json_node *e = json_get(root, "error");
	const char *text = e && e->kind == JSON_STRING ? e->str : "";

	if (e && e->kind == JSON_OBJECT)
		return int64_field(e, "grpc_code") == GRPC_NOT_FOUND;
	return int64_field(root, "code") == GRPC_NOT_FOUND || strstr(text, "lease not found");
}

/* Fill `r` from the body's JSON object `root`. */
static void read_result(enum etcd_op op, const struct json_node *root, struct etcd_result *r)
{
	const struct json_node *body = root;

	if (json_get(root, "error")) {
		r->lease_gone = op != ETCD_GRANT && op != ETCD_DELETE && error_lease_gone(root);
		return;
	}
	if (op == ETCD_KEEPALIVE && !(body = json_get(root, "result")))
		return;
	if (!body || body->kind != JSON_OBJECT || !json_get(body, "header") || r->status != 200)
		return;
	r->ok = true;
	if (op == ETCD_GRANT || op == ETCD_KEEPALIVE) {
		r->id = int64_field(body, "ID");
		r->ttl = int64_field(body, "TTL");
	}
	if (op == ETCD_GRANT && (r->id == 0 || r->ttl <= 0))
		r->ok = false; /* a lease we cannot use */
	if (op == ETCD_KEEPALIVE && r->ttl <= 0)
		r->lease_gone = true;
}

int etcd_parse_reply(enum etcd_op op, char *buf, size_t len, bool eof, struct etcd_result *r)
{
	static const struct json_alloc alloc = { jalloc, jfree, NULL };
	static const struct json_limits limits = { .max_input = ETCD_REPLY_MAX,
						   .max_depth = 8,
						   .max_memory = 64u << 10,
						   .max_nodes = 512 };
	struct http_response h;
	struct json_doc doc;
	long body;
	bool obj;
	int rc = http_parse_head(buf, len, &h);

	memset(r, 0, sizeof(*r));
	if (rc == -EAGAIN)
		return eof ? -EPROTO : -EAGAIN;
	if (rc)
		return -EPROTO;
	body = http_body(&h, buf, len, eof);
	if (body == -EAGAIN)
		return eof ? -EPROTO : -EAGAIN;
	if (body < 0)
		return -EPROTO;
	r->status = h.status;
	if (json_parse(buf + h.head_len, (size_t)body, &alloc, &limits, &doc, NULL))
		return -EPROTO;
	obj = doc.root->kind == JSON_OBJECT;
	if (obj)
		read_result(op, doc.root, r);
	json_free(&doc);
	return obj ? 0 : -EPROTO;
}
