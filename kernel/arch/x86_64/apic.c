/*
 * Local APIC, IOAPIC and the device vectors with their MSI messages.
 * Register layouts: Intel SDM vol. 3A, ch. 10 (local APIC) and the Intel
 * 82093AA I/O APIC data sheet.  Without ACPI tables the
 * IOAPIC is taken at its architectural address, where QEMU's microvm and q35
 * both put it, and ISA IRQ 0 arrives on pin 2 as on every PC.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "core/kernel.h"

#define LAPIC_ID	    0x020
#define LAPIC_EOI	    0x0b0
#define LAPIC_SVR	    0x0f0
#define LAPIC_LVT_TIMER	    0x320
#define LAPIC_LVT_LINT0	    0x350
#define LAPIC_LVT_LINT1	    0x360
#define LAPIC_TIMER_INIT    0x380
#define LAPIC_TIMER_CUR	    0x390
#define LAPIC_TIMER_DIV	    0x3e0
#define SVR_ENABLE	    0x100
#define LVT_MASKED	    0x10000
#define TIMER_DIV_1	    0xb
#define APIC_BASE_ENABLE    (1u << 11)
#define APIC_BASE_ADDR_MASK 0xffffff000ull

#define IOAPIC_PHYS	   0xfec00000ull
#define IOAPIC_REGSEL	   0x00
#define IOAPIC_WIN	   0x10
#define IOAPIC_VER	   0x01
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define REDTBL_MASKED	   0x10000

/* MSI messages (SDM vol. 3A, 10.11.1-2): the address selects the
 * destination APIC, the data the vector; delivery mode fixed (0) and edge
 * trigger (bit 15 clear) are the zero bits of the data. */
#define MSI_ADDR_BASE	    0xfee00000ull
#define MSI_ADDR_DEST_SHIFT 12

#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

static volatile uint32_t *lapic;
/* Device vectors handed out so far, and each one's cookie; boot-written. */
static unsigned vectors_used;
static void *vector_ctx[VEC_DEVICE_LAST - VEC_DEVICE_BASE + 1];
static volatile uint32_t *ioapic;
static unsigned ioapic_pins;

static uint32_t lapic_read(unsigned reg)
{
	return lapic[reg / 4];
}
static void lapic_write(unsigned reg, uint32_t v)
{
	lapic[reg / 4] = v;
}
static uint32_t ioapic_read(unsigned reg)
{
	ioapic[IOAPIC_REGSEL / 4] = reg;
	return ioapic[IOAPIC_WIN / 4];
}
static void ioapic_write(unsigned reg, uint32_t v)
{
	ioapic[IOAPIC_REGSEL / 4] = reg;
	ioapic[IOAPIC_WIN / 4] = v;
}

/* ISA IRQ -> IOAPIC pin: identity, except the PIT (IRQ 0) on pin 2. */
static unsigned isa_pin(unsigned irq)
{
	return irq == 0 ? 2 : irq;
}

static void spurious(struct regs *r __unused)
{
	/* No EOI for spurious interrupts (SDM 10.9). */
}

void apic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	outb(PIC1_DATA, 0xff); /* mask every 8259 input: the IOAPIC rules */
	outb(PIC2_DATA, 0xff);
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic = paging_map_mmio(base & APIC_BASE_ADDR_MASK, PAGE_SIZE);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot mode */
	lapic_write(LAPIC_TIMER_INIT, 0);
	idt_set_handler(VEC_SPURIOUS, spurious);

	ioapic = paging_map_mmio(IOAPIC_PHYS, PAGE_SIZE);
	ioapic_pins = ((ioapic_read(IOAPIC_VER) >> 16) & 0xff) + 1;
	for (unsigned pin = 0; pin < ioapic_pins; pin++) {
		ioapic_write(IOAPIC_REDTBL(pin), REDTBL_MASKED);
		ioapic_write(IOAPIC_REDTBL(pin) + 1, 0);
	}
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_timer_oneshot(uint32_t count)
{
	lapic_write(LAPIC_TIMER_INIT, count);
}

uint32_t lapic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CUR);
}

int ioapic_route(unsigned isa_irq, unsigned vec, void (*fn)(struct regs *r))
{
	unsigned pin = isa_pin(isa_irq);
	uint32_t dest = lapic_read(LAPIC_ID) >> 24;

	if (pin >= ioapic_pins)
		return -EINVAL;
	idt_set_handler(vec, fn);
	ioapic_write(IOAPIC_REDTBL(pin) + 1, dest << 24);
	ioapic_write(IOAPIC_REDTBL(pin), vec); /* fixed, physical, edge, high */
	return 0;
}

void ioapic_mask(unsigned isa_irq)
{
	ioapic_write(IOAPIC_REDTBL(isa_pin(isa_irq)), REDTBL_MASKED);
}

int apic_alloc_vector(void (*fn)(struct regs *r), void *ctx)
{
	unsigned vec = VEC_DEVICE_BASE + vectors_used;

	if (vec > VEC_DEVICE_LAST)
		return -ENOSPC;
	vectors_used++;
	vector_ctx[vec - VEC_DEVICE_BASE] = ctx;
	idt_set_handler(vec, fn);
	return (int)vec;
}

void *apic_vector_ctx(unsigned vec)
{
	if (vec < VEC_DEVICE_BASE || vec >= VEC_DEVICE_BASE + vectors_used)
		return NULL;
	return vector_ctx[vec - VEC_DEVICE_BASE];
}

void apic_msi_message(unsigned vec, uint64_t *addr, uint32_t *data)
{
	uint32_t dest = lapic_read(LAPIC_ID) >> 24;

	*addr = MSI_ADDR_BASE | (uint64_t)dest << MSI_ADDR_DEST_SHIFT;
	*data = vec;
}
