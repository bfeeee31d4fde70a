/*
 * The boot CPU's own state: descriptor tables, the TSS, per-CPU data, the
 * SYSCALL MSRs, and the feature bits that turn on SSE/XSAVE for programs and
 * NX/SMEP/SMAP/UMIP for the kernel's protection.
 */
#include <stddef.h>
#include "arch/x86_64/cpu.h"
#include "core/kernel.h"

/* Intel SDM vol. 3A, 7.7: the 64-bit TSS. */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

#define IST_STACK_SIZE 8192
#define RFLAGS_IF      (1 << 9)
#define RFLAGS_DF      (1 << 10)
#define RFLAGS_TF      (1 << 8)
#define RFLAGS_AC      (1 << 18)
#define RFLAGS_NT      (1 << 14)

/* CPUID bits (Intel SDM vol. 2A, CPUID). */
#define CPUID1_ECX_XSAVE      (1u << 26)
#define CPUID1_ECX_RDRAND     (1u << 30)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID7_EBX_FSGSBASE   (1u << 0)
#define CPUID7_EBX_SMEP	      (1u << 7)
#define CPUID7_EBX_SMAP	      (1u << 20)
#define CPUID7_ECX_UMIP	      (1u << 2)
#define CPUIDX1_EDX_NX	      (1u << 20)
#define CPUIDX1_EDX_PDPE1GB   (1u << 26)
#define CPUIDX7_EDX_INVTSC    (1u << 8)
#define XCR0_USER_MASK	      0x2ffull /* x87 SSE AVX MPX-less AVX-512 PKRU: user components */

struct cpu_features cpu_features;

static uint64_t gdt[7];
static struct tss tss;
static struct percpu boot_percpu;
static uint8_t ist_stack[IST_STACK_SIZE] __attribute__((aligned(16)));

_Static_assert(offsetof(struct regs, rax) == REGS_RAX, "asm.h REGS_RAX");
_Static_assert(offsetof(struct regs, nr) == REGS_NR, "asm.h REGS_NR");
_Static_assert(offsetof(struct regs, rip) == REGS_RIP, "asm.h REGS_RIP");
_Static_assert(offsetof(struct regs, rsp) == REGS_RSP, "asm.h REGS_RSP");
_Static_assert(sizeof(struct regs) == REGS_SIZE, "asm.h REGS_SIZE");
_Static_assert(offsetof(struct percpu, current) == PERCPU_CURRENT, "asm.h PERCPU_CURRENT");
_Static_assert(offsetof(struct percpu, kernel_rsp) == PERCPU_KERNEL_RSP, "asm.h");
_Static_assert(offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "asm.h");

static void gdt_load(void)
{
	uint64_t base = (uint64_t)&tss;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(gdt) - 1, (uint64_t)gdt };

	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffff; /* KERNEL_CS: long mode code, DPL 0 */
	gdt[2] = 0x00cf92000000ffff; /* KERNEL_DS */
	gdt[3] = 0x00cff2000000ffff; /* USER_DS: DPL 3 */
	gdt[4] = 0x00affa000000ffff; /* USER_CS: long mode code, DPL 3 */
	/* A 16-byte system descriptor: available 64-bit TSS (type 9). */
	gdt[5] = (sizeof(tss) - 1) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		 (((base >> 24) & 0xff) << 56);
	gdt[6] = base >> 32;
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: ring 3 gets no ports */
	tss.ist[0] = (uint64_t)ist_stack + IST_STACK_SIZE;

	__asm__ volatile("lgdt %0\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%ss\n\t"
			 "pushq %2\n\t"
			 "lea 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "ltr %w3"
			 :
			 : "m"(ptr), "r"((uint64_t)KERNEL_DS), "i"(KERNEL_CS), "r"(TSS_SEL)
			 : "rax", "memory");
}

static void detect_features(void)
{
	struct cpu_features *f = &cpu_features;
	uint32_t r[4], max, maxext;

	cpuid(0, 0, r);
	max = r[0];
	memcpy(f->vendor, &r[1], 4);
	memcpy(f->vendor + 4, &r[3], 4);
	memcpy(f->vendor + 8, &r[2], 4);
	cpuid(1, 0, r);
	f->hwcap = r[3];
	f->xsave = r[2] & CPUID1_ECX_XSAVE;
	f->rdrand = r[2] & CPUID1_ECX_RDRAND;
	f->hypervisor = r[2] & CPUID1_ECX_HYPERVISOR;
	if (max >= 7) {
		cpuid(7, 0, r);
		f->smep = r[1] & CPUID7_EBX_SMEP;
		f->smap = r[1] & CPUID7_EBX_SMAP;
		f->fsgsbase = r[1] & CPUID7_EBX_FSGSBASE;
		f->umip = r[2] & CPUID7_ECX_UMIP;
	}
	cpuid(0x80000000, 0, r);
	maxext = r[0];
	if (maxext >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		f->nx = r[3] & CPUIDX1_EDX_NX;
		f->pdpe1gb = r[3] & CPUIDX1_EDX_PDPE1GB;
	}
	if (maxext >= 0x80000007) {
		cpuid(0x80000007, 0, r);
		f->invariant_tsc = r[3] & CPUIDX7_EDX_INVTSC;
	}
	/* Linux's AT_HWCAP2 bit 1: the kernel allows FSGSBASE in ring 3.  We
	 * keep CR4.FSGSBASE off (design.md), so it stays 0. */
	f->hwcap2 = 0;
}

/* SSE for programs (the kernel itself never uses it), and XSAVE with every
 * user-state component the CPU has. */
static void enable_fpu(void)
{
	uint64_t cr0, cr4;
	uint32_t r[4];

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 & ~(uint64_t)(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE;
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (cpu_features.xsave)
		cr4 |= CR4_OSXSAVE;
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	__asm__ volatile("fninit");
	cpu_features.xsave_size = 512;
	if (!cpu_features.xsave)
		return;
	cpuid(0xd, 0, r);
	cpu_features.xcr0 = (((uint64_t)r[3] << 32) | r[0]) & XCR0_USER_MASK;
	__asm__ volatile("xsetbv"
			 :
			 : "c"(0), "a"((uint32_t)cpu_features.xcr0),
			   "d"((uint32_t)(cpu_features.xcr0 >> 32)));
	cpuid(0xd, 0, r);
	cpu_features.xsave_size = r[1]; /* EBX: size for the enabled XCR0 */
}

static void enable_protection(void)
{
	uint64_t cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	if (cpu_features.smep)
		cr4 |= CR4_SMEP;
	if (cpu_features.smap)
		cr4 |= CR4_SMAP;
	if (cpu_features.umip)
		cr4 |= CR4_UMIP;
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	if (!cpu_features.nx)
		panic("the CPU has no NX bit");
}

void cpu_init(void)
{
	detect_features();
	gdt_load();
	boot_percpu.self = &boot_percpu;
	boot_percpu.id = 0;
	wrmsr(MSR_GS_BASE, (uint64_t)&boot_percpu);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	enable_fpu();
	enable_protection();

	/* SYSCALL: kernel CS/SS from STAR[47:32], SYSRET's base STAR[63:48]. */
	wrmsr(MSR_STAR, ((uint64_t)(USER_DS - 8 - 3) << 48) | ((uint64_t)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC | RFLAGS_NT);
}

void cpu_set_kernel_stack(uint64_t top)
{
	tss.rsp[0] = top;
	percpu()->kernel_rsp = top;
}
