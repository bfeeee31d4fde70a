/*
 * Network interfaces as Linux programs see them, and the netlink socket
 * family that lists them.  ifaces.c holds the list ("lo" always, "eth0"
 * while a network device is up) and the SIOCGIF* ioctls any socket answers;
 * netlink.c holds AF_NETLINK with NETLINK_ROUTE, answering the RTM_GETLINK
 * and RTM_GETADDR requests of getifaddrs, if_nameindex and `ip`.
 *
 * Layouts and numbers are Linux's uapi (linux/netlink.h, linux/rtnetlink.h,
 * linux/if_link.h, linux/if_addr.h, linux/if.h, linux/if_arp.h), written out
 * here: the kernel is built without the host's headers.
 */
#ifndef NET_NETLINK_H
#define NET_NETLINK_H

#include <stdbool.h>
#include <stdint.h>
#include "net/socket.h"

#define AF_NETLINK 16
#define IFNAMSIZ   16

/* Interface flags (linux/if.h). */
#define IFF_UP	      0x1
#define IFF_BROADCAST 0x2
#define IFF_LOOPBACK  0x8
#define IFF_RUNNING   0x40
#define IFF_MULTICAST 0x1000
#define IFF_LOWER_UP  0x10000

/* Link types (linux/if_arp.h). */
#define ARPHRD_ETHER	1
#define ARPHRD_LOOPBACK 772

/* Address scopes (linux/rtnetlink.h). */
#define RT_SCOPE_UNIVERSE 0
#define RT_SCOPE_LINK	  253
#define RT_SCOPE_HOST	  254

#define IFACE_MAX	 2 /* lo and eth0 */
#define IFACE_ADDR6_MAX	 3
#define IFACE_HWADDR_LEN 6
#define IFACE_TXQLEN	 1000 /* what Linux gives both interfaces */

/* One IPv6 address of an interface. */
struct iface_addr6 {
	uint8_t addr[16];
	uint8_t prefix, scope;
};

/* One interface: the link and its addresses (network byte order). */
struct iface {
	int index; /* 1: lo, 2: eth0 */
	char name[IFNAMSIZ];
	uint16_t type;	/* ARPHRD_* */
	uint32_t flags; /* IFF_* */
	uint32_t mtu;
	uint8_t operstate; /* IF_OPER_* (linux/if.h) */
	uint8_t hwaddr[IFACE_HWADDR_LEN], hwbcast[IFACE_HWADDR_LEN];
	bool has_ip4;
	uint8_t ip4[4], bcast4[4], prefix4, scope4;
	unsigned n_ip6;
	struct iface_addr6 ip6[IFACE_ADDR6_MAX];
};

/*
 * ifaces_list - the interfaces as they are now, lowest index first, into
 * `out` (room for IFACE_MAX).  Returns how many.  Process context, no lock
 * held (it asks lwIP).
 */
int ifaces_list(struct iface out[IFACE_MAX]);

/*
 * ifaces_ioctl - the interface ioctls every socket answers (SIOCGIFNAME,
 * SIOCGIFINDEX, SIOCGIFFLAGS, SIOCGIFMTU, SIOCGIFTXQLEN, SIOCGIFHWADDR, SIOCGIFADDR,
 * SIOCGIFNETMASK, SIOCGIFBRDADDR, SIOCGIFCONF) on the user's struct ifreq
 * or ifconf at `arg`.  Returns 0 or -errno (-ENODEV: no such interface,
 * -EADDRNOTAVAIL: no IPv4 address, -EFAULT), or -ENOTTY when `cmd` is none
 * of them.  Process context.
 */
long ifaces_ioctl(unsigned cmd, uint64_t arg);

/* The AF_NETLINK family (netlink.c), for socket.c's table. */
extern const struct sock_family netlink_family;

#endif
