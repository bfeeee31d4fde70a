/*
 * A container's network namespace joined by its instance (contracts in
 * oci.h), as Kata Containers' "tcfilter" model does it: the runtime
 * enters the namespace (setns) before the monitor is forked, so the
 * monitor and QEMU live in it; a tap device is made there and mirrored to
 * the namespace's interface (eth0) by two tc rules, each redirecting
 * everything that arrives on one to the other's egress; the guest takes
 * eth0's IPv4 address, prefix and gateway (`monos run --net tap:NAME --ip
 * --gateway`).  The container manager's addresses, routes and published
 * ports (podman's -p: DNAT to the address on eth0) then reach the guest
 * unchanged.  Everything made lives in the namespace and goes with it;
 * oci_net_leave() removes the tap before that.
 *
 * The guest's NIC takes eth0's MAC address (`monos run --mac`), so that
 * the guest answers for the address the namespace's neighbours know, as
 * under runc.  Not done: IPv6 addresses are not passed on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci.h"

#define NET_TUN_DEV    "/dev/net/tun"
#define NET_ROUTE_FILE "/proc/self/net/route" /* the namespace's IPv4 routes */
#define NET_RTF_UP     0x0001		      /* linux/route.h */
#define NET_RTF_GW     0x0002

static int net_fail(struct oci_ctx *x, const char *what, const char *name)
{
	return oci_config_fail(x, "network namespace: %s %s: %s", what, name, strerror(errno));
}

/* The first interface but loopback with an IPv4 address: its name,
 * address and prefix length.  0, or -1 when there is none (an empty
 * namespace: the container has no network). */
static int net_find_if(char *name, char *addr, int *prefix)
{
	struct ifaddrs *all, *a;
	int rc = -1;

	if (getifaddrs(&all) < 0)
		return -1;
	for (a = all; a && rc; a = a->ifa_next) {
		uint32_t mask;

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET ||
		    (a->ifa_flags & IFF_LOOPBACK) || !a->ifa_netmask ||
		    strlen(a->ifa_name) >= IFNAMSIZ)
			continue;
		snprintf(name, IFNAMSIZ, "%s", a->ifa_name);
		inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, addr,
			  INET_ADDRSTRLEN);
		mask = ntohl(((struct sockaddr_in *)a->ifa_netmask)->sin_addr.s_addr);
		*prefix = __builtin_popcount(mask);
		rc = 0;
	}
	freeifaddrs(all);
	return rc;
}

/* The default route's gateway through @ifname, or "" (none). */
static void net_find_gateway(const char *ifname, char *gw)
{
	FILE *f = fopen(NET_ROUTE_FILE, "re");
	char line[256], dev[IFNAMSIZ + 1];
	unsigned dst, via, flags;

	gw[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%16s %x %x %x", dev, &dst, &via, &flags) == 4 && dst == 0 &&
		    (flags & (NET_RTF_UP | NET_RTF_GW)) == (NET_RTF_UP | NET_RTF_GW) &&
		    !strcmp(dev, ifname)) {
			struct in_addr in = { via }; /* the file has it in network order */

			inet_ntop(AF_INET, &in, gw, INET_ADDRSTRLEN);
			break;
		}
	if (f)
		fclose(f);
}

/* @ifname's Ethernet address as "xx:xx:xx:xx:xx:xx" into @mac (18 bytes). */
static int net_find_mac(struct oci_ctx *x, const char *ifname, char *mac)
{
	struct ifreq ifr = { 0 };
	const unsigned char *a = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		if (s >= 0)
			close(s);
		return net_fail(x, "read the MAC address of", ifname);
	}
	close(s);
	snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
	return 0;
}

/* Make persistent tap @name in this namespace and bring it up. */
static int net_make_tap(struct oci_ctx *x, const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = open(NET_TUN_DEV, O_RDWR | O_CLOEXEC), s;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		if (fd >= 0)
			close(fd);
		return net_fail(x, "make tap", name);
	}
	close(fd);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return net_fail(x, "bring up", name);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		close(s);
		return net_fail(x, "bring up", name);
	}
	close(s);
	return 0;
}

/* Run `tc ARGS...` (iproute2) in this namespace: 0 or -1 (said). */
static int net_tc(struct oci_ctx *x, char *const argv[])
{
	int ws;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execvp("tc", argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws))
		return oci_config_fail(x,
				       "network namespace: tc %s %s %s failed (is iproute2 "
				       "installed?)",
				       argv[1], argv[2], argv[4]);
	return 0;
}

/* Everything arriving on @from leaves by @to (Kata's tcfilter rules). */
static int net_mirror(struct oci_ctx *x, const char *from, const char *to)
{
	char *qdisc[] = { "tc", "qdisc", "add", "dev", (char *)from, "ingress", NULL };
	char *filter[] = { "tc",    "filter",	"add",	  "dev",    (char *)from, "parent",
			   "ffff:", "protocol", "all",	  "u32",    "match",	  "u8",
			   "0",	    "0",	"action", "mirred", "egress",	  "redirect",
			   "dev",   (char *)to, NULL };

	return net_tc(x, qdisc) ?: net_tc(x, filter);
}

int oci_net_join(struct oci_config *c, const char *id, char *err, size_t errlen)
{
	struct oci_ctx x = { c, err, errlen };
	char ifname[IFNAMSIZ], addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	int fd, prefix;

	(void)id;
	if (!c->netns)
		return 0;
	fd = open(c->netns, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		if (fd >= 0)
			close(fd);
		return net_fail(&x, "join", c->netns);
	}
	close(fd);
	if (c->sandbox)
		return 0; /* the Pod's application container takes the interface */
	if (if_nametoindex(OCI_NET_TAP))
		return oci_config_fail(&x,
				       "network namespace %s already has a monos container (its "
				       "%s): a Pod holds one monos container, one VM cannot "
				       "share its network interface with another yet",
				       c->netns, OCI_NET_TAP);
	if (net_find_if(ifname, addr, &prefix) < 0)
		return 0; /* no interface with an address: no network, as in the namespace */
	net_find_gateway(ifname, gw);
	if (net_find_mac(&x, ifname, c->net_mac))
		return -1;
	snprintf(c->net_tap, sizeof(c->net_tap), "%s", OCI_NET_TAP);
	if (net_make_tap(&x, c->net_tap) || net_mirror(&x, ifname, c->net_tap) ||
	    net_mirror(&x, c->net_tap, ifname))
		return -1;
	snprintf(c->net_ip, sizeof(c->net_ip), "%s/%d", addr, prefix);
	snprintf(c->net_gateway, sizeof(c->net_gateway), "%s", gw);
	return 0;
}

void oci_net_leave(const char *netns)
{
	struct ifreq ifr = { 0 };
	int fd = netns ? open(netns, O_RDONLY | O_CLOEXEC) : -1;

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	/* Attach to the persistent tap and drop its persistence: it goes
	 * when this descriptor closes (QEMU has ended by now). */
	fd = open(NET_TUN_DEV, O_RDWR | O_CLOEXEC);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", OCI_NET_TAP);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) == 0)
		ioctl(fd, TUNSETPERSIST, 0);
	if (fd >= 0)
		close(fd);
}
