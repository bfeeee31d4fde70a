/*
 * The agent's output buffer: replies are built whole in memory (they are
 * small: the largest is /metrics, a few tens of KiB) and then written as
 * the socket takes them.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_MAX (4u << 20) /* no reply grows past this: a bug, not a need */

static bool reserve(struct out *o, size_t n)
{
	size_t cap = o->cap ? o->cap : 1024;
	char *p;

	if (o->failed)
		return false;
	if (o->len + n + 1 <= o->cap)
		return true;
	while (cap < o->len + n + 1)
		cap *= 2;
	if (cap > OUT_MAX || !(p = realloc(o->p, cap))) {
		o->failed = true;
		return false;
	}
	o->p = p;
	o->cap = cap;
	return true;
}

void out_add(struct out *o, const char *s, size_t n)
{
	if (!reserve(o, n))
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = 0;
}

void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(o, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(o->p + o->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

/* RFC 8259 section 7: quote, backslash and control characters escaped;
 * other bytes as they are (the kernel's strings are ASCII or UTF-8). */
void out_json_str(struct out *o, const char *s, size_t n)
{
	out_add(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			out_printf(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			out_printf(o, "\\u%04x", c);
		else
			out_add(o, (const char *)&c, 1);
	}
	out_add(o, "\"", 1);
}

void out_free(struct out *o)
{
	free(o->p);
	*o = (struct out){ 0 };
}
