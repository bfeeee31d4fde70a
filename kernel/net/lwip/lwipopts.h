/*
 * lwIP's configuration for the monos kernel (lwIP's src/include/lwip/opt.h
 * documents every option; what is not set here keeps lwIP's default).
 *
 * The shape: NO_SYS=1 and the raw API only (design.md point 10): lwIP runs
 * under one lock (net.h), called by the socket layer, the receive path and
 * its timers; no lwIP threads, no netconn or socket API (monos' own socket
 * layer maps the raw API onto file descriptors).  IPv4 and IPv6.
 *
 * Memory: every lwIP allocation, heap and pools alike, goes to the kernel
 * heap (MEM_LIBC_MALLOC + MEMP_MEM_MALLOC), so the pools are as large as the
 * instance's memory allows instead of lwIP's fixed arrays (whose defaults
 * allow 5 TCP connections).  The MEMP_NUM_* counts below then only bound
 * the few places where lwIP uses them as limits.
 */
#ifndef NET_LWIP_LWIPOPTS_H
#define NET_LWIP_LWIPOPTS_H

/* lwIP's heap initialiser has the name of the kernel's physical memory
 * initialiser (core/mem.h): lwIP's is renamed wherever lwIP's headers are
 * seen.  So a file that includes core/mem.h includes it before lwIP's. */
#define mem_init lwip_mem_init

/* ---- System ---- */
#define NO_SYS		     1
#define SYS_LIGHTWEIGHT_PROT 0 /* the caller holds net_lock() instead */
#define LWIP_SOCKET	     0
#define LWIP_NETCONN	     0
#define LWIP_TIMERS	     1
#define LWIP_TIMERS_CUSTOM   1 /* timers.c runs lwIP's timers only when needed */

/* ---- Memory ---- */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT	8
#define mem_clib_malloc kmalloc
#define mem_clib_free	kfree
#define mem_clib_calloc sys_arch_calloc
#include <stddef.h>
void *kmalloc(size_t size);
void kfree(void *p);
void *sys_arch_calloc(size_t n, size_t size);

/* Limits: generous, since nothing is preallocated (issue 3 asks for 1,000
 * concurrent connections). */
#define MEMP_NUM_TCP_PCB	 4096
#define MEMP_NUM_TCP_PCB_LISTEN	 256
#define MEMP_NUM_UDP_PCB	 1024
#define MEMP_NUM_TCP_SEG	 16384
#define MEMP_NUM_PBUF		 4096
#define MEMP_NUM_REASSDATA	 64
#define MEMP_NUM_FRAG_PBUF	 64
#define MEMP_NUM_ARP_QUEUE	 64
#define MEMP_NUM_ND6_QUEUE	 64
#define PBUF_POOL_SIZE		 1024
#define ARP_TABLE_SIZE		 64
#define ARP_QUEUEING		 1
#define LWIP_SUPPORT_CUSTOM_PBUF 1 /* received frames wrap their kmalloc'd buffer */

/* ---- Interfaces ---- */
#define LWIP_ARP		   1
#define LWIP_ETHERNET		   1
#define LWIP_NETIF_LOOPBACK	   1 /* 127.0.0.1 and ::1 inside the instance */
#define LWIP_LOOPBACK_MAX_PBUFS	   0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK   0
#define ETH_PAD_SIZE		   0

/* ---- IPv4 ---- */
#define LWIP_IPV4	    1
#define IP_DEFAULT_TTL	    64 /* Linux's net.ipv4.ip_default_ttl and IPv6 hop limit */
#define LWIP_ICMP	    1
#define LWIP_DHCP	    1
#define DHCP_DOES_ARP_CHECK 0 /* no 1 s conflict probe before the program starts */
#define LWIP_AUTOIP	    0
#define LWIP_IGMP	    0 /* no multicast groups yet: spares a 100 ms timer */
#define IP_REASSEMBLY	    1
#define IP_FRAG		    1
#define LWIP_RAW	    0
#define LWIP_DNS	    0 /* programs resolve names themselves (/etc/resolv.conf) */

/* ---- IPv6 ---- */
#define LWIP_IPV6		  1
#define LWIP_IPV6_AUTOCONFIG	  1 /* SLAAC from router advertisements */
#define LWIP_IPV6_MLD		  0 /* the device takes all multicast; spares a 100 ms timer */
#define LWIP_IPV6_DHCP6		  0
#define IPV6_FRAG_COPYHEADER	  1 /* 64-bit pointers do not fit in the fragment header */
#define LWIP_IPV6_NUM_ADDRESSES	  3
#define LWIP_ND6_ALLOW_RA_UPDATES 1

/* ---- Transports ---- */
#define LWIP_UDP		   1
#define LWIP_UDPLITE		   1 /* IPPROTO_UDPLITE */
#define LWIP_TCP		   1
#define TCP_MSS			   1460
#define TCP_WND			   (44 * TCP_MSS) /* just under 64 KiB: no window scaling */
#define TCP_SND_BUF		   (44 * TCP_MSS)
#define TCP_SND_QUEUELEN	   (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ		   1
#define TCP_LISTEN_BACKLOG	   0 /* no SYN dropped for a backlog: inet.c's on_accept */
#define LWIP_TCP_KEEPALIVE	   1 /* SO_KEEPALIVE, TCP_KEEPIDLE... */
#define SO_REUSE		   1 /* SO_REUSEADDR */
#define LWIP_TCP_TIMESTAMPS	   0
#define LWIP_CALLBACK_API	   1
#define LWIP_ALTCP		   0

/* ---- Checksums: no offloads on the device yet, so lwIP does them all ---- */
#define CHECKSUM_GEN_IP	      1
#define CHECKSUM_GEN_TCP      1
#define CHECKSUM_GEN_UDP      1
#define CHECKSUM_CHECK_IP     1
#define CHECKSUM_CHECK_TCP    1
#define CHECKSUM_CHECK_UDP    1
#define LWIP_CHECKSUM_ON_COPY 1

/* ---- Diagnostics ---- */
#define LWIP_STATS 0
/* LWIP_DEBUG stays undefined: no debug messages, assertions stay on. */

#endif
