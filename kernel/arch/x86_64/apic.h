/*
 * Interrupt controllers: the local APIC (its one-shot timer, EOI), the
 * IOAPIC that routes the few ISA interrupts monos uses (PIT, UART), and the
 * device vectors: handed out one by one to drivers, reached through an
 * IOAPIC pin (virtio-mmio) or a message the device writes (PCI MSI-X).
 * xAPIC MMIO mode only: TCG's -cpu max offers no x2APIC (facts.md).
 */
#ifndef ARCH_X86_64_APIC_H
#define ARCH_X86_64_APIC_H

#include <stdint.h>

struct regs;

/* Interrupt vectors.  0-31 are exceptions. */
#define VEC_TIMER	0x20
#define VEC_PIT		0x22
#define VEC_UART	0x24
#define VEC_DEVICE_BASE 0x30 /* device interrupts (virtio) from here up */
#define VEC_DEVICE_LAST 0xef /* the last one apic_alloc_vector hands out */
#define VEC_SPURIOUS	0xff

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

/*
 * apic_alloc_vector - reserve the next free device vector (VEC_DEVICE_BASE
 * up to VEC_DEVICE_LAST, never given back) and install `fn` as its handler,
 * called with interrupts off; `fn` must call lapic_eoi() and may find `ctx`
 * again with apic_vector_ctx(r->nr).  Returns the vector, or -ENOSPC when
 * every device vector is taken.  Boot only (no lock).
 */
int apic_alloc_vector(void (*fn)(struct regs *r), void *ctx);

/* apic_vector_ctx - the `ctx` given with device vector `vec`, or NULL for a
 * vector not handed out.  Any context. */
void *apic_vector_ctx(unsigned vec);

/*
 * apic_msi_message - the message a device must write to deliver `vec` to
 * this CPU as a fixed, edge-triggered interrupt (MSI and MSI-X entries,
 * Intel SDM vol. 3A, 10.11): the address in *addr, the data in *data.
 */
void apic_msi_message(unsigned vec, uint64_t *addr, uint32_t *data);

#endif
