/*
 * Guest test, area net: the unspecified address as a destination means the
 * local host, as Linux routes it: connect or sendto 0.0.0.0 reaches
 * 127.0.0.1, and :: reaches ::1 (etcd's gRPC gateway dials 0.0.0.0).  TCP
 * and UDP, IPv4, IPv6 and v4-mapped, over loopback; each line prints the
 * call's result and the peer address the other end sees.
 */
#include "guest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/time.h>

#define WAIT_MS 5000 /* for a datagram over loopback */

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

/* The address part of `a`, as text. */
static const char *ntop(const union addr *a)
{
	static char buf[INET6_ADDRSTRLEN];
	if (a->sa.sa_family == AF_INET)
		return inet_ntop(AF_INET, &a->in.sin_addr, buf, sizeof(buf));
	return inet_ntop(AF_INET6, &a->in6.sin6_addr, buf, sizeof(buf));
}

/* A socket of `family` and `type` bound to the wildcard, port 0; its
 * address in `a` with the port the kernel chose. */
static int bound(int family, int type, union addr *a)
{
	int fd = socket(family, type, 0);
	socklen_t len = sizeof(*a);

	memset(a, 0, sizeof(*a));
	a->sa.sa_family = family;
	if (fd < 0 || bind(fd, &a->sa, family == AF_INET ? sizeof(a->in) : sizeof(a->in6)) ||
	    getsockname(fd, &a->sa, &len)) {
		printf("setup %d/%d: %s\n", family, type, guest_errname(errno));
		return -1;
	}
	return fd;
}

/* The destination: the wildcard address `text` of the family of `a`, at
 * the port of `a`. */
static socklen_t dest(union addr *d, const union addr *a, const char *text)
{
	memset(d, 0, sizeof(*d));
	d->sa.sa_family = a->sa.sa_family;
	if (a->sa.sa_family == AF_INET) {
		d->in.sin_port = a->in.sin_port;
		inet_pton(AF_INET, text, &d->in.sin_addr);
		return sizeof(d->in);
	}
	d->in6.sin6_port = a->in6.sin6_port;
	inet_pton(AF_INET6, text, &d->in6.sin6_addr);
	return sizeof(d->in6);
}

static void tcp_case(int family, const char *text)
{
	union addr a, d, peer;
	socklen_t len = sizeof(peer), dl;
	int l = bound(family, SOCK_STREAM, &a), c, s;
	struct timeval wait = { WAIT_MS / 1000, 0 };
	struct pollfd p = { .fd = l, .events = POLLIN };
	char byte = 0;

	if (l < 0 || listen(l, 1))
		return;
	c = socket(family, SOCK_STREAM, 0);
	/* a connect that goes nowhere fails in WAIT_MS instead of hanging */
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof(wait));
	dl = dest(&d, &a, text);
	printf("tcp connect %s: %s", text, guest_errname(connect(c, &d.sa, dl) ? errno : 0));
	if (!getpeername(c, &peer.sa, &len))
		printf(", peer %s", ntop(&peer));
	s = poll(&p, 1, WAIT_MS) == 1 ? accept(l, &peer.sa, &(socklen_t){ sizeof(peer) }) : -1;
	if (s >= 0) {
		printf(", accepted from %s", ntop(&peer));
		if (write(c, "x", 1) == 1 && read(s, &byte, 1) == 1)
			printf(", data %c", byte);
		close(s);
	}
	printf("\n");
	close(c);
	close(l);
}

/* A datagram to `text`, by sendto or (`connected`) connect and send. */
static void udp_case(int family, const char *text, bool connected)
{
	union addr a, d, from;
	socklen_t fl = sizeof(from), dl;
	int r = bound(family, SOCK_DGRAM, &a), c = socket(family, SOCK_DGRAM, 0);
	struct pollfd p = { .fd = r, .events = POLLIN };
	char buf[8];
	long n;

	if (r < 0)
		return;
	dl = dest(&d, &a, text);
	if (connected) {
		printf("udp connect %s: %s", text,
		       guest_errname(connect(c, &d.sa, dl) ? errno : 0));
		n = send(c, "dgram", 5, 0);
	} else {
		n = sendto(c, "dgram", 5, 0, &d.sa, dl);
		printf("udp sendto %s", text);
	}
	printf(": sent %ld", n < 0 ? -(long)errno : n);
	if (poll(&p, 1, WAIT_MS) == 1 && (n = recvfrom(r, buf, sizeof(buf), 0, &from.sa, &fl)) > 0)
		printf(", received %ld from %s", n, ntop(&from));
	printf("\n");
	close(c);
	close(r);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	tcp_case(AF_INET, "0.0.0.0");
	tcp_case(AF_INET6, "::");
	tcp_case(AF_INET6, "::ffff:0.0.0.0");
	udp_case(AF_INET, "0.0.0.0", false);
	udp_case(AF_INET, "0.0.0.0", true);
	udp_case(AF_INET6, "::", false);
	udp_case(AF_INET6, "::", true);
	return 0;
}
