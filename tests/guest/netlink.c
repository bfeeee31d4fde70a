/*
 * Guest test, area netlink: route netlink as getifaddrs, if_nameindex and
 * if_nametoindex use it, plus raw NETLINK_ROUTE requests: bind and
 * getsockname's port id, an RTM_GETLINK dump read with MSG_PEEK|MSG_TRUNC
 * first (glibc's way), replies carrying the request's sequence number and
 * our port id and ending in NLMSG_DONE, an acknowledged NOOP, an unknown
 * request's EOPNOTSUPP, and the socket(2) checks.  The host has more
 * interfaces than monos, so only "lo" is looked at.
 *
 * `netlink eth0` (run only inside monos, by tests/cli/netlink.sh) prints
 * eth0's getifaddrs entries instead: its IPv4 address, netmask, broadcast
 * address and MAC, and its index.
 */
#include "guest.h"
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define BUF_SIZE 16384

/* The little of linux/netlink.h and linux/rtnetlink.h used here, written
 * out: musl-gcc has no kernel headers. */
#define NETLINK_ROUTE 0
#define NLMSG_NOOP    1
#define NLMSG_ERROR   2
#define NLMSG_DONE    3
#define NLM_F_REQUEST 0x1
#define NLM_F_ACK     0x4
#define NLM_F_DUMP    0x300
#define RTM_NEWLINK   16
#define RTM_GETLINK   18
#define IFLA_IFNAME   3
#define NLA_ALIGN(n)  (((n) + 3) & ~3u)

struct sockaddr_nl {
	sa_family_t nl_family;
	unsigned short nl_pad;
	uint32_t nl_pid, nl_groups;
};
struct nlmsghdr {
	uint32_t nlmsg_len;
	uint16_t nlmsg_type, nlmsg_flags;
	uint32_t nlmsg_seq, nlmsg_pid;
};
struct nlmsgerr {
	int error;
	struct nlmsghdr msg;
};
struct ifinfomsg {
	unsigned char ifi_family, pad;
	unsigned short ifi_type;
	int ifi_index;
	unsigned ifi_flags, ifi_change;
};
struct rtattr {
	unsigned short rta_len, rta_type;
};

/* Print eth0's entries (mode "eth0"). */
static int show_eth0(void)
{
	struct ifaddrs *ifa, *i;
	char a[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (getifaddrs(&ifa))
		return perror("getifaddrs"), 1;
	for (i = ifa; i; i = i->ifa_next) {
		if (strcmp(i->ifa_name, "eth0") || !i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a,
				  sizeof(a));
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_netmask)->sin_addr, m,
				  sizeof(m));
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_broadaddr)->sin_addr, b,
				  sizeof(b));
			printf("eth0 inet %s netmask %s broadcast %s flags %s\n", a, m, b,
			       (i->ifa_flags & (IFF_UP | IFF_BROADCAST)) == (IFF_UP | IFF_BROADCAST)
				       ? "up,broadcast"
				       : "other");
		} else if (i->ifa_addr->sa_family == AF_PACKET) {
			struct sockaddr_ll *ll = (struct sockaddr_ll *)i->ifa_addr;
			printf("eth0 link %02x:%02x:%02x:%02x:%02x:%02x\n", ll->sll_addr[0],
			       ll->sll_addr[1], ll->sll_addr[2], ll->sll_addr[3], ll->sll_addr[4],
			       ll->sll_addr[5]);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			printf("eth0 inet6 present\n");
		}
	}
	freeifaddrs(ifa);
	printf("eth0 index %u\n", if_nametoindex("eth0"));
	return 0;
}

static void getifaddrs_checks(void)
{
	struct ifaddrs *ifa, *i;
	int lo4 = 0, lo6 = 0, lolink = 0, mask8 = 0, loflags = 0;

	guest_check("getifaddrs", getifaddrs(&ifa) == 0);
	for (i = ifa; i; i = i->ifa_next) {
		if (strcmp(i->ifa_name, "lo") || !i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)i->ifa_addr;
			struct sockaddr_in *nm = (struct sockaddr_in *)i->ifa_netmask;
			lo4 |= sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
			mask8 |= nm && nm->sin_addr.s_addr == htonl(0xff000000);
			loflags |=
				(i->ifa_flags & (IFF_UP | IFF_LOOPBACK)) == (IFF_UP | IFF_LOOPBACK);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)i->ifa_addr;
			lo6 |= IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
		} else if (i->ifa_addr->sa_family == AF_PACKET) {
			lolink = 1;
		}
	}
	freeifaddrs(ifa);
	guest_check("lo has 127.0.0.1", lo4);
	guest_check("lo's netmask is 255.0.0.0", mask8);
	guest_check("lo is up and loopback", loflags);
	guest_check("lo has ::1", lo6);
	guest_check("lo has a link entry", lolink);
}

static void index_checks(void)
{
	unsigned idx = if_nametoindex("lo");
	char name[IF_NAMESIZE] = "";
	struct if_nameindex *ni, *p;
	int found = 0;

	guest_check("if_nametoindex(lo) > 0", idx > 0);
	guest_check("if_indextoname gives lo back",
		    if_indextoname(idx, name) && !strcmp(name, "lo"));
	guest_check("if_nametoindex(nosuch0) is 0", if_nametoindex("nosuch0") == 0);
	ni = if_nameindex();
	guest_check("if_nameindex", ni != NULL);
	for (p = ni; p && p->if_index; p++)
		found |= !strcmp(p->if_name, "lo") && p->if_index == idx;
	guest_check("if_nameindex lists lo with its index", found);
	if (ni)
		if_freenameindex(ni);

	/* The ioctls behind if_nametoindex, on an AF_INET socket too. */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r = { 0 };
	strcpy(r.ifr_name, "lo");
	guest_check("SIOCGIFINDEX", ioctl(s, SIOCGIFINDEX, &r) == 0 && r.ifr_ifindex == (int)idx);
	guest_check("SIOCGIFFLAGS: up, loopback",
		    ioctl(s, SIOCGIFFLAGS, &r) == 0 &&
			    (r.ifr_flags & (IFF_UP | IFF_LOOPBACK)) == (IFF_UP | IFF_LOOPBACK));
	guest_check("SIOCGIFADDR: 127.0.0.1",
		    ioctl(s, SIOCGIFADDR, &r) == 0 &&
			    ((struct sockaddr_in *)&r.ifr_addr)->sin_addr.s_addr ==
				    htonl(INADDR_LOOPBACK));
	strcpy(r.ifr_name, "nosuch0");
	guest_check_err("SIOCGIFINDEX nosuch0", ioctl(s, SIOCGIFINDEX, &r), ENODEV);
	close(s);
}

/* Send one request of `type` with `flags` and sequence `seq`; a 1-byte
 * family as the payload (struct rtgenmsg). */
static long send_req(int fd, int type, int flags, unsigned seq)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = { { sizeof(req), type, flags, seq, 0 }, { .ifi_family = AF_UNSPEC } };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	return sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel));
}

/* Whether an RTM_NEWLINK message is lo's, flagged loopback. */
static int link_is_lo(const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = (const void *)(h + 1);
	size_t off = sizeof(*h) + NLA_ALIGN(sizeof(*ifi));

	while (off + sizeof(struct rtattr) <= h->nlmsg_len) {
		const struct rtattr *a = (const void *)((const char *)h + off);
		if (a->rta_len < sizeof(*a) || off + a->rta_len > h->nlmsg_len)
			break;
		if (a->rta_type == IFLA_IFNAME && !strcmp((const char *)(a + 1), "lo"))
			return (ifi->ifi_flags & IFF_LOOPBACK) != 0;
		off += NLA_ALIGN(a->rta_len);
	}
	return 0;
}

/* Receive the replies to a dump until NLMSG_DONE; counts what it saw. */
static void read_dump(int fd, unsigned seq, unsigned pid, int *lo_seen, int *all_match, int *done)
{
	static char buf[BUF_SIZE];

	*lo_seen = *done = 0;
	*all_match = 1;
	while (!*done) {
		/* glibc's way: peek at the size first. */
		ssize_t want = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (want <= 0 || n != want) {
			*all_match = 0;
			return;
		}
		for (size_t off = 0; off + sizeof(struct nlmsghdr) <= (size_t)n;) {
			struct nlmsghdr *h = (void *)(buf + off);
			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > n - off)
				break;
			*all_match &= h->nlmsg_seq == seq && h->nlmsg_pid == pid;
			if (h->nlmsg_type == NLMSG_DONE) {
				*done = 1;
				break;
			}
			if (h->nlmsg_type == RTM_NEWLINK)
				*lo_seen |= link_is_lo(h);
			off += NLA_ALIGN(h->nlmsg_len);
		}
	}
}

/* The NLMSG_ERROR that answers the last request: its error, or 1. */
static int read_error(int fd)
{
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	struct nlmsghdr *h = (void *)buf;

	if (n < (ssize_t)(sizeof(*h) + sizeof(struct nlmsgerr)) || h->nlmsg_type != NLMSG_ERROR)
		return 1;
	return ((struct nlmsgerr *)(h + 1))->error;
}

static void raw_checks(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(sa);
	int lo, match, done;
	char c;

	guest_check("netlink socket", fd >= 0);
	guest_check("bind with port 0", bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	guest_check("getsockname: AF_NETLINK, a port id",
		    getsockname(fd, (struct sockaddr *)&sa, &len) == 0 && len == sizeof(sa) &&
			    sa.nl_family == AF_NETLINK && sa.nl_pid != 0);
	guest_check_err("nothing queued", recv(fd, &c, 1, MSG_DONTWAIT), EAGAIN);

	guest_check("RTM_GETLINK dump sent",
		    send_req(fd, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 77) > 0);
	read_dump(fd, 77, sa.nl_pid, &lo, &match, &done);
	guest_check("dump lists lo as loopback", lo);
	guest_check("replies carry our sequence and port id", match);
	guest_check("dump ends with NLMSG_DONE", done);
	guest_check_err("queue empty after the dump", recv(fd, &c, 1, MSG_DONTWAIT), EAGAIN);

	send_req(fd, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 78);
	guest_check("NOOP with NLM_F_ACK: an acknowledgement", read_error(fd) == 0);
	send_req(fd, 0x1000, NLM_F_REQUEST, 79);
	printf("unknown request -> %s\n", guest_errname(-read_error(fd)));

	/* A second socket gets a different port id. */
	int fd2 = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
	struct sockaddr_nl sa2 = { .nl_family = AF_NETLINK };
	len = sizeof(sa2);
	bind(fd2, (struct sockaddr *)&sa2, sizeof(sa2));
	getsockname(fd2, (struct sockaddr *)&sa2, &len);
	guest_check("second socket: another port id", sa2.nl_pid != 0 && sa2.nl_pid != sa.nl_pid);
	sa2.nl_pid = sa.nl_pid;
	int fd3 = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	guest_check_err("bind to a port in use", bind(fd3, (struct sockaddr *)&sa2, sizeof(sa2)),
			EADDRINUSE);
	close(fd3);
	close(fd2);
	close(fd);
	printf("SOCK_STREAM netlink -> %s\n",
	       guest_errname(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE) < 0 ? errno : 0));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "eth0"))
		return show_eth0();
	getifaddrs_checks();
	index_checks();
	raw_checks();
	return guest_finish();
}
