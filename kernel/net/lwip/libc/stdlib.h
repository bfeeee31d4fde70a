/*
 * <stdlib.h> for lwIP's sources: netif_find() parses an interface number
 * with atoi(), the one stdlib function lwIP's core uses.  Given here with
 * libc semantics (leading spaces, an optional sign, decimal digits;
 * overflow is undefined, as in libc).
 */
#ifndef NET_LWIP_LIBC_STDLIB_H
#define NET_LWIP_LIBC_STDLIB_H
#include <stddef.h>

static inline int atoi(const char *s)
{
	int neg = 0, v = 0;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}
#endif
