/*
 * The IDT and trap dispatch: exceptions go to the fault handler the memory
 * and signal layers registered (trap_set_fault_handler), kernel faults on user
 * memory to the exception table, everything else to panic(); device
 * interrupts go to the handler their driver installed.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "core/kernel.h"

#define NVECTORS	 256
#define STUB_SIZE	 16   /* trap.S aligns every stub to 16 bytes */
#define GATE_INTERRUPT	 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define IST_CRITICAL	 1    /* tss.ist[0]: a known-good stack */
#define VEC_NMI		 2
#define VEC_DOUBLE_FAULT 8

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, reserved;
} __attribute__((packed));

struct ex_entry {
	uint64_t fault_ip, fixup_ip;
};
extern struct ex_entry __ex_table_start[], __ex_table_end[];

static struct idt_gate idt[NVECTORS];
static void (*handlers[NVECTORS])(struct regs *r);
static trap_fault_fn fault_handler;
static void (*user_return_hook)(struct regs *r);

static const char *const exception_names[32] = {
	"divide error",
	"debug",
	"NMI",
	"breakpoint",
	"overflow",
	"bound range",
	"invalid opcode",
	"device not available",
	"double fault",
	"coprocessor overrun",
	"invalid TSS",
	"segment not present",
	"stack fault",
	"general protection",
	"page fault",
	"reserved",
	"x87 error",
	"alignment check",
	"machine check",
	"SIMD error",
	"virtualization",
	"control protection",
};

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)idt };

	for (unsigned v = 0; v < NVECTORS; v++) {
		uint64_t off = (uint64_t)trap_stubs + v * STUB_SIZE;
		idt[v] = (struct idt_gate){
			.off_lo = off & 0xffff,
			.sel = KERNEL_CS,
			.ist = (v == VEC_NMI || v == VEC_DOUBLE_FAULT) ? IST_CRITICAL : 0,
			.type = GATE_INTERRUPT,
			.off_mid = (off >> 16) & 0xffff,
			.off_hi = off >> 32,
		};
	}
	__asm__ volatile("lidt %0" : : "m"(ptr));
}

void idt_set_handler(unsigned vec, void (*fn)(struct regs *r))
{
	BUG_ON(vec < 32 || vec >= NVECTORS);
	handlers[vec] = fn;
}

void trap_set_fault_handler(trap_fault_fn fn)
{
	fault_handler = fn;
}

void trap_set_user_return_hook(void (*fn)(struct regs *r))
{
	user_return_hook = fn;
}

const char *trap_name(unsigned vec)
{
	return vec < 32 && exception_names[vec] ? exception_names[vec] : "unknown exception";
}

static bool fixup(struct regs *r)
{
	for (struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++) {
		if (e->fault_ip == r->rip) {
			r->rip = e->fixup_ip;
			return true;
		}
	}
	return false;
}

static void exception(struct regs *r)
{
	uint64_t addr = r->nr == 14 ? read_cr2() : 0;

	if (fault_handler && fault_handler(r, addr))
		return;
	if (!regs_from_user(r) && fixup(r))
		return;
	panic_regs(r, "%s in the kernel (error %#lx, address %#lx)", trap_name(r->nr), r->error,
		   addr);
}

void trap_dispatch(struct regs *r)
{
	if (r->nr < 32)
		exception(r);
	else if (handlers[r->nr])
		handlers[r->nr](r);
	else
		klog("trap: unexpected interrupt %lu\n", r->nr);
	if (regs_from_user(r) && user_return_hook)
		user_return_hook(r);
}

void regs_dump(const struct regs *r)
{
	klog("RIP %016lx CS %04lx RFLAGS %08lx vector %lu error %#lx\n", r->rip, r->cs, r->rflags,
	     r->nr, r->error);
	klog("RSP %016lx SS %04lx RAX %016lx RBX %016lx\n", r->rsp, r->ss, r->rax, r->rbx);
	klog("RCX %016lx RDX %016lx RSI %016lx RDI %016lx\n", r->rcx, r->rdx, r->rsi, r->rdi);
	klog("RBP %016lx R8  %016lx R9  %016lx R10 %016lx\n", r->rbp, r->r8, r->r9, r->r10);
	klog("R11 %016lx R12 %016lx R13 %016lx R14 %016lx\n", r->r11, r->r12, r->r13, r->r14);
	klog("R15 %016lx CR2 %016lx CR3 %016lx\n", r->r15, read_cr2(), read_cr3());
}
