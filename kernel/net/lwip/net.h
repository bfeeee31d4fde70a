/*
 * The network stack's interface to the rest of the kernel: lwIP 2.1.3
 * (design.md point 10) over the virtio-net device, raw API, under one lock.
 *
 * The contract for every user of lwIP (the AF_INET/AF_INET6 socket family):
 * - Every call into lwIP (tcp_*, udp_*, pbuf_*, netif_*) is made between
 *   net_lock() and net_unlock().  lwIP's callbacks (tcp_recv, tcp_sent,
 *   tcp_err, tcp_accept, udp_recv...) run with the lock already held: they
 *   must not take it again, and must not block; they may call lwIP and
 *   wake a socket's queue (sock_wake: net_lock comes before every wait
 *   queue's lock, core/waitq.h).
 * - The lock is never held across a sleep (sched_wait): drop it, wait on a
 *   condition the callbacks set, take it again.
 * - net_unlock() re-arms the stack's timer, so a call that started a TCP
 *   timer or queued loopback packets gets it serviced without polling.
 * Received frames never enter lwIP in interrupt context: the device's
 * interrupt queues them and the stack takes them at the next safe point
 * (a kernel timer run by the idle loop or on the way back to ring 3).
 *
 * Kernel options read by net_init() (documented in include/monos/bootinfo.h):
 * monos.ip=dhcp|ADDR/PREFIX, monos.gateway=ADDR,
 * monos.nettest=dhcp|tcp|tcp6|loop, monos.nettest.port=N.
 *
 * A file that includes lwIP's headers includes the kernel's (core/mem.h in
 * particular) first: lwipopts.h renames lwIP's mem_init.
 */
#ifndef NET_LWIP_NET_H
#define NET_LWIP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * net_init - bring up lwIP on the network device if there is one: an
 * Ethernet interface with the device's MAC, IPv6 link-local (and SLAAC),
 * and IPv4 as the command line says: static 10.0.2.15/24 gateway 10.0.2.2
 * by default (no wait), another static address, or DHCP (then waits up to
 * 10 s for the lease, halting, and logs it).  Then runs the
 * self-test monos.nettest asks for.  Without a device only the loopback
 * interface exists.  Returns 0, or -ENOMEM / -EINVAL (bad option, logged).
 * Boot only: after the heap, the transports' probe and random_init(),
 * before the scheduler starts; interrupts off.
 */
int net_init(const char *cmdline);

/*
 * net_init_loopback - bring lwIP up with only its loopback interface, for a
 * program that opens an AF_INET socket in an instance without a network
 * device (net_init is then skipped at boot: lwIP's start-up costs every
 * program that never uses it).  Idempotent.  Process context.
 */
int net_init_loopback(void);

/* Whether the stack is up (net_init ran and succeeded).  Any context. */
bool net_ready(void);

/*
 * net_lock / net_unlock - take and release the one lock lwIP runs under
 * (IRQ-saving; not recursive).  net_lock returns the flags to give back.
 * Process or boot context, never from an lwIP callback (it holds it).
 */
uint64_t net_lock(void);
void net_unlock(uint64_t flags);

/*
 * net_peek_lock / net_peek_unlock - the same lock, for a section that only
 * reads lwIP's state (a socket's readiness): no timer catch-up on entry and
 * no timer re-arm on exit, so epoll and poll can ask thousands of sockets
 * for the price of a lock each.  Never call into lwIP in between.
 */
uint64_t net_peek_lock(void);
void net_peek_unlock(uint64_t flags);

/*
 * net_wait_boot - without the scheduler's help: process received frames
 * and lwIP's timers, halting between interrupts, until `done(arg)` (called
 * with the lock held) is true or `timeout_ns` passes.  Returns 0 or
 * -ETIMEDOUT.  Boot (before the scheduler runs) or exit (net_flush);
 * interrupts off, lock not held, no other thread needs the CPU meanwhile.
 */
int net_wait_boot(bool (*done)(void *arg), void *arg, uint64_t timeout_ns);

/*
 * net_errno - the -errno for an lwIP err_t (ERR_RST -> -ECONNRESET,
 * ERR_USE -> -EADDRINUSE, ...; ERR_OK -> 0).  Callers that know more (a
 * reset before the connection was up is ECONNREFUSED) refine it.  Any
 * context.
 */
int net_errno(int lwip_err);

/*
 * net_flush - on the way out of the instance: wait until every TCP
 * connection's data (and FIN) has been acknowledged by its peer, or
 * `timeout_ns` passes.  On Linux the kernel keeps delivering a socket's
 * data after its process exits; here the machine stops with the program,
 * so the exit path must give the stack this moment, or a server's last
 * reply dies in the transmit ring or in QEMU.  Returns 0 or -ETIMEDOUT
 * (data may be lost).  Process context at exit, after the program's last
 * instruction, lock not held.
 */
int net_flush(uint64_t timeout_ns);

/* ---- sys_arch.c, for netif.c ---- */

/* Hand a received Ethernet frame to the stack (copied; interrupt context).
 * It enters lwIP at the next safe point. */
void net_rx_frame(const void *frame, size_t len);

/* Process everything pending: queued frames, loopback packets, due timers.
 * Lock held. */
void net_run_locked(void);

/* Log (klog, shown with -v) the instance's wake-ups per second and how
 * often the stack ran: the figures of an idle instance (issue 3).  At exit,
 * from net_flush; any context. */
void net_log_stats(void);

/* ---- timers.c: lwIP's cyclic timers on demand, for sys_arch.c ---- */

/* Run the timers that are due (and catch up the aging ones).  Lock held. */
void net_timers_run(void);

/* Catch up the aging timers an idle spell left behind, before a caller
 * looks at the state they age (cheap when nothing is due).  Lock held. */
void net_timers_catch_up(void);

/* When the next timer must run on time (monotonic ns), or UINT64_MAX when
 * none must: then the stack does not wake the CPU.  Lock held. */
uint64_t net_timers_next(void);

/* Note a frame going out (`out`) or coming in: ARP requests, IPv4 and
 * IPv6 fragments keep their timers on time for a while.  Lock held. */
void net_timers_saw_frame(const void *frame, size_t len, bool out);

/* Log how often each timer ran (klog).  Any context. */
void net_timers_log(void);

/* ---- netif.c, for nettest.c ---- */

/*
 * net_dhcp_lease - drop the interface's IPv4 address, ask for one by DHCP
 * and wait for the lease (net_wait_boot).  Returns 0, -ETIMEDOUT, -ENOMEM.
 * Boot only, lock not held.
 */
int net_dhcp_lease(uint64_t timeout_ns);

/*
 * net_if_set_ip4 - give the device's interface the IPv4 address `*addr`
 * with a `prefix`-bit netmask and the gateway `*gw` (host byte order; a
 * gateway of 0 is none), each kept as it is when NULL: the boot's
 * cloud-init network-config (init/cloudinit.c), over net_init's command-line
 * configuration.  Returns 0, -ENODEV without a device.  Boot only, after
 * net_init, lock not held.
 */
int net_if_set_ip4(const uint32_t *addr, unsigned prefix, const uint32_t *gw);

/*
 * net_http_get - GET `url` (http://A.B.C.D[:PORT]/PATH/) followed by
 * `name` over HTTP/1.0 (net/lwip/http.c): the body in a new kmalloc'ed,
 * NUL-terminated *body, its length returned; or -ENOENT (404), -EIO
 * (another status, a malformed answer), -EINVAL (a URL of another form),
 * -E2BIG (a body over `max` bytes), -ETIMEDOUT after `timeout_ns`,
 * -ECONNREFUSED and the other errors of a connection, -ENOMEM.  Boot only
 * (net_wait_boot), after net_init, lock not held.
 */
long net_http_get(const char *url, const char *name, char **body, size_t max, uint64_t timeout_ns);

/* The interface's IPv4 address (or its gateway) as text in `buf`. Lock held
 * or boot context. */
const char *net_if_addr_str(char *buf, size_t size, bool gateway);

/* ---- netif.c, for the interface list (net/ifaces.c) ---- */

#define NET_IF_IP6_MAX 3 /* >= LWIP_IPV6_NUM_ADDRESSES */

/* The device's interface as programs see it (Linux's eth0).  Addresses in
 * network byte order; ip4 all zero: no IPv4 address. */
struct net_if_desc {
	uint8_t mac[6];
	uint16_t mtu;
	uint8_t ip4[4], mask4[4];
	unsigned n_ip6; /* valid (not tentative) IPv6 addresses */
	uint8_t ip6[NET_IF_IP6_MAX][16];
};

/*
 * net_if_describe - fill `d` with the device interface's link and
 * addresses as they are now.  Returns 0, or -ENODEV when there is no
 * network device (only loopback).  Process context, lock not held (takes
 * it).
 */
int net_if_describe(struct net_if_desc *d);

/* ---- netif.c: traffic counters, for /proc/net/dev (fs/procfs.c) ---- */

/* The device interface's frames since boot, Ethernet headers included. */
struct net_if_traffic {
	uint64_t rx_bytes, rx_packets;
	uint64_t tx_bytes, tx_packets, tx_dropped; /* dropped: the ring was full */
};

/* net_if_traffic_get - copy the counters (all zero without a device).
 * Process context, lock not held (takes it). */
void net_if_traffic_get(struct net_if_traffic *t);

/* net_tcp_states - the TCP connections in each of lwIP's states
 * (lwip/tcpbase.h enum tcp_state: CLOSED 0 ... TIME_WAIT 10), listeners
 * included.  Process context, lock not held (takes it). */
#define NET_TCP_STATES 11
void net_tcp_states(unsigned count[NET_TCP_STATES]);

/* ---- nettest.c ---- */

/* Run the self-test of monos.nettest (dhcp, tcp) if given; without a
 * device (`have_device` false) only say so.  Boot only, after the interface
 * is up; lock not held. */
void net_selftest(const char *cmdline, bool have_device);

#endif
