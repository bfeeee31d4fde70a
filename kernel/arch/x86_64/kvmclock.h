/*
 * kvmclock: KVM's paravirtual clock (Documentation/virt/kvm/x86/msr.rst).
 * Where KVM offers it, core/time.c takes the TSC's rate, the reference it
 * disciplines the clocks against, and the wall clock from it instead of
 * the PIT and the per-run time.
 */
#ifndef ARCH_KVMCLOCK_H
#define ARCH_KVMCLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Detect kvmclock (CPUID 0x40000000 "KVMKVMKVM", 0x40000001 feature
 * CLOCKSOURCE2) and register this CPU's time structure and the wall clock.
 * Returns whether it is in use.  Boot, interrupts off. */
bool kvmclock_init(void);

/* ns since boot by the hypervisor, and the TSC it goes with in *tsc.  Only
 * after kvmclock_init() returned true.  Any context. */
uint64_t kvmclock_read(uint64_t *tsc);

/* The TSC frequency in kHz, and the ns-per-tick multiplier (fixed point,
 * `shift` fraction bits), as the hypervisor states them. */
uint64_t kvmclock_tsc_khz(void);
uint64_t kvmclock_mult(unsigned shift);

/* The wall-clock time now, ns since the epoch. */
uint64_t kvmclock_wall_ns(void);

#endif
