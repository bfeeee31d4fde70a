/*
 * Copying between the kernel and program memory.  Every syscall touches user
 * memory only through these.  A bad pointer (outside the lower half, or not
 * backed by any mapping) gives -EFAULT; a valid one not yet paged in is
 * paged in by the fault handler on the way.
 */
#ifndef CORE_UACCESS_H
#define CORE_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The end of the program's address space.  The last page below the
 * non-canonical hole is never the program's, as on Linux (TASK_SIZE_MAX,
 * arch/x86/include/asm/page_64_types.h): code there could run on into the
 * hole, and Linux's answers to mmap, munmap and mremap follow from this end.
 */
#define USER_END 0x00007ffffffff000ul

/*
 * Whether [addr, addr + len) lies in the program's address space, computed
 * without overflow.  The one check of a user range (design.md contract 15):
 * the copy helpers below and every memory call (sys_mm.c, core/vm.c) use it;
 * each caller turns `false` into its own Linux errno.
 */
static inline bool uaccess_range_ok(uint64_t addr, uint64_t len)
{
	return addr <= USER_END && len <= USER_END - addr;
}

/* Copy `n` bytes to/from the program; 0 or -EFAULT.  Process context. */
long copy_to_user(uint64_t dst, const void *src, size_t n);
long copy_from_user(void *dst, uint64_t src, size_t n);

/* Zero `n` bytes of program memory; 0 or -EFAULT. */
long clear_user(uint64_t dst, size_t n);

/*
 * Copy a NUL-terminated string of at most `n - 1` bytes into `dst` (always
 * terminated).  Returns its length, -ENAMETOOLONG if it does not fit, or
 * -EFAULT.
 */
long strncpy_from_user(char *dst, uint64_t src, size_t n);

#endif
