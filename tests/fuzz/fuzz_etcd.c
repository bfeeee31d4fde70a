/*
 * libFuzzer target: the agent's parsing of etcd gateway replies
 * (agent/etcd_proto.c over kernel/lib/http.c and json.c), which read what
 * an untrusted etcd answers.  The first input byte picks the call the
 * reply answers (grant, put, keepalive, deleterange) and whether the peer
 * has closed; the rest is the reply, copied into a buffer of exactly its
 * size so the address sanitizer sees any read past it.  Besides "no
 * crash", it checks etcd.h's contracts: only 0, -EAGAIN and -EPROTO; never
 * -EAGAIN once the peer has closed; a usable grant has an ID and a TTL; a
 * kept-alive lease has a TTL (else it is gone); nothing is "ok" and "gone"
 * at once; and the base64 encoder round-trips through lib/base64.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../agent/etcd_proto.c"
#include "../../kernel/lib/base64.c"
#include "../../kernel/lib/http.c"
#include "../../kernel/lib/json.c"
#include "../../kernel/lib/json_node.c"
#include "../../kernel/lib/json_string.c"

static void check_b64(const uint8_t *data, size_t size)
{
	char enc[(256 + 2) / 3 * 4 + 1];
	uint8_t dec[256];
	size_t n = size < 256 ? size : 256;
	long len = etcd_b64((const char *)data, n, enc, sizeof(enc));

	if (len < 0 || (size_t)len != (n + 2) / 3 * 4 || enc[len])
		abort();
	if (base64_decode(enc, (size_t)len, dec, sizeof(dec)) != (long)n || memcmp(dec, data, n))
		abort();
	if (n && etcd_b64((const char *)data, n, enc, (size_t)len) != -1) /* no room for the NUL */
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etcd_result r;
	enum etcd_op op;
	bool eof;
	char *buf;
	int rc;

	if (!size)
		return 0;
	op = (enum etcd_op)(ETCD_GRANT + data[0] % 4);
	eof = data[0] & 4;
	data++, size--;
	check_b64(data, size);
	if (size > ETCD_REPLY_MAX)
		return 0; /* the client never holds more */
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	rc = etcd_parse_reply(op, buf, size, eof, &r);
	if (rc != 0 && rc != -EAGAIN && rc != -EPROTO)
		abort();
	if (rc == -EAGAIN && eof)
		abort();
	if (rc == 0 && (r.status < 100 || r.status > 599))
		abort();
	if (rc == 0 && r.ok && op == ETCD_GRANT && (r.id == 0 || r.ttl <= 0))
		abort();
	if (rc == 0 && r.ok && op == ETCD_KEEPALIVE && r.ttl <= 0 && !r.lease_gone)
		abort();
	if (rc == 0 && r.lease_gone && op != ETCD_PUT && op != ETCD_KEEPALIVE)
		abort();
	free(buf);
	return 0;
}
