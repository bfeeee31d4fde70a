/*
 * The kernel heap: kmalloc/kfree.  Small objects come from power-of-two size
 * classes carved out of whole frames; large ones are frames mapped page by
 * page in the KHEAP area, with an unmapped guard page after each.
 */
#ifndef CORE_HEAP_H
#define CORE_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* Allocate `size` bytes, 16-byte aligned; NULL when memory is exhausted.
 * Any context (takes the heap lock). */
void *kmalloc(size_t size);

/* kmalloc, and the memory zeroed. */
void *kzalloc(size_t size);

/* Free what kmalloc returned; NULL is ignored. */
void kfree(void *p);

/* A kmalloc'ed copy of the string `s`, or NULL when out of memory. */
char *kstrdup(const char *s);

/* What the heap holds: bytes in live blocks (headers and size-class
 * rounding included), and frames it has taken from the frame allocator (small
 * blocks keep their frames on free lists once freed, so this is a high-water
 * mark for them).  A leak shows as live_bytes growing under a steady load. */
struct heap_stats {
	uint64_t live_bytes;
	uint64_t frames;
};
void heap_stats(struct heap_stats *st);

#endif
