/*
 * Guest test, area net: UDP-Lite (RFC 3828, man 7 udplite) over loopback,
 * compared with Linux: IPPROTO_UDPLITE sockets for IPv4 and IPv6, the
 * checksum coverage options (UDPLITE_SEND_CSCOV, UDPLITE_RECV_CSCOV) and
 * how Linux rounds them, a receiver that drops datagrams covered less than
 * it asks, and the options refused on a plain UDP socket.
 */
#include "guest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#define SOL_UDPLITE_	   136 /* musl names it SOL_UDPLITE, glibc not */
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11
#define WAIT_MS		   1000				      /* for a datagram that should come */
#define PAYLOAD		   "0123456789abcdefghijklmnopqrstuv" /* 32 bytes */

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

static void cscov(int fd, int name, int v)
{
	int got = -1;
	socklen_t len = sizeof(got);
	int r = setsockopt(fd, SOL_UDPLITE_, name, &v, sizeof(v));

	printf("  %s %d: %s", name == UDPLITE_SEND_CSCOV ? "send_cscov" : "recv_cscov", v,
	       guest_errname(r ? errno : 0));
	if (!getsockopt(fd, SOL_UDPLITE_, name, &got, &len))
		printf(", now %d", got);
	printf("\n");
}

/* Send PAYLOAD from `tx` to `to`; print whether `rx` got it. */
static void deliver(int tx, int rx, const union addr *to, const char *what)
{
	struct pollfd p = { .fd = rx, .events = POLLIN };
	char buf[64];
	long n = sendto(tx, PAYLOAD, sizeof(PAYLOAD) - 1, 0, &to->sa, sizeof(*to));

	printf("  %s: sent %ld", what, n < 0 ? -(long)errno : n);
	if (poll(&p, 1, WAIT_MS) == 1 && (n = recv(rx, buf, sizeof(buf), 0)) > 0)
		printf(", received %ld%s\n", n,
		       memcmp(buf, PAYLOAD, sizeof(PAYLOAD) - 1) ? " (BAD data)" : "");
	else
		printf(", nothing received\n");
}

static void family(int fam)
{
	union addr a = { .sa.sa_family = fam };
	socklen_t len = sizeof(a);
	int rx = socket(fam, SOCK_DGRAM, IPPROTO_UDPLITE),
	    tx = socket(fam, SOCK_DGRAM, IPPROTO_UDPLITE);
	int proto = 0;

	printf("%s\n", fam == AF_INET ? "IPv4" : "IPv6");
	if (fam == AF_INET)
		a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		a.in6.sin6_addr = in6addr_loopback;
	if (rx < 0 || tx < 0 || bind(rx, &a.sa, sizeof(a)) || getsockname(rx, &a.sa, &len)) {
		printf("  setup: %s\n", guest_errname(errno));
		return;
	}
	getsockopt(rx, SOL_SOCKET, SO_PROTOCOL, &proto, &(socklen_t){ sizeof(proto) });
	printf("  SO_PROTOCOL %d\n", proto);
	deliver(tx, rx, &a, "full coverage");
	cscov(tx, UDPLITE_SEND_CSCOV, 20);
	deliver(tx, rx, &a, "20 bytes covered, no receive minimum");
	cscov(rx, UDPLITE_RECV_CSCOV, 30);
	deliver(tx, rx, &a, "20 bytes covered, 30 required");
	cscov(rx, UDPLITE_RECV_CSCOV, 16);
	deliver(tx, rx, &a, "20 bytes covered, 16 required");
	cscov(tx, UDPLITE_SEND_CSCOV, 0);
	deliver(tx, rx, &a, "full coverage, 16 required");
	cscov(rx, UDPLITE_RECV_CSCOV, 0);
	cscov(tx, UDPLITE_SEND_CSCOV, 12);
	deliver(tx, rx, &a, "12 bytes covered, full coverage required");
	close(rx);
	close(tx);
}

int main(void)
{
	int udp = socket(AF_INET, SOCK_DGRAM, 0),
	    lite = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("coverage rounding\n");
	cscov(lite, UDPLITE_SEND_CSCOV, 3);
	cscov(lite, UDPLITE_SEND_CSCOV, -5);
	cscov(lite, UDPLITE_SEND_CSCOV, 70000);
	cscov(lite, UDPLITE_RECV_CSCOV, 9);
	printf("plain UDP\n");
	cscov(udp, UDPLITE_SEND_CSCOV, 20);
	family(AF_INET);
	family(AF_INET6);
	return 0;
}
