/*
 * The pvclock ABI: the time structures a hypervisor (KVM's kvmclock, Xen)
 * keeps current in guest memory, and the arithmetic that turns them into
 * time.  Layouts from Linux's arch/x86/include/asm/pvclock-abi.h; the
 * reading protocol from arch/x86/kernel/pvclock.c and Documentation/
 * virt/kvm/x86/msr.rst (MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW).
 *
 * Pure code: the kernel's arch/x86_64/kvmclock.c hands it the structures
 * and a TSC reader; the host unit test (tests/unit/test_lib_pvclock.c)
 * hands it fabricated ones, since KVM's clock cannot be exercised on the
 * machines monos is developed on.
 */
#ifndef LIB_PVCLOCK_H
#define LIB_PVCLOCK_H

#include <stdint.h>

/* One per vCPU, written by the hypervisor.  `version` is a seqcount: odd
 * while the hypervisor updates the rest.  Time since the guest booted, in
 * ns, is system_time + scale(tsc - tsc_timestamp). */
struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul; /* fraction of 2^32 ... */
	int8_t tsc_shift;	    /* ... after shifting the delta by this */
	uint8_t flags;		    /* PVCLOCK_* */
	uint8_t pad[2];
} __attribute__((packed));

/* The wall-clock time when system_time was 0, written on request (a write
 * of its address to MSR_KVM_WALL_CLOCK_NEW); `version` as above. */
struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((packed));

#define PVCLOCK_TSC_STABLE_BIT 1 /* the TSC agrees across vCPUs */

/* Scale a TSC delta to ns as the hypervisor defines it. */
uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul_frac, int8_t shift);

/*
 * One consistent reading of `ti`: ns since boot, and the TSC it belongs to
 * in *tsc.  `rdtsc` reads an ordered TSC (LFENCE; RDTSC).  Waits out the
 * hypervisor's updates.  Any context.
 */
uint64_t pvclock_read(const volatile struct pvclock_vcpu_time_info *ti, uint64_t (*rdtsc)(void),
		      uint64_t *tsc);

/* The TSC frequency `ti` implies, in kHz (0 if mul is 0). */
uint64_t pvclock_tsc_khz(const volatile struct pvclock_vcpu_time_info *ti);

/* The ns-per-tick multiplier, fixed point with `shift` fraction bits, that
 * `ti` implies: scale_delta(d) == d * result >> shift, to rounding. */
uint64_t pvclock_mult(const volatile struct pvclock_vcpu_time_info *ti, unsigned shift);

/* The wall-clock time (ns since the epoch) at system time 0. */
uint64_t pvclock_wall_ns(const volatile struct pvclock_wall_clock *wc);

#endif
