/*
 * The network layer's /proc files (net/procnet.c).
 */
#ifndef NET_PROCNET_H
#define NET_PROCNET_H

/* net_procfs_init - add /proc/net/dev (interfaces and their counters, in
 * Linux's format).  Boot, once, after vfs_init_mounts(); out of memory ends
 * the boot as out-of-memory. */
void net_procfs_init(void);

#endif
