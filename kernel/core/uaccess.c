/*
 * Range checks and the SMAP window around arch/x86_64/uaccess.S.
 */
#include "core/uaccess.h"
#include "arch/x86_64/cpu.h"
#include "core/kernel.h"

long uaccess_copy(void *dst, const void *src, size_t n);
long uaccess_strncpy(char *dst, const char *src, size_t n);
long uaccess_zero(void *dst, size_t n);

long copy_to_user(uint64_t dst, const void *src, size_t n)
{
	long r;

	if (!uaccess_range_ok(dst, n))
		return -EFAULT;
	user_access_begin();
	r = uaccess_copy((void *)dst, src, n);
	user_access_end();
	return r;
}

long copy_from_user(void *dst, uint64_t src, size_t n)
{
	long r;

	if (!uaccess_range_ok(src, n))
		return -EFAULT;
	user_access_begin();
	r = uaccess_copy(dst, (const void *)src, n);
	user_access_end();
	return r;
}

long clear_user(uint64_t dst, size_t n)
{
	long r;

	if (!uaccess_range_ok(dst, n))
		return -EFAULT;
	user_access_begin();
	r = uaccess_zero((void *)dst, n);
	user_access_end();
	return r;
}

long strncpy_from_user(char *dst, uint64_t src, size_t n)
{
	long r;

	if (!n)
		return -ENAMETOOLONG;
	/* Clamp to the lower half: the copy stops at its end or at a fault. */
	size_t max = src < USER_END ? MIN(n, USER_END - src) : 0;
	if (!max)
		return -EFAULT;
	user_access_begin();
	r = uaccess_strncpy(dst, (const char *)src, max);
	user_access_end();
	if (r < 0)
		return r;
	if ((size_t)r >= n) {
		dst[n - 1] = 0;
		return -ENAMETOOLONG;
	}
	if ((size_t)r == max) /* ran into the end of the lower half */
		return -EFAULT;
	return r;
}
