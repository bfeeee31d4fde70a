/*
 * Allocation failure injection (core layer): see fault_inject.h.  Two words
 * of state, both written with atomics, so the allocators may call in from
 * any context without a lock of their own.
 */
#include "core/fault_inject.h"
#include "core/kernel.h"
#include <lib/cmdline.h>

#define FAULT_INJECT_FRAMES 4 /* callers named in the log line */

static uint64_t fail_nth;    /* the allocation to fail (1-based); 0: none. Set once at boot. */
static uint64_t alloc_count; /* allocations so far; atomic */
static bool fired;	     /* the armed allocation was failed; atomic */

void fault_inject_init(const char *cmdline)
{
	size_t len;
	const char *v = cmdline_find(cmdline, "monos.failnth", &len);
	uint64_t n;

	if (!v)
		return;
	if (parse_u64(v, len, &n)) {
		klog("monos: monos.failnth=%.*s is not a number: ignored\n", (int)len, v);
		return;
	}
	fail_nth = n;
}

bool fault_inject_alloc(void)
{
	uint64_t n = __atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED);

	const uint64_t *fp;
	char name[96];

	if (n != fail_nth)
		return false;
	__atomic_store_n(&fired, true, __ATOMIC_RELAXED);
	/* Name who asked: the kernel keeps frame pointers, so the saved RBP
	 * chain gives the allocator's callers (kmalloc <- kzalloc <- ...). */
	klog("monos: fault injection: allocation %lu fails, called from", n);
	fp = __builtin_frame_address(0);
	for (int depth = 0; depth < FAULT_INJECT_FRAMES && fp; depth++) {
		panic_symbolise(fp[1], name, sizeof(name));
		klog(" %s", name);
		fp = (const uint64_t *)fp[0];
	}
	klog("\n");
	return true;
}

uint64_t fault_inject_count(void)
{
	return __atomic_load_n(&alloc_count, __ATOMIC_RELAXED);
}

bool fault_inject_fired(void)
{
	return __atomic_load_n(&fired, __ATOMIC_RELAXED);
}
