/*
 * The C string and memory functions, with libc semantics, for the kernel.
 *
 * gcc may emit calls to memcpy, memmove, memset and memcmp on its own (for
 * struct copies, or a loop it recognises), so these four must not be
 * recognised as calls to themselves: LIB_NO_LIBCALL turns that
 * transformation off for them.  They move 8 bytes at a time, because a
 * guest's cost is counted per instruction under TCG: memcpy and memset by
 * REP MOVSQ / REP STOSQ and a REP MOVSB / STOSB of the tail (TCG counts a
 * REP instruction once per iteration, a word a count, where a loop costs
 * four; on hardware they are the CPU's fast-string operations, Intel SDM
 * vol. 1, 7.3.9.3; the direction flag is clear in the kernel, as trap.S
 * and SFMASK leave it, and on the host by the ABI), memmove's backward
 * copy and memcmp through a may_alias, byte-aligned word type (x86-64
 * allows unaligned accesses).
 *
 * On the host, libc provides these; the unit test compiles this file under
 * renaming macros.
 */
#include <stdint.h>
#include <lib/string.h>

#define LIB_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

typedef uint64_t __attribute__((may_alias, aligned(1))) string_word;

#define WORD sizeof(string_word)
#define ONES 0x0101010101010101ull

LIB_NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t words = n / WORD, tail = n % WORD;

	__asm__ volatile("rep movsq\n\t"
			 "mov %3, %%rcx\n\t"
			 "rep movsb"
			 : "+D"(d), "+S"(src), "+c"(words)
			 : "r"(tail)
			 : "memory");
	return dst;
}

/*
 * Copying forward is safe when dst lies below src (each word is read before
 * anything at or after it is written), so only dst inside (src, src + n)
 * needs the backward copy.
 */
LIB_NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if ((uintptr_t)d - (uintptr_t)s >= n)
		return memcpy(dst, src, n);
	d += n;
	s += n;
	for (; n >= WORD; n -= WORD) {
		d -= WORD;
		s -= WORD;
		*(string_word *)d = *(const string_word *)s;
	}
	while (n--)
		*--d = *--s;
	return dst;
}

LIB_NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	size_t words = n / WORD, tail = n % WORD;

	__asm__ volatile("rep stosq\n\t"
			 "mov %3, %%rcx\n\t"
			 "rep stosb"
			 : "+D"(d), "+c"(words)
			 : "a"((unsigned char)c * ONES), "r"(tail)
			 : "memory");
	return dst;
}

LIB_NO_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	/* Skip equal words quickly; the first difference is found bytewise. */
	for (; n >= WORD; n -= WORD, x += WORD, y += WORD)
		if (*(const string_word *)x != *(const string_word *)y)
			break;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t maxlen)
{
	size_t n = 0;

	while (n < maxlen && s[n])
		n++;
	return n;
}

/* Characters compare as unsigned char, as C requires. */
int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return *x - *y;
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (; n; n--, x++, y++)
		if (*x != *y || !*x)
			return *x - *y;
	return 0;
}

/* The terminating NUL counts as part of the string: strchr(s, 0) finds it. */
char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

char *strcpy(char *dst, const char *src)
{
	char *d = dst;

	while ((*d++ = *src++))
		;
	return dst;
}

/* Copies at most n bytes and, as C requires, pads the rest of dst with NULs. */
char *strncpy(char *dst, const char *src, size_t n)
{
	size_t i = 0;

	for (; i < n && src[i]; i++)
		dst[i] = src[i];
	for (; i < n; i++)
		dst[i] = '\0';
	return dst;
}

char *strcat(char *dst, const char *src)
{
	strcpy(dst + strlen(dst), src);
	return dst;
}

char *strstr(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	for (; *haystack; haystack++)
		if (!strncmp(haystack, needle, n))
			return (char *)haystack;
	return n ? NULL : (char *)haystack;
}

size_t strspn(const char *s, const char *accept)
{
	size_t n = 0;

	while (s[n] && strchr(accept, s[n]))
		n++;
	return n;
}

size_t strcspn(const char *s, const char *reject)
{
	size_t n = 0;

	while (s[n] && !strchr(reject, s[n]))
		n++;
	return n;
}
