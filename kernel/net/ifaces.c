/*
 * The network interfaces a program sees (net/netlink.h): "lo" (index 1,
 * 127.0.0.1/8 and ::1/128) always, as on Linux even before lwIP starts, and
 * "eth0" (index 2) with the device's MAC and lwIP's addresses while a
 * network device is up.  Both netlink dumps and the SIOCGIF* ioctls read
 * this one list, so getifaddrs, if_nameindex and if_nametoindex agree.
 */
#include "net/netlink.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "net/lwip/net.h"

/* linux/if.h, linux/sockios.h */
#define IF_OPER_UNKNOWN 0
#define IF_OPER_UP	6
#define SIOCGIFNAME	0x8910
#define SIOCGIFCONF	0x8912
#define SIOCGIFFLAGS	0x8913
#define SIOCGIFADDR	0x8915
#define SIOCGIFBRDADDR	0x8919
#define SIOCGIFNETMASK	0x891b
#define SIOCGIFMTU	0x8921
#define SIOCGIFHWADDR	0x8927
#define SIOCGIFINDEX	0x8933
#define SIOCGIFTXQLEN	0x8942

#define LO_MTU	       65536 /* Linux's loopback MTU */
#define IP6_PREFIX_LEN 64    /* link-local and SLAAC addresses are /64 */

_Static_assert(IFACE_ADDR6_MAX >= NET_IF_IP6_MAX, "struct iface.ip6");

static void ifaces_lo(struct iface *i)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };

	memset(i, 0, sizeof(*i));
	i->index = 1;
	strcpy(i->name, "lo");
	i->type = ARPHRD_LOOPBACK;
	i->flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP;
	i->mtu = LO_MTU;
	i->operstate = IF_OPER_UNKNOWN; /* what Linux reports for lo */
	i->has_ip4 = true;
	memcpy(i->ip4, lo4, 4);
	i->prefix4 = 8;
	i->scope4 = RT_SCOPE_HOST;
	i->n_ip6 = 1;
	i->ip6[0].addr[15] = 1; /* ::1 */
	i->ip6[0].prefix = 128;
	i->ip6[0].scope = RT_SCOPE_HOST;
}

static unsigned prefix_len(const uint8_t mask[4])
{
	unsigned n = 0;

	/* A netmask is contiguous ones: count them up to the first zero. */
	while (n < 32 && (mask[n / 8] & (0x80 >> (n % 8))))
		n++;
	return n;
}

/* eth0 from lwIP's description of the device's interface. */
static void ifaces_eth(struct iface *i, const struct net_if_desc *d)
{
	memset(i, 0, sizeof(*i));
	i->index = 2;
	strcpy(i->name, "eth0");
	i->type = ARPHRD_ETHER;
	i->flags = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST | IFF_LOWER_UP;
	i->mtu = d->mtu;
	i->operstate = IF_OPER_UP;
	memcpy(i->hwaddr, d->mac, IFACE_HWADDR_LEN);
	memset(i->hwbcast, 0xff, IFACE_HWADDR_LEN);
	i->has_ip4 = d->ip4[0] | d->ip4[1] | d->ip4[2] | d->ip4[3];
	memcpy(i->ip4, d->ip4, 4);
	for (int b = 0; b < 4; b++)
		i->bcast4[b] = d->ip4[b] | (uint8_t)~d->mask4[b];
	i->prefix4 = prefix_len(d->mask4);
	i->scope4 = RT_SCOPE_UNIVERSE;
	for (unsigned k = 0; k < d->n_ip6; k++) {
		struct iface_addr6 *a = &i->ip6[i->n_ip6++];
		memcpy(a->addr, d->ip6[k], 16);
		a->prefix = IP6_PREFIX_LEN;
		/* fe80::/10 is link-local */
		a->scope = (a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80) ? RT_SCOPE_LINK
									       : RT_SCOPE_UNIVERSE;
	}
}

int ifaces_list(struct iface out[IFACE_MAX])
{
	struct net_if_desc d;
	int n = 0;

	ifaces_lo(&out[n++]);
	if (!net_if_describe(&d))
		ifaces_eth(&out[n++], &d);
	return n;
}

/* ------------------------------------------------------------- ioctls */

/* struct ifreq (linux/if.h): a name, then a union of 24 bytes. */
struct ifreq_k {
	char name[IFNAMSIZ];
	union {
		struct {
			uint16_t family;
			uint8_t data[14];
		} addr;
		int32_t ivalue;
		int16_t flags;
		uint8_t raw[24];
	};
};
_Static_assert(sizeof(struct ifreq_k) == 40, "struct ifreq");

/* A struct sockaddr_in holding `ip` into `r`. */
static void put_ip4(struct ifreq_k *r, const uint8_t ip[4])
{
	memset(r->raw, 0, sizeof(r->raw));
	r->addr.family = AF_INET;
	memcpy(r->addr.data + 2, ip, 4); /* after sin_port */
}

/* SIOCGIFCONF: an ifreq with the IPv4 address of each interface that has
 * one; with a NULL buffer, only the length needed. */
static long ifaces_conf(uint64_t arg, const struct iface *ifs, int n)
{
	struct {
		int32_t len, pad;
		uint64_t buf;
	} ifc;
	struct ifreq_k r;
	int32_t done = 0;

	if (copy_from_user(&ifc, arg, sizeof(ifc)))
		return -EFAULT;
	for (int k = 0; k < n; k++) {
		if (!ifs[k].has_ip4)
			continue;
		if (ifc.buf) {
			if (ifc.len - done < (int32_t)sizeof(r))
				break;
			memset(&r, 0, sizeof(r));
			strcpy(r.name, ifs[k].name);
			put_ip4(&r, ifs[k].ip4);
			if (copy_to_user(ifc.buf + done, &r, sizeof(r)))
				return -EFAULT;
		}
		done += sizeof(r);
	}
	ifc.len = done;
	return copy_to_user(arg, &ifc.len, sizeof(ifc.len));
}

/* The interface the request names (by index for SIOCGIFNAME). */
static const struct iface *ifaces_find(unsigned cmd, const struct ifreq_k *r,
				       const struct iface *ifs, int n)
{
	for (int k = 0; k < n; k++) {
		if (cmd == SIOCGIFNAME ? ifs[k].index == r->ivalue
				       : !strncmp(ifs[k].name, r->name, IFNAMSIZ))
			return &ifs[k];
	}
	return NULL;
}

/* Answer one ifreq about `i` into `r`: 0 or -errno. */
static long ifaces_answer(unsigned cmd, const struct iface *i, struct ifreq_k *r)
{
	memset(r->raw, 0, sizeof(r->raw));
	switch (cmd) {
	case SIOCGIFNAME:
		strcpy(r->name, i->name);
		r->ivalue = i->index;
		return 0;
	case SIOCGIFINDEX:
		r->ivalue = i->index;
		return 0;
	case SIOCGIFFLAGS:
		r->flags = (int16_t)i->flags; /* the ioctl carries the low 16 bits */
		return 0;
	case SIOCGIFMTU:
		r->ivalue = i->mtu;
		return 0;
	case SIOCGIFTXQLEN:
		r->ivalue = IFACE_TXQLEN;
		return 0;
	case SIOCGIFHWADDR:
		r->addr.family = i->type;
		memcpy(r->addr.data, i->hwaddr, IFACE_HWADDR_LEN);
		return 0;
	}
	if (!i->has_ip4)
		return -EADDRNOTAVAIL;
	if (cmd == SIOCGIFADDR) {
		put_ip4(r, i->ip4);
	} else if (cmd == SIOCGIFBRDADDR) {
		put_ip4(r, i->bcast4);
	} else {
		uint32_t mask = i->prefix4 ? ~0u << (32 - i->prefix4) : 0;
		uint8_t m[4] = { mask >> 24, mask >> 16, mask >> 8, mask };
		put_ip4(r, m);
	}
	return 0;
}

long ifaces_ioctl(unsigned cmd, uint64_t arg)
{
	struct iface ifs[IFACE_MAX];
	const struct iface *i;
	struct ifreq_k r;
	int n;
	long err;

	switch (cmd) {
	case SIOCGIFNAME:
	case SIOCGIFCONF:
	case SIOCGIFFLAGS:
	case SIOCGIFADDR:
	case SIOCGIFBRDADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFMTU:
	case SIOCGIFHWADDR:
	case SIOCGIFINDEX:
	case SIOCGIFTXQLEN:
		break;
	default:
		return -ENOTTY;
	}
	n = ifaces_list(ifs);
	if (cmd == SIOCGIFCONF)
		return ifaces_conf(arg, ifs, n);
	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	r.name[IFNAMSIZ - 1] = 0;
	if (!(i = ifaces_find(cmd, &r, ifs, n)))
		return -ENODEV;
	if ((err = ifaces_answer(cmd, i, &r)))
		return err;
	return copy_to_user(arg, &r, sizeof(r));
}
