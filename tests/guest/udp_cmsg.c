/*
 * Guest test, area net: the ancillary data of UDP recvmsg over loopback,
 * compared with Linux (man 7 ip, man 7 ipv6): IP_PKTINFO, IP_RECVTTL,
 * IP_RECVTOS on IPv4; IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS
 * on IPv6; the TTL, TOS, hop limit and traffic class a sender sets; a
 * control buffer too small (MSG_CTRUNC, the message cut) and none at all;
 * getsockopt of the options.
 */
#include "guest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>

#define WAIT_MS 5000 /* for a datagram over loopback */

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* A UDP socket of `family` bound to loopback, port 0, its address in `a`. */
static int bound(int family, union addr *a)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	socklen_t len = sizeof(*a);

	memset(a, 0, sizeof(*a));
	a->sa.sa_family = family;
	if (family == AF_INET)
		a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		a->in6.sin6_addr = in6addr_loopback;
	if (bind(fd, &a->sa, sizeof(*a)) || getsockname(fd, &a->sa, &len))
		printf("bind: %s\n", guest_errname(errno));
	return fd;
}

static void set(int fd, int level, int name, int v, const char *what)
{
	if (setsockopt(fd, level, name, &v, sizeof(v)))
		printf("setsockopt %s: %s\n", what, guest_errname(errno));
}

static void get(int fd, int level, int name, const char *what)
{
	int v = -1;
	socklen_t len = sizeof(v);
	int r = getsockopt(fd, level, name, &v, &len);
	printf("getsockopt %s: %s %d\n", what, guest_errname(r ? errno : 0), v);
}

/* One control message, decoded. */
static void show(const struct cmsghdr *c)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	const unsigned char *d = CMSG_DATA(c);

	printf("  cmsg level %d type %d len %zu:", c->cmsg_level, c->cmsg_type,
	       (size_t)c->cmsg_len);
	if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
	    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
		struct in_pktinfo pi;
		memcpy(&pi, d, sizeof(pi));
		printf(" ifindex %d spec_dst %s addr %s", pi.ipi_ifindex,
		       inet_ntop(AF_INET, &pi.ipi_spec_dst, a, sizeof(a)),
		       inet_ntop(AF_INET, &pi.ipi_addr, b, sizeof(b)));
	} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
		struct in6_pktinfo pi;
		memcpy(&pi, d, sizeof(pi));
		printf(" ifindex %d addr %s", pi.ipi6_ifindex,
		       inet_ntop(AF_INET6, &pi.ipi6_addr, a, sizeof(a)));
	} else if (c->cmsg_len == CMSG_LEN(1)) {
		printf(" byte %d", d[0]);
	} else if (c->cmsg_len == CMSG_LEN(sizeof(int))) {
		int v;
		memcpy(&v, d, sizeof(v));
		printf(" int %d", v);
	}
	printf("\n");
}

/* Send one datagram from `tx` to `to` and receive it on `rx` with `room`
 * bytes of control buffer (0: msg_control NULL); print what came. */
static void round_trip(int tx, int rx, const union addr *to, size_t room)
{
	union {
		char buf[512];
		struct cmsghdr align;
	} ctl;
	char data[16];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct pollfd p = { .fd = rx, .events = POLLIN };

	memset(&ctl, 0, sizeof(ctl));
	mh.msg_control = room ? ctl.buf : NULL;
	mh.msg_controllen = room;
	if (sendto(tx, "ping", 4, 0, &to->sa, sizeof(*to)) != 4)
		printf("sendto: %s\n", guest_errname(errno));
	if (poll(&p, 1, WAIT_MS) != 1) {
		printf("nothing received\n");
		return;
	}
	long n = recvmsg(rx, &mh, 0);
	printf("room %zu: received %ld, controllen %zu, ctrunc %d\n", room, n,
	       (size_t)mh.msg_controllen, !!(mh.msg_flags & MSG_CTRUNC));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		show(c);
}

/* A socket option: on the receiver (`rx`) or the sender, and its value. */
struct opt {
	bool rx;
	int level, name, value;
	const char *what;
};

/* Set each option, then read it back. */
static void apply(int rx, int tx, const struct opt *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		set(o[i].rx ? rx : tx, o[i].level, o[i].name, o[i].value, o[i].what);
		get(o[i].rx ? rx : tx, o[i].level, o[i].name, o[i].what);
	}
}

static const struct opt v4_opts[] = {
	{ true, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO" },
	{ true, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL" },
	{ true, IPPROTO_IP, IP_RECVTOS, 1, "IP_RECVTOS" },
	{ false, IPPROTO_IP, IP_TTL, 33, "IP_TTL" },
	{ false, IPPROTO_IP, IP_TOS, 0x10, "IP_TOS" },
};
static const struct opt v4_off[] = {
	{ true, IPPROTO_IP, IP_PKTINFO, 0, "IP_PKTINFO off" },
	{ true, IPPROTO_IP, IP_RECVTOS, 0, "IP_RECVTOS off" },
};
static const struct opt v6_opts[] = {
	{ true, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO" },
	{ true, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT" },
	{ true, IPPROTO_IPV6, IPV6_RECVTCLASS, 1, "IPV6_RECVTCLASS" },
	{ false, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 7, "IPV6_UNICAST_HOPS" },
	{ false, IPPROTO_IPV6, IPV6_TCLASS, 0x20, "IPV6_TCLASS" },
};

static void ipv4(void)
{
	union addr a;
	int rx = bound(AF_INET, &a), tx = socket(AF_INET, SOCK_DGRAM, 0);

	printf("IPv4\n");
	get(rx, IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO before");
	get(tx, IPPROTO_IP, IP_TTL, "IP_TTL default");
	apply(rx, tx, v4_opts, sizeof(v4_opts) / sizeof(v4_opts[0]));
	round_trip(tx, rx, &a, 512);
	round_trip(tx, rx, &a, CMSG_SPACE(sizeof(int))); /* IP_PKTINFO is cut */
	round_trip(tx, rx, &a, CMSG_SPACE(sizeof(struct in_pktinfo)) + 4);
	round_trip(tx, rx, &a, 0);
	apply(rx, tx, v4_off, sizeof(v4_off) / sizeof(v4_off[0]));
	round_trip(tx, rx, &a, 512);
	close(rx);
	close(tx);
}

static void ipv6(void)
{
	union addr a;
	int rx = bound(AF_INET6, &a), tx = socket(AF_INET6, SOCK_DGRAM, 0);

	printf("IPv6\n");
	get(tx, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS default");
	apply(rx, tx, v6_opts, sizeof(v6_opts) / sizeof(v6_opts[0]));
	round_trip(tx, rx, &a, 512);
	round_trip(tx, rx, &a, CMSG_SPACE(sizeof(struct in6_pktinfo)) + 8);
	round_trip(tx, rx, &a, 0);
	close(rx);
	close(tx);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ipv4();
	ipv6();
	return 0;
}
