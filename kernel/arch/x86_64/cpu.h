/*
 * The CPU as the rest of the kernel sees it: port and MSR access, the saved
 * register frame of a trap or syscall (struct regs), per-CPU data reached
 * through GS, and the features found at boot.
 */
#ifndef ARCH_X86_64_CPU_H
#define ARCH_X86_64_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include "arch/x86_64/asm.h"

/*
 * Registers saved on entry from a trap or a syscall, lowest address first;
 * the order of Linux's struct pt_regs, with the vector (or syscall number)
 * and error code between the general registers and the CPU's frame.
 * asm.h holds the offsets the assembly uses; cpu.c checks them at compile time.
 */
struct regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi;
	uint64_t nr;	/* trap vector, or the syscall number (orig_rax) */
	uint64_t error; /* exception error code, 0 if none */
	uint64_t rip, cs, rflags, rsp, ss;
};

static inline bool regs_from_user(const struct regs *r)
{
	return (r->cs & 3) == 3;
}

struct thread;

/*
 * Per-CPU data.  %gs points here while the CPU runs kernel code (entry code
 * swaps GS on every crossing from ring 3), so `percpu()` is one load.
 * The first fields are reached from assembly: asm.h PERCPU_*.
 */
struct percpu {
	struct percpu *self;	/* PERCPU_SELF: for percpu() */
	uint64_t kernel_rsp;	/* PERCPU_KERNEL_RSP: top of current thread's kernel stack */
	uint64_t user_rsp;	/* PERCPU_USER_RSP: scratch for syscall entry */
	unsigned id;		/* CPU number, 0 for the boot CPU */
	unsigned irq_depth;	/* nesting of spin_lock_irqsave; owned by this CPU */
	struct thread *current; /* the thread running on this CPU */
};

static inline struct percpu *percpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

/* Features found by cpu_init(), read-only afterwards. */
struct cpu_features {
	bool smep, smap, umip, nx, xsave, rdrand, pdpe1gb, fsgsbase, invariant_tsc;
	bool hypervisor;
	uint64_t xcr0;		/* the XSAVE features enabled for programs */
	uint32_t xsave_size;	/* bytes XSAVE needs for xcr0 */
	uint32_t hwcap, hwcap2; /* AT_HWCAP (CPUID 1 EDX), AT_HWCAP2 */
	char vendor[13];
};
extern struct cpu_features cpu_features;

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}
static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}
static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}
static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}
static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}
static inline uint64_t irq_save(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(f) : : "memory");
	return f;
}
static inline void irq_restore(uint64_t flags)
{
	if (flags & (1 << 9))
		irq_enable();
}
/* Halt until the next interrupt, with interrupts enabled only for the halt
 * itself (STI's one-instruction shadow makes "sti; hlt" race-free). */
static inline void cpu_idle(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}
static inline void cpu_pause(void)
{
	__asm__ volatile("pause");
}

/* cpu.c */

/*
 * Bring up the boot CPU: GDT and TSS, per-CPU data in GS, the SYSCALL MSRs,
 * SSE and XSAVE for programs, NX, SMEP, SMAP and UMIP where CPUID offers them.
 * Called once, early, by init with interrupts off.
 */
void cpu_init(void);

/* Set the stack the CPU switches to on a trap from ring 3 and on SYSCALL. */
void cpu_set_kernel_stack(uint64_t top);

/* Open and close the window in which the kernel may touch user memory (SMAP);
 * only the copy helpers in core/uaccess.c use these. */
static inline void user_access_begin(void)
{
	if (cpu_features.smap)
		__asm__ volatile("stac" ::: "memory");
}
static inline void user_access_end(void)
{
	if (cpu_features.smap)
		__asm__ volatile("clac" ::: "memory");
}

/* idt.c */

/* Install the IDT (all 256 stubs of trap.S).  Called once by init. */
void idt_init(void);

/* Route interrupt vector `vec` (>= 32) to `fn`, called with interrupts off. */
void idt_set_handler(unsigned vec, void (*fn)(struct regs *r));

/* Print the registers of a frame to the kernel log. */
void regs_dump(const struct regs *r);

/* trap.S */
extern char trap_stubs[];
void trap_enter_user(struct regs *r) __attribute__((noreturn));

/* syscall_entry.S */
void syscall_entry(void);

#endif
