/*
 * The network stack's boot self-tests, for tests/cli/lwip.sh (kernel option
 * monos.nettest, bootinfo.h):
 *   dhcp  ask for a lease through lwIP's DHCP client and log it:
 *         "monos: nettest: dhcp lease 10.0.2.15 gateway 10.0.2.2"
 *   tcp   connect with the raw API to 10.0.2.2:PORT (monos.nettest.port;
 *         user networking forwards it to the host's 127.0.0.1:PORT), send
 *         "hello from monos\n", read one line back and log it:
 *         "monos: nettest: tcp reply: LINE"
 *   tcp6  the same over IPv6 to fec0::2 (the host's ::1) once SLAAC has
 *         given an address: "monos: nettest: tcp6 reply: LINE"
 *   loop  the same against an echo server on 127.0.0.1 port 7 inside lwIP:
 *         "monos: nettest: loop reply: hello from monos"
 * Either logs its failure instead, and the boot goes on.  Both halt between
 * interrupts while they wait (net_wait_boot): nothing polls.
 */
#include "core/kernel.h"
#include "core/time.h"
#include "net/lwip/net.h"
#include <lib/cmdline.h>

#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/tcp.h"

#define NETTEST_WAIT_NS	  (10 * NSEC_PER_SEC)
#define NETTEST_SERVER	  "10.0.2.2" /* slirp forwards it to the host's 127.0.0.1 */
#define NETTEST_SERVER6	  "fec0::2"  /* slirp's IPv6 host: the host's ::1 */
#define NETTEST_LOOP_PORT 7	     /* echo */
#define ERR_REFUSED	  (-100)     /* ours, beside lwIP's err_t values */
#define NETTEST_MESSAGE	  "hello from monos\n"
#define NETTEST_LINE_MAX  128
#define NETTEST_ADDR_MAX  48

/* The TCP exchange's state; the callbacks run under the net lock. */
struct nettest_tcp {
	struct tcp_pcb *pcb;
	char line[NETTEST_LINE_MAX];
	size_t len;
	bool connected; /* the handshake completed */
	bool done;	/* a whole line arrived, or the connection ended */
	err_t err;	/* ERR_OK, or why it ended */
};

static void nettest_dhcp(void)
{
	char a[NETTEST_ADDR_MAX], g[NETTEST_ADDR_MAX];
	int err = net_dhcp_lease(NETTEST_WAIT_NS);

	if (err)
		klog("monos: nettest: dhcp failed: %s\n", errno_name(-err));
	else
		klog("monos: nettest: dhcp lease %s gateway %s\n",
		     net_if_addr_str(a, sizeof(a), false), net_if_addr_str(g, sizeof(g), true));
}

/* tcp_recv: collect bytes up to the first newline. */
static err_t nettest_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct nettest_tcp *t = arg;

	if (!p) { /* the server closed */
		t->done = true;
		return ERR_OK;
	}
	for (struct pbuf *q = p; q && !t->done; q = q->next)
		for (uint16_t i = 0; i < q->len && !t->done; i++) {
			char c = ((char *)q->payload)[i];
			if (c == '\n' || t->len == sizeof(t->line) - 1)
				t->done = true;
			else
				t->line[t->len++] = c;
		}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

/* tcp_err: the pcb is already freed by lwIP. */
static void nettest_err(void *arg, err_t err)
{
	struct nettest_tcp *t = arg;

	t->pcb = NULL;
	t->err = err;
	/* A reset answering our SYN is a refusal (Linux: ECONNREFUSED). */
	if (err == ERR_RST && !t->connected)
		t->err = ERR_REFUSED;
	t->done = true;
}

/* tcp_connect's callback: send the message. */
static err_t nettest_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct nettest_tcp *t = arg;
	err_t e;

	t->connected = true;
	e = tcp_write(pcb, NETTEST_MESSAGE, sizeof(NETTEST_MESSAGE) - 1, TCP_WRITE_FLAG_COPY);

	if (e == ERR_OK)
		e = tcp_output(pcb);
	if (e != ERR_OK) {
		t->err = e;
		t->done = true;
	}
	return ERR_OK;
}

static bool nettest_tcp_done(void *arg)
{
	return ((struct nettest_tcp *)arg)->done;
}

/* Open a connection to `server`; lock held.  Returns an lwIP error. */
static err_t nettest_tcp_open(struct nettest_tcp *t, const ip_addr_t *server, uint16_t port)
{
	err_t e;

	t->pcb = tcp_new_ip_type(IP_GET_TYPE(server));
	if (!t->pcb)
		return ERR_MEM;
	tcp_arg(t->pcb, t);
	tcp_recv(t->pcb, nettest_recv);
	tcp_err(t->pcb, nettest_err);
	e = tcp_connect(t->pcb, server, port, nettest_connected);
	if (e != ERR_OK) {
		tcp_abort(t->pcb);
		t->pcb = NULL;
	}
	return e;
}

/* Close what is still ours (abort if lwIP cannot queue a FIN); lock held. */
static void nettest_tcp_close(struct nettest_tcp *t)
{
	if (!t->pcb)
		return;
	tcp_arg(t->pcb, NULL);
	tcp_recv(t->pcb, NULL);
	tcp_err(t->pcb, NULL);
	if (tcp_close(t->pcb) != ERR_OK)
		tcp_abort(t->pcb);
	t->pcb = NULL;
}

/* The exchange with `name`:`port`, logged under the test's name `what`. */
static void nettest_tcp(const char *what, const char *name, uint16_t port)
{
	struct nettest_tcp t = { .err = ERR_OK };
	ip_addr_t server;
	uint64_t flags;
	err_t e;
	int err = 0;

	ipaddr_aton(name, &server);
	flags = net_lock();
	e = nettest_tcp_open(&t, &server, port);
	net_unlock(flags);
	if (e == ERR_OK)
		err = net_wait_boot(nettest_tcp_done, &t, NETTEST_WAIT_NS);
	flags = net_lock();
	nettest_tcp_close(&t);
	net_unlock(flags);
	if (e == ERR_OK)
		e = t.err;
	if (e != ERR_OK)
		klog("monos: nettest: %s to %s port %u failed: %s\n", what, name, port,
		     e == ERR_REFUSED ? "ECONNREFUSED" : errno_name(-net_errno(e)));
	else if (err || !t.len)
		klog("monos: nettest: %s to %s port %u: no reply\n", what, name, port);
	else
		klog("monos: nettest: %s reply: %.*s\n", what, (int)t.len, t.line);
}

/* Whether the interface has a preferred IPv6 address beyond link-local
 * (SLAAC from the router's advertisement, duplicate detection done). */
static bool nettest_ip6_global(void *arg)
{
	struct netif *n = netif_default;

	for (int i = 1; n && i < LWIP_IPV6_NUM_ADDRESSES; i++)
		if (ip6_addr_ispreferred(netif_ip6_addr_state(n, i))) {
			*(int *)arg = i;
			return true;
		}
	return false;
}

/* IPv6: wait for SLAAC, log the address, then the TCP exchange. */
static void nettest_tcp6(uint16_t port)
{
	char buf[NETTEST_ADDR_MAX];
	int i = 0;

	if (net_wait_boot(nettest_ip6_global, &i, NETTEST_WAIT_NS)) {
		klog("monos: nettest: no IPv6 address from a router advertisement\n");
		return;
	}
	klog("monos: nettest: ipv6 address %s\n",
	     ip6addr_ntoa_r(netif_ip6_addr(netif_default, i), buf, sizeof(buf)));
	nettest_tcp("tcp6", NETTEST_SERVER6, port);
}

/* The loopback echo server's receive: send every byte back; close at EOF. */
static err_t nettest_echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	if (!p) {
		tcp_close(pcb);
		return ERR_OK;
	}
	for (struct pbuf *q = p; q; q = q->next)
		tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY);
	tcp_output(pcb);
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static err_t nettest_echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	tcp_recv(pcb, nettest_echo_recv);
	return ERR_OK;
}

/* Loopback: an echo server on 127.0.0.1 and a client of it, both inside
 * lwIP, so the looped-back packets must flow through netif_poll. */
static void nettest_loop(void)
{
	uint64_t flags = net_lock();
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4), *lpcb = NULL;

	if (pcb && tcp_bind(pcb, IP4_ADDR_ANY, NETTEST_LOOP_PORT) == ERR_OK)
		lpcb = tcp_listen(pcb); /* frees pcb */
	else if (pcb)
		tcp_abort(pcb);
	if (lpcb)
		tcp_accept(lpcb, nettest_echo_accept);
	net_unlock(flags);
	if (!lpcb) {
		klog("monos: nettest: loop: cannot listen\n");
		return;
	}
	nettest_tcp("loop", "127.0.0.1", NETTEST_LOOP_PORT);
	flags = net_lock();
	tcp_close(lpcb);
	net_unlock(flags);
}

/* The value of monos.nettest.port, or 0 (logged) if absent or malformed. */
static uint16_t nettest_port(const char *cmdline)
{
	size_t len;
	const char *v = cmdline_find(cmdline, "monos.nettest.port", &len);
	uint64_t port;

	if (!v || parse_u64(v, len, &port) || !port || port > 0xffff) {
		klog("monos: nettest: tcp needs monos.nettest.port=1..65535\n");
		return 0;
	}
	return (uint16_t)port;
}

/* Whether the option's value `v` (`len` bytes) is `word`. */
static bool nettest_is(const char *v, size_t len, const char *word)
{
	return len == strlen(word) && !memcmp(v, word, len);
}

void net_selftest(const char *cmdline, bool have_device)
{
	size_t len;
	const char *v = cmdline_find(cmdline, "monos.nettest", &len);
	uint16_t port;

	if (!v || !(nettest_is(v, len, "dhcp") || nettest_is(v, len, "tcp") ||
		    nettest_is(v, len, "tcp6") || nettest_is(v, len, "loop")))
		return;			/* absent, or virtio_net.c's own test (monos.nettest=1) */
	if (nettest_is(v, len, "loop")) /* needs no device */
		nettest_loop();
	else if (!have_device)
		klog("monos: nettest: no network device\n");
	else if (nettest_is(v, len, "dhcp"))
		nettest_dhcp();
	else if ((port = nettest_port(cmdline)) && nettest_is(v, len, "tcp"))
		nettest_tcp("tcp", NETTEST_SERVER, port);
	else if (port)
		nettest_tcp6(port);
}
