/*
 * lwIP's compiler and platform port (lwIP's doc/sys_arch.txt, "cc.h"): how
 * lwIP logs, asserts, swaps bytes and draws random numbers inside the monos
 * kernel, which has no libc.  Included by lwip/arch.h before anything else.
 */
#ifndef NET_LWIP_ARCH_CC_H
#define NET_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

/* x86-64 is little endian; gcc's builtins swap in one instruction. */
#define BYTE_ORDER	       LITTLE_ENDIAN
#define lwip_htons(x)	       ((uint16_t)__builtin_bswap16(x))
#define lwip_htonl(x)	       ((uint32_t)__builtin_bswap32(x))
#define LWIP_PLATFORM_BYTESWAP 0

/* The freestanding compiler has no <inttypes.h>, <ctype.h>, <unistd.h> or a
 * complete <limits.h>:
 * lwIP then falls back on its own character classes, and these formats. */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H	   1
#define LWIP_NO_UNISTD_H   1
#define LWIP_NO_LIMITS_H   1 /* gcc's own <limits.h> wants a libc's beneath it */
#ifndef INT_MAX
#define INT_MAX __INT_MAX__
#endif
#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

/* ssize_t as Linux has it, so lwIP and the syscall layer agree. */
typedef long ssize_t;
#define SSIZE_MAX 0x7fffffffffffffffL

/* Diagnostics go to the kernel log; a failed assertion is a broken
 * invariant of the stack, so it panics (design.md point 12).  These are
 * declared here rather than through core/kernel.h so that lwIP's sources
 * see no kernel header beyond this one. */
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define LWIP_PLATFORM_DIAG(x)                                                                      \
	do {                                                                                       \
		klog x;                                                                            \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                                    \
	panic("lwip: assertion \"%s\" failed at %s:%d", x, __FILE__, __LINE__)

/* Random numbers (TCP initial sequence numbers, ports, DHCP transaction
 * ids) from the kernel's ChaCha20 generator (sys_arch.c). */
uint32_t sys_arch_rand(void);
#define LWIP_RAND() sys_arch_rand()

/* Packed structures, the gcc way. */
#define PACK_STRUCT_STRUCT __attribute__((packed))

#endif
