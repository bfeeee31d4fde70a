/*
 * Power-off and reset of a PC (q35 or i440fx, SeaBIOS or OVMF) without the
 * isa-debug-exit device that `monos run` gives: what a disk `monos export`
 * wrote does when its program ends (init/main.c, the restart policy).
 */
#ifndef ARCH_X86_64_POWER_H
#define ARCH_X86_64_POWER_H

#include <stdint.h>

#include "core/kernel.h"

/*
 * power_init - find, through the ACPI tables the RSDP at physical
 * `rsdp_paddr` leads to, the PM1a control port and the sleep type of S5
 * (ACPI 6.4, 7.4.2 and 16.1) and the FADT's reset register.  0 (no RSDP)
 * leaves power_off without a way: it then halts.  Boot only (maps tables).
 */
void power_init(uint64_t rsdp_paddr);

/* power_off - enter S5 (the machine powers off); halts forever if the
 * firmware gave no way.  Interrupts off; any context. */
__noreturn void power_off(void);

/* power_reset - reset the machine: the FADT's reset register, then the
 * PCI reset control port, then the keyboard controller.  Any context. */
__noreturn void power_reset(void);

#endif
