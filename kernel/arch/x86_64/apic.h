/*
 * Interrupt controllers: the local APIC (its one-shot timer, EOI) and the
 * IOAPIC that routes the few ISA interrupts monos uses (PIT, UART).
 * xAPIC MMIO mode only: TCG's -cpu max offers no x2APIC (facts.md).
 */
#ifndef ARCH_X86_64_APIC_H
#define ARCH_X86_64_APIC_H

#include <stdint.h>

struct regs;

/* Interrupt vectors.  0-31 are exceptions. */
#define VEC_TIMER    0x20
#define VEC_PIT	     0x22
#define VEC_UART     0x24
#define VEC_DEVICE_BASE 0x30 /* device interrupts (virtio) from here up */
#define VEC_SPURIOUS 0xff

/* Map and enable the local APIC, mask the legacy PICs, map the IOAPIC with
 * every pin masked.  Called once by init after paging_init(). */
void apic_init(void);

/* Signal end of interrupt to the local APIC.  Interrupt handlers call it. */
void lapic_eoi(void);

/*
 * The LAPIC timer.  lapic_timer_oneshot(count) fires VEC_TIMER once after
 * `count` timer ticks (divide by 1); 0 disarms it.  lapic_timer_current()
 * reads the remaining count.  time.c calibrates ticks against the TSC.
 */
void lapic_timer_oneshot(uint32_t count);
uint32_t lapic_timer_current(void);

/* Route ISA interrupt `isa_irq` to `vec` on this CPU (edge, active high),
 * calling `fn` with interrupts off; `fn` must call lapic_eoi().  Returns 0,
 * or -EINVAL when the IOAPIC has no such pin (a bad device description). */
int ioapic_route(unsigned isa_irq, unsigned vec, void (*fn)(struct regs *r));

/* Mask ISA interrupt `isa_irq` again. */
void ioapic_mask(unsigned isa_irq);

#endif
