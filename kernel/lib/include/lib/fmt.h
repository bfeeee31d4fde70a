/*
 * printf-style formatting for the kernel (and, identically, the host).
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %%.  Flags: - 0 + space #.  Width
 * and precision, each a number or '*'.  Length modifiers: hh h l ll z t j.
 * The output is byte for byte what glibc's printf produces for the same
 * arguments (unit-tested against the host's snprintf), including "(nil)" for
 * a NULL %p and "(null)" for a NULL %s.  %n and floating point are not
 * supported: an unsupported conversion is copied to the output verbatim.
 * No function here allocates, sleeps or takes a lock; any context may call
 * them, as long as the put callback is safe there too.
 */
#ifndef LIB_FMT_H
#define LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives consecutive pieces of output: @n bytes at @s (not NUL terminated). */
typedef void (*fmt_put_fn)(void *ctx, const char *s, size_t n);

/*
 * fmt_vformat - format @fmt with @ap, handing the output to @put(@ctx, ...)
 * in pieces.  Returns the number of characters produced.
 */
int fmt_vformat(fmt_put_fn put, void *ctx, const char *fmt, va_list ap);

/* fmt_format - fmt_vformat with variable arguments. */
int fmt_format(fmt_put_fn put, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * fmt_vsnprintf - C99 vsnprintf: writes at most @size - 1 characters and a
 * NUL to @buf (nothing at all if @size is 0, when @buf may be NULL) and
 * returns the length the whole output would have had.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* fmt_snprintf - fmt_vsnprintf with variable arguments. */
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
