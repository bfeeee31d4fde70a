/*
 * lwIP's operating-system port, "sys_arch.h" (lwIP's doc/sys_arch.txt).
 * monos runs lwIP with NO_SYS=1: no threads, semaphores or mailboxes, only
 * sys_now() and one lock that every caller of lwIP holds (net.h's
 * net_lock()).  lwIP's own light-weight protection is therefore off
 * (SYS_LIGHTWEIGHT_PROT=0 in lwipopts.h) and nothing here defines
 * sys_prot_t.  This header exists for lwIP code that includes it by name.
 */
#ifndef NET_LWIP_ARCH_SYS_ARCH_H
#define NET_LWIP_ARCH_SYS_ARCH_H
#endif
