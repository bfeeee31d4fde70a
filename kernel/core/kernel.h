/*
 * What every kernel file needs: fixed-width types, the pure library, the
 * memory layout, and the log and panic entry points.
 */
#ifndef CORE_KERNEL_H
#define CORE_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/errno.h>
#include <lib/list.h>
#include <lib/string.h>

#define PAGE_SIZE	 4096ul
#define PAGE_SHIFT	 12
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define ALIGN_UP(x, a)	 ALIGN_DOWN((x) + (a)-1, (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))
#define likely(x)	 __builtin_expect(!!(x), 1)
#define unlikely(x)	 __builtin_expect(!!(x), 0)
#define __unused	 __attribute__((unused))
#define __noreturn	 __attribute__((noreturn))
#define __printf(a, b)	 __attribute__((format(printf, a, b)))

/*
 * The kernel's virtual layout.  The lower half belongs to the program.
 *   DIRECT_MAP_BASE   all of RAM, phys + DIRECT_MAP_BASE, read-write, NX
 *   KHEAP_BASE        large kernel allocations (heap.c), page by page
 *   MMIO_BASE         device registers, uncached (paging_map_mmio)
 *   KERNEL_VBASE      the kernel image, phys + KERNEL_VBASE (kernel.ld)
 */
#define DIRECT_MAP_BASE 0xffff800000000000ul
#define KHEAP_BASE	0xffffc90000000000ul
#define MMIO_BASE	0xffffd00000000000ul
#define KERNEL_VBASE	0xffffffff80000000ul
#define USER_TOP	0x0000800000000000ul /* first non-canonical address */

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(pa + DIRECT_MAP_BASE);
}
static inline uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)va;
	return v >= KERNEL_VBASE ? v - KERNEL_VBASE : v - DIRECT_MAP_BASE;
}

/* console.c: the kernel log.  klog() formats one message (a line, usually
 * ending in \n) to the log stream; safe in any context, interrupts included. */
void klog(const char *fmt, ...) __printf(1, 2);
void vklog(const char *fmt, va_list ap);

/* panic.c: stop the kernel on a broken invariant, with the reason, the
 * registers (if a trap frame is given) and a symbolised backtrace. */
struct regs;
__noreturn void panic(const char *fmt, ...) __printf(1, 2);
/* boot_out_of_memory - the instance's memory ran out while booting (`what`
 * could not be allocated): not a kernel bug but a --memory too small for the
 * image, so it ends like the OOM killer (the CLI says to raise --memory),
 * not like a panic.  Boot only. */
__noreturn void boot_out_of_memory(const char *what);
/* panic_symbolise - name the kernel function containing @addr into @out
 * ("name+0xoff", or "?" when unknown).  Any context. */
void panic_symbolise(uint64_t addr, char *out, size_t n);
__noreturn void panic_regs(const struct regs *r, const char *fmt, ...) __printf(2, 3);

#define BUG_ON(cond)                                                                               \
	do {                                                                                       \
		if (unlikely(cond))                                                                \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);                      \
	} while (0)

#endif
