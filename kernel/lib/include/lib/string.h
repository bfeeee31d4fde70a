/*
 * The C string and memory functions monos' kernel provides (kernel/lib/
 * string.c), with exactly the libc semantics and prototypes.
 *
 * In the kernel nothing else defines them, and gcc may itself emit calls to
 * memcpy, memmove, memset and memcmp.  On the host, libc provides them and
 * string.c is not linked: these declarations are then plain redeclarations
 * of libc's (top-level qualifiers such as restrict do not change a
 * function's type), so including this header next to <string.h> is harmless.
 */
#ifndef LIB_STRING_H
#define LIB_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t maxlen);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strcpy(char *dst, const char *src);
char *strncpy(char *dst, const char *src, size_t n);
char *strcat(char *dst, const char *src);
char *strstr(const char *haystack, const char *needle);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);

#endif
