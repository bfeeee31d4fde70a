/*
 * <string.h> for lwIP's sources, which include it by name: the kernel's own
 * string functions (kernel/lib/string.c) with libc semantics.  Only lwIP and
 * the lwIP glue have this folder on their include path.
 */
#ifndef NET_LWIP_LIBC_STRING_H
#define NET_LWIP_LIBC_STRING_H
#include <lib/string.h>
#endif
