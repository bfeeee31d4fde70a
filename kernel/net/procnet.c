/*
 * The network layer's files in /proc (net layer): /proc/net/dev.  The
 * network layer adds them through procfs' interface, so fs/ needs to know
 * nothing of the network.
 */
#include "net/procnet.h"
#include "core/console.h"
#include "core/kernel.h"
#include "fs/procfs.h"
#include "net/lwip/net.h"
#include "net/netlink.h"

/* /proc/net/dev: the interfaces (net/ifaces.c) with their counters, in
 * Linux's format (net/core/net-procfs.c, dev_seq_printf_stats).  eth0 has
 * the device's frames (net/lwip/netif.c); lo's traffic stays inside lwIP,
 * which keeps no count of it here: zero. */
static long gen_net_dev(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	struct iface ifs[IFACE_MAX];
	struct net_if_traffic eth, none = { 0 }, *c;
	int count = ifaces_list(ifs);

	(void)ino;
	net_if_traffic_get(&eth);
	procfs_printf(
		&b, "Inter-|   Receive                                                |  Transmit\n"
		    " face |bytes    packets errs drop fifo frame compressed multicast|bytes "
		    "   packets errs drop fifo colls carrier compressed\n");
	for (int i = 0; i < count; i++) {
		c = (ifs[i].flags & IFF_LOOPBACK) ? &none : &eth;
		procfs_printf(
			&b,
			"%6s: %7lu %7lu %4lu %4lu %4lu %5lu %10lu %9lu %8lu %7lu %4lu %4lu %4lu "
			"%5lu %7lu %10lu\n",
			ifs[i].name, c->rx_bytes, c->rx_packets, 0ul, 0ul, 0ul, 0ul, 0ul, 0ul,
			c->tx_bytes, c->tx_packets, 0ul, c->tx_dropped, 0ul, 0ul, 0ul, 0ul);
	}
	return b.len;
}

/* eth0's counters for the host's `monos stats` (core/console.c's kernel
 * timer, where the network's lock may be taken). */
static void net_stats(struct monos_chan_stats *s)
{
	struct net_if_traffic t;

	net_if_traffic_get(&t);
	s->rx_bytes = t.rx_bytes;
	s->rx_packets = t.rx_packets;
	s->tx_bytes = t.tx_bytes;
	s->tx_packets = t.tx_packets;
}

void net_procfs_init(void)
{
	console_set_stats_handler(net_stats);
	procfs_file(procfs_dir(procfs_root(), "net"), "dev", gen_net_dev, 0444);
}
