/*
 * panic(): the end of the kernel when an invariant breaks.  It logs the
 * reason, the registers of the trap frame if there is one, and a backtrace
 * symbolised from the kernel's own symbol table (.ksyms, made by
 * scripts/ksyms.sh at link time), then reports MONOS_EXIT_PANIC.
 */
#include "arch/x86_64/cpu.h"
#include "core/console.h"
#include "core/kernel.h"
#include <lib/fmt.h>

#define MAX_FRAMES 32

/* The table scripts/ksyms.sh generates: addresses ascending, each the low
 * 32 bits of a kernel text address (the kernel runs in the top 2 GiB, so
 * the high half is all ones) with the offset of its NUL-terminated name in
 * ksyms_names: 8 bytes a symbol, not 16. */
struct ksym {
	uint32_t addr;
	uint32_t name;
};
#define KSYM_HIGH 0xffffffff00000000ul

static uint64_t ksym_addr(const struct ksym *k)
{
	return KSYM_HIGH | k->addr;
}
extern const struct ksym ksyms[] __attribute__((weak));
extern const uint64_t ksyms_count __attribute__((weak));
extern const char ksyms_names[] __attribute__((weak));
extern char __text_start[], __text_end[];

static int in_panic;

/* Name the function containing `addr`: "name+0xoff", or "?" when unknown. */
void panic_symbolise(uint64_t addr, char *out, size_t n)
{
	uint64_t lo = 0, hi = &ksyms_count ? ksyms_count : 0;

	if (!hi || addr < ksym_addr(&ksyms[0]) || addr >= (uint64_t)__text_end) {
		strncpy(out, "?", n);
		return;
	}
	while (hi - lo > 1) { /* the last symbol at or below addr */
		uint64_t mid = (lo + hi) / 2;
		if (ksym_addr(&ksyms[mid]) <= addr)
			lo = mid;
		else
			hi = mid;
	}
	const char *name = ksyms_names + ksyms[lo].name;
	size_t len = strnlen(name, n - 20);
	memcpy(out, name, len);
	out[len] = 0;
	fmt_snprintf(out + len, n - len, "+%#lx", addr - ksym_addr(&ksyms[lo]));
}

static void backtrace(uint64_t rip, uint64_t rbp)
{
	char name[96];

	klog("backtrace:\n");
	for (int i = 0; i < MAX_FRAMES; i++) {
		panic_symbolise(rip, name, sizeof(name));
		klog("  %016lx %s\n", rip, name);
		/* Frames live on kernel stacks, in the upper half, 8-aligned. */
		if (rbp < KERNEL_VBASE - (1ul << 46) || (rbp & 7))
			break;
		rip = ((uint64_t *)rbp)[1];
		rbp = ((uint64_t *)rbp)[0];
		if (!rip)
			break;
	}
}

static __noreturn void panic_end(void)
{
	struct monos_chan_exit e = { .kind = MONOS_EXIT_PANIC };
	console_exit(&e);
}

static void vpanic_head(const char *fmt, va_list ap)
{
	irq_disable();
	if (in_panic++) /* a panic while panicking: stop at once */
		panic_end();
	klog("kernel panic: ");
	vklog(fmt, ap);
	klog("\n");
}

void panic(const char *fmt, ...)
{
	va_list ap;
	uint64_t rbp;

	va_start(ap, fmt);
	vpanic_head(fmt, ap);
	va_end(ap);
	__asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
	backtrace((uint64_t)__builtin_return_address(0), ((uint64_t *)rbp)[0]);
	panic_end();
}

void boot_out_of_memory(const char *what)
{
	struct monos_chan_exit e = { .kind = MONOS_EXIT_OOM };

	klog("monos: out of memory while booting (no room for %s): the image leaves too little "
	     "of the instance's memory\n",
	     what);
	console_exit(&e);
}

void panic_regs(const struct regs *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpanic_head(fmt, ap);
	va_end(ap);
	regs_dump(r);
	backtrace(r->rip, r->rbp);
	panic_end();
}
