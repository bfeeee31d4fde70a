/*
 * Copying between the kernel and program memory.  Every syscall touches user
 * memory only through these.  A bad pointer (outside the lower half, or not
 * backed by any mapping) gives -EFAULT; a valid one not yet paged in is
 * paged in by the fault handler on the way.
 */
#ifndef CORE_UACCESS_H
#define CORE_UACCESS_H

#include <stddef.h>
#include <stdint.h>

/* Whether [addr, addr + n) lies in the program's half, without overflow. */
static inline int uaccess_ok(uint64_t addr, size_t n)
{
	return addr <= 0x0000800000000000ul && n <= 0x0000800000000000ul - addr;
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
