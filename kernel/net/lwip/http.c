/*
 * A minimal HTTP/1.0 client for the boot: cloud-init's NoCloud seed over
 * HTTP (the kernel command line's ds=nocloud;s=http://HOST:PORT/PATH/,
 * init/cloudinit.c).  One GET at a time over lwIP's raw TCP API, waited for
 * with net_wait_boot before the scheduler runs.  HTTP/1.0 keeps it small:
 * the server sends the body and closes the connection (no chunked
 * encoding, no keep-alive).  The host is an IPv4 address (no resolver at
 * boot); no redirects, no TLS.  The answer is untrusted: its size is
 * bounded by the caller, and it is parsed by lib/http.c (fuzzed on the
 * host), which also reads Content-Length and chunked bodies, so an answer
 * whose body is whole ends the GET even if the server keeps the
 * connection open.
 */
#include "core/heap.h"
#include "core/kernel.h"
#include "net/lwip/net.h"
#include <lib/cmdline.h>
#include <lib/fmt.h>
#include <lib/http.h>

#include "lwip/ip_addr.h"
#include "lwip/tcp.h"

#define HTTP_PORT	80 /* RFC 9110 section 4.2.1 */
#define HTTP_PREFIX	"http://"
#define HTTP_HOST_MAX	16 /* "255.255.255.255" */
#define HTTP_REQ_MAX	512
#define HTTP_FIRST_CAP	4096
#define HTTP_STATUS_OK	200
#define HTTP_STATUS_404 404

/* One GET in flight; the callbacks run with the net lock held. */
struct http_get {
	struct tcp_pcb *pcb; /* NULL once lwIP freed it or we closed it */
	char req[HTTP_REQ_MAX];
	char *buf;		   /* the whole answer, headers included */
	struct http_response resp; /* its head, once parsed */
	long body_len;		   /* http_body's answer once whole, -EAGAIN before */
	size_t len, cap, max;
	bool connected; /* a reset before it is a refusal */
	bool done;
	int err;
};

/* The connection ends: closed by us or gone in lwIP (`abort`: aborted). */
static void http_end(struct http_get *g, int err, bool abort)
{
	if (g->pcb) {
		tcp_arg(g->pcb, NULL);
		tcp_recv(g->pcb, NULL);
		tcp_err(g->pcb, NULL);
		if (abort || tcp_close(g->pcb) != ERR_OK)
			tcp_abort(g->pcb);
		g->pcb = NULL;
	}
	if (!g->done)
		g->err = err;
	g->done = true;
}

/* Grow the answer's buffer to hold `more` bytes beyond its length. */
static int http_room(struct http_get *g, size_t more)
{
	size_t cap = g->cap ? g->cap : HTTP_FIRST_CAP;
	char *b;

	if (g->len + more > g->max)
		return -E2BIG;
	while (cap < g->len + more)
		cap *= 2;
	if (cap == g->cap)
		return 0;
	cap = MIN(cap, g->max);
	if (!(b = kmalloc(cap + 1)))
		return -ENOMEM;
	if (g->len)
		memcpy(b, g->buf, g->len);
	kfree(g->buf);
	g->buf = b;
	g->cap = cap;
	return 0;
}

static err_t http_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct http_get *g = arg;
	int e;

	if (!p) { /* the server closed: the answer is whole */
		http_end(g, 0, false);
		return ERR_OK;
	}
	if ((e = http_room(g, p->tot_len))) {
		pbuf_free(p);
		http_end(g, e, true);
		return ERR_ABRT;
	}
	pbuf_copy_partial(p, g->buf + g->len, p->tot_len, 0);
	g->len += p->tot_len;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	if ((e = http_parse_head(g->buf, g->len, &g->resp)) && e != -EAGAIN) {
		http_end(g, e, true); /* a malformed head: no need to wait for more */
		return ERR_ABRT;
	}
	if (!e && (g->body_len = http_body(&g->resp, g->buf, g->len, false)) != -EAGAIN)
		http_end(g, 0, false); /* whole, or a malformed body */
	return ERR_OK;
}

/* lwIP freed the pcb (reset, refused, out of memory). */
static void http_err(void *arg, err_t err)
{
	struct http_get *g = arg;

	g->pcb = NULL;
	if (err == ERR_RST && !g->connected)
		http_end(g, -ECONNREFUSED, false);
	else
		http_end(g, net_errno(err) ? net_errno(err) : -EIO, false);
}

static err_t http_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct http_get *g = arg;

	g->connected = true;
	if (tcp_write(pcb, g->req, strlen(g->req), TCP_WRITE_FLAG_COPY) != ERR_OK) {
		http_end(g, -ENOMEM, true);
		return ERR_ABRT;
	}
	tcp_output(pcb);
	return ERR_OK;
}

static bool http_done(void *arg)
{
	return ((struct http_get *)arg)->done;
}

/* Split "http://A.B.C.D[:PORT]PATH" into its address, port and path. */
static int http_parse_url(const char *url, ip_addr_t *ip, uint16_t *port, const char **path)
{
	char host[HTTP_HOST_MAX];
	const char *h = url + strlen(HTTP_PREFIX), *end;
	uint64_t p = HTTP_PORT;
	size_t hlen;

	if (strncmp(url, HTTP_PREFIX, strlen(HTTP_PREFIX)))
		return -EINVAL;
	hlen = strcspn(h, ":/");
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = 0;
	IP_SET_TYPE(ip, IPADDR_TYPE_V4);
	if (!ip4addr_aton(host, ip_2_ip4(ip)))
		return -EINVAL;
	end = h + hlen;
	if (*end == ':') {
		size_t plen = strcspn(end + 1, "/");
		if (parse_u64(end + 1, plen, &p) || !p || p > UINT16_MAX)
			return -EINVAL;
		end += 1 + plen;
	}
	*port = (uint16_t)p;
	*path = *end ? end : "/";
	return 0;
}

/* The body of the whole answer in g->buf: its offset and length, or
 * -ENOENT (404), -EIO (another status, truncated), -EPROTO (malformed). */
static long http_answer_body(struct http_get *g, size_t *off)
{
	long n = g->len ? http_parse_head(g->buf, g->len, &g->resp) : -EAGAIN;

	if (n)
		return n == -EAGAIN ? -EIO : n; /* closed within the head */
	if (g->resp.status == HTTP_STATUS_404)
		return -ENOENT;
	if (g->resp.status != HTTP_STATUS_OK)
		return -EIO;
	*off = g->resp.head_len;
	if (g->body_len != -EAGAIN) /* already found (a chunked body decoded) */
		return g->body_len;
	return http_body(&g->resp, g->buf, g->len, true);
}

/* Start the GET of `path` at `ip`:`port` (lock held): 0 or -errno. */
static int http_start(struct http_get *g, const ip_addr_t *ip, uint16_t port)
{
	if (!(g->pcb = tcp_new()))
		return -ENOMEM;
	tcp_arg(g->pcb, g);
	tcp_recv(g->pcb, http_recv);
	tcp_err(g->pcb, http_err);
	if (tcp_connect(g->pcb, ip, port, http_connected) != ERR_OK) {
		tcp_abort(g->pcb);
		g->pcb = NULL;
		return -ENOMEM;
	}
	return 0;
}

long net_http_get(const char *url, const char *name, char **body, size_t max, uint64_t timeout_ns)
{
	struct http_get *g = kzalloc(sizeof(*g));
	ip_addr_t ip;
	uint16_t port;
	const char *path;
	size_t off = 0;
	uint64_t flags;
	long n;

	*body = NULL;
	if (!g)
		return -ENOMEM;
	g->body_len = -EAGAIN;
	n = http_parse_url(url, &ip, &port, &path);
	if (!n && fmt_snprintf(g->req, sizeof(g->req), "GET %s%s HTTP/1.0\r\nHost: %s\r\n\r\n",
			       path, name, ip4addr_ntoa(ip_2_ip4(&ip))) >= (int)sizeof(g->req))
		n = -ENAMETOOLONG;
	g->max = max + HTTP_HEAD_MAX; /* the body's bound, and room for the head */
	flags = net_lock();
	if (!n)
		n = http_start(g, &ip, port);
	net_unlock(flags);
	if (!n && net_wait_boot(http_done, g, timeout_ns))
		n = -ETIMEDOUT;
	flags = net_lock();
	http_end(g, n, true); /* a timed-out GET is abandoned */
	net_unlock(flags);
	if (!n && !(n = g->err) && (n = http_answer_body(g, &off)) >= 0) {
		if ((size_t)n > max)
			n = -E2BIG;
		else if (!(*body = kmalloc((size_t)n + 1)))
			n = -ENOMEM;
		else {
			memcpy(*body, g->buf + off, (size_t)n);
			(*body)[n] = 0;
		}
	}
	kfree(g->buf);
	kfree(g);
	return n;
}
